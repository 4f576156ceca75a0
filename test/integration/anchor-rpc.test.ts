/**
 * Anchored traffic (issue 16, part 3) through the real Fastify routes, the SDK and the CLI: a shop
 * anchors batches, lists them, and proves an event; a regulator verifies it against the node trusting
 * only the genesis document, and every check refuses what it should (a tampered event, a wrong
 * merchant, an event outside the period, a root never anchored, a forged proof, a lying node). The SDK
 * and the CLI reach the routes through `inject` (a fetch that never opens a socket).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FetchFn } from '../../client/http.ts'
import {
  AnchorRejection,
  ArcadeClient,
  ArcadeClientError,
  buildTrafficBatch,
  ClientErrorCode,
  operations,
  proveTrafficEvent,
  type TrafficBatch,
  type TrafficEventJson,
  type TrafficProofFile,
  toHex,
  txBody,
} from '../../client/index.ts'
import type { CliIo } from '../../node/cli/command.ts'
import { runCli } from '../../node/cli/run.ts'
import { keyFileOf } from '../../node/keys.ts'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import {
  alice,
  CHAIN_ID,
  CUSTOMER,
  certifyHead,
  type Harness,
  harness,
  ISSUER,
  MERCHANT,
  POINT,
  TERMINAL,
} from '../../rpc/testing.ts'
import type { Receipt } from '../../state/receipt.ts'
import { account } from '../../state/test-kit.ts'

const addr = (b: Bytes) => encodeAddress(b)
const OTHER = account(77)
const T0 = 1_767_225_600_000
const KINDS = ['visit', 'view', 'click', 'purchase'] as const
const VALIDATORS = Array.from({ length: 4 }, generateKeyPair)
const genesisOf = (keys: readonly { publicKey: Bytes }[]) => ({
  chainId: CHAIN_ID,
  params: { ledger: { maxValidators: 10, minValidatorStake: 1 } },
  validators: keys.map((k) => ({ nodeKey: encodeAddress(k.publicKey, NODE_KEY_PREFIX), stake: 1 })),
})
const GENESIS = genesisOf(VALIDATORS)

let h: Harness
afterEach(async () => {
  vi.unstubAllGlobals()
  await h?.server.close()
})

/** A fetch answered by the server's `inject`; `tamper` may rewrite a request's path or an answer. */
function injectFetch(
  tamper: { path?: (path: string) => string; body?: (path: string, body: string) => string } = {},
): FetchFn {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input))
    const path = tamper.path?.(url.pathname + url.search) ?? url.pathname + url.search
    const res = await h.server.app.inject({
      method: (init.method ?? 'GET') as 'GET' | 'POST',
      url: path,
      headers: init.headers as Record<string, string>,
      ...(init.body === undefined || init.body === null
        ? {}
        : { payload: Buffer.from(init.body as Uint8Array | string) }),
    })
    const body = tamper.body?.(path, res.payload) ?? res.payload
    const headers = Object.fromEntries(
      Object.entries(res.headers)
        .filter(([k]) => k !== 'content-length')
        .map(([k, v]) => [k, String(v)]),
    )
    return new Response(body, { status: res.statusCode, headers })
  }) as FetchFn
}

async function get(url: string) {
  const res = await h.server.app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json() }
}

function eventsOf(merchant: Bytes, n: number, prefix: string): TrafficEventJson[] {
  return Array.from({ length: n }, (_, i) => {
    const kind = KINDS[i % 4] as (typeof KINDS)[number]
    return {
      point: POINT,
      merchant: addr(merchant),
      eventId: `${prefix}-${i}`,
      kind,
      pseudonym: i % 3 === 0 ? null : addr(account(50 + i)),
      amount: kind === 'purchase' ? 100 * i : 0,
      timeMs: T0 + i * 60_000,
    }
  })
}

