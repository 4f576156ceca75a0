/**
 * Statements end to end inside one process: real txs through the state machine, committed with their
 * journal rows and sponsored txs into a memory chain store, folded by node/statement-reader.ts behind
 * the real routes. Months in Asia/Tokyo: November 2026 is [2026-10-31T15:00Z, 2026-11-30T15:00Z).
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ArcadeClient } from '../../client/index.ts'
import type { CliIo } from '../../node/cli/command.ts'
import { runCli } from '../../node/cli/run.ts'
import { encodeAddress } from '../../protocol/address.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { generateKeyPair, sign } from '../../protocol/crypto.ts'
import { PURSE_SETTLEMENT_GRACE_MS, signVoucher } from '../../protocol/purse.ts'
import { pursePossessionSignBytes } from '../../protocol/sign-bytes.ts'
import type { TxBody } from '../../protocol/tx-body.ts'
import type { Harness } from '../../rpc/testing.ts'
import {
  account,
  TEST_CHAIN_ID as CHAIN_ID,
  ISSUER,
  POINT,
  setupMerchant,
  setupPoint,
} from '../../state/test-kit.ts'
import { JournalWorld } from '../helpers/journal-world.ts'

const SHOP = account(100)
const TERMINAL = account(101)
const CAFE = account(110)
const ALICE = account(200)
const BOB = account(201)
const addr = (b: Bytes) => encodeAddress(b)

const OCT_20 = Date.parse('2026-10-20T03:00:00Z')
/** 2026-11-01 00:30 in Tokyo, still 31 October in UTC. */
const NOV_1_TOKYO = Date.parse('2026-10-31T15:30:00Z')
const NOV_15 = Date.parse('2026-11-15T03:00:00Z')
/** 2026-12-01 00:10 in Tokyo. */
const DEC_1_TOKYO = Date.parse('2026-11-30T15:10:00Z')

let h: Harness | undefined
afterEach(async () => h?.server.close())

const award = (customer: Bytes, amount: number): TxBody => ({
  kind: 'merchant.award',
  point: POINT,
  customer,
  amount,
  memo: '',
})
const pay = (payee: Bytes, amount: number): TxBody => ({
  kind: 'merchant.pay',
  point: POINT,
  payee,
  amount,
  memo: '',
})

/** October: SHOP prefunds 100 and awards 150 (50 on credit). November: trade, repay, redeem. December: more. */
async function november(): Promise<JournalWorld> {
  const w = new JournalWorld()
  await w.open()
  setupPoint(w.ledger)
  setupMerchant(w.ledger, SHOP, 1_000, [TERMINAL])
  setupMerchant(w.ledger, CAFE, 500)
  const repay = (merchant: Bytes, amount: number, fiatRef: string): TxBody => ({
    kind: 'merchant.repay',
    point: POINT,
    merchant,
    amount,
    fiatRef,
  })
  await w.run(ISSUER, repay(SHOP, 100, 'oct-prefund'), { timeMs: OCT_20 })
  await w.run(TERMINAL, award(ALICE, 150), { timeMs: OCT_20 + 1_000 })
  // November, Tokyo time (31 October in UTC): ALICE pays 70 at the cafe, which clears nothing.
  await w.block(
    [
      { signer: ALICE, body: pay(CAFE, 70) },
      { signer: CAFE, body: award(BOB, 30) },
    ],
    { timeMs: NOV_1_TOKYO },
  )
  await w.block(
    [
      { signer: ALICE, body: pay(TERMINAL, 40) },
      { signer: ALICE, body: { kind: 'point.transfer', point: POINT, to: BOB, amount: 10 } },
      { signer: ALICE, body: pay(TERMINAL, 9_999) }, // fails: the quota is spent, the body is not
    ],
    { timeMs: NOV_15 },
  )
  await w.run(ISSUER, repay(SHOP, 25, 'nov-bank'), { timeMs: NOV_15 + 1_000 })
  await w.run(
    CAFE,
    { kind: 'merchant.redeem', point: POINT, amount: 20, fiatRef: 'nov-redeem' },
    {
      timeMs: NOV_15 + 2_000,
    },
  )
  // December: must not show in November, but must not shift November's closing either.
  await w.run(TERMINAL, award(BOB, 5), { timeMs: DEC_1_TOKYO })
  return w
}

