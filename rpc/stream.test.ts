import { afterEach, expect, it } from 'vitest'
import { encodeAddress } from '../protocol/address.ts'
import { toHex } from '../protocol/bytes.ts'
import { CUSTOMER, type Harness, harness, MERCHANT, receiptFor } from './testing.ts'

let h: Harness
afterEach(async () => h?.server.close())

/** Reads SSE frames until `count` events (not comments) have arrived. */
async function readEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
  onReady: () => void,
) {
  const decoder = new TextDecoder()
  let buffer = ''
  let ready = false
  const events: { event: string; id: string; data: unknown }[] = []
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let cut = buffer.indexOf('\n\n')
    while (cut !== -1) {
      const frame = buffer.slice(0, cut)
      buffer = buffer.slice(cut + 2)
      cut = buffer.indexOf('\n\n')
      if (frame.startsWith(':')) {
        if (!ready) {
          ready = true
          onReady()
        }
        continue
      }
      const fields: Record<string, string> = Object.fromEntries(
        frame.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      )
      events.push({ event: fields.event ?? '', id: fields.id ?? '', data: JSON.parse(fields.data ?? 'null') })
    }
  }
  return events
}

it('streams blocks and only the receipts that touch ?account=, and ends streams on close', async () => {
  h = harness()
  const base = await h.server.listen('127.0.0.1', 0)
  const res = await fetch(`${base}/v1/stream?account=${encodeAddress(CUSTOMER)}`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/event-stream')
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const mine = receiptFor(new Uint8Array(32).fill(7), 5, 1)
  const events = await readEvents(reader, 2, () => {
    h.events.emit({ type: 'block', height: 5, hash: new Uint8Array(32).fill(5), timeMs: 1, txCount: 2 })
    // Names CUSTOMER in its events, but the node says it touched only MERCHANT: filtered out.
    h.events.emit({
      type: 'receipt',
      receipt: receiptFor(new Uint8Array(32).fill(6), 5, 0),
      accounts: [MERCHANT],
    })
    // No explicit accounts: the events name CUSTOMER (transfer.to), so it passes the filter.
    h.events.emit({ type: 'receipt', receipt: mine })
  })
  expect(events.map((e) => [e.event, e.id])).toEqual([
    ['block', '5'],
    ['receipt', '5:1'],
  ])
  expect(events[1]?.data).toMatchObject({ height: 5, index: 1, txHash: toHex(mine.txHash), status: 'ok' })
  expect(h.events.listeners.size).toBe(1)
  await h.server.close()
  expect(h.events.listeners.size).toBe(0)
  expect((await reader.read()).done).toBe(true)
})

it('refuses a malformed account filter with a catalogued 400', async () => {
  h = harness()
  const res = await h.server.app.inject({ method: 'GET', url: '/v1/stream?account=arc1nope' })
  expect(res.statusCode).toBe(400)
  expect(res.json().code).toMatch(/^(RPC_BAD_REQUEST|PROTOCOL_BAD_ADDRESS)$/)
})

it('refuses streams beyond maxStreamClients with 429 and Retry-After', async () => {
  h = harness({ maxStreamClients: 1 })
  const base = await h.server.listen('127.0.0.1', 0)
  const first = await fetch(`${base}/v1/stream`)
  expect(first.status).toBe(200)
  const second = await fetch(`${base}/v1/stream`)
  expect(second.status).toBe(429)
  expect(second.headers.get('retry-after')).toBe('5')
  expect(((await second.json()) as { code: string }).code).toBe('RPC_RATE_LIMITED')
  await first.body?.cancel()
})

it('renders each event once for all streams, and each stream still gets what its filter lets through', async () => {
  h = harness()
  const base = await h.server.listen('127.0.0.1', 0)
  const urls = ['', '', `?account=${encodeAddress(CUSTOMER)}`, `?account=${encodeAddress(MERCHANT)}`]
  const readers = await Promise.all(
    urls.map(async (q) =>
      ((await fetch(`${base}/v1/stream${q}`)).body as ReadableStream<Uint8Array>).getReader(),
    ),
  )
  // Counts reads of the event's `to`: one to render the frame, one to list the accounts for filters.
  let reads = 0
  const event: Record<string, unknown> = { type: 'transfer', point: 'SHOTEN', from: MERCHANT, amount: 5 }
  Object.defineProperty(event, 'to', {
    enumerable: true,
    get: () => {
      reads++
      return CUSTOMER
    },
  })
  const receipt = { ...receiptFor(new Uint8Array(32).fill(7), 5, 0), events: [event as never] }
  const other = receiptFor(new Uint8Array(32).fill(8), 5, 1)
  let ready = 0
  const onReady = () => {
    if (++ready < readers.length) return
    h.events.emit({ type: 'block', height: 5, hash: new Uint8Array(32).fill(5), timeMs: 1, txCount: 2 })
    h.events.emit({ type: 'receipt', receipt, accounts: [CUSTOMER] })
    h.events.emit({ type: 'receipt', receipt: other, accounts: [MERCHANT] })
  }
  const [all1, all2, customer, merchant] = await Promise.all([
    readEvents(readers[0] as ReadableStreamDefaultReader<Uint8Array>, 3, onReady),
    readEvents(readers[1] as ReadableStreamDefaultReader<Uint8Array>, 3, onReady),
    readEvents(readers[2] as ReadableStreamDefaultReader<Uint8Array>, 2, onReady),
    readEvents(readers[3] as ReadableStreamDefaultReader<Uint8Array>, 2, onReady),
  ])
  expect(all1?.map((e) => e.id)).toEqual(['5', '5:0', '5:1'])
  expect(all2).toEqual(all1)
  expect(customer?.map((e) => e.id)).toEqual(['5', '5:0'])
  expect(merchant?.map((e) => e.id)).toEqual(['5', '5:1'])
  expect(customer?.[1]).toEqual(all1?.[1])
  expect(reads).toBe(1)
  await h.server.close()
})