interface World {
  a: TrafficBatch
  b: TrafficBatch
  narrow: TrafficBatch
  foreign: TrafficBatch
  unanchored: TrafficBatch
  receiptA: Receipt
  heightA: number
}

/**
 * MERCHANT's batches: A (7 events, anchored by its TERMINAL), B (3), `narrow` (4, anchored with a
 * period that ends before its last event), `foreign` (2 events naming OTHER as their shop, anchored
 * by MERCHANT); `unanchored` is never anchored. Then the head is certified by VALIDATORS.
 */
function world(): World {
  h = harness()
  const l = h.ledger
  const run = (signer: Bytes, request: ReturnType<typeof operations.anchorTraffic>) => {
    const r = l.run(signer, txBody(request.kind, request.fields))
    expect(r.error).toBeNull()
    return r
  }
  const a = buildTrafficBatch(eventsOf(MERCHANT, 7, 'a'))
  const receiptA = run(TERMINAL, operations.anchorTraffic(a))
  const heightA = l.height
  const b = buildTrafficBatch(eventsOf(MERCHANT, 3, 'b'))
  run(MERCHANT, operations.anchorTraffic(b))
  const narrow = buildTrafficBatch(eventsOf(MERCHANT, 4, 'n'))
  run(MERCHANT, operations.anchorTraffic({ ...narrow, periodEndMs: narrow.periodEndMs - 1 }))
  const foreign = buildTrafficBatch(eventsOf(OTHER, 2, 'f'))
  run(MERCHANT, operations.anchorTraffic(foreign))
  const unanchored = buildTrafficBatch(eventsOf(MERCHANT, 2, 'u'))
  certifyHead(h, VALIDATORS)
  return { a, b, narrow, foreign, unanchored, receiptA, heightA }
}

const reasonOf = async (p: Promise<unknown>): Promise<{ code: string; reason: unknown }> => {
  try {
    await p
  } catch (err) {
    if (!(err instanceof ArcadeClientError)) throw err
    return { code: err.code, reason: err.details.reason }
  }
  throw new Error('expected a failure')
}
const rejected = (reason: AnchorRejection) => ({ code: ClientErrorCode.anchorRejected, reason })

