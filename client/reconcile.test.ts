/**
 * reconcilePoint against a fake node over a tiny ledger (test-ledger.ts: real state proofs, real
 * commit certificates of a 4-validator set): a clean point reconciles, at the head and in the past,
 * also while the head moves during the run; then a hostile node (an edited, missing, foreign or
 * misplaced journal row; a merchant record that is not its proof's; a hidden merchant; a forged
 * certificate; another chain) gives `ok: false` with the expected first discrepancy.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { type Bytes, fromHex, toHex } from '../protocol/bytes.ts'
import { decodeRaw, encode } from '../protocol/codec.ts'
import { ClientErrorCode } from './errors.ts'
import { generateWallet } from './keys.ts'
import { LightClient } from './light-client.ts'
import { RECONCILE_CHECKS as C, type ReconcileReport, reconcilePoint } from './reconcile.ts'
import { type Era, era, FakeChain, genesisDocument, keys } from './test-kit.ts'
import { FakeLedgerNode, LEDGER_POINT as POINT } from './test-ledger.ts'
import type { JournalRow, ProofJson } from './types.ts'

let e0: Era
let node: FakeLedgerNode
let trust: { genesis: unknown }
let shopA: string
let shopB: string
let idle: string
const [alice, bob, carol] = [generateWallet(), generateWallet(), generateWallet()].map((w) => w.address) as [
  string,
  string,
  string,
]

/**
 * Five blocks: three merchants (one never trades), credit, repayment, a transfer, a redemption, and
 * 40 of alice's points expiring (the sweep's row, the last of block 4).
 */
beforeEach(() => {
  e0 = era(keys(4))
  trust = { genesis: genesisDocument(e0) }
  node = new FakeLedgerNode(e0)
  shopA = node.bookApply('Bakery')
  shopB = node.bookApply('Cafe')
  idle = node.bookApply('Idle')
  node.commit() // 1
  node.bookAward(shopA, alice, 1000) // on credit
  node.bookAward(shopB, bob, 200)
  node.commit() // 2
  node.bookPay(alice, shopA, 300) // clears liability
  node.bookRepay(shopA, 1000) // 700 clears the rest, 300 prefunds the float
  node.commit() // 3
  node.bookTransfer(alice, bob, 50)
  node.bookRedeem(shopA, 100)
  node.bookPay(bob, shopB, 250) // 200 clears, 50 to the float
  node.bookExpire(alice, 40) // the sweep, after the block's txs
  node.commit() // 4
  node.bookAward(shopA, carol, 150) // from the float
  node.commit() // 5
})

const ALL = Object.values(C)
const run = (opts: { atHeight?: number } = {}) => reconcilePoint(node, { point: POINT, trust, ...opts })
const names = (r: ReconcileReport) => r.checks.map((c) => c.name)

function editRow(match: (r: JournalRow) => boolean, edit: (r: JournalRow) => JournalRow | null) {
  node.journalView = (rows) =>
    rows.flatMap((r) => {
      if (!match(r)) return [r]
      const edited = edit(r)
      return edited === null ? [] : [edited]
    })
}

function expectFirst(r: ReconcileReport, name: string) {
  expect(r.ok).toBe(false)
  expect(r.firstDiscrepancy?.name).toBe(name)
  // Every check before it ran and passed; none after it ran.
  expect(names(r)).toEqual(ALL.slice(0, ALL.indexOf(name as never) + 1))
  expect(r.checks.slice(0, -1).every((c) => c.ok)).toBe(true)
}

