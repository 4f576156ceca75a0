/**
 * Per-client and per-signer bounds of the RPC, each pushed past its limit: the per-IP request rate
 * (with allow-listed networks and IPv6 /64 clients), `?wait` requests, signature-check credit,
 * admitted txs per signer key, and the shape of JSON bodies.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { encode } from '../protocol/codec.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { type Harness, harness, makeTx, receiptFor } from './testing.ts'

let h: Harness
afterEach(async () => h?.server.close())

const MSGPACK = { 'content-type': 'application/msgpack' }

async function inject(method: 'GET' | 'POST', url: string, ip: string, payload?: Buffer | object) {
  const res = await h.server.app.inject({
    method,
    url,
    remoteAddress: ip,
    ...(payload === undefined ? {} : { payload }),
    ...(Buffer.isBuffer(payload) ? { headers: MSGPACK } : {}),
  })
  return { status: res.statusCode, body: res.json(), retryAfter: res.headers['retry-after'] }
}

const batch = (txs: { bytes: Uint8Array }[]) => Buffer.from(encode(txs.map((t) => t.bytes)))
const postBatch = (ip: string, txs: { bytes: Uint8Array }[], query = '') =>
  inject('POST', `/v1/txs/batch${query}`, ip, batch(txs))
const codes = (body: { results: { accepted: boolean; code?: string }[] }) =>
  body.results.map((r) => (r.accepted ? 'ok' : r.code))

describe('per-client request rate', () => {
  it('counts an IPv6 /64 as one client and lets allow-listed networks past the limit', async () => {
    h = harness({
      rateLimit: { max: 2, timeWindowMs: 60_000 },
      allowList: ['10.9.0.0/16', '2001:db8:5::/48'],
    })
    const statuses = async (ip: string, n: number) => {
      const out: number[] = []
      for (let i = 0; i < n; i++) out.push((await inject('GET', '/v1/health', ip)).status)
      return out
    }
    expect(await statuses('10.0.0.1', 3)).toEqual([200, 200, 429])
    const refused = await inject('GET', '/v1/health', '10.0.0.1')
    expect(refused.body.code).toBe('RPC_RATE_LIMITED')
    expect(Number(refused.retryAfter)).toBeGreaterThan(0)
    // Two addresses of one /64 share a quota; the next /64 has its own.
    expect(await statuses('2001:db8:1:2::1', 1)).toEqual([200])
    expect(await statuses('2001:db8:1:2::2', 2)).toEqual([200, 429])
    expect(await statuses('2001:db8:1:3::1', 1)).toEqual([200])
    // A shop's back office behind one address, and an allow-listed IPv6 network.
    expect(await statuses('10.9.1.1', 20)).toEqual(new Array(20).fill(200))
    expect(await statuses('2001:db8:5:1::7', 20)).toEqual(new Array(20).fill(200))
  })
})

describe('?wait requests', () => {
  it('are bounded per client and node-wide with 429 RPC_TOO_MANY_WAITS, submitting nothing', async () => {
    h = harness({ maxWaits: 4, maxWaitsPerClient: 2, allowList: ['10.9.0.0/16'] })
    const waiting: { tx: ReturnType<typeof makeTx>; answer: ReturnType<typeof inject> }[] = []
    const startWait = async (ip: string) => {
      const tx = makeTx()
      const before = h.submitter.received.length
      const answer = inject('POST', '/v1/txs?wait=true&timeoutMs=60000', ip, Buffer.from(tx.bytes))
      // The request holds its slot once its tx has reached the mempool.
      await expect.poll(() => h.submitter.received.length).toBe(before + 1)
      waiting.push({ tx, answer })
    }
    await startWait('10.0.0.1')
    await startWait('10.0.0.1')
    const overClient = await inject('POST', '/v1/txs?wait=true', '10.0.0.1', Buffer.from(makeTx().bytes))
    expect(overClient).toMatchObject({ status: 429, body: { code: 'RPC_TOO_MANY_WAITS' }, retryAfter: '1' })
    // Without ?wait the same client is served.
    expect((await inject('POST', '/v1/txs', '10.0.0.1', Buffer.from(makeTx().bytes))).status).toBe(202)
    // An allow-listed client is not bound per client: it takes the last two node-wide slots.
    await startWait('10.9.0.1')
    await startWait('10.9.0.1')
    const received = h.submitter.received.length
    const overNode = await postBatch('10.0.0.2', [makeTx()], '?wait=true')
    expect(overNode).toMatchObject({ status: 429, body: { code: 'RPC_TOO_MANY_WAITS' } })
    expect(h.submitter.received).toHaveLength(received)
    // A wait that ends gives its slot back.
    const first = waiting[0] as (typeof waiting)[number]
    h.events.emit({ type: 'receipt', receipt: receiptFor(first.tx.hash, 9, 0) })
    expect((await first.answer).status).toBe(200)
    const next = postBatch('10.0.0.2', [makeTx()], '?wait=true&timeoutMs=1')
    expect((await next).status).toBe(200)
    await h.server.close()
    for (const w of waiting.slice(1)) expect((await w.answer).status).toBe(202)
  })
})

describe('signature-check credit', () => {
  it('refuses a client whose txs failed signature checks before any signature is checked; others go on', async () => {
    let nowMs = 0
    h = harness(
      { signatureCredit: { max: 10, refillPerSecond: 1 }, allowList: ['10.9.0.0/16'] },
      { nowMs: () => nowMs },
    )
    const bad = Array.from({ length: 10 }, () => makeTx(5, undefined, { badSignature: true }))
    const spent = await postBatch('10.0.0.1', bad)
    expect(codes(spent.body)).toEqual(new Array(10).fill('PROTOCOL_BAD_SIGNATURE'))
    expect(h.submitter.received).toHaveLength(10)

    // Out of credit: good txs from the same client are refused before reaching the mempool.
    const good = () => Array.from({ length: 5 }, () => makeTx())
    const refused = await postBatch('10.0.0.1', good())
    expect(refused).toMatchObject({
      status: 429,
      body: { code: 'RPC_SIGNATURE_CREDIT_EXHAUSTED' },
      retryAfter: '1',
    })
    const single = await inject('POST', '/v1/txs', '10.0.0.1', Buffer.from(makeTx().bytes))
    expect(single).toMatchObject({ status: 429, body: { code: 'RPC_SIGNATURE_CREDIT_EXHAUSTED' } })
    expect(h.submitter.received).toHaveLength(10)

    // Another client, and an allow-listed one after its own bad batch, are not affected.
    expect(codes((await postBatch('10.0.0.2', good())).body)).toEqual(new Array(5).fill('ok'))
    await postBatch('10.9.0.1', bad)
    expect(codes((await postBatch('10.9.0.1', good())).body)).toEqual(new Array(5).fill('ok'))

    // Credit refills with time (3 after 3 s): the txs beyond it are refused one by one.
    nowMs += 3000
    const partial = await postBatch('10.0.0.1', good())
    expect(codes(partial.body)).toEqual([
      'ok',
      'ok',
      'ok',
      'RPC_SIGNATURE_CREDIT_EXHAUSTED',
      'RPC_SIGNATURE_CREDIT_EXHAUSTED',
    ])
    // ...and with each admitted tx: three admitted earned three more (the reserved ones came back).
    expect(codes((await postBatch('10.0.0.1', good())).body)).toEqual(new Array(5).fill('ok'))
  })
})

describe('per-signer limit', () => {
  it('counts admitted txs per signer key, whatever the client, and not txs forged in its name', async () => {
    h = harness({ signerRateLimit: { max: 3, timeWindowMs: 60_000 } })
    const bob = generateKeyPair()
    const byAlice = Array.from({ length: 5 }, () => makeTx())
    expect(codes((await postBatch('10.0.0.1', byAlice)).body)).toEqual([
      'ok',
      'ok',
      'ok',
      'RPC_SIGNER_RATE_LIMITED',
      'RPC_SIGNER_RATE_LIMITED',
    ])
    // From another client, alice is still over her limit: one tx answers 429.
    const single = await inject('POST', '/v1/txs', '10.0.0.2', Buffer.from(makeTx().bytes))
    expect(single).toMatchObject({ status: 429, body: { code: 'RPC_SIGNER_RATE_LIMITED' }, retryAfter: '1' })
    expect(single.body.hash).toMatch(/^[0-9a-f]{64}$/)
    // Forged txs in bob's name, and refused ones, do not use up bob's quota.
    // (in batches within the limit: a tx in flight holds its signer's token until its verdict).
    for (let round = 0; round < 2; round++) {
      const forged = Array.from({ length: 3 }, () => makeTx(5, undefined, { by: bob, badSignature: true }))
      expect(codes((await postBatch('10.0.0.3', forged)).body)).toEqual(
        new Array(3).fill('PROTOCOL_BAD_SIGNATURE'),
      )
    }
    h.submitter.mode = 'duplicate'
    await postBatch('10.0.0.3', [makeTx(5, undefined, { by: bob })])
    h.submitter.mode = 'accept'
    const byBob = Array.from({ length: 4 }, () => makeTx(5, undefined, { by: bob }))
    expect(codes((await postBatch('10.0.0.4', byBob)).body)).toEqual([
      'ok',
      'ok',
      'ok',
      'RPC_SIGNER_RATE_LIMITED',
    ])
    expect(toHex(byBob[0]?.hash as Uint8Array)).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('work per request', () => {
  it('refuses deeply nested or huge JSON before parsing it (RPC_JSON_TOO_COMPLEX), and reads strings with brackets', async () => {
    h = harness()
    const json = (payload: string) =>
      h.server.app.inject({
        method: 'POST',
        url: '/v1/txs/batch',
        payload,
        headers: { 'content-type': 'application/json' },
      })
    // V8 takes over a second and ~60 MB to parse this body, which any route refuses anyway.
    const n = 1_000_000
    const deep = await json(`{"txs":${'['.repeat(n)}${']'.repeat(n)}}`)
    expect(deep.statusCode).toBe(400)
    expect(deep.json().code).toBe('RPC_JSON_TOO_COMPLEX')
    const many = await json(`{"txs":[${new Array(5000).fill('"ab"').join(',')}]}`)
    expect(many.json().code).toBe('RPC_JSON_TOO_COMPLEX')
    // Brackets, commas and escaped quotes inside strings are text, not structure.
    const text = `{"txs":["${'[,{'.repeat(5000)}\\\\\\"]"]}`
    const odd = await json(text)
    expect(JSON.parse(text).txs).toHaveLength(1)
    expect(odd.statusCode).toBe(200)
    expect(odd.json().results[0].code).toBe('RPC_BAD_ENCODING')
    expect(h.submitter.received).toHaveLength(0)
  })
})
