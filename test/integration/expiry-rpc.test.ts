/**
 * Point expiry (issue 15) through the real Fastify routes, the SDK over loopback HTTP and the CLI:
 * the point's policy and breakage, what of an account's balance expires when, the effective balance
 * (expired points never show, even before the sweep reaches them), proofs of the lots record, and the
 * tx builders for point.setExpiry and point.create with a policy.
 */

import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ArcadeClient, operations, parseExpiryDateMs, proofRef, txBody } from '../../client/index.ts'
import type { CliIo } from '../../node/cli/command.ts'
import { runCli } from '../../node/cli/run.ts'
import { keyFileOf } from '../../node/keys.ts'
import { encodeAddress } from '../../protocol/address.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import { txBodyToTuple } from '../../protocol/tx-body.ts'
import {
  alice,
  CHAIN_ID,
  CUSTOMER,
  type Harness,
  harness,
  ISSUER,
  POINT,
  TERMINAL,
} from '../../rpc/testing.ts'
import { expiryAfterDays } from '../../state/expiry-lots.ts'
import { MAX_SWEEP_STEPS_PER_BLOCK } from '../../state/expiry-sweep.ts'
import { account } from '../../state/test-kit.ts'

const addr = (b: Bytes) => encodeAddress(b)
let h: Harness
afterEach(async () => h?.server.close())

async function get(url: string) {
  const res = await h.server.app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json() }
}

/**
 * The harness ledger (CUSTOMER holds 120 that never expire), a 30-day policy, then 50 awarded to
 * CUSTOMER: the lot expires at `e`.
 */
function withLot(before: readonly Bytes[] = []): { e: number; t: number } {
  h = harness()
  const l = h.ledger
  const ok = (r: { error: string | null }) => expect(r.error).toBeNull()
  ok(l.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 30, atMs: 0 }))
  // Accounts awarded 1 each just before CUSTOMER, expiring the same day (their queue entries first).
  l.block(
    before.map((c) =>
      l.tx(TERMINAL, { kind: 'merchant.award', point: POINT, customer: c, amount: 1, memo: '' }),
    ),
  )
  const t = l.state.meta.timeMs + 1_000
  ok(
    l.block(
      [l.tx(TERMINAL, { kind: 'merchant.award', point: POINT, customer: CUSTOMER, amount: 50, memo: '' })],
      {
        timeMs: t,
      },
    ).receipts[0]!,
  )
  return { e: expiryAfterDays(t, 30), t }
}

describe('GET /v1/points/:id/accounts/:address/lots and the effective balance', () => {
  it('says what expires when, and the point shows its policy and breakage', async () => {
    const { e } = withLot()
    const lots = await get(`/v1/points/${POINT}/accounts/${addr(CUSTOMER)}/lots`)
    expect(lots).toMatchObject({
      status: 200,
      body: {
        point: POINT,
        account: addr(CUSTOMER),
        height: h.ledger.height,
        balance: 170,
        stored: 170,
        expiredUnswept: 0,
        nonExpiring: 120,
        lots: [{ expiresAtMs: e, expiresAt: new Date(e).toISOString(), amount: 50 }],
      },
    })
    expect(new Date(e).toISOString().endsWith('T15:00:00.000Z')).toBe(true) // 00:00 JST
    const point = await get(`/v1/points/${POINT}`)
    expect(point.body).toMatchObject({ cumExpired: 0, expiry: { afterDays: 30, atMs: 0, lapsed: false } })
    expect((await get('/v1/points')).body.items[0]).toMatchObject({ expiry: { afterDays: 30 } })
  })

  it('never shows expired points: before the sweep reaches the account, the balance is the effective one', async () => {
    // Enough other accounts with a lot on the same day that the sweep needs two blocks: CUSTOMER last.
    const others = Array.from({ length: MAX_SWEEP_STEPS_PER_BLOCK }, (_, i) => account(5_000 + i))
    const { e } = withLot(others)
    const l = h.ledger
    l.block([], { timeMs: e + 1 })
    const lots = await get(`/v1/points/${POINT}/accounts/${addr(CUSTOMER)}/lots`)
    expect(lots.body).toMatchObject({
      balance: 120,
      stored: 170,
      expiredUnswept: 50,
      nonExpiring: 120,
      lots: [],
    })
    expect((await get(`/v1/accounts/${addr(CUSTOMER)}`)).body.balances).toEqual([
      { point: POINT, amount: 120 },
    ])
    // The next block's sweep reaches it: the record and the books follow.
    l.block([], { timeMs: e + 2 })
    const after = await get(`/v1/points/${POINT}/accounts/${addr(CUSTOMER)}/lots`)
    expect(after.body).toMatchObject({ balance: 120, stored: 120, expiredUnswept: 0 })
    expect((await get(`/v1/points/${POINT}`)).body.cumExpired).toBe(50 + others.length)
  })

  it('refuses an unknown point and a bad address with typed codes; proves the lots record', async () => {
    withLot()
    expect(await get(`/v1/points/NOPE/accounts/${addr(CUSTOMER)}/lots`)).toMatchObject({
      status: 404,
      body: { code: 'RPC_POINT_NOT_FOUND' },
    })
    expect((await get(`/v1/points/${POINT}/accounts/zzz/lots`)).body.code).toBe('PROTOCOL_BAD_ADDRESS')
    const proof = await get(`/v1/proofs/lots:${POINT}:${addr(CUSTOMER)}`)
    expect(proof.status).toBe(200)
    expect(proof.body.value).not.toBeNull()
  })
})