describe('reconcilePoint on an honest node', () => {
  it('reconciles at the head: every check, in order, with the books of both sides', async () => {
    const progress: number[] = []
    const r = await reconcilePoint(node, { point: POINT, trust, onProgress: (p) => progress.push(p.rows) })
    expect(r).toMatchObject({
      point: POINT,
      height: 5,
      provenHeight: 5,
      ok: true,
      rows: node.rows.length,
      merchants: 3,
      proofsVerified: true,
      firstDiscrepancy: null,
    })
    expect(names(r)).toEqual(ALL)
    expect(r.checks.every((c) => c.ok)).toBe(true)
    // Each comparison found what it expected (the proofs and sanity checks describe, not count).
    for (const c of r.checks.filter((x) => typeof x.expected === 'number')) expect(c.actual).toBe(c.expected)
    // customers 1000 + 200 + 150 − 300 − 250 − 40; floats A 50 + B 50; repaid 1000, redeemed 100,
    // expired 40.
    expect(r.totals.journal).toEqual({
      customers: 760,
      purses: 0,
      floats: 100,
      liabilities: 0,
      repaid: 1000,
      redeemed: 100,
      expired: 40,
      campaigns: 0,
      campaignFunded: 0,
      campaignReturned: 0,
      unclaimed: 0,
    })
    const books = {
      totalSupply: 860,
      totalLiability: 0,
      totalLocked: 0,
      cumRepaid: 1000,
      cumRedeemed: 100,
      cumExpired: 40,
      campaignBudgets: 0,
      cumCampaignFunded: 0,
      cumCampaignReturned: 0,
      trafficUnclaimed: 0,
    }
    expect(r.totals.state).toEqual(books)
    expect(r.totals.proven).toEqual({ ...books, merchantCount: 3 })
    expect(progress.at(-1)).toBe(node.rows.length)
  })

  it('--at a past height gives the books at that height: the proven state less the rows after it', async () => {
    const r = await run({ atHeight: 3 })
    expect(r).toMatchObject({ ok: true, height: 3, provenHeight: 5 })
    // At 3: customers 1000 + 200 − 300; A: float 300, liability 0; B: liability 200.
    expect(r.totals.journal).toEqual({
      customers: 900,
      purses: 0,
      floats: 300,
      liabilities: 200,
      repaid: 1000,
      redeemed: 0,
      expired: 0,
      campaigns: 0,
      campaignFunded: 0,
      campaignReturned: 0,
      unclaimed: 0,
    })
    expect(r.totals.state).toEqual({
      totalSupply: 1200,
      totalLiability: 200,
      totalLocked: 0,
      cumRepaid: 1000,
      cumRedeemed: 0,
      cumExpired: 0,
      campaignBudgets: 0,
      cumCampaignFunded: 0,
      cumCampaignReturned: 0,
      trafficUnclaimed: 0,
    })
    expect(r.totals.proven?.totalSupply).toBe(860)
    const zero = await run({ atHeight: 0 })
    expect(zero.ok).toBe(true)
    expect(zero.totals.state).toEqual({
      totalSupply: 0,
      totalLiability: 0,
      totalLocked: 0,
      cumRepaid: 0,
      cumRedeemed: 0,
      cumExpired: 0,
      campaignBudgets: 0,
      cumCampaignFunded: 0,
      cumCampaignReturned: 0,
      trafficUnclaimed: 0,
    })
  })

  it('a head that moves during the run (each proof at a later height) raises no false alarm', async () => {
    node.afterProof = () => {
      // Moves supply, liability and repayments (part on credit): rows after 5 that must not count.
      node.bookAward(shopA, carol, 100)
      node.bookRepay(shopB, 7)
      node.commit()
    }
    const r = await run()
    expect(r).toMatchObject({ ok: true, height: 5, provenHeight: 5 })
    // The journal was read past 5 (to the last merchant's proof), yet the books are those of 5.
    expect(r.rows).toBeGreaterThan(9)
    expect(r.totals.proven?.totalSupply).toBe(860)
    expect(r.totals.state).toEqual({
      totalSupply: 860,
      totalLiability: 0,
      totalLocked: 0,
      cumRepaid: 1000,
      cumRedeemed: 100,
      cumExpired: 40,
      campaignBudgets: 0,
      cumCampaignFunded: 0,
      cumCampaignReturned: 0,
      trafficUnclaimed: 0,
    })
    expect(r.totals.journal).toEqual({
      customers: 760,
      purses: 0,
      floats: 100,
      liabilities: 0,
      repaid: 1000,
      redeemed: 100,
      expired: 40,
      campaigns: 0,
      campaignFunded: 0,
      campaignReturned: 0,
      unclaimed: 0,
    })
  })

  it('needs a trust root, and refuses a height above the proven head', async () => {
    await expect(reconcilePoint(node, { point: POINT })).rejects.toMatchObject({
      code: ClientErrorCode.trustRootMissing,
    })
    await expect(run({ atHeight: 6 })).rejects.toMatchObject({ code: ClientErrorCode.invalidInput })
    await expect(run({ atHeight: -1 })).rejects.toMatchObject({ code: ClientErrorCode.invalidInput })
    await expect(reconcilePoint(node, { point: 'nope', trust })).rejects.toMatchObject({
      code: ClientErrorCode.invalidInput,
    })
    // A light client the caller already holds is used as is.
    expect(
      (await reconcilePoint(node, { point: POINT, trust: LightClient.fromGenesis(trust.genesis) })).ok,
    ).toBe(true)
  })
})

