/**
 * Points: supply, liability, cumulative repayments, redemptions and expiries, and whether the books
 * identity holds: totalSupply − totalLiability = cumRepaid − cumRedeemed − cumExpired (DESIGN §4, per
 * point; expired points are burned from the supply, issue 15). totalSupply counts the points locked in
 * offline purses (totalLocked) and in campaign budgets (campaignBudgets): the left side is Σ balances +
 * Σ locked + Σ (float − liability) + campaignBudgets; the manager's campaign funding (minted) and the
 * returns of its closed campaigns (burned) join the right side: + cumCampaignFunded − cumCampaignReturned.
 */
import type { PointInfo } from '../../client/index.ts'
import type { PageContext } from '../context.ts'
import { badge, empty, errorBox, facts, fill, h, link, mono, section, table } from '../dom.ts'
import { formatAmount, formatInt } from '../format.ts'
import type { Lang, Translate } from '../i18n.ts'
import { href } from '../router.ts'

export function booksHold(p: PointInfo): boolean {
  return p.totalSupply - p.totalLiability === booksRight(p)
}

/** The right side of the books: net fiat settled, less breakage, plus the manager's net campaign funding. */
function booksRight(p: PointInfo): number {
  return p.cumRepaid - p.cumRedeemed - p.cumExpired + p.cumCampaignFunded - p.cumCampaignReturned
}

function booksBadge(p: PointInfo, t: Translate): HTMLElement {
  return booksHold(p) ? badge(t('booksHolds'), 'ok') : badge(t('booksBroken'), 'bad')
}

function booksLine(p: PointInfo, t: Translate, lang: Lang): string {
  const f = (n: number) => formatAmount(n, p.decimals, lang)
  return t('booksExplain', {
    left: f(p.totalSupply - p.totalLiability),
    right: f(booksRight(p)),
  })
}

export async function renderPoints(ctx: PageContext): Promise<void> {
  const { t, lang } = ctx
  fill(ctx.root, h('p', {}, t('loading')))
  let points: readonly PointInfo[]
  try {
    points = await ctx.points()
  } catch (err) {
    fill(ctx.root, h('h1', {}, t('points')), errorBox(err, t))
    return
  }
  const amount = (p: PointInfo, n: number) => h('span', { class: 'num' }, formatAmount(n, p.decimals, lang))
  fill(
    ctx.root,
    h('h1', {}, t('points')),
    section(
      t('points'),
      points.length === 0
        ? empty(t('noPoints'))
        : table(
            [
              t('point'),
              t('name'),
              t('totalSupply'),
              t('totalLiability'),
              t('cumRepaid'),
              t('cumRedeemed'),
              t('booksIdentity'),
              t('merchantCount'),
            ],
            points.map((p) => [
              link(href.point(p.id), p.id),
              p.name,
              amount(p, p.totalSupply),
              amount(p, p.totalLiability),
              amount(p, p.cumRepaid),
              amount(p, p.cumRedeemed),
              h('span', { title: booksLine(p, t, lang) }, booksBadge(p, t)),
              link(href.merchants(p.id), formatInt(p.merchantCount, lang)),
            ]),
            'points',
          ),
    ),
  )
}

export async function renderPoint(ctx: PageContext, id: string): Promise<void> {
  const { client, t, lang } = ctx
  fill(ctx.root, h('p', {}, t('loading')))
  let p: Awaited<ReturnType<typeof client.point>>
  try {
    p = await client.point(id)
  } catch (err) {
    fill(ctx.root, h('h1', {}, `${t('point')} ${id}`), errorBox(err, t))
    return
  }
  const amount = (n: number) => formatAmount(n, p.decimals, lang)
  fill(
    ctx.root,
    h('h1', {}, `${t('point')} ${p.id}`),
    h(
      'p',
      { class: 'pager' },
      link(href.merchants(p.id), t('merchants')),
      ' · ',
      link(href.traffic(p.id), t('traffic')),
      ' · ',
      link(href.statements(p.id), t('statements')),
      ' · ',
      link(href.reconcile(p.id), t('reconcile')),
    ),
    section(
      p.name,
      facts([
        [t('point'), p.id],
        [t('name'), p.name],
        [t('manager'), mono(p.manager, t, { href: href.account(p.manager) })],
        [t('decimals'), String(p.decimals)],
        [t('transferable'), p.transferable ? t('yes') : t('no')],
        [t('totalSupply'), amount(p.totalSupply)],
        [t('totalLiability'), amount(p.totalLiability)],
        [t('cumRepaid'), amount(p.cumRepaid)],
        [t('cumRedeemed'), amount(p.cumRedeemed)],
        [t('cumExpired'), amount(p.cumExpired)],
        [t('campaignBudgets'), amount(p.campaignBudgets)],
        [t('cumCampaignFunded'), amount(p.cumCampaignFunded)],
        [t('cumCampaignReturned'), amount(p.cumCampaignReturned)],
        [t('booksIdentity'), [h('span', { id: 'books' }, booksBadge(p, t)), ' ', booksLine(p, t, lang)]],
        [t('merchantCount'), link(href.merchants(p.id), formatInt(p.merchantCount, lang))],
      ]),
    ),
  )
}