async function get(url: string) {
  return (h as Harness).server.app.inject({ method: 'GET', url })
}

describe('GET /v1/points/:id/statement', () => {
  it('gives per-merchant opening, movements, closing and what is owed, in Tokyo months', async () => {
    const w = await november()
    h = w.serve()
    const res = await get(`/v1/points/${POINT}/statement?period=2026-11`)
    expect(res.statusCode).toBe(200)
    const sha = createHash('sha256').update(res.rawPayload).digest('hex')
    expect(res.headers['x-statement-sha256']).toBe(sha)
    const s = res.json()
    expect(s).toMatchObject({
      format: 'arcade.settlement-statement/1',
      point: POINT,
      final: true,
      asOfHeight: null,
      period: {
        label: '2026-11',
        timeZone: 'Asia/Tokyo',
        from: '2026-11-01T00:00:00+09:00',
        to: '2026-12-01T00:00:00+09:00',
      },
      transferCount: 1,
      transferred: 10,
    })
    const shop = s.merchants.find((m: { merchant: string }) => m.merchant === addr(SHOP))
    const cafe = s.merchants.find((m: { merchant: string }) => m.merchant === addr(CAFE))
    // SHOP opened with float 0 and liability 50 (150 awarded, 100 of it prefunded).
    expect(shop).toMatchObject({
      openingFloat: 0,
      openingLiability: 50,
      awardCount: 0,
      paymentCount: 1,
      paymentsReceived: 40,
      paymentsClearingLiability: 40,
      paymentsToFloat: 0,
      repayments: 25,
      repaymentsClearingLiability: 10,
      repaymentsToFloat: 15,
      redemptions: 0,
      closingFloat: 15,
      closingLiability: 0,
      owedToManager: 0,
      owedToMerchant: 0,
      net: 0,
    })
    // CAFE: paid 70 into its float, awarded 30 from it, redeemed 20 for yen.
    expect(cafe).toMatchObject({
      openingFloat: 0,
      openingLiability: 0,
      awardCount: 1,
      awardedFromFloat: 30,
      awardedOnCredit: 0,
      paymentsReceived: 70,
      paymentsToFloat: 70,
      redemptions: 20,
      closingFloat: 20,
      closingLiability: 0,
      owedToMerchant: 20,
      net: 20,
    })
    expect(s.totals.paymentsReceived).toBe(110)
    expect(s.opening).toEqual({
      customers: 150,
      purses: 0,
      floats: 0,
      liabilities: 50,
      cumRepaid: 100,
      cumRedeemed: 0,
      holds: true,
      cumExpired: 0,
      campaigns: 0,
      cumCampaignFunded: 0,
      cumCampaignReturned: 0,
      unclaimed: 0,
    })
    expect(s.closing).toEqual({
      customers: 70,
      purses: 0,
      floats: 35,
      liabilities: 0,
      cumRepaid: 125,
      cumRedeemed: 20,
      holds: true,
      cumExpired: 0,
      campaigns: 0,
      cumCampaignFunded: 0,
      cumCampaignReturned: 0,
      unclaimed: 0,
    })
    expect(s).toMatchObject({ expiryCount: 0, expired: 0 })
  })

  it('shows the breakage of the period: points that expired, lazily in a tx and by the sweep', async () => {
    const w = await november()
    // A fixed date: 2027-01-01 00:00 JST. Awards before it expire at it.
    const jan1 = Date.parse('2026-12-31T15:00:00Z')
    await w.run(
      ISSUER,
      { kind: 'point.setExpiry', point: POINT, afterDays: 0, atMs: jan1 },
      {
        timeMs: DEC_1_TOKYO + 10_000,
      },
    )
    await w.run(TERMINAL, award(ALICE, 12), { timeMs: DEC_1_TOKYO + 20_000 })
    await w.run(TERMINAL, award(BOB, 8), { timeMs: DEC_1_TOKYO + 30_000 })
    // January: ALICE is touched (an award that no longer expires), BOB is left to the sweep.
    await w.run(TERMINAL, award(ALICE, 1), { timeMs: jan1 + 60_000 })
    h = w.serve()
    const s = (await get(`/v1/points/${POINT}/statement?period=2027-01`)).json()
    expect(s).toMatchObject({ expiryCount: 2, expired: 20 })
    expect(s.closing).toMatchObject({ cumExpired: 20, holds: true })
    expect(s.opening).toMatchObject({ cumExpired: 0, holds: true })
    const dec = (await get(`/v1/points/${POINT}/statement?period=2026-12`)).json()
    expect(dec).toMatchObject({ final: true, expiryCount: 0, expired: 0 })
    const csv = (await get(`/v1/points/${POINT}/statement?period=2027-01&format=csv`)).body
      .trimEnd()
      .split('\r\n')
    expect(
      csv[0]?.endsWith(
        ',net,expiryCount,expired,campaignFunding,campaignReturns,campaignBonusCount,campaignBonuses' +
          ',trafficEarned,trafficClaimCount,trafficClaimed',
      ),
    ).toBe(true)
    expect(csv.at(-1)?.endsWith(',2,20,0,0,0,0,0,0,0')).toBe(true)
    expect(csv.slice(1, -1).every((l) => l.endsWith(',,,0,,'))).toBe(true)
    // The journal: ALICE's expiry in her tx's rows, BOB's in the block's own rows (no tx).
    const rows = (await get(`/v1/journal?point=${POINT}&fromTime=${jan1}`)).json().items
    expect(
      rows.map((r: { event: string; kind: string; from: string; amount: number }) => [
        r.event,
        r.kind,
        r.from,
        r.amount,
      ]),
    ).toEqual([
      ['expire', 'merchant.award', addr(ALICE), 12],
      ['award', 'merchant.award', addr(SHOP), 1],
      ['expire', 'block', addr(BOB), 8],
    ])
    expect(rows[2]).toMatchObject({ txIndex: 0xffffffff, row: 0, toRole: 'manager', to: addr(ISSUER) })
  })

  it('is byte-identical later on, and a month in another zone moves the boundary', async () => {
    const w = await november()
    h = w.serve()
    const first = await get(`/v1/points/${POINT}/statement?period=2026-11&format=csv`)
    await w.run(TERMINAL, award(ALICE, 7), { timeMs: DEC_1_TOKYO + 60_000 })
    await h.server.close()
    h = w.serve()
    const again = await get(`/v1/points/${POINT}/statement?period=2026-11&format=csv`)
    expect(again.statusCode).toBe(200)
    expect(again.headers['content-type']).toMatch(/^text\/csv/)
    expect(again.rawPayload.equals(first.rawPayload)).toBe(true)
    expect(again.headers['x-statement-sha256']).toBe(first.headers['x-statement-sha256'])
    const lines = again.body.trimEnd().split('\r\n')
    expect(lines[0]?.startsWith('point,period,timeZone,final,merchant,name,openingFloat')).toBe(true)
    expect(lines.at(-1)?.split(',')[4]).toBe('TOTAL')
    // In UTC the cafe's first-of-November trade falls in October.
    const utc = (await get(`/v1/points/${POINT}/statement?period=2026-11&timeZone=UTC`)).json()
    expect(utc.totals.paymentsReceived).toBe(40)
    // A day: the 15th in Tokyo holds the SHOP payment and the repay.
    const day = (await get(`/v1/points/${POINT}/statement?period=2026-11-15`)).json()
    expect(day.totals).toMatchObject({ paymentsReceived: 40, repayments: 25, redemptions: 20 })
  })

  it('marks an open period provisional, and refuses bad periods, zones and points with typed codes', async () => {
    const w = await november()
    h = w.serve()
    const open = (await get(`/v1/points/${POINT}/statement?period=2026-12`)).json()
    expect(open).toMatchObject({ final: false, asOfHeight: w.ledger.height })
    expect(open.totals.awardedOnCredit + open.totals.awardedFromFloat).toBe(5)
    const code = async (url: string) => {
      const res = await get(url)
      return [res.statusCode, res.json().code]
    }
    expect(await code(`/v1/points/${POINT}/statement?period=2026-13`)).toEqual([400, 'RPC_BAD_PERIOD'])
    expect(await code(`/v1/points/${POINT}/statement?period=2026-02-30`)).toEqual([400, 'RPC_BAD_PERIOD'])
    expect(await code(`/v1/points/${POINT}/statement?period=2027-01`)).toEqual([400, 'RPC_BAD_PERIOD'])
    expect(await code(`/v1/points/${POINT}/statement?period=2026-11&timeZone=Mars/Olympus`)).toEqual([
      400,
      'RPC_BAD_PERIOD',
    ])
    expect(await code(`/v1/points/NOPE/statement?period=2026-11`)).toEqual([404, 'RPC_POINT_NOT_FOUND'])
    expect((await get(`/v1/points/${POINT}/statement`)).statusCode).toBe(400)
  })
})