describe('reconcilePoint with offline purses', () => {
  let purse: string
  beforeEach(() => {
    purse = generateWallet().address
    node.bookPurseLock(carol, purse, 120) // carol holds 150: 120 into the purse
    node.commit() // 6
    node.bookPursePay(purse, shopB, 70) // B has no liability: all to its float
    node.commit() // 7
    node.bookPurseReturn(purse, carol, 50)
    node.commit() // 8
  })

  it('reconciles at every height: the purse term in the books, supply and totalLocked', async () => {
    const head = await run()
    expect(head).toMatchObject({ ok: true, height: 8 })
    expect(names(head)).toEqual(ALL)
    // carol: 150 − 120 + 50; the purse: 120 − 70 − 50; B's float 50 + 70.
    expect(head.totals.journal).toMatchObject({ customers: 690, purses: 0, floats: 170 })
    expect(head.totals.state).toMatchObject({ totalSupply: 860, totalLocked: 0 })
    const locked = await run({ atHeight: 6 })
    expect(locked).toMatchObject({ ok: true })
    expect(locked.totals.journal).toMatchObject({ customers: 640, purses: 120, floats: 100 })
    expect(locked.totals.state).toMatchObject({ totalSupply: 860, totalLocked: 120 })
    const paid = await run({ atHeight: 7 })
    expect(paid.totals.journal).toMatchObject({ customers: 640, purses: 50, floats: 170 })
    expect(paid.totals.state).toMatchObject({ totalSupply: 860, totalLocked: 50 })
  })

  it('returned points that had expired in the purse: the return, then their expire row', async () => {
    node.bookPurseLock(carol, purse, 30)
    node.commit() // 9
    node.bookPurseReturn(purse, carol, 30)
    node.bookExpire(carol, 30)
    node.commit() // 10
    const r = await run()
    expect(r).toMatchObject({ ok: true, height: 10 })
    expect(r.totals.journal).toMatchObject({ customers: 660, purses: 0, expired: 70 })
    expect(r.totals.state).toMatchObject({ totalSupply: 830, totalLocked: 0, cumExpired: 70 })
    expect((await run({ atHeight: 9 })).totals.state).toMatchObject({ totalSupply: 860, totalLocked: 30 })
  })

  it('a purse row left out: the totals no longer match the certified state', async () => {
    editRow(
      (r) => r.event === 'purseReturn',
      () => null,
    )
    // Without the return the journal still balances (the points stay in the purse), but the proven
    // totalLocked is 0 where the journal says 50.
    const r = await run()
    expectFirst(r, C.locked)
    expect(r.firstDiscrepancy).toMatchObject({ expected: 0, actual: 50 })
  })

  it('a pursePay row without its merchant is malformed', async () => {
    editRow(
      (r) => r.event === 'pursePay',
      (r) => ({ ...r, merchant: null }),
    )
    // Kept out of the sums, the row leaves 70 in the purse that the certified state paid out.
    const r = await run()
    expectFirst(r, C.locked)
    expect(r.firstDiscrepancy).toMatchObject({ expected: 0, actual: 70 })
  })
})

