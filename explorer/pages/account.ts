/**
 * An account: roles and balances (each balance can be proven against the validators' commit
 * certificate from the user's trust root), its tx history page by page, and its journal rows of a point.
 */
import { type ArcadeClient, type HistoryPage, proofRef, toHex } from '../../client/index.ts'
import { decimalsOf, type PageContext } from '../context.ts'
import { badge, empty, errorBox, errorParts, facts, fill, h, link, mono, section, table } from '../dom.ts'
import { formatAmount, formatInt, formatTime } from '../format.ts'
import { href } from '../router.ts'
import { trustPanel } from './trust.ts'

const HISTORY_PAGE = 20
const JOURNAL_PAGE = 50

function verifyButton(ctx: PageContext, point: string, address: string): HTMLElement {
  const { t, client } = ctx
  const result = h('span', { class: 'verify-result', 'data-point': point })
  const button = h(
    'button',
    {
      type: 'button',
      class: 'verify',
      'data-point': point,
      onclick: () => void verify(client),
    },
    t('verifyProof'),
  )
  const verify = async (c: ArcadeClient) => {
    const light = ctx.trust.lightClient(c)
    if (light === null) {
      fill(result, t('needTrust'))
      result.className = 'verify-result bad-text'
      return
    }
    button.disabled = true
    fill(result, t('verifying'))
    result.className = 'verify-result'
    try {
      const r = await c.verifyRecord(proofRef.balance(point, address), { trust: await light })
      fill(result, t('verified', { height: r.height, block: `${toHex(r.blockHash).slice(0, 16)}…` }))
      result.title = toHex(r.blockHash)
      result.className = 'verify-result ok-text'
    } catch (err) {
      const { code, message } = errorParts(err)
      fill(result, t('verifyFailed', { code, message }))
      result.className = 'verify-result bad-text'
    } finally {
      button.disabled = false
    }
  }
  return h('span', { class: 'verify-cell' }, button, ' ', result)
}

function historySection(ctx: PageContext, address: string): HTMLElement {
  const { t, client, lang } = ctx
  const body = h('div', {}, t('loading'))
  const more = h('p', { class: 'pager' })
  const rows: HistoryPage['items'][number][] = []
  const load = async (before?: string) => {
    try {
      const page = await client.history(address, { limit: HISTORY_PAGE, ...(before ? { before } : {}) })
      rows.push(...page.items)
      fill(
        body,
        rows.length === 0
          ? empty(t('noHistory'))
          : table(
              [t('height'), t('tx'), t('kind'), t('status'), t('movements')],
              rows.map((r) => [
                link(href.block(r.height), formatInt(r.height, lang)),
                mono(r.txHash, t, { href: href.tx(r.txHash) }),
                r.kind,
                r.status === 'ok'
                  ? badge(t('statusCommitted'), 'ok')
                  : badge(`${t('statusFailed')} ${r.error ?? ''}`, 'bad'),
                (r.movements ?? []).map((m) => h('div', {}, `${m.event} ${m.amount} ${m.point}`)),
              ]),
            ),
      )
      const next = page.next
      fill(
        more,
        next === null ? null : h('button', { type: 'button', onclick: () => void load(next) }, t('older')),
      )
    } catch (err) {
      fill(body, errorBox(err, t))
    }
  }
  void load()
  return section(t('history'), body, more)
}

function journalSection(ctx: PageContext, address: string, points: readonly string[]): HTMLElement | null {
  const { t, client, lang } = ctx
  if (points.length === 0) return null
  const body = h('div', {})
  const more = h('p', { class: 'pager' })
  const select = h('select', { id: 'journal-point' }, ...points.map((p) => h('option', { value: p }, p)))
  let rows: Awaited<ReturnType<typeof client.journal>>['items'][number][] = []
  const load = async (cursor?: string) => {
    const point = select.value
    try {
      const page = await client.journal(
        { point, account: address },
        { limit: JOURNAL_PAGE, ...(cursor ? { cursor } : {}) },
      )
      rows = cursor === undefined ? [...page.items] : [...rows, ...page.items]
      const decimals = await decimalsOf(ctx, point)
      fill(
        body,
        rows.length === 0
          ? empty(t('journalNone'))
          : table(
              [
                t('time'),
                t('height'),
                t('tx'),
                t('kind'),
                t('journalEvent'),
                t('from'),
                t('to'),
                t('amount'),
                t('memo'),
              ],
              rows.map((r) => [
                formatTime(r.timeMs, lang),
                link(href.block(r.height), formatInt(r.height, lang)),
                mono(r.txHash, t, { href: href.tx(r.txHash) }),
                r.kind,
                r.event,
                r.from === address
                  ? h('strong', {}, r.fromRole)
                  : mono(r.from, t, { href: href.account(r.from) }),
                r.to === address ? h('strong', {}, r.toRole) : mono(r.to, t, { href: href.account(r.to) }),
                h('span', { class: 'num' }, formatAmount(r.amount, decimals, lang)),
                r.memo ?? r.fiatRef ?? '',
              ]),
            ),
      )
      const next = page.next
      fill(
        more,
        next === null ? null : h('button', { type: 'button', onclick: () => void load(next) }, t('more')),
      )
    } catch (err) {
      fill(body, errorBox(err, t))
    }
  }
  select.addEventListener('change', () => void load())
  void load()
  return section(t('journal'), h('p', {}, h('label', {}, t('journalFor'), ' ', select)), body, more)
}

export async function renderAccount(ctx: PageContext, address: string): Promise<void> {
  const { client, t, lang } = ctx
  fill(ctx.root, h('p', {}, t('loading')))
  let account: Awaited<ReturnType<typeof client.account>>
  try {
    account = await client.account(address)
  } catch (err) {
    fill(ctx.root, h('h1', {}, t('account')), errorBox(err, t))
    return
  }
  const points = await ctx.points().catch(() => [])
  const decimals = (id: string) => points.find((p) => p.id === id)?.decimals ?? 0
  const balances = account.balances
  fill(
    ctx.root,
    h('h1', {}, t('account')),
    section(
      t('account'),
      facts([
        [t('address'), mono(account.address, t, { full: true })],
        [t('roles'), account.roles.length === 0 ? t('none') : account.roles.join(', ')],
        [t('height'), formatInt(account.height, lang)],
      ]),
    ),
    section(
      t('balances'),
      balances.length === 0
        ? empty(t('noBalances'))
        : table(
            [t('point'), t('amount'), t('verifyProof')],
            balances.map((b) => [
              link(href.point(b.point), b.point),
              h('span', { class: 'num' }, formatAmount(b.amount, decimals(b.point), lang)),
              verifyButton(ctx, b.point, account.address),
            ]),
            'balances',
          ),
    ),
    historySection(ctx, account.address),
    journalSection(ctx, account.address, [
      ...new Set([...balances.map((b) => b.point), ...points.map((p) => p.id)]),
    ]),
    h(
      'details',
      { class: 'trust-details', open: ctx.trust.get() === null },
      h('summary', {}, t('trustTitle')),
      trustPanel(ctx),
    ),
  )
}