describe('statements with offline purses', () => {
  it('carry what purses hold in the books, and count voucher payments as payments', async () => {
    const w = new JournalWorld()
    await w.open()
    setupPoint(w.ledger)
    setupMerchant(w.ledger, SHOP, 1_000, [TERMINAL])
    await w.run(TERMINAL, award(ALICE, 200), { timeMs: OCT_20 })
    const key = generateKeyPair()
    await w.run(
      ALICE,
      {
        kind: 'purse.open',
        point: POINT,
        purse: key.publicKey,
        amount: 120,
        expiresAtMs: DEC_1_TOKYO,
        possessionProof: sign(pursePossessionSignBytes(CHAIN_ID, ALICE, key.publicKey), key.secretKey),
      },
      { timeMs: OCT_20 + 1_000 },
    )
    // November: a voucher of 50 clears SHOP's liability; December: the rest goes back to ALICE.
    const voucher = signVoucher(
      CHAIN_ID,
      { point: POINT, purse: key.publicKey, payee: TERMINAL, counter: 1, amount: 50, cumulative: 50 },
      key.secretKey,
    )
    await w.run(TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [voucher] }, { timeMs: NOV_15 })
    await w.run(
      BOB,
      { kind: 'purse.reclaim', point: POINT, purse: key.publicKey },
      { timeMs: DEC_1_TOKYO + PURSE_SETTLEMENT_GRACE_MS + 1 },
    )
    h = w.serve()
    const nov = (await get(`/v1/points/${POINT}/statement?period=2026-11`)).json()
    expect(nov.opening).toEqual({
      customers: 80,
      purses: 120,
      floats: 0,
      liabilities: 200,
      cumRepaid: 0,
      cumRedeemed: 0,
      holds: true,
      cumExpired: 0,
      campaigns: 0,
      cumCampaignFunded: 0,
      cumCampaignReturned: 0,
      unclaimed: 0,
    })
    expect(nov.closing).toMatchObject({ customers: 80, purses: 70, liabilities: 150, holds: true })
    expect(nov.totals).toMatchObject({ paymentCount: 1, paymentsReceived: 50, paymentsClearingLiability: 50 })
    const dec = (await get(`/v1/points/${POINT}/statement?period=2026-12`)).json()
    expect(dec.closing).toMatchObject({ customers: 150, purses: 0, liabilities: 150, holds: true })
  })
})

