/**
 * Home: this node's status and health, and the latest blocks, live over the SDK's event stream
 * (GET /v1/stream), newest first. The stream reconnects after a drop; status refreshes every few seconds.
 */
import type { StreamEvent } from '../../client/index.ts'
import type { PageContext } from '../context.ts'
import { badge, errorBox, errorParts, facts, fill, h, mono, section } from '../dom.ts'
import { formatInt, formatTime } from '../format.ts'
import { href } from '../router.ts'

const MAX_ROWS = 20
const REFRESH_MS = 5_000
const RECONNECT_MS = 2_000

interface BlockRow {
  readonly height: number
  readonly hash: string
  readonly timeMs: number
  readonly txCount: number
}

export async function renderHome(ctx: PageContext): Promise<void> {
  const { client, t, lang } = ctx
  const status = h('div', {}, t('loading'))
  const health = h('div', {}, t('loading'))
  const state = h('span', { class: 'stream-state', 'data-stream': 'connecting' }, t('streamConnecting'))
  const body = h('tbody', { id: 'live-blocks' })
  fill(
    ctx.root,
    h('div', { class: 'grid' }, section(t('nodeStatus'), status), section(t('health'), health)),
    section(
      t('liveBlocks'),
      h('p', {}, state),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...[t('height'), t('time'), t('txCount'), t('hash')].map((x) => h('th', { scope: 'col' }, x)),
            ),
          ),
          body,
        ),
      ),
    ),
  )

  const rows: BlockRow[] = []
  const draw = () =>
    fill(
      body,
      ...rows.map((b) =>
        h(
          'tr',
          { 'data-height': b.height },
          h('td', { class: 'num' }, h('a', { href: href.block(b.height) }, formatInt(b.height, lang))),
          h('td', {}, formatTime(b.timeMs, lang)),
          h('td', { class: 'num' }, formatInt(b.txCount, lang)),
          h('td', {}, mono(b.hash, t, { href: href.block(b.height) })),
        ),
      ),
    )
  const add = (b: BlockRow) => {
    if (rows.some((r) => r.height === b.height)) return
    rows.push(b)
    rows.sort((x, y) => y.height - x.height)
    rows.length = Math.min(rows.length, MAX_ROWS)
    draw()
    // The status card follows the stream between its refreshes.
    const shown = status.querySelector('#status-height')
    if (shown !== null && rows[0] !== undefined) shown.textContent = formatInt(rows[0].height, lang)
  }

  const refresh = async () => {
    try {
      const s = await client.status()
      fill(
        status,
        facts([
          [t('chainId'), h('span', { class: 'mono full' }, s.chainId)],
          [t('height'), h('span', { id: 'status-height' }, formatInt(s.height, lang))],
          [t('role'), s.role],
          [t('peers'), formatInt(s.peers, lang)],
          [t('syncing'), s.syncing ? t('yes') : t('no')],
          [t('mempool'), formatInt(s.mempoolSize, lang)],
          [t('headHash'), s.headHash === null ? t('none') : mono(s.headHash, t)],
        ]),
      )
    } catch (err) {
      fill(status, errorBox(err, t))
    }
    try {
      const v = await client.health()
      fill(
        health,
        facts([
          [
            t('health'),
            v.ok
              ? badge(t('healthOk'), 'ok')
              : badge(t('healthNotOk', { reasons: v.reasons.join(', ') }), 'bad'),
          ],
          [t('headAge'), t('seconds', { n: v.headAgeSeconds.toFixed(1) })],
          [t('peers'), formatInt(v.peers, lang)],
        ]),
      )
    } catch (err) {
      fill(health, errorBox(err, t))
    }
  }

  // The last few blocks first, so the table is not empty until the next one commits.
  const fillRecent = async () => {
    try {
      const head = await client.block('latest')
      const heights = Array.from(
        { length: Math.min(8, head.header.height) },
        (_, i) => head.header.height - i,
      )
      const blocks = await Promise.all(
        heights.map((x) => (x === head.header.height ? head : client.block(x))),
      )
      for (const b of blocks) {
        add({
          height: b.header.height,
          hash: b.json.hash,
          timeMs: b.header.timeMs,
          txCount: b.txHashes.length,
        })
      }
    } catch {
      // An empty chain has no latest block yet: the stream fills the table.
    }
  }

  let stopped = false
  let unsubscribe: () => void = () => {}
  let retry: ReturnType<typeof setTimeout> | undefined
  const setState = (name: string, text: string) => {
    state.dataset.stream = name
    state.textContent = text
  }
  const connect = () => {
    setState('connecting', t('streamConnecting'))
    unsubscribe = client.subscribe(
      {},
      (event: StreamEvent) => {
        if (event.type !== 'block') return
        const d = event.data
        add({ height: d.height, hash: d.hash, timeMs: d.timeMs, txCount: d.txCount })
      },
      {
        onOpen: () => setState('open', t('streamOpen')),
        onError: (err) => {
          setState('lost', t('streamLost', { code: errorParts(err).code }))
          if (!stopped) retry = setTimeout(connect, RECONNECT_MS)
        },
      },
    )
  }
  connect()
  const timer = setInterval(() => void refresh(), REFRESH_MS)
  ctx.onLeave(() => {
    stopped = true
    clearInterval(timer)
    clearTimeout(retry)
    unsubscribe()
  })
  await Promise.all([refresh(), fillRecent()])
}
