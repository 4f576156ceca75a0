/**
 * A block: its header and certificate, its txs (hash, kind, status) linking to their pages, and the
 * events of their receipts. The receipts of the first MAX_TXS txs are fetched, a few at a time.
 */
import type { TxStatus } from '../../client/index.ts'
import type { PageContext } from '../context.ts'
import { badge, empty, errorBox, facts, fill, h, link, mono, section, table } from '../dom.ts'
import { eventsTable } from '../events.ts'
import { formatInt, formatTime } from '../format.ts'
import type { Translate } from '../i18n.ts'
import { href } from '../router.ts'

const MAX_TXS = 100
const IN_FLIGHT = 8

export function txStatusBadge(s: TxStatus | undefined, t: Translate): HTMLElement {
  if (s === undefined) return badge('—', 'neutral')
  if (s.status === 'pending') return badge(t('statusPending'), 'neutral')
  if (s.status === 'failed') return badge(t('statusFailed'), 'bad')
  return badge(t('statusCommitted'), 'ok')
}

async function inBatches<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += IN_FLIGHT)
    out.push(...(await Promise.all(items.slice(i, i + IN_FLIGHT).map(run))))
  return out
}

export async function renderBlock(ctx: PageContext, height: number): Promise<void> {
  const { client, t, lang } = ctx
  fill(ctx.root, h('p', {}, t('loading')))
  let block: Awaited<ReturnType<typeof client.block>>
  try {
    block = await client.block(height)
  } catch (err) {
    fill(ctx.root, h('h1', {}, t('block', { height })), errorBox(err, t))
    return
  }
  const j = block.json
  const cert = j.certificate ?? null
  const nav = h(
    'p',
    { class: 'pager' },
    height > 1 ? link(href.block(height - 1), `← ${t('previous')}`) : null,
    ' ',
    link(href.block(height + 1), `${t('next')} →`),
  )
  const hashes = j.txs.slice(0, MAX_TXS)
  const statuses = await inBatches(hashes, (hash) => client.tx(hash).catch(() => undefined))
  const txRows = hashes.map((hash, i) => {
    const s = statuses[i]
    return [
      String(i),
      mono(hash, t, { href: href.tx(hash) }),
      s?.tx?.kind ?? '—',
      txStatusBadge(s, t),
      s?.error ?? '',
    ]
  })
  const events = statuses.flatMap((s, i) =>
    (s?.receipt?.events ?? []).map((event) => ({
      lead: [h('a', { href: href.tx(hashes[i] as string) }, `#${i}`)],
      event,
    })),
  )
  fill(
    ctx.root,
    h('h1', {}, t('block', { height: formatInt(height, lang) })),
    nav,
    section(
      t('header'),
      facts([
        [t('hash'), mono(j.hash, t, { full: true })],
        [t('time'), formatTime(j.header.timeMs, lang)],
        [t('chainId'), j.header.chainId],
        [t('view'), String(j.header.view)],
        [
          t('parent'),
          height > 1 ? mono(j.header.parentHash, t, { href: href.block(height - 1) }) : t('none'),
        ],
        [t('proposer'), mono(j.header.proposer, t)],
        [t('stateRoot'), mono(j.header.stateRoot, t)],
        [t('txRoot'), mono(j.header.txRoot, t)],
        [t('validatorSet'), mono(j.header.validatorSetHash, t)],
        [
          t('certificate'),
          cert === null
            ? t('certificatePending')
            : t('certificateSigners', { n: cert.signers.length, view: cert.view }),
        ],
      ]),
    ),
    section(
      `${t('txs')} (${formatInt(j.txs.length, lang)})`,
      j.txs.length === 0
        ? empty(t('noTxs'))
        : table([t('index'), t('hash'), t('kind'), t('status'), t('errorCode')], txRows, 'txs'),
      j.txs.length > MAX_TXS
        ? h('p', { class: 'muted' }, t('txsShown', { shown: MAX_TXS, total: j.txs.length }))
        : null,
    ),
    section(t('events'), events.length === 0 ? empty(t('noEvents')) : eventsTable(t, events, [t('tx')])),
  )
}
