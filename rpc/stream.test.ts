import { get as httpGet, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeAddress } from '../protocol/address.ts'
import { toHex } from '../protocol/bytes.ts'
import type { ChainEvent } from './ports.ts'
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
    let from = 0
    for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n', from)) {
      const frame = buffer.slice(from, cut)
      from = cut + 2
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
    buffer = buffer.slice(from)
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

it('a block frame carries the block’s own events (expired proposals, jailing), also to filtered streams', async () => {
  h = harness()
  const base = await h.server.listen('127.0.0.1', 0)
  const res = await fetch(`${base}/v1/stream?account=${encodeAddress(CUSTOMER)}`)
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const node = new Uint8Array(32).fill(9)
  const events = await readEvents(reader, 2, () => {
    h.events.emit({
      type: 'block',
      height: 6,
      hash: new Uint8Array(32).fill(6),
      timeMs: 2,
      txCount: 0,
      events: [
        { type: 'jailed', association: MERCHANT, nodeKey: node },
        { type: 'proposalExpired', proposal: 4 },
      ],
    })
    h.events.emit({ type: 'block', height: 7, hash: new Uint8Array(32).fill(7), timeMs: 3, txCount: 0 })
  })
  expect(events.map((e) => e.data)).toEqual([
    {
      height: 6,
      hash: toHex(new Uint8Array(32).fill(6)),
      timeMs: 2,
      txCount: 0,
      events: [
        { type: 'jailed', association: encodeAddress(MERCHANT), nodeKey: encodeAddress(node, 'arcnode') },
        { type: 'proposalExpired', proposal: 4 },
      ],
    },
    { height: 7, hash: toHex(new Uint8Array(32).fill(7)), timeMs: 3, txCount: 0, events: [] },
  ])
  await h.server.close()
})

it('refuses a malformed account filter with a catalogued 400', async () => {
  h = harness()
  const res = await h.server.app.inject({ method: 'GET', url: '/v1/stream?account=arc1nope' })
  expect(res.statusCode).toBe(400)
  expect(res.json().code).toMatch(/^(RPC_BAD_REQUEST|PROTOCOL_BAD_ADDRESS)$/)
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

/**
 * Opens a stream on its own connection (no pooling) as client `ip` (X-Forwarded-For, trusted by the
 * server under test).
 */
async function openStream(url: string, ip: string) {
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    httpGet(url, { agent: false, headers: { 'x-forwarded-for': ip } }, resolve).on('error', reject),
  )
  let code: string | undefined
  if (res.statusCode !== 200) {
    let text = ''
    for await (const chunk of res) text += chunk
    code = (JSON.parse(text) as { code: string }).code
  }
  const retryAfter = res.headers['retry-after']
  return { status: res.statusCode, code, retryAfter, close: () => res.destroy() }
}

/** A block event and `count` receipts, as the node emits one block. */
function burst(height: number, count: number): ChainEvent[] {
  const hash = (n: number) => new Uint8Array(32).fill(n % 256)
  return [
    { type: 'block', height, hash: hash(height), timeMs: height, txCount: count },
    ...Array.from(
      { length: count },
      (_, i): ChainEvent => ({
        type: 'receipt',
        receipt: receiptFor(hash(i), height, i),
      }),
    ),
  ]
}

describe('stream bounds', () => {
  it('limits streams per client and node-wide (429 RPC_TOO_MANY_STREAMS); allow-listed clients only node-wide', async () => {
    h = harness({ trustProxy: true, maxStreams: 7, maxStreamsPerClient: 2, allowList: ['10.9.0.0/16'] })
    const base = await h.server.listen('127.0.0.1', 0)
    const open = (ip: string) => openStream(`${base}/v1/stream`, ip)
    const a = [await open('10.0.0.1'), await open('10.0.0.1')]
    expect(a.map((r) => r.status)).toEqual([200, 200])
    const third = await open('10.0.0.1')
    expect(third).toMatchObject({ status: 429, retryAfter: '5', code: 'RPC_TOO_MANY_STREAMS' })
    // An IPv6 client is its /64: another address in the same /64 is the same client.
    const v6 = [await open('2001:db8:1:2::1'), await open('2001:db8:1:2::99')]
    expect(v6.map((r) => r.status)).toEqual([200, 200])
    expect((await open('2001:db8:1:2:ffff::1')).status).toBe(429)
    // The back office is allow-listed: past the per-client bound, up to the node-wide one.
    const office = [await open('10.9.1.1'), await open('10.9.1.1'), await open('10.9.1.1')]
    expect(office.map((r) => r.status)).toEqual([200, 200, 200])
    // Node-wide: seven are open, so even the allow-listed office gets no eighth.
    expect(await open('10.9.1.1')).toMatchObject({ status: 429, code: 'RPC_TOO_MANY_STREAMS' })
    // A closed stream gives its slot back.
    a[0]?.close()
    await expect.poll(async () => (await open('10.0.0.2')).status).toBe(200)
  })

  it("a reader that keeps up gets a block's whole burst even when it is larger than the stream buffer", async () => {
    h = harness({ maxStreamBufferBytes: 16 * 1024 })
    const base = await h.server.listen('127.0.0.1', 0)
    const reader = ((await fetch(`${base}/v1/stream`)).body as ReadableStream<Uint8Array>).getReader()
    // About 700 KB of receipts at once: far over 16 KiB, but the reader has drained all before it.
    const first = await readEvents(reader, 2001, () => {
      for (const e of burst(7, 2000)) h.events.emit(e)
    })
    expect(first).toHaveLength(2001)
    expect(first.at(-1)?.id).toBe('7:1999')
    for (const e of burst(8, 1)) h.events.emit(e)
    const next = await readEvents(reader, 2, () => {})
    expect(next.map((e) => e.id)).toEqual(['8', '8:0'])
    await reader.cancel()
  })

  it('drops a reader that does not read, with a final `dropped` event (RPC_STREAM_LAGGING), and frees its slot', async () => {
    h = harness({ maxStreamBufferBytes: 64 * 1024, maxStreams: 1 })
    const { hostname, port } = new URL(await h.server.listen('127.0.0.1', 0))
    const socket = connect(Number(port), hostname)
    socket.write('GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n')
    let received = ''
    await new Promise<void>((resolve) =>
      socket.once('data', (d) => {
        received += d.toString()
        resolve()
      }),
    )
    socket.pause() // from here on the client reads nothing
    // Blocks keep coming until the kernel's socket buffers and then the stream buffer are full.
    let height = 0
    while (h.events.listeners.size > 0) {
      expect(height, 'the stream was never dropped').toBeLessThan(2000)
      for (const e of burst(++height, 100)) h.events.emit(e)
      await new Promise((resolve) => setImmediate(resolve))
    }
    const ended = new Promise<void>((resolve) => socket.once('end', resolve))
    socket.on('data', (d) => {
      received += d.toString()
    })
    socket.resume()
    await ended
    const last = received.slice(received.lastIndexOf('event: '))
    const dropped = /^event: dropped\ndata: (.*)\n\n/.exec(last)
    expect(dropped, 'the last event says why the stream was dropped').not.toBeNull()
    expect(JSON.parse(dropped?.[1] ?? 'null')).toMatchObject({ code: 'RPC_STREAM_LAGGING' })
    // The slot came back when the socket closed: a new stream is let in.
    const again = await fetch(`http://${hostname}:${port}/v1/stream`)
    expect(again.status).toBe(200)
    await again.body?.cancel()
  })
})