describe('GET /v1/points/:id/merchants/:address/anchors and /anchors/:root', () => {
  it("lists a shop's anchors newest or oldest first, with paging, and shows one by its root", async () => {
    const w = world()
    const base = `/v1/points/${POINT}/merchants/${addr(MERCHANT)}/anchors`
    const roots = (items: { root: string }[]) => items.map((i) => i.root)
    const newest = await get(base)
    expect(newest.status).toBe(200)
    expect(roots(newest.body.items)).toEqual([w.foreign, w.narrow, w.b, w.a].map((x) => toHex(x.root)))
    expect(newest.body.nextOffset).toBeNull()
    expect(newest.body.items[3]).toEqual({
      point: POINT,
      root: toHex(w.a.root),
      merchant: addr(MERCHANT),
      count: 7,
      periodStartMs: T0,
      periodEndMs: T0 + 6 * 60_000,
      height: w.heightA,
      txHash: toHex(w.receiptA.txHash),
    })
    const oldest = await get(`${base}?order=oldest&limit=3`)
    expect(roots(oldest.body.items)).toEqual([w.a, w.b, w.narrow].map((x) => toHex(x.root)))
    expect(oldest.body.nextOffset).toBe(3)
    const next = await get(`${base}?order=oldest&offset=3&limit=3`)
    expect(roots(next.body.items)).toEqual([toHex(w.foreign.root)])
    expect(next.body.nextOffset).toBeNull()
    expect(roots((await get(`${base}?offset=1&limit=2`)).body.items)).toEqual(
      [w.narrow, w.b].map((x) => toHex(x.root)),
    )
    expect((await get(`${base}?offset=9`)).body).toEqual({ items: [], nextOffset: null })
    const one = await get(`/v1/points/${POINT}/anchors/${toHex(w.narrow.root)}`)
    expect(one.body).toMatchObject({
      count: 4,
      periodEndMs: w.narrow.periodEndMs - 1,
      merchant: addr(MERCHANT),
    })
  })

  it('refuses malformed ids with 400 and unknown ones with 404, each with its code; proves the record', async () => {
    const w = world()
    const anchors = (point: string, merchant: string, query = '') =>
      get(`/v1/points/${point}/merchants/${merchant}/anchors${query}`)
    const code = (r: { status: number; body: { code: string } }) => [r.status, r.body.code]
    expect(code(await anchors('NOPE', addr(MERCHANT)))).toEqual([404, 'RPC_POINT_NOT_FOUND'])
    expect(code(await anchors(POINT, addr(CUSTOMER)))).toEqual([404, 'RPC_MERCHANT_NOT_FOUND'])
    expect(code(await anchors(POINT, 'arc1zzz'))).toEqual([400, 'PROTOCOL_BAD_ADDRESS'])
    expect(code(await anchors('shop', addr(MERCHANT)))).toEqual([400, 'RPC_BAD_REQUEST'])
    expect(code(await anchors(POINT, addr(MERCHANT), '?order=sideways'))).toEqual([400, 'RPC_BAD_REQUEST'])
    expect(code(await anchors(POINT, addr(MERCHANT), '?limit=101'))).toEqual([400, 'RPC_BAD_REQUEST'])
    const one = (point: string, root: string) => get(`/v1/points/${point}/anchors/${root}`)
    expect(code(await one(POINT, toHex(w.unanchored.root)))).toEqual([404, 'RPC_ANCHOR_NOT_FOUND'])
    expect(code(await one('NOPE', toHex(w.a.root)))).toEqual([404, 'RPC_POINT_NOT_FOUND'])
    expect(code(await one(POINT, 'abc'))).toEqual([400, 'RPC_BAD_ENCODING'])
    expect(code(await one(POINT, 'ab'.repeat(31)))).toEqual([400, 'RPC_BAD_ENCODING'])
    const proof = await get(`/v1/proofs/anchor:${POINT}:${toHex(w.a.root)}`)
    expect(proof.status).toBe(200)
    expect(proof.body.value).not.toBeNull()
    expect((await get(`/v1/proofs/anchor:${POINT}:${toHex(w.unanchored.root)}`)).body.value).toBeNull()
    expect(code(await get(`/v1/proofs/anchor:${POINT}:xyz`))).toEqual([400, 'RPC_BAD_ENCODING'])
    expect(code(await get(`/v1/proofs/anchor:shop:${toHex(w.a.root)}`))).toEqual([400, 'RPC_BAD_REQUEST'])
  })
})

