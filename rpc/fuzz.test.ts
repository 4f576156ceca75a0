/**
 * Fuzzes the tx routes with malformed bodies, wrong types, wrong content types and huge values. The
 * contract: never a 5xx, every refusal carries a catalogued code whose status is the catalogue's, and
 * the submitter (the mempool) never receives anything that is not a well-formed tx.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { encode, type WireValue } from '../protocol/codec.ts'
import { statusOfCode } from './errors.ts'
import { type Harness, harness, makeTx } from './testing.ts'

let h: Harness
beforeAll(() => {
  h = harness()
})
afterAll(async () => h.server.close())

const CODE_RE = /^(RPC|PROTOCOL|MEMPOOL|STATE|CERT)_[A-Z_]+$/
const ROUTES = [
  '/v1/txs',
  '/v1/txs/batch',
  '/v1/txs?wait=true&timeoutMs=1',
  '/v1/txs/batch?wait=1&timeoutMs=1',
]

async function check(url: string, payload: string | Buffer, contentType: string): Promise<void> {
  const res = await h.server.app.inject({
    method: 'POST',
    url,
    payload,
    headers: contentType === '' ? {} : { 'content-type': contentType },
  })
  expect(res.statusCode).toBeLessThan(500)
  if (res.statusCode >= 400) {
    const body = res.json()
    expect(body.code).toMatch(CODE_RE)
    expect(typeof body.message).toBe('string')
    expect(statusOfCode(body.code)).toBe(res.statusCode)
  }
  expect(h.submitter.invalid).toHaveLength(0)
}

const wire: fc.Arbitrary<WireValue> = fc.letrec<{ v: WireValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.maxSafeNat(),
    fc.string({ maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 80 }),
    fc.array(tie('v'), { maxLength: 8 }),
  ),
})).v

const route = fc.constantFrom(...ROUTES)
const valid = Array.from({ length: 4 }, () => makeTx().bytes)

it('random bytes as msgpack bodies', async () => {
  await fc.assert(
    fc.asyncProperty(route, fc.uint8Array({ maxLength: 400 }), async (url, bytes) => {
      await check(url, Buffer.from(bytes), 'application/msgpack')
    }),
    { numRuns: 500 },
  )
})

it('valid msgpack of the wrong shapes (tx-like tuples, nested lists, huge integers)', async () => {
  await fc.assert(
    fc.asyncProperty(route, wire, async (url, value) => {
      await check(url, Buffer.from(encode(value)), 'application/octet-stream')
    }),
    { numRuns: 500 },
  )
})

it('mutated and truncated valid txs', async () => {
  await fc.assert(
    fc.asyncProperty(
      route,
      fc.constantFrom(...valid),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.boolean(),
      async (url, tx, at, byte, truncate) => {
        const copy = Buffer.from(tx)
        const i = at % copy.length
        if (!truncate) copy[i] = byte
        const mutated = truncate ? copy.subarray(0, i) : copy
        const single = url.startsWith('/v1/txs/batch') ? Buffer.from(encode([mutated])) : mutated
        await check(url, single, 'application/msgpack')
      },
    ),
    { numRuns: 500 },
  )
})

it('arbitrary JSON, tx texts that are not hex or base64, and huge values', async () => {
  const txText = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.stringMatching(/^[0-9a-f]{0,300}$/),
    fc.constantFrom(...valid.map(toHex)),
    fc.constant('9'.repeat(5000)),
  )
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record({ tx: fc.oneof(txText, fc.jsonValue()) }),
    fc.record({ txs: fc.array(fc.oneof(txText, fc.double(), fc.constant(1e308)), { maxLength: 12 }) }),
    fc.constant({ tx: 1e308 }),
    fc.constant({ txs: Array.from({ length: 10_000 }, () => 'aa') }),
  )
  await fc.assert(
    fc.asyncProperty(route, body, async (url, value) => {
      await check(url, JSON.stringify(value), 'application/json')
    }),
    { numRuns: 500 },
  )
})

it('wrong or missing content types and non-JSON text', async () => {
  const type = fc.constantFrom(
    'text/plain',
    'application/xml',
    'multipart/form-data; boundary=x',
    'application/json',
    'application/msgpack; charset=utf-8',
    '',
    'application/x-www-form-urlencoded',
  )
  await fc.assert(
    fc.asyncProperty(route, type, fc.string({ maxLength: 200 }), async (url, contentType, text) => {
      await check(url, text, contentType)
    }),
    { numRuns: 500 },
  )
})

it('read routes with arbitrary path segments and queries: never a 5xx, always a catalogued code', async () => {
  const templates = [
    '/v1/accounts/$',
    '/v1/accounts/$/history?limit=$&before=$',
    '/v1/points/$',
    '/v1/points/$/merchants?offset=$&limit=$',
    '/v1/points/$/merchants/$/traffic?fromDay=$&toDay=$',
    '/v1/points/$/customers/$/traffic',
    '/v1/devices/$',
    '/v1/stakes/$',
    '/v1/blocks/$',
    '/v1/txs/$',
    '/v1/proofs/$',
    '/v1/stream?account=$',
    '/v1/$',
  ]
  const segment = fc.oneof(
    fc.string({ maxLength: 80 }).map(encodeURIComponent),
    fc.string({ maxLength: 30 }),
    fc.constantFrom('%zz', '%', '..', '-1', '1e308', '9007199254740993', 'x'.repeat(2000), 'TOWN', 'arc1'),
    fc.stringMatching(/^[0-9a-f]{0,80}$/),
  )
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...templates),
      fc.array(segment, { minLength: 6, maxLength: 6 }),
      async (t, segs) => {
        let i = 0
        const url = t.replace(/\$/g, () => segs[i++] ?? '')
        // A stream with a valid account would stay open; the fuzzed segments never form one.
        const res = await h.server.app.inject({ method: 'GET', url })
        expect(res.statusCode, url).toBeLessThan(500)
        if (res.statusCode >= 400) {
          const body = res.json()
          expect(body.code, url).toMatch(CODE_RE)
          expect(statusOfCode(body.code)).toBe(res.statusCode)
        }
      },
    ),
    { numRuns: 500 },
  )
})