describe('reconcilePoint with campaigns', () => {
  let spring: string
  let shop: string
  beforeEach(() => {
    spring = generateWallet().address
    shop = generateWallet().address
    node.bookCampaignFund(null, spring, 100) // the manager's: minted
    node.bookCampaignFund(shopA, shop, 80) // A's float 50, then 30 on credit
    node.commit() // 6
    node.bookCampaignBonus(spring, alice, 30)
    node.bookCampaignBonus(shop, carol, 20)
    node.commit() // 7
    node.bookCampaignReturn(spring, null, 70) // burned
    node.bookCampaignReturn(shop, shopA, 60) // 30 clears A's liability, 30 to its float
    node.commit() // 8
  })

  it('reconciles at every height: budgets in the books and the supply, the manager’s funding and returns', async () => {
    const head = await run()
    expect(head).toMatchObject({ ok: true, height: 8 })
    expect(names(head)).toEqual(ALL)
    expect(head.totals.journal).toMatchObject({
      customers: 810,
      floats: 80,
      liabilities: 0,
      campaigns: 0,
      campaignFunded: 100,
      campaignReturned: 70,
    })
    expect(head.totals.state).toMatchObject({
      totalSupply: 890,
      campaignBudgets: 0,
      cumCampaignFunded: 100,
      cumCampaignReturned: 70,
    })
    const paid = await run({ atHeight: 7 })
    expect(paid).toMatchObject({ ok: true })
    expect(paid.totals.journal).toMatchObject({ customers: 810, floats: 50, liabilities: 30, campaigns: 130 })
    expect(paid.totals.state).toMatchObject({
      totalSupply: 990,
      campaignBudgets: 130,
      cumCampaignReturned: 0,
      trafficUnclaimed: 0,
    })
    expect((await run({ atHeight: 6 })).totals.state).toMatchObject({
      totalSupply: 990,
      campaignBudgets: 180,
    })
  })

  it('a burned return left out: the books balance, but not with the certified supply', async () => {
    editRow(
      (r) => r.event === 'campaignReturn' && r.toRole === 'manager',
      () => null,
    )
    const r = await run()
    expectFirst(r, C.supply)
    expect(r.firstDiscrepancy).toMatchObject({ expected: 890, actual: 960 })
  })

  it('a bonus passed off as a purse return: the supply holds, the campaign budgets do not', async () => {
    editRow(
      (r) => r.event === 'campaignBonus' && r.to === alice,
      (r) => ({ ...r, event: 'purseReturn', fromRole: 'purse' }),
    )
    const r = await run()
    expectFirst(r, C.campaigns)
    expect(r.firstDiscrepancy).toMatchObject({ expected: 0, actual: 30 })
  })

  it("a merchant's campaign funding without its merchant is malformed", async () => {
    editRow(
      (r) => r.event === 'campaignFund' && r.fromRole === 'merchant',
      (r) => ({ ...r, merchant: null }),
    )
    const r = await run()
    expect(r.ok).toBe(false)
    expect(r.checks.find((c) => c.name === C.journalRows)?.ok ?? false).toBe(false)
  })
})