describe('the SDK', () => {
  const client = (trust: unknown = GENESIS, fetch = injectFetch()) =>
    new ArcadeClient({ url: 'http://node.test', trust: { genesis: trust } }, { fetch })

  it('lists and reads anchors, and builds traffic.anchor', async () => {
    const w = world()
    const c = client()
    const page = await c.anchors(POINT, MERCHANT, { order: 'oldest', limit: 2 })
    expect(page.items.map((i) => i.count)).toEqual([7, 3])
    expect(page.nextOffset).toBe(2)
    expect((await c.anchors(POINT, addr(MERCHANT))).items.map((i) => i.count)).toEqual([2, 4, 3, 7])
    expect(await c.anchor(POINT, w.a.root)).toMatchObject({
      txHash: toHex(w.receiptA.txHash),
      height: w.heightA,
    })
    await expect(c.anchor(POINT, w.unanchored.root)).rejects.toMatchObject({ code: 'RPC_ANCHOR_NOT_FOUND' })
    await expect(c.anchor(POINT, 'abc')).rejects.toMatchObject({ code: 'CLIENT_INVALID_INPUT' })
    const request = operations.anchorTraffic({ ...w.a, root: toHex(w.a.root) })
    expect(txBody(request.kind, request.fields)).toEqual({
      kind: 'traffic.anchor',
      point: POINT,
      root: w.a.root,
      count: 7,
      periodStartMs: T0,
      periodEndMs: T0 + 6 * 60_000,
    })
  })

  it('verifies every event of an anchored batch from the genesis alone', async () => {
    const w = world()
    const c = client()
    for (const e of w.a.events) {
      const verified = await c.verifyAnchoredEvent(proveTrafficEvent(w.a, e.eventId))
      expect(verified).toMatchObject({
        event: { eventId: e.eventId },
        point: POINT,
        root: toHex(w.a.root),
        merchant: addr(MERCHANT),
        count: 7,
        periodStartMs: T0,
        periodEndMs: T0 + 6 * 60_000,
        height: w.heightA,
        txHash: toHex(w.receiptA.txHash),
        provenAtHeight: h.ledger.height,
      })
    }
    // The proof file survives JSON (what a shop sends a regulator).
    const file = JSON.parse(JSON.stringify(proveTrafficEvent(w.b, 'b-2'))) as TrafficProofFile
    expect((await c.verifyAnchoredEvent(file, { point: POINT })).index).toBe(2)
  })

  it('names the failed check: tampered event, wrong merchant, outside the period, never anchored, forged proof', async () => {
    const w = world()
    const c = client()
    const proof = proveTrafficEvent(w.a, 'a-3')
    const verify = (p: TrafficProofFile, opts = {}) => reasonOf(c.verifyAnchoredEvent(p, opts))
    expect(await verify({ ...proof, event: { ...proof.event, amount: proof.event.amount + 1 } })).toEqual(
      rejected(AnchorRejection.merkleProof),
    )
    expect(await verify({ ...proof, event: { ...proof.event, eventId: 'a-33' } })).toEqual(
      rejected(AnchorRejection.merkleProof),
    )
    // The event names another shop than the one that anchored the root.
    expect(await verify({ ...proof, event: { ...proof.event, merchant: addr(OTHER) } })).toEqual(
      rejected(AnchorRejection.merchant),
    )
    // A batch of OTHER's events whose root MERCHANT anchored: the leaf is in it, the shop is not.
    expect(await verify(proveTrafficEvent(w.foreign, 'f-1'))).toEqual(rejected(AnchorRejection.merchant))
    // The leaf is in the anchored batch, but its time is after the period the shop anchored.
    expect(await verify(proveTrafficEvent(w.narrow, 'n-3'))).toEqual(rejected(AnchorRejection.period))
    expect((await c.verifyAnchoredEvent(proveTrafficEvent(w.narrow, 'n-2'))).count).toBe(4)
    expect(await verify(proveTrafficEvent(w.unanchored, 'u-1'))).toEqual(
      rejected(AnchorRejection.notAnchored),
    )
    const path = [...proof.proof.path]
    path[1] = toHex(w.b.root)
    expect(await verify({ ...proof, proof: { ...proof.proof, path } })).toEqual(
      rejected(AnchorRejection.merkleProof),
    )
    expect(await verify({ ...proof, proof: { ...proof.proof, size: 8 } })).toEqual(
      rejected(AnchorRejection.count),
    )
    expect(await verify(proof, { point: 'MALL' })).toEqual(rejected(AnchorRejection.point))
    await expect(
      c.verifyAnchoredEvent({ ...proof, proof: { ...proof.proof, path: ['zz'] } }),
    ).rejects.toMatchObject({ code: ClientErrorCode.invalidInput })
  })

  it("refuses a lying node's answer, a genesis of other validators, and no trust root at all", async () => {
    const w = world()
    const proof = proveTrafficEvent(w.a, 'a-1')
    const ref = `anchor:${POINT}:${toHex(w.a.root)}`
    // The node changes a byte of the anchor record (its tx hash): the state proof breaks.
    const forged = injectFetch({
      body: (path, body) => {
        if (!path.startsWith('/v1/proofs/')) return body
        const json = JSON.parse(body)
        const last = (Number.parseInt(json.value.slice(-2), 16) ^ 1).toString(16).padStart(2, '0')
        return JSON.stringify({ ...json, value: `${json.value.slice(0, -2)}${last}` })
      },
    })
    const lying = await reasonOf(client(GENESIS, forged).verifyAnchoredEvent(proof))
    expect(lying).toEqual(rejected(AnchorRejection.certifiedProof))
    // The node answers with the (valid, certified) proof of another anchor.
    const swapped = injectFetch({
      path: (path) => path.replace(encodeURIComponent(ref), `anchor:${POINT}:${toHex(w.b.root)}`),
    })
    expect(await reasonOf(client(GENESIS, swapped).verifyAnchoredEvent(proof))).toEqual(
      rejected(AnchorRejection.record),
    )
    const strangers = genesisOf(Array.from({ length: 4 }, generateKeyPair))
    expect(await reasonOf(client(strangers).verifyAnchoredEvent(proof))).toEqual(
      rejected(AnchorRejection.certifiedProof),
    )
    const untrusting = new ArcadeClient({ url: 'http://node.test' }, { fetch: injectFetch() })
    expect(await reasonOf(untrusting.verifyAnchoredEvent(proof))).toMatchObject({
      code: ClientErrorCode.trustRootMissing,
    })
  })
})