describe('GET /v1/points/:id/sponsor-usage', () => {
  it('counts the txs the manager paid for in the period, by kind and by grantee', async () => {
    const w = await november()
    h = w.serve()
    const res = await get(`/v1/points/${POINT}/sponsor-usage?period=2026-11`)
    expect(res.statusCode).toBe(200)
    const u = res.json()
    expect(u).toMatchObject({ format: 'arcade.sponsor-usage/1', sponsor: addr(ISSUER), final: true })
    // ALICE: 2 pays, 1 transfer, 1 failed pay; CAFE: 1 award, 1 redeem. ISSUER's repays are its own.
    expect(u.total).toEqual({ txs: 6, failed: 1 })
    expect(u.byKind).toEqual([
      { kind: 'merchant.award', txs: 1, failed: 0 },
      { kind: 'merchant.pay', txs: 3, failed: 1 },
      { kind: 'merchant.redeem', txs: 1, failed: 0 },
      { kind: 'point.transfer', txs: 1, failed: 0 },
    ])
    expect(u.byGrantee).toEqual([
      { grantee: addr(ALICE), txs: 4, failed: 1 },
      { grantee: addr(CAFE), txs: 2, failed: 0 },
    ])
    const csv = await get(`/v1/points/${POINT}/sponsor-usage?period=2026-11&format=csv`)
    expect(csv.body.split('\r\n')[0]).toBe(
      'point,period,timeZone,final,sponsor,table,kind,grantee,txs,failed',
    )
    expect(csv.headers['content-disposition']).toContain('sponsor-usage-SHOP-2026-11-Asia_Tokyo.csv')
  })
})