describe('reconcilePoint on a hostile node', () => {
  it('(a) one row with another amount: the journal no longer balances', async () => {
    editRow(
      (r) => r.event === 'award' && r.to === alice,
      (r) => ({ ...r, amount: 1100 }),
    )
    const r = await run()
    expectFirst(r, C.journalIdentity)
    expect(r.firstDiscrepancy).toMatchObject({ expected: 860, actual: 960, detail: 'at height 5' })
  })

  it('(b) one row omitted: the totals differ from the certified state', async () => {
    editRow(
      (r) => r.event === 'pay' && r.from === bob,
      () => null,
    )
    const r = await run()
    expectFirst(r, C.supply)
    // The pay took 250 from bob and put 50 in B's float: the journal's supply is 200 too high.
    expect(r.firstDiscrepancy).toMatchObject({ expected: 860, actual: 1060 })
  })

  it('(b) an expiry passed off as a transfer: the books balance, but not with the certified supply', async () => {
    editRow(
      (r) => r.event === 'expire',
      (r) => ({ ...r, event: 'transfer', kind: 'point.transfer' }),
    )
    const r = await run()
    expectFirst(r, C.supply)
    expect(r.firstDiscrepancy).toMatchObject({ expected: 860, actual: 900 })
  })

  it('an expiry row that moves a merchant’s books is malformed', async () => {
    node.journalView = (rows) =>
      rows.flatMap((r) => (r.event === 'expire' ? [r, { ...r, row: 1, floatDelta: 40 }] : [r]))
    expectFirst(await run(), C.journalRows)
  })

  it('(b) a row that moves only a float omitted: the merchant is named', async () => {
    editRow(
      (r) => r.event === 'award' && r.to === carol,
      () => null,
    )
    const r = await run()
    expectFirst(r, C.merchantFloat)
    expect(r.firstDiscrepancy).toMatchObject({ expected: 50, actual: 200 })
    expect(r.firstDiscrepancy?.detail).toContain(`merchant ${shopA} at height 5`)
  })

  it('(c) a merchant record that does not match its proof', async () => {
    node.proofView = (ref, proof) => {
      if (ref !== `merchant:${POINT}:${shopB}` || proof.value === null) return proof
      const tuple = decodeRaw(fromHex(proof.value), 1 << 16, 'test') as unknown[]
      tuple[3] = 9999 // the float
      return { ...proof, value: toHex(encode(tuple as never) as Bytes) }
    }
    const r = await run()
    expectFirst(r, C.merchantProofs)
    expect(r.proofsVerified).toBe(false)
    expect(r.firstDiscrepancy?.detail).toBe(`merchant ${shopB}`)
    expect(r.firstDiscrepancy?.actual).toMatch(/^state-proof: /)
    expect(r.totals.proven?.merchantCount).toBe(3)
    expect(r.totals.journal).toBeNull()
  })

  it("(c) another merchant's valid proof served for a merchant", async () => {
    let proofOfA: ProofJson | undefined
    node.proofView = (ref, proof) => {
      if (ref === `merchant:${POINT}:${shopA}`) proofOfA = proof
      return ref === `merchant:${POINT}:${idle}` && proofOfA !== undefined ? proofOfA : proof
    }
    const r = await run()
    expectFirst(r, C.merchantProofs)
    expect(r.firstDiscrepancy).toMatchObject({ detail: `merchant ${idle}` })
    expect(r.firstDiscrepancy?.actual).toMatch(/^the proof is of another key/)
  })

  it('(d) a forged certificate: signed by keys outside the trusted set', async () => {
    const strangers = keys(4)
    const chain = new FakeChain([e0])
    node.certify = (header) => chain.certify(header, strangers)
    node.commit()
    const r = await run()
    expectFirst(r, C.pointProof)
    expect(r).toMatchObject({ provenHeight: 0, proofsVerified: false, rows: 0 })
    expect(r.firstDiscrepancy?.actual).toMatch(/^certificate: /)
    expect(r.totals).toEqual({ journal: null, state: null, proven: null })
  })

  it('(d) a certificate of too few validators, and a node on another chain under the same chain id', async () => {
    const chain = new FakeChain([e0])
    node.certify = (header) => chain.certify(header, e0.keys.slice(0, 2))
    node.commit()
    expect((await run()).firstDiscrepancy?.actual).toMatch(/^certificate: .*quorum/i)
    const other = genesisDocument(era(keys(4)))
    const r = await reconcilePoint(node, { point: POINT, trust: { genesis: other } })
    expectFirst(r, C.pointProof)
    expect(r.firstDiscrepancy?.actual).toMatch(/^trust: /)
  })

  it('a merchant hidden from the listing', async () => {
    const listing = node.merchants.bind(node)
    node.merchants = async (point, page) => {
      const p = await listing(point, page)
      return { ...p, items: p.items.filter((m) => m.address !== shopA) }
    }
    const r = await run()
    expectFirst(r, C.merchantCount)
    expect(r.firstDiscrepancy).toMatchObject({ expected: 3, actual: '2 listed + 1 only in the journal' })
    expect(r.firstDiscrepancy?.detail).toContain(shopA)
  })

  it('journal sanity: a row out of order, above the height asked for, of another point, malformed', async () => {
    const rows = () => node.rows
    node.journalView = (served) => [served[1], served[0], ...served.slice(2)] as JournalRow[]
    expectFirst(await run(), C.journalOrder)
    const extra = {
      ...(rows().at(-1) as JournalRow),
      txIndex: 9,
      amount: 5,
      floatDelta: 0,
      liabilityDelta: 0,
    }
    node.journalView = (served) => [...served, { ...extra, height: 99 }]
    const high = await run()
    expectFirst(high, C.journalHeights)
    expect(high.firstDiscrepancy).toMatchObject({ actual: 'height 99', detail: 'row 99.9.0' })
    node.journalView = (served) => [...served, { ...extra, point: 'OTHER' }]
    expectFirst(await run(), C.journalPoint)
    node.journalView = (served) => [...served, { ...extra, amount: '5' as never }]
    expectFirst(await run(), C.journalRows)
  })
})
