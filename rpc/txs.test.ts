import { connect } from 'node:net'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeAddress } from '../protocol/address.ts'
import { toHex } from '../protocol/bytes.ts'
import { encode } from '../protocol/codec.ts'
import { Limits } from '../protocol/limits.ts'
import { renderReceipt } from './json.ts'
import { batchResponseJson, type TxResult } from './routes/txs.ts'
import * as S from './schemas.ts'
import { alice, CUSTOMER, type Harness, harness, makeTx, receiptFor } from './testing.ts'

let h: Harness
afterEach(async () => h?.server.close())

const MSGPACK = { 'content-type': 'application/msgpack' }

async function post(url: string, payload: string | Buffer | object, headers: Record<string, string> = {}) {
  const res = await h.server.app.inject({ method: 'POST', url, payload, headers })
  return { status: res.statusCode, body: res.json(), headers: res.headers }
}

describe('POST /v1/txs', () => {
  it('admits a raw msgpack tx with 202 and its hash', async () => {
    h = harness()
    const tx = makeTx()
    const res = await post('/v1/txs', Buffer.from(tx.bytes), MSGPACK)
    expect(res).toMatchObject({
      status: 202,
      body: { hash: toHex(tx.hash), accepted: true, status: 'pending' },
    })
    expect(h.submitter.received).toHaveLength(1)
    expect(toHex(h.submitter.received[0] as Uint8Array)).toBe(toHex(tx.bytes))
  })

  it('admits a JSON tx given as hex or as base64', async () => {
    h = harness()
    const a = makeTx()
    const b = makeTx()
    expect((await post('/v1/txs', { tx: toHex(a.bytes) })).status).toBe(202)
    expect((await post('/v1/txs', { tx: Buffer.from(b.bytes).toString('base64') })).body.hash).toBe(
      toHex(b.hash),
    )
    expect(h.submitter.received).toHaveLength(2)
  })

  it('rejects malformed hex, malformed msgpack and a wrong chain with typed 400s, submitting nothing', async () => {
    h = harness()
    expect(await post('/v1/txs', { tx: 'zz!!' })).toMatchObject({
      status: 400,
      body: { code: 'RPC_BAD_ENCODING' },
    })
    expect(await post('/v1/txs', { tx: 'abcd' })).toMatchObject({ status: 400 })
    expect(await post('/v1/txs', Buffer.from([0xc4, 0x05, 0x01]), MSGPACK)).toMatchObject({
      status: 400,
      body: { code: 'PROTOCOL_MALFORMED' },
    })
    const other = makeTx(5, 'other-chain')
    expect(await post('/v1/txs', Buffer.from(other.bytes), MSGPACK)).toMatchObject({
      status: 400,
      body: { code: 'PROTOCOL_WRONG_CHAIN' },
    })
    expect(await post('/v1/txs', { txs: 'x' })).toMatchObject({
      status: 400,
      body: { code: 'RPC_BAD_REQUEST' },
    })
    expect(await post('/v1/txs', '{"tx": ', { 'content-type': 'application/json' })).toMatchObject({
      status: 400,
      body: { code: 'RPC_BAD_REQUEST' },
    })
    expect(h.submitter.received).toHaveLength(0)
  })

  it('refuses other content types with 415', async () => {
    h = harness()
    const res = await post('/v1/txs', 'hello', { 'content-type': 'text/plain' })
    expect(res).toMatchObject({ status: 415, body: { code: 'RPC_UNSUPPORTED_MEDIA_TYPE' } })
    expect((await post('/v1/txs', '<tx/>', { 'content-type': 'application/xml' })).status).toBe(415)
  })

  it('refuses an oversize body with 413 before decoding', async () => {
    h = harness()
    const big = Buffer.alloc(Limits.maxTxBytes + 1, 0x90)
    expect(await post('/v1/txs', big, MSGPACK)).toMatchObject({
      status: 413,
      body: { code: 'PROTOCOL_TOO_LARGE' },
    })
    const huge = Buffer.alloc(3 * Limits.maxTxBytes, 0x90)
    expect(await post('/v1/txs', huge, MSGPACK)).toMatchObject({
      status: 413,
      body: { code: 'RPC_BODY_TOO_LARGE' },
    })
    expect(h.submitter.received).toHaveLength(0)
  })

  it('maps mempool refusals through the catalogue: full is 503, duplicate is 409', async () => {
    h = harness()
    h.submitter.mode = 'full'
    const tx = makeTx()
    expect(await post('/v1/txs', Buffer.from(tx.bytes), MSGPACK)).toMatchObject({
      status: 503,
      body: { code: 'MEMPOOL_FULL', hash: toHex(tx.hash) },
    })
    h.submitter.mode = 'duplicate'
    expect((await post('/v1/txs', Buffer.from(tx.bytes), MSGPACK)).status).toBe(409)
  })

  it('refuses writes while syncing with 503', async () => {
    h = harness()
    h.chain.syncing = true
    expect(await post('/v1/txs', Buffer.from(makeTx().bytes), MSGPACK)).toMatchObject({
      status: 503,
      body: { code: 'RPC_SYNCING' },
    })
  })

  it('waits for the commit with ?wait=true and returns the receipt', async () => {
    h = harness()
    h.submitter.mode = 'commit'
    const tx = makeTx()
    const res = await post('/v1/txs?wait=true', Buffer.from(tx.bytes), MSGPACK)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ hash: toHex(tx.hash), status: 'committed', height: 77 })
    expect(res.body.receipt.events[0]).toMatchObject({
      type: 'transfer',
      to: encodeAddress(CUSTOMER),
      amount: 5,
    })
    expect(h.events.listeners.size).toBe(0)
  })

  it('answers 202 pending when the wait times out', async () => {
    h = harness()
    const res = await post('/v1/txs?wait=true&timeoutMs=20', Buffer.from(makeTx().bytes), MSGPACK)
    expect(res).toMatchObject({ status: 202, body: { status: 'pending', accepted: true } })
    expect(h.events.listeners.size).toBe(0)
  })

  it('registers the wait before submitting, so a commit during admission is not missed', async () => {
    h = harness()
    const tx = makeTx()
    const submit = h.submitter.submit.bind(h.submitter)
    Object.assign(h.submitter, {
      submit: async (txs: Parameters<typeof submit>[0]) => {
        // The block lands while the mempool is still deciding.
        h.events.emit({ type: 'receipt', receipt: receiptFor(tx.hash, 9, 2) })
        return submit(txs)
      },
    })
    const res = await post('/v1/txs?wait=true&timeoutMs=5000', Buffer.from(tx.bytes), MSGPACK)
    expect(res).toMatchObject({ status: 200, body: { status: 'committed', height: 9, index: 2 } })
    expect(h.events.listeners.size).toBe(0)
  })

  it('does not listen to the chain for a rejected tx once the request is answered', async () => {
    h = harness()
    h.submitter.mode = 'full'
    const res = await post('/v1/txs?wait=true', Buffer.from(makeTx().bytes), MSGPACK)
    expect(res).toMatchObject({ status: 503, body: { code: 'MEMPOOL_FULL' } })
    expect(h.events.listeners.size).toBe(0)
  })
})

