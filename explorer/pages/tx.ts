/** A tx: kind, signer, sponsor, where it landed, its status or error, and its receipt's events. */
import type { PageContext } from '../context.ts'
import { empty, errorBox, facts, fill, h, link, mono, section } from '../dom.ts'
import { eventsTable } from '../events.ts'
import { formatInt } from '../format.ts'
import { href } from '../router.ts'
import { txStatusBadge } from './block.ts'

export async function renderTx(ctx: PageContext, hash: string): Promise<void> {
  const { client, t, lang } = ctx
  fill(ctx.root, h('p', {}, t('loading')))
  let s: Awaited<ReturnType<typeof client.tx>>
  try {
    s = await client.tx(hash)
  } catch (err) {
    fill(ctx.root, h('h1', {}, t('tx')), errorBox(err, t))
    return
  }
  const tx = s.tx
  const dash = h('span', { class: 'muted' }, '—')
  fill(
    ctx.root,
    h('h1', {}, t('tx')),
    section(
      t('tx'),
      facts([
        [t('hash'), mono(s.hash, t, { full: true })],
        [t('kind'), h('span', { id: 'tx-kind' }, tx?.kind ?? '—')],
        [t('status'), h('span', { id: 'tx-status' }, txStatusBadge(s, t))],
        [t('errorCode'), s.error ? h('code', { id: 'tx-error' }, s.error) : dash],
        [t('height'), s.height === undefined ? dash : link(href.block(s.height), formatInt(s.height, lang))],
        [t('index'), s.index === undefined ? dash : String(s.index)],
        [t('signer'), tx === undefined ? dash : mono(tx.signer, t, { href: href.account(tx.signer) })],
        [t('sponsor'), tx === undefined ? dash : mono(tx.sponsor, t, { href: href.account(tx.sponsor) })],
        [t('nonce'), tx === undefined ? dash : String(tx.nonce)],
        [t('validUntil'), tx === undefined ? dash : formatInt(tx.validUntil, lang)],
      ]),
    ),
    section(
      t('events'),
      (s.receipt?.events.length ?? 0) === 0
        ? empty(t('noEvents'))
        : eventsTable(
            t,
            (s.receipt?.events ?? []).map((event) => ({ lead: [], event })),
          ),
    ),
  )
}