describe('the CLI', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcade-anchor-'))
    await writeFile(join(dir, 'alice.json'), JSON.stringify(keyFileOf(alice)))
    await writeFile(join(dir, 'genesis.json'), JSON.stringify(GENESIS))
  })
  async function arcade(...argv: string[]) {
    let stdout = ''
    let stderr = ''
    const io: CliIo = {
      out: (t) => {
        stdout += t
      },
      err: (t) => {
        stderr += t
      },
      cwd: dir,
      env: {},
      nowMs: () => T0,
      generateKeyPair,
    }
    return { code: await runCli(argv, io), stdout, stderr }
  }
  const RPC = ['--rpc', 'http://node.test']

  it('tx anchor writes the batch file and submits; traffic prove and verify; query anchors', async () => {
    // alice runs a shop of POINT.
    h = harness()
    const l = h.ledger
    expect(l.run(alice.publicKey, { kind: 'merchant.apply', point: POINT, name: 'Alice' }).error).toBeNull()
    expect(
      l.run(ISSUER, { kind: 'merchant.admit', point: POINT, merchant: alice.publicKey, creditLimit: 0 })
        .error,
    ).toBeNull()
    vi.stubGlobal('fetch', injectFetch())
    const shop = addr(alice.publicKey)
    await writeFile(
      join(dir, 'events.csv'),
      'eventId,kind,pseudonym,amount,timeMs\n' +
        `e1,visit,${addr(account(51))},,${T0}\n` +
        `e2,purchase,,1200,${T0 + 5_000}\n` +
        `e3,view,${addr(account(52))},0,${T0 + 9_000}\n`,
    )
    const tx = (...argv: string[]) =>
      arcade(
        'tx',
        'anchor',
        '--point',
        POINT,
        ...argv,
        '--key',
        'alice.json',
        '--sponsor',
        addr(ISSUER),
        ...RPC,
      )
    const sent = await tx('--file', 'events.csv')
    expect(sent.stderr).toBe('')
    expect(sent.code).toBe(0)
    const batch = JSON.parse(await readFile(join(dir, 'events.batch.json'), 'utf8'))
    expect(batch).toMatchObject({
      format: 'arcade/traffic-batch/v1',
      point: POINT,
      merchant: shop,
      count: 3,
      periodStartMs: T0,
      periodEndMs: T0 + 9_000,
    })
    expect(batch.events.map((e: TrafficEventJson) => e.eventId)).toEqual(['e1', 'e2', 'e3'])
    expect(sent.stdout).toContain(`root ${batch.root}`)
    const [bytes] = h.submitter.received
    const signed = decodeAndVerifyTx(bytes as Bytes, CHAIN_ID)
    expect(signed.body).toEqual({
      kind: 'traffic.anchor',
      point: POINT,
      root: buildTrafficBatch(batch.events).root,
      count: 3,
      periodStartMs: T0,
      periodEndMs: T0 + 9_000,
    })
    // The batch file reads back as the same batch; another batch is not written over it.
    expect((await tx('--file', 'events.batch.json')).code).toBe(0)
    await writeFile(join(dir, 'other.json'), JSON.stringify(eventsOf(alice.publicKey, 2, 'o')))
    expect((await tx('--file', 'other.json', '--out', 'events.batch.json')).code).toBe(2)
    expect(h.submitter.received).toHaveLength(2)

    // The tx lands (the harness's mempool only records it), and the head is certified.
    const receipt = h.ledger.block([signed]).receipts[0] as Receipt
    expect(receipt.status).toBe('ok')
    certifyHead(h, VALIDATORS)

    const proved = await arcade(
      'traffic',
      'prove',
      '--batch',
      'events.batch.json',
      '--event-id',
      'e2',
      '--out',
      'proof.json',
    )
    expect(proved.code).toBe(0)
    const proof = JSON.parse(await readFile(join(dir, 'proof.json'), 'utf8'))
    expect(proof).toMatchObject({
      format: 'arcade/traffic-proof/v1',
      root: batch.root,
      proof: { index: 1, size: 3 },
    })
    const printed = await arcade('traffic', 'prove', '--batch', 'events.batch.json', '--event-id', 'e3')
    expect(JSON.parse(printed.stdout).event.eventId).toBe('e3')
    expect((await arcade('traffic', 'prove', '--batch', 'events.batch.json', '--event-id', 'e9')).code).toBe(
      1,
    )

    const verify = (...argv: string[]) => arcade('traffic', 'verify', '--url', 'http://node.test', ...argv)
    const ok = await verify('--proof', 'proof.json', '--genesis', 'genesis.json', '--json')
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({
      verified: true,
      merchant: shop,
      count: 3,
      txHash: toHex(signed.hash),
      height: h.ledger.height,
    })
    const text = await verify('--proof', 'proof.json', '--genesis', 'genesis.json')
    expect(text.stdout).toContain('verified: event "e2"')
    await writeFile(
      join(dir, 'tampered.json'),
      JSON.stringify({ ...proof, event: { ...proof.event, amount: 1 } }),
    )
    const bad = await verify('--proof', 'tampered.json', '--genesis', 'genesis.json', '--json')
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ verified: false, check: 'merkle-proof' })
    expect(bad.stderr).toContain('check merkle-proof failed')
    const other = await verify('--proof', 'proof.json', '--genesis', 'genesis.json', '--point', 'MALL')
    expect([other.code, other.stderr.includes('check point failed')]).toEqual([1, true])
    expect((await verify('--proof', 'proof.json')).code).toBe(2)
    expect((await verify('--proof', 'proof.json', '--genesis', 'genesis.json', ...RPC)).code).toBe(2)

    const listed = await arcade('query', 'anchors', '--point', POINT, '--merchant', shop, ...RPC, '--json')
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout).items.map((i: { root: string }) => i.root)).toEqual([batch.root])
    const one = await arcade('query', 'anchors', '--point', POINT, '--root', batch.root, ...RPC, '--json')
    expect(JSON.parse(one.stdout)).toMatchObject({ count: 3, txHash: toHex(signed.hash) })
    expect((await arcade('query', 'anchors', '--point', POINT, ...RPC)).code).toBe(2)
    expect(
      (await arcade('query', 'anchors', '--point', POINT, '--merchant', shop, '--order', 'up', ...RPC)).code,
    ).toBe(2)
  })
})
