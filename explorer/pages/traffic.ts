/**
 * The association's traffic figures: for one JST day, a line per shop with its events by kind
 * (confirmed by the customer / on the shop's word alone), purchase amount, points earned and
 * duplicates, paged over the merchants (shops without traffic are left out); links to the day before and after. The cells are shared with
 * the merchant page's last seven days.
 */
import type { ShopDay, TrafficCounts } from '../../client/index.ts'
import { decimalsOf, type PageContext } from '../context.ts'
import { type Cell, empty, errorBox, fill, h, link, section, table } from '../dom.ts'
import { formatAmount, formatDay, formatInt, jstDay } from '../format.ts'
import type { Lang, Translate } from '../i18n.ts'
import { href } from '../router.ts'

/** Merchants per request (the route's default); shops without traffic that day are left out. */
const PAGE = 100

const KINDS: readonly (readonly [keyof TrafficCounts, 'visits' | 'views' | 'clicks' | 'purchases'])[] = [
  ['visit', 'visits'],
  ['view', 'views'],
  ['click', 'clicks'],
  ['purchase', 'purchases'],
]

/** Today's JST day number by the chain head's block time, else by this browser's clock. */
export async function todayJst(ctx: PageContext): Promise<number> {
  const headMs = await ctx.client.status().then(
    (s) => s.latestBlockTimeMs,
    () => null,
  )
  return jstDay(headMs ?? Date.now())
}

/** The headers after the first column: one per kind, then amount, points and duplicates. */
export function trafficHeaders(t: Translate): string[] {
  return [...KINDS.map(([, key]) => t(key)), t('purchaseAmount'), t('pointsEarned'), t('duplicates')]
}

/** The cells matching trafficHeaders(); points shown with the point's decimals. */
export function trafficCells(d: Omit<ShopDay, 'day'>, decimals: number, t: Translate, lang: Lang): Cell[] {
  const num = (text: string, title?: string) => h('span', { class: 'num', title }, text)
  return [
    ...KINDS.map(([kind, key]) =>
      num(
        `${formatInt(d.confirmed[kind], lang)} / ${formatInt(d.unconfirmed[kind], lang)}`,
        `${t(key)}: ${t('trafficLegend')}`,
      ),
    ),
    num(formatInt(d.amount, lang)),
    num(formatAmount(d.points, decimals, lang)),
    num(formatInt(d.duplicates, lang)),
  ]
}

export async function renderTraffic(ctx: PageContext, point: string, dayParam?: number): Promise<void> {
  const { client, t, lang } = ctx
  fill(ctx.root, h('p', {}, t('loading')))
  const day = dayParam ?? (await todayJst(ctx))
  const body = h('div', {}, t('loading'))
  const more = h('p', { class: 'pager' })
  fill(
    ctx.root,
    h('h1', {}, t('trafficOf', { point, date: formatDay(day) })),
    h(
      'p',
      { class: 'pager' },
      link(href.point(point), `← ${point}`),
      ' · ',
      day > 0 ? link(href.traffic(point, day - 1), `← ${t('previousDay')}`) : null,
      day > 0 ? ' · ' : null,
      link(href.traffic(point, day + 1), `${t('nextDay')} →`),
    ),
    section(t('traffic'), h('p', { class: 'muted' }, t('trafficLegend')), body, more),
  )
  const decimals = await decimalsOf(ctx, point).catch(() => 0)
  const rows: Cell[][] = []
  const load = async (offset: number) => {
    try {
      const page = await client.trafficDay(point, day, { offset, limit: PAGE })
      rows.push(
        ...page.items.map((m) => [
          link(href.merchant(point, m.merchant), m.name),
          ...trafficCells(m, decimals, t, lang),
        ]),
      )
      // The route pages over merchants and leaves out shops without traffic: an empty page is not
      // the end while nextOffset says more shops follow.
      const next = page.nextOffset
      fill(
        body,
        rows.length > 0
          ? table([t('shop'), ...trafficHeaders(t)], rows, 'traffic')
          : empty(next === null ? t('noTraffic') : t('noTrafficYet', { n: formatInt(next, lang) })),
      )
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