describe('the SDK', () => {
  it('queries lots, and builds point.setExpiry and point.create with a policy', async () => {
    const { e } = withLot()
    const client = new ArcadeClient({ url: await h.server.listen('127.0.0.1', 0) })
    const lots = await client.lots(POINT, addr(CUSTOMER))
    expect(lots).toMatchObject({ balance: 170, nonExpiring: 120, lots: [{ expiresAtMs: e, amount: 50 }] })
    expect((await client.point(POINT)).expiry).toEqual({ afterDays: 30, atMs: 0, lapsed: false })
    const verified = await client.proof(proofRef.lots(POINT, CUSTOMER))
    expect(verified.value).not.toBeNull()

    const set = operations.setExpiry({ point: POINT, atMs: Date.UTC(2027, 2, 31, 15) })
    expect(set).toEqual({
      kind: 'point.setExpiry',
      fields: { point: POINT, afterDays: 0, atMs: Date.UTC(2027, 2, 31, 15) },
    })
    const created = operations.createPoint({ point: 'NEW', name: 'n', expiry: { afterDays: 365 } })
    expect(txBody(created.kind, created.fields)).toMatchObject({ expiry: { afterDays: 365, atMs: 0 } })
    // Without a policy, point.create is the tuple it always was (old callers' bytes do not change).
    const plain = operations.createPoint({ point: 'NEW', name: 'n' })
    expect(txBodyToTuple(txBody(plain.kind, plain.fields))).toEqual(['point.create', 'NEW', 'n', 0, true])
  })

  it('parses expiry dates: a bare date is 00:00 JST', () => {
    expect(new Date(parseExpiryDateMs('2027-04-01')).toISOString()).toBe('2027-03-31T15:00:00.000Z')
    expect(parseExpiryDateMs('2027-04-01T00:00+09:00')).toBe(Date.UTC(2027, 2, 31, 15))
    expect(parseExpiryDateMs(' 1800000000000 ')).toBe(1_800_000_000_000)
    for (const bad of ['2027-04-01T00:00', 'soon', '0', '']) {
      expect(() => parseExpiryDateMs(bad, '--date')).toThrow(
        expect.objectContaining({ code: 'CLIENT_INVALID_INPUT' }),
      )
    }
  })
})

describe('the CLI', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcade-expiry-'))
    await writeFile(join(dir, 'alice.json'), JSON.stringify(keyFileOf(alice)))
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
      nowMs: () => 1_767_225_600_000,
      generateKeyPair,
    }
    return { code: await runCli(argv, io), stdout, stderr }
  }

  it('tx set-expiry and create-point --expiry-*, and query lots', async () => {
    const { e } = withLot()
    const url = await h.server.listen('127.0.0.1', 0)
    const tx = (...argv: string[]) => arcade('tx', ...argv, '--key', 'alice.json', '--rpc', url)
    const received = () => h.submitter.received.map((b: Bytes) => decodeAndVerifyTx(b, CHAIN_ID).body)
    expect((await tx('set-expiry', '--point', POINT, '--after-days', '180')).code).toBe(0)
    expect((await tx('set-expiry', '--point', POINT, '--date', '2027-04-01')).code).toBe(0)
    expect((await tx('set-expiry', '--point', POINT, '--never')).code).toBe(0)
    expect(received()).toEqual([
      { kind: 'point.setExpiry', point: POINT, afterDays: 180, atMs: 0 },
      { kind: 'point.setExpiry', point: POINT, afterDays: 0, atMs: Date.UTC(2027, 2, 31, 15) },
      { kind: 'point.setExpiry', point: POINT, afterDays: 0, atMs: 0 },
    ])
    // Exactly one choice.
    expect((await tx('set-expiry', '--point', POINT)).code).toBe(2)
    expect((await tx('set-expiry', '--point', POINT, '--after-days', '5', '--never')).code).toBe(2)
    expect((await tx('set-expiry', '--point', POINT, '--after-days', '5', '--date', '2027-04-01')).code).toBe(
      2,
    )
    expect((await tx('create-point', '--point', 'NEW', '--name', 'n', '--expiry-days', '365')).code).toBe(0)
    expect((await tx('create-point', '--point', 'OLD', '--name', 'n')).code).toBe(0)
    const [withPolicy, without] = received().slice(3)
    expect(withPolicy).toMatchObject({ kind: 'point.create', expiry: { afterDays: 365, atMs: 0 } })
    expect(without).toMatchObject({ kind: 'point.create', expiry: null })

    const q = await arcade('query', 'lots', POINT, addr(CUSTOMER), '--rpc', url, '--json')
    expect(q.code).toBe(0)
    expect(JSON.parse(q.stdout)).toMatchObject({ balance: 170, lots: [{ expiresAtMs: e, amount: 50 }] })
    expect((await arcade('query', 'lots', POINT, '--rpc', url)).code).toBe(2)
  })
})
