/**
 * The merchants of a point (float, liability, credit limit, terminals), and one merchant in full with
 * its traffic of the last seven JST days.
 */
import type { MerchantInfo } from '../../client/index.ts'
import { decimalsOf, type PageContext } from '../context.ts'
import { badge, empty, errorBox, facts, fill, h, link, mono, section, table } from '../dom.ts'
import { formatAmount, formatDay, formatInt } from '../format.ts'
import { href } from '../router.ts'
import { todayJst, trafficCells, trafficHeaders } from './traffic.ts'

const PAGE = 50

const statusBadge = (m: MerchantInfo) =>
  badge(m.status, m.status === 'active' ? 'ok' : m.status === 'applied' ? 'neutral' : 'bad')

export async function renderMerchants(ctx: PageContext, point: string): Promise<void> {
  const { client, t, lang } = ctx
  const body = h('div', {}, t('loading'))
  const more = h('p', { class: 'pager' })
  fill(
    ctx.root,
    h('h1', {}, t('merchantsOf', { point })),
    h('p', {}, link(href.point(point), `← ${point}`)),
    section(t('merchants'), body, more),
  )
  const decimals = await decimalsOf(ctx, point).catch(() => 0)
  const amount = (n: number) => h('span', { class: 'num' }, formatAmount(n, decimals, lang))
  const rows: MerchantInfo[] = []
  const load = async (offset: number) => {
    try {
      const page = await client.merchants(point, { offset, limit: PAGE })
      rows.push(...page.items)
      fill(
        body,
        rows.length === 0
          ? empty(t('noMerchants'))
          : table(
              [
                t('name'),
                t('address'),
                t('merchantStatus'),
                t('float'),
                t('liability'),
                t('creditLimit'),
                t('terminals'),
              ],
              rows.map((m) => [
                link(href.merchant(point, m.address), m.name),
                mono(m.address, t, { href: href.merchant(point, m.address) }),
                statusBadge(m),
                amount(m.float),
                amount(m.liability),
                amount(m.creditLimit),
                h('span', { class: 'num' }, formatInt(m.terminals.length, lang)),
              ]),
              'merchants',
            ),
      )
      const next = page.nextOffset
      fill(
        more,
        next === null ? null : h('button', { type: 'button', onclick: () => void load(next) }, t('more')),
      )
    } catch (err) {
      fill(body, errorBox(err, t))
    }
  }
  await load(0)
}

export async function renderMerchant(ctx: PageContext, point: string, address: string): Promise<void> {
  const { client, t, lang } = ctx
  fill(ctx.root, h('p', {}, t('loading')))
  let m: MerchantInfo
  try {
    m = await client.merchant(point, address)
  } catch (err) {
    fill(ctx.root, h('h1', {}, t('merchant')), errorBox(err, t))
    return
  }
  const decimals = await decimalsOf(ctx, point).catch(() => 0)
  const amount = (n: number) => formatAmount(n, decimals, lang)
  const traffic = h('div', {}, t('loading'))
  fill(
    ctx.root,
    h('h1', {}, `${t('merchant')}: ${m.name}`),
    h('p', {}, link(href.merchants(point), `← ${t('merchantsOf', { point })}`)),
    section(
      m.name,
      facts([
        [t('point'), link(href.point(point), point)],
        [t('address'), mono(m.address, t, { full: true, href: href.account(m.address) })],
        [t('merchantStatus'), statusBadge(m)],
        [t('float'), amount(m.float)],
        [t('liability'), amount(m.liability)],
        [t('creditLimit'), amount(m.creditLimit)],
        [t('anchors'), formatInt(m.anchorCount, lang)],
      ]),
    ),
    section(
      t('terminals'),
      m.terminals.length === 0
        ? empty(t('noTerminals'))
        : table(
            [t('address')],
            m.terminals.map((x) => [mono(x, t, { href: href.account(x), full: true })]),
          ),
    ),
    section(t('trafficWeek'), traffic),
  )
  try {
    const toDay = await todayJst(ctx)
    const days = await client.shopTraffic(point, m.address, { fromDay: Math.max(0, toDay - 6), toDay })
    fill(
      traffic,
      days.length === 0
        ? empty(t('noTrafficWeek'))
        : [
            h('p', { class: 'muted' }, t('trafficLegend')),
            table(
              [t('day'), ...trafficHeaders(t)],
              days.map((d) => [
                link(href.traffic(point, d.day), formatDay(d.day)),
                ...trafficCells(d, decimals, t, lang),
              ]),
              'traffic',
            ),
          ],
    )
  } catch (err) {
    fill(traffic, errorBox(err, t))
  }
}