describe('the SDK and `arcade settle`', () => {
  it('fetch the exact bytes with their checked hash, print it, and write --out files', async () => {
    const w = await november()
    h = w.serve()
    const url = await h.server.listen('127.0.0.1', 0)
    const client = new ArcadeClient({ url })
    const doc = await client.statement(POINT, { period: '2026-11' })
    expect(doc.document?.closing.holds).toBe(true)
    expect(doc.sha256).toBe(createHash('sha256').update(doc.bytes).digest('hex'))
    const usage = await client.sponsorUsage(POINT, { period: '2026-11', format: 'csv' })
    expect(usage.document).toBeNull()
    expect(usage.filename).toBe('sponsor-usage-SHOP-2026-11-Asia_Tokyo.csv')
    // A node (or a proxy) whose body does not match the hash it claims is caught.
    const lying = new ArcadeClient(
      { url },
      {
        fetch: async (input, init) => {
          const res = await fetch(input, init)
          const text = (await res.text()).replace('"net": 20', '"net": 21')
          return new Response(text, { status: res.status, headers: res.headers })
        },
      },
    )
    await expect(lying.statement(POINT, { period: '2026-11' })).rejects.toMatchObject({
      code: 'CLIENT_BAD_RESPONSE',
    })
    await expect(client.statement(POINT, { period: '2026-13' })).rejects.toMatchObject({
      code: 'RPC_BAD_PERIOD',
    })

    const dir = await mkdtemp(join(tmpdir(), 'arcade-settle-'))
    const arcade = async (...argv: string[]) => {
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
        nowMs: () => NOV_15,
        generateKeyPair,
      }
      return { code: await runCli(argv, io), stdout, stderr }
    }
    const printed = await arcade('settle', 'statement', '--point', POINT, '--period', '2026-11', '--rpc', url)
    expect(printed.code).toBe(0)
    expect(printed.stdout).toBe(doc.text)
    expect(printed.stderr).toBe(`sha256 ${doc.sha256}\n`)
    const saved = await arcade(
      'settle',
      'usage',
      '--point',
      POINT,
      '--period',
      '2026-11',
      '--csv',
      '--out',
      'u.csv',
      '--rpc',
      url,
    )
    expect(saved.stdout).toBe(`sha256 ${usage.sha256}  u.csv\n`)
    expect(await readFile(join(dir, 'u.csv'), 'utf8')).toBe(usage.text)
    const bad = await arcade('settle', 'statement', '--point', POINT, '--period', 'Nov', '--rpc', url)
    expect(bad.code).toBe(2)
  })
})