describe('observers', () => {
  it('serve reads and refuse writes with 403 RPC_READ_ONLY', async () => {
    h = harness()
    h.chain.role = 'observer'
    expect((await h.server.app.inject({ method: 'GET', url: '/v1/status' })).json().role).toBe('observer')
    expect(await post('/v1/txs', Buffer.from(makeTx().bytes), MSGPACK)).toMatchObject({
      status: 403,
      body: { code: 'RPC_READ_ONLY' },
    })
    expect((await post('/v1/txs/batch', { txs: [toHex(makeTx().bytes)] })).status).toBe(403)
    expect(h.submitter.received).toHaveLength(0)
  })

  it('forward writes to the configured node when forwardTxsTo is set', async () => {
    const seen: { url: string; body: unknown; type: string | null }[] = []
    const fakeFetch = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), body: init.body, type: new Headers(init.headers).get('content-type') })
      return new Response(JSON.stringify({ hash: 'ab', accepted: true, status: 'pending' }), { status: 202 })
    }) as unknown as typeof fetch
    h = harness({ forwardTxsTo: 'http://validator-1:8545' }, { fetch: fakeFetch })
    h.chain.role = 'observer'
    const tx = makeTx()
    const res = await post('/v1/txs?wait=true', Buffer.from(tx.bytes), MSGPACK)
    expect(res).toMatchObject({ status: 202, body: { accepted: true } })
    expect(seen[0]?.url).toBe('http://validator-1:8545/v1/txs?wait=true')
    expect(seen[0]?.type).toBe('application/msgpack')
    expect(h.submitter.received).toHaveLength(0)
  })

  it('forward only to the configured base and route path, whatever the request target names (no SSRF)', async () => {
    const seen: string[] = []
    const fakeFetch = (async (url: URL) => {
      seen.push(String(url))
      return new Response(JSON.stringify({ hash: 'ab', accepted: true, status: 'pending' }), { status: 202 })
    }) as unknown as typeof fetch
    h = harness({ forwardTxsTo: 'http://validator-1:8545/rpc' }, { fetch: fakeFetch })
    h.chain.role = 'observer'
    const base = new URL(await h.server.listen('127.0.0.1', 0))
    // `inject` always hands Fastify an origin-form URL, so the absolute form goes over a real socket.
    const body = JSON.stringify({ tx: toHex(makeTx().bytes) })
    const raw = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(base.port), base.hostname)
        let answer = ''
        socket.on('data', (d) => {
          answer += d.toString()
        })
        socket.on('end', () => resolve(answer))
        socket.on('error', reject)
        socket.end(
          `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        )
      })
    expect(await raw('http://169.254.169.254/v1/txs?wait=true&timeoutMs=5&extra=1')).toMatch(/^HTTP\/1.1 202/)
    expect(await raw('http://169.254.169.254:80/v1/txs/batch')).toMatch(/^HTTP\/1.1 (200|400)/)
    expect(seen[0]).toBe('http://validator-1:8545/rpc/v1/txs?wait=true&timeoutMs=5')
    for (const url of seen) expect(new URL(url).host).toBe('validator-1:8545')
  })

  it('answer 502 RPC_FORWARD_FAILED when the forward target is down', async () => {
    const failing = (async () => {
      throw new TypeError('fetch failed')
    }) as unknown as typeof fetch
    h = harness({ forwardTxsTo: 'http://validator-1:8545' }, { fetch: failing })
    h.chain.role = 'observer'
    expect(await post('/v1/txs', { tx: toHex(makeTx().bytes) })).toMatchObject({
      status: 502,
      body: { code: 'RPC_FORWARD_FAILED' },
    })
  })
})

describe('POST /v1/txs/batch', () => {
  it('admits a msgpack array and answers per tx, in order', async () => {
    h = harness()
    const txs = [makeTx(), makeTx(), makeTx()]
    const body = Buffer.from(encode(txs.map((t) => t.bytes)))
    const res = await post('/v1/txs/batch', body, MSGPACK)
    expect(res.status).toBe(200)
    expect(res.body.results.map((r: { hash: string }) => r.hash)).toEqual(txs.map((t) => toHex(t.hash)))
    expect(h.submitter.received).toHaveLength(3)
  })

  it('reports bad items per tx and submits only the good ones', async () => {
    h = harness()
    const good = makeTx()
    const wrongChain = makeTx(1, 'other-chain')
    const res = await post('/v1/txs/batch', { txs: [toHex(good.bytes), 'zz!!', toHex(wrongChain.bytes)] })
    expect(res.status).toBe(200)
    const [a, b, c] = res.body.results
    expect(a).toMatchObject({ accepted: true, hash: toHex(good.hash) })
    expect(b).toMatchObject({ accepted: false, code: 'RPC_BAD_ENCODING', hash: null })
    expect(c).toMatchObject({ accepted: false, code: 'PROTOCOL_WRONG_CHAIN', hash: toHex(wrongChain.hash) })
    expect(h.submitter.received).toHaveLength(1)
  })

  it('waits for every accepted tx with ?wait=true', async () => {
    h = harness()
    h.submitter.mode = 'commit'
    const txs = [makeTx(), makeTx()]
    const res = await post('/v1/txs/batch?wait=true', { txs: txs.map((t) => toHex(t.bytes)) })
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['committed', 'committed'])
  })

  it('waits for the accepted txs of a batch only, and leaves no listener behind', async () => {
    h = harness()
    h.submitter.mode = 'commit'
    const tx = makeTx()
    const res = await post('/v1/txs/batch?wait=true&timeoutMs=5000', {
      txs: [toHex(tx.bytes), 'zz!!', toHex(makeTx(1, 'other-chain').bytes)],
    })
    expect(res.body.results.map((r: { status?: string }) => r.status)).toEqual([
      'committed',
      undefined,
      undefined,
    ])
    expect(res.body.results[0].receipt.txHash).toBe(toHex(tx.hash))
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(h.events.listeners.size).toBe(0)
  })

  it('writes the same bytes as the response schema serializer would', async () => {
    const results: TxResult[] = [
      { hash: null, accepted: false, code: 'RPC_BAD_ENCODING', message: 'txs[0]: "bad" \\ \n\u0001 \ud800' },
      { hash: 'ab', accepted: false, code: 'MEMPOOL_FULL', message: 'full' },
      { hash: 'cd', accepted: true, status: 'pending' },
      {
        hash: 'ef',
        accepted: true,
        status: 'committed',
        height: 3,
        index: 1,
        receipt: renderReceipt(
          {
            ...receiptFor(new Uint8Array(32).fill(1), 3, 1),
            // Key order of the source event does not matter: `type` is written first.
            events: [{ to: CUSTOMER, amount: 5, type: 'transfer', nested: [{ a: 1n }], memo: 'é"' } as never],
          },
          'ef',
        ),
      },
      {
        hash: '01',
        accepted: true,
        status: 'committed',
        height: 3,
        index: 2,
        receipt: renderReceipt(receiptFor(new Uint8Array(32).fill(2), 3, 2, false)),
      },
    ]
    const app = Fastify()
    app.get(
      '/',
      { schema: { response: { 200: S.object({ results: S.arrayOf(S.admission) }) } } },
      async () => ({
        results,
      }),
    )
    const viaSchema = (await app.inject({ method: 'GET', url: '/' })).body
    await app.close()
    expect(batchResponseJson(results)).toBe(viaSchema)
  })

  it('refuses a batch over the count limit, an empty one and a non-list', async () => {
    h = harness({ maxBatchTxs: 2 })
    const three = Buffer.from(encode([makeTx().bytes, makeTx().bytes, makeTx().bytes]))
    expect(await post('/v1/txs/batch', three, MSGPACK)).toMatchObject({
      status: 413,
      body: { code: 'RPC_BATCH_TOO_LARGE' },
    })
    expect(await post('/v1/txs/batch', { txs: ['aa', 'bb', 'cc'] })).toMatchObject({
      status: 413,
      body: { code: 'RPC_BATCH_TOO_LARGE' },
    })
    expect((await post('/v1/txs/batch', { txs: [] })).status).toBe(400)
    expect(await post('/v1/txs/batch', Buffer.from(encode([])), MSGPACK)).toMatchObject({
      status: 400,
      body: { code: 'PROTOCOL_INVALID_FIELD' },
    })
    expect(await post('/v1/txs/batch', Buffer.from(encode([1, 2])), MSGPACK)).toMatchObject({
      status: 400,
      body: { code: 'PROTOCOL_INVALID_FIELD' },
    })
    expect(h.submitter.received).toHaveLength(0)
  })
})

describe('GET /v1/txs/:hash', () => {
  it('reports pending, committed and failed txs, and 404s unknown ones', async () => {
    h = harness()
    const get = async (hash: string) => {
      const res = await h.server.app.inject({ method: 'GET', url: `/v1/txs/${hash}` })
      return { status: res.statusCode, body: res.json() }
    }
    expect(await get(toHex(h.chain.pendingHash))).toMatchObject({ status: 200, body: { status: 'pending' } })
    const committed = await get(toHex(h.chain.committedTx.hash))
    expect(committed.body).toMatchObject({ status: 'committed', index: 0, error: null })
    expect(committed.body.receipt.events[0]).toMatchObject({ type: 'transfer', amount: 5, spender: null })
    // The block's bytes of the tx give its kind, signer and sponsor.
    const signer = encodeAddress(alice.publicKey)
    expect(committed.body.tx).toEqual({
      kind: 'point.transfer',
      signer,
      sponsor: signer,
      nonce: expect.any(Number),
      validUntil: 100,
    })
    const failed = await get(`0x${toHex(h.chain.failedTx.hash)}`)
    expect(failed.body).toMatchObject({ status: 'failed', index: 1, error: 'STATE_INSUFFICIENT_BALANCE' })
    // A node without the tx's bytes at hand leaves `tx` out.
    expect(failed.body.tx).toBeUndefined()
    expect(await get('00'.repeat(32))).toMatchObject({ status: 404, body: { code: 'RPC_TX_NOT_FOUND' } })
    expect(await get('xyz')).toMatchObject({ status: 400, body: { code: 'RPC_BAD_ENCODING' } })
    expect(await get('abcd')).toMatchObject({ status: 400, body: { code: 'RPC_BAD_ENCODING' } })
  })
})

describe('rate limits', () => {
  it('answers 429 RPC_RATE_LIMITED with Retry-After once a client exceeds its quota', async () => {
    h = harness({ rateLimit: { max: 3, timeWindowMs: 60_000 } })
    const statuses: number[] = []
    let last: Awaited<ReturnType<typeof h.server.app.inject>> | null = null
    for (let i = 0; i < 4; i++) {
      last = await h.server.app.inject({ method: 'GET', url: '/v1/status' })
      statuses.push(last.statusCode)
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(last?.json().code).toBe('RPC_RATE_LIMITED')
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0)
    // Another client is unaffected.
    const other = await h.server.app.inject({ method: 'GET', url: '/v1/status', remoteAddress: '10.0.0.9' })
    expect(other.statusCode).toBe(200)
  })
})
