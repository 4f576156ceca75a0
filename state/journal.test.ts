import { describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { campaignAccount } from '../protocol/campaign.ts'
import { generateKeyPair, sign } from '../protocol/crypto.ts'
import { PURSE_SETTLEMENT_GRACE_MS, signVoucher } from '../protocol/purse.ts'
import { devicePossessionSignBytes, pursePossessionSignBytes } from '../protocol/sign-bytes.ts'
import type { SignedTx } from '../protocol/tx.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import { expiryAfterDays } from './expiry-lots.ts'
import {
  BLOCK_ROWS_KIND,
  BLOCK_ROWS_TX_INDEX,
  blockJournalRowsOf,
  decodeJournalRow,
  encodeJournalRow,
  JOURNAL_FIELDS,
  type JournalRow,
  journalAccountsOf,
  journalRowsOf,
} from './journal.ts'
import { createLedgerQuery } from './query.ts'
import type { Receipt } from './receipt.ts'
import { campaignDelta, createStatementFold, customerDelta, purseDelta } from './statement.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TEST_CHAIN_ID, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const ALICE = account(200)
const BOB = account(201)
const SPENDER = account(202)

/** Runs `body` in its own block and returns its journal rows. */
function rowsOf(
  chain: TestChain,
  signer: Bytes,
  body: TxBody,
): { rows: JournalRow[]; tx: SignedTx; r: Receipt } {
  const tx = chain.tx(signer, body)
  const result = chain.block([tx])
  const r = result.receipts[0] as Receipt
  const q = createLedgerQuery(result.state)
  const rows = journalRowsOf(tx, r, {
    height: chain.height,
    timeMs: chain.state.meta.timeMs,
    txIndex: 0,
    managerOf: (p) => q.point(p)?.manager ?? null,
  })
  return { rows, tx, r }
}

function world() {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000, [TERMINAL])
  return chain
}

const hx = (b: Bytes | null) => (b === null ? null : toHex(b))
const shape = (row: JournalRow) => ({
  event: row.event,
  kind: row.kind,
  from: hx(row.from),
  fromRole: row.fromRole,
  to: hx(row.to),
  toRole: row.toRole,
  amount: row.amount,
  merchant: hx(row.merchant),
  terminal: hx(row.terminal),
  device: hx(row.device),
  spender: hx(row.spender),
  floatDelta: row.floatDelta,
  liabilityDelta: row.liabilityDelta,
  fiatRef: row.fiatRef,
  memo: row.memo,
})

describe('journal rows, one per movement, from the receipt events', () => {
  it('repay (prefund): manager → merchant, float up, with the fiat reference', () => {
    const chain = world()
    const { rows, tx } = rowsOf(chain, ISSUER, {
      kind: 'merchant.repay',
      point: POINT,
      merchant: MERCHANT,
      amount: 30,
      fiatRef: 'bank-0001',
    })
    expect(rows.map(shape)).toEqual([
      {
        event: 'repay',
        kind: 'merchant.repay',
        from: toHex(ISSUER),
        fromRole: 'manager',
        to: toHex(MERCHANT),
        toRole: 'merchant',
        amount: 30,
        merchant: toHex(MERCHANT),
        terminal: null,
        device: null,
        spender: null,
        floatDelta: 30,
        liabilityDelta: 0,
        fiatRef: 'bank-0001',
        memo: null,
      },
    ])
    expect(rows[0]).toMatchObject({ txHash: tx.hash, height: chain.height, txIndex: 0, row: 0, point: POINT })
    expect(toHex(rows[0]?.sponsor as Bytes)).toBe(toHex(ISSUER))
  })

  it('award from float then on credit: the split is in the deltas; a terminal is named', () => {
    const chain = world()
    chain.run(ISSUER, { kind: 'merchant.repay', point: POINT, merchant: MERCHANT, amount: 30, fiatRef: 'f' })
    const { rows } = rowsOf(chain, TERMINAL, {
      kind: 'merchant.award',
      point: POINT,
      customer: ALICE,
      amount: 50,
      memo: 'receipt 17',
    })
    expect(rows.map(shape)).toEqual([
      expect.objectContaining({
        event: 'award',
        from: toHex(MERCHANT),
        fromRole: 'merchant',
        to: toHex(ALICE),
        toRole: 'customer',
        amount: 50,
        terminal: toHex(TERMINAL),
        floatDelta: -30,
        liabilityDelta: 20,
        memo: 'receipt 17',
      }),
    ])
    expect(toHex(rows[0]?.sponsor as Bytes)).toBe(toHex(ISSUER))
    // The merchant's own key awarding names no terminal.
    const own = rowsOf(chain, MERCHANT, {
      kind: 'merchant.award',
      point: POINT,
      customer: ALICE,
      amount: 5,
      memo: '',
    })
    expect(own.rows.map(shape)).toEqual([
      expect.objectContaining({ terminal: null, floatDelta: 0, liabilityDelta: 5, memo: null }),
    ])
  })

  it('pay: customer → merchant at a terminal, liability cleared first then float', () => {
    const chain = world()
    chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 40, memo: '' })
    chain.run(ISSUER, { kind: 'merchant.repay', point: POINT, merchant: MERCHANT, amount: 30, fiatRef: 'f' })
    // liability 10 left; paying 25 clears 10 and adds 15 to the float.
    const { rows } = rowsOf(chain, ALICE, {
      kind: 'merchant.pay',
      point: POINT,
      payee: TERMINAL,
      amount: 25,
      memo: '',
    })
    expect(rows.map(shape)).toEqual([
      expect.objectContaining({
        event: 'pay',
        from: toHex(ALICE),
        fromRole: 'customer',
        to: toHex(MERCHANT),
        toRole: 'merchant',
        amount: 25,
        terminal: toHex(TERMINAL),
        device: null,
        floatDelta: 15,
        liabilityDelta: -10,
      }),
    ])
  })

  it('redeem: merchant → manager, float down, fiat reference', () => {
    const chain = world()
    chain.run(ISSUER, { kind: 'merchant.repay', point: POINT, merchant: MERCHANT, amount: 30, fiatRef: 'f' })
    const { rows } = rowsOf(chain, MERCHANT, {
      kind: 'merchant.redeem',
      point: POINT,
      amount: 12,
      fiatRef: 'wire-9',
    })
    expect(rows.map(shape)).toEqual([
      expect.objectContaining({
        event: 'redeem',
        from: toHex(MERCHANT),
        fromRole: 'merchant',
        to: toHex(ISSUER),
        toRole: 'manager',
        amount: 12,
        floatDelta: -12,
        liabilityDelta: 0,
        fiatRef: 'wire-9',
      }),
    ])
  })

  it('transfer and transferFrom: customer → customer, no merchant, the spender named', () => {
    const chain = world()
    chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 40, memo: '' })
    const t = rowsOf(chain, ALICE, { kind: 'point.transfer', point: POINT, to: BOB, amount: 7 })
    expect(t.rows.map(shape)).toEqual([
      expect.objectContaining({
        event: 'transfer',
        from: toHex(ALICE),
        to: toHex(BOB),
        fromRole: 'customer',
        toRole: 'customer',
        merchant: null,
        spender: null,
        floatDelta: 0,
        liabilityDelta: 0,
      }),
    ])
    chain.run(ALICE, { kind: 'point.approve', point: POINT, spender: SPENDER, amount: 5 })
    const f = rowsOf(chain, SPENDER, {
      kind: 'point.transferFrom',
      point: POINT,
      from: ALICE,
      to: BOB,
      amount: 5,
    })
    expect(f.rows.map(shape)).toEqual([
      expect.objectContaining({
        event: 'transfer',
        kind: 'point.transferFrom',
        spender: toHex(SPENDER),
        amount: 5,
      }),
    ])
    expect(journalAccountsOf(f.rows[0] as JournalRow).map(toHex)).toEqual([ALICE, BOB, SPENDER].map(toHex))
  })

  it('device pay: the owner pays the merchant, the device named', () => {
    const chain = world()
    chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 40, memo: '' })
    const device = generateKeyPair()
    const proof = sign(devicePossessionSignBytes(TEST_CHAIN_ID, ALICE, device.publicKey), device.secretKey)
    const bound = chain.run(ALICE, {
      kind: 'device.bind',
      device: device.publicKey,
      point: POINT,
      maxPerTx: 10,
      maxPerPeriod: 25,
      periodMs: 86_400_000,
      merchants: [],
      possessionProof: proof,
    })
    expect(bound.error).toBeNull()
    const { rows } = rowsOf(chain, device.publicKey, {
      kind: 'device.pay',
      owner: ALICE,
      point: POINT,
      payee: MERCHANT,
      amount: 4,
      memo: 'kWh',
    })
    expect(rows.map(shape)).toEqual([
      expect.objectContaining({
        event: 'pay',
        kind: 'device.pay',
        from: toHex(ALICE),
        to: toHex(MERCHANT),
        terminal: null,
        device: toHex(device.publicKey),
        liabilityDelta: -4,
        memo: 'kWh',
      }),
    ])
  })

  it('traffic rewards: one trafficEarn row per rewarded event, numbered in event order; a claim is one row', () => {
    const chain = world()
    const rates = { visit: 1, view: 2, click: 3, purchase: 5, purchasePerMille: 0 }
    chain.run(ISSUER, {
      kind: 'traffic.setRules',
      point: POINT,
      confirmed: rates,
      unconfirmed: rates,
      dailyCapPerCustomer: 50,
    })
    const [P1, P2] = [account(501), account(502)]
    const { rows } = rowsOf(chain, TERMINAL, {
      kind: 'traffic.record',
      point: POINT,
      events: [
        { eventId: 'e1', kind: 'visit', pseudonym: P1, amount: 0, attestation: null },
        { eventId: 'e2', kind: 'view', pseudonym: null, amount: 0, attestation: null },
        { eventId: 'e3', kind: 'click', pseudonym: P2, amount: 0, attestation: null },
      ],
    })
    expect(
      rows.map((r) => [r.row, r.event, r.kind, toHex(r.to), r.toRole, r.amount, r.liabilityDelta]),
    ).toEqual([
      [0, 'trafficEarn', 'traffic.record', toHex(P1), 'pseudonym', 1, 1],
      [1, 'trafficEarn', 'traffic.record', toHex(P2), 'pseudonym', 3, 3],
    ])
    const claim = rowsOf(chain, P2, { kind: 'traffic.claim', point: POINT, account: BOB, amount: 3 })
    expect(
      claim.rows.map((r) => [r.event, r.fromRole, toHex(r.from), r.toRole, toHex(r.to), r.amount]),
    ).toEqual([['trafficClaim', 'pseudonym', toHex(P2), 'customer', toHex(BOB), 3]])
    expect(claim.rows[0]).toMatchObject({ merchant: null, floatDelta: 0, liabilityDelta: 0 })
  })

  it('a failed tx has no rows; a tx that moves nothing has none', () => {
    const chain = world()
    const failed = rowsOf(chain, ALICE, {
      kind: 'merchant.pay',
      point: POINT,
      payee: MERCHANT,
      amount: 1,
      memo: '',
    })
    expect(failed.r.status).toBe('failed')
    expect(failed.rows).toEqual([])
    const approve = rowsOf(chain, ALICE, { kind: 'point.approve', point: POINT, spender: BOB, amount: 1 })
    expect(approve.r.status).toBe('ok')
    expect(approve.rows).toEqual([])
  })

  it('the rows reproduce each merchant’s float and liability and the books identity', () => {
    const chain = world()
    const all: JournalRow[] = []
    const run = (signer: Bytes, body: TxBody) => all.push(...rowsOf(chain, signer, body).rows)
    run(ISSUER, { kind: 'merchant.repay', point: POINT, merchant: MERCHANT, amount: 30, fiatRef: 'a' })
    run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 70, memo: '' })
    run(ALICE, { kind: 'point.transfer', point: POINT, to: BOB, amount: 20 })
    run(BOB, { kind: 'merchant.pay', point: POINT, payee: MERCHANT, amount: 15, memo: '' })
    run(ISSUER, { kind: 'merchant.repay', point: POINT, merchant: MERCHANT, amount: 40, fiatRef: 'b' })
    run(MERCHANT, { kind: 'merchant.redeem', point: POINT, amount: 5, fiatRef: 'c' })
    const m = createLedgerQuery(chain.state).merchant(POINT, MERCHANT)
    const sum = (f: (r: JournalRow) => number) => all.reduce((n, r) => n + f(r), 0)
    expect(sum((r) => r.floatDelta)).toBe(m?.float)
    expect(sum((r) => r.liabilityDelta)).toBe(m?.liability)
    const q = createLedgerQuery(chain.state)
    const customers = q.balance(POINT, ALICE) + q.balance(POINT, BOB)
    const repaid = sum((r) => (r.event === 'repay' ? r.amount : 0))
    const redeemed = sum((r) => (r.event === 'redeem' ? r.amount : 0))
    expect(customers + (m?.float ?? 0) - (m?.liability ?? 0)).toBe(repaid - redeemed)
  })
})

describe('journal rows of campaigns', () => {
  const campaign = (over: Partial<TxBody & { kind: 'campaign.create' }> = {}): TxBody => ({
    kind: 'campaign.create',
    point: POINT,
    campaign: 'spring',
    triggers: ['award'],
    bonusPerMille: 500,
    flatBonus: 0,
    startMs: 0,
    endMs: 2_000_000_000_000,
    merchants: [],
    budget: 100,
    fiatRef: 'fy2026',
    ...over,
  })

  it('fund (manager minted, merchant charged), bonus (no merchant books), return (burned, or liability first)', () => {
    const chain = world()
    const all: JournalRow[] = []
    const run = (signer: Bytes, body: TxBody) => {
      const out = rowsOf(chain, signer, body)
      if (out.r.status !== 'ok') throw new Error(String(out.r.error))
      all.push(...out.rows)
      return out.rows
    }
    const spring = toHex(campaignAccount(POINT, 'spring'))
    const own = toHex(campaignAccount(POINT, 'own'))
    expect(run(ISSUER, campaign()).map(shape)).toEqual([
      {
        event: 'campaignFund',
        kind: 'campaign.create',
        from: toHex(ISSUER),
        fromRole: 'manager',
        to: spring,
        toRole: 'campaign',
        amount: 100,
        merchant: null,
        terminal: null,
        device: null,
        spender: null,
        floatDelta: 0,
        liabilityDelta: 0,
        fiatRef: 'fy2026',
        memo: null,
      },
    ])
    run(ISSUER, { kind: 'merchant.repay', point: POINT, merchant: MERCHANT, amount: 20, fiatRef: 'r' })
    expect(run(MERCHANT, campaign({ campaign: 'own', budget: 50, fiatRef: '' })).map(shape)).toMatchObject([
      {
        event: 'campaignFund',
        fromRole: 'merchant',
        to: own,
        merchant: toHex(MERCHANT),
        floatDelta: -20,
        liabilityDelta: 30,
        fiatRef: null,
      },
    ])
    // The award's row, then one bonus per campaign in id order ('own' before 'spring').
    const award = run(TERMINAL, {
      kind: 'merchant.award',
      point: POINT,
      customer: ALICE,
      amount: 40,
      memo: 'm',
    })
    expect(award.map((r) => [r.event, r.amount, hx(r.from), r.toRole, hx(r.merchant), r.memo])).toEqual([
      ['award', 40, toHex(MERCHANT), 'customer', toHex(MERCHANT), 'm'],
      ['campaignBonus', 20, own, 'customer', null, 'm'],
      ['campaignBonus', 20, spring, 'customer', null, 'm'],
    ])
    expect(
      run(ISSUER, { kind: 'campaign.close', point: POINT, campaign: 'spring' }).map(shape),
    ).toMatchObject([
      {
        event: 'campaignReturn',
        from: spring,
        fromRole: 'campaign',
        to: toHex(ISSUER),
        toRole: 'manager',
        amount: 80,
        merchant: null,
      },
    ])
    // A's liability is 30 + 40 = 70: the 30 left in its campaign clears part of it.
    expect(run(MERCHANT, { kind: 'campaign.close', point: POINT, campaign: 'own' }).map(shape)).toMatchObject(
      [
        {
          event: 'campaignReturn',
          toRole: 'merchant',
          amount: 30,
          merchant: toHex(MERCHANT),
          floatDelta: 0,
          liabilityDelta: -30,
        },
      ],
    )
    // The rows reproduce the merchant's books, the budgets (now 0) and the identity's campaign terms.
    const q = createLedgerQuery(chain.state)
    const m = q.merchant(POINT, MERCHANT)
    const p = q.point(POINT)!
    const sum = (f: (r: JournalRow) => number) => all.reduce((n, r) => n + f(r), 0)
    expect(sum((r) => r.floatDelta)).toBe(m?.float)
    expect(sum((r) => r.liabilityDelta)).toBe(m?.liability)
    expect(sum(campaignDelta)).toBe(p.campaignBudgets)
    expect(sum(customerDelta)).toBe(q.balance(POINT, ALICE))
    expect(sum((r) => (r.event === 'campaignFund' && r.fromRole === 'manager' ? r.amount : 0))).toBe(
      p.cumCampaignFunded,
    )
    expect(sum((r) => (r.event === 'campaignReturn' && r.toRole === 'manager' ? r.amount : 0))).toBe(
      p.cumCampaignReturned,
    )
    // The statement's books hold with every term, at both ends, and count the campaign movements.
    const fold = createStatementFold(
      POINT,
      { label: 'all', kind: 'month', timeZone: 'UTC', startMs: 0, endMs: 2 ** 52 },
      { height: chain.height, point: p, merchants: q.merchants(POINT).map((x) => ({ ...x })) },
    )
    for (const r of all) fold.add(r)
    const s = fold.finish({ fromHeight: 1, toHeight: chain.height, final: false })
    expect(s.opening.holds).toBe(true)
    expect(s.closing).toMatchObject({
      holds: true,
      campaigns: 0,
      cumCampaignFunded: 100,
      cumCampaignReturned: 80,
    })
    expect(s).toMatchObject({
      campaignFunded: 150,
      campaignBonusCount: 2,
      campaignBonuses: 40,
      campaignReturned: 110,
    })
    expect(s.totals).toMatchObject({ campaignFunding: 50, campaignReturns: 30 })
  })

  it('a budget spent by a bonus closes with no return row', () => {
    const chain = world()
    rowsOf(chain, ISSUER, campaign({ budget: 5 }))
    const { rows, r } = rowsOf(chain, TERMINAL, {
      kind: 'merchant.award',
      point: POINT,
      customer: ALICE,
      amount: 40,
      memo: '',
    })
    expect(r.events.map((e) => e.type)).toEqual(['award', 'campaignBonus', 'campaignClosed'])
    expect(rows.map((x) => [x.event, x.amount])).toEqual([
      ['award', 40],
      ['campaignBonus', 5],
    ])
  })
})

describe('journal rows of offline purses', () => {
  it('lock, pay (terminal named, liability first), overdraft as a pay, return: the books follow', () => {
    const chain = world()
    const all: JournalRow[] = []
    const run = (signer: Bytes, body: TxBody, timeMs?: number) => {
      const tx = chain.tx(signer, body)
      const result = chain.block([tx], timeMs === undefined ? {} : { timeMs })
      const q = createLedgerQuery(result.state)
      const rows = journalRowsOf(tx, result.receipts[0] as Receipt, {
        height: chain.height,
        timeMs: chain.state.meta.timeMs,
        txIndex: 0,
        managerOf: (p) => q.point(p)?.manager ?? null,
      })
      all.push(...rows)
      return rows
    }
    run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 100, memo: '' })
    const key = generateKeyPair()
    const expiresAtMs = chain.state.meta.timeMs + 3_600_000
    const lock = run(ALICE, {
      kind: 'purse.open',
      point: POINT,
      purse: key.publicKey,
      amount: 60,
      expiresAtMs,
      possessionProof: sign(pursePossessionSignBytes(TEST_CHAIN_ID, ALICE, key.publicKey), key.secretKey),
    })
    const base = { terminal: null, device: null, spender: null, fiatRef: null, memo: null }
    expect(lock.map(shape)).toEqual([
      {
        ...base,
        event: 'purseLock',
        kind: 'purse.open',
        from: hx(ALICE),
        fromRole: 'customer',
        to: hx(key.publicKey),
        toRole: 'purse',
        amount: 60,
        merchant: null,
        floatDelta: 0,
        liabilityDelta: 0,
      },
    ])
    const voucher = (counter: number, amount: number, cumulative: number) =>
      signVoucher(
        TEST_CHAIN_ID,
        { point: POINT, purse: key.publicKey, payee: TERMINAL, counter, amount, cumulative },
        key.secretKey,
      )
    const paid = run(TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [voucher(1, 50, 50)] })
    expect(paid.map(shape)).toEqual([
      {
        ...base,
        event: 'pursePay',
        kind: 'purse.settle',
        from: hx(key.publicKey),
        fromRole: 'purse',
        to: hx(MERCHANT),
        toRole: 'merchant',
        amount: 50,
        merchant: hx(MERCHANT),
        terminal: hx(TERMINAL),
        floatDelta: 0,
        liabilityDelta: -50,
      },
    ])
    // A cloned key's voucher beyond the purse: 10 from the purse, 30 from ALICE's free balance.
    const over = run(TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [voucher(2, 40, 40)] })
    expect(over.map((r) => [r.event, hx(r.from), r.fromRole, r.amount, r.liabilityDelta])).toEqual([
      ['pursePay', hx(key.publicKey), 'purse', 10, -10],
      ['pay', hx(ALICE), 'customer', 30, -30],
    ])
    // Nothing is left to return: a close without a movement has no row.
    const closed = run(
      BOB,
      { kind: 'purse.reclaim', point: POINT, purse: key.publicKey },
      expiresAtMs + PURSE_SETTLEMENT_GRACE_MS + 1,
    )
    expect(closed).toEqual([])
    const q = createLedgerQuery(chain.state)
    const m = q.merchant(POINT, MERCHANT)
    const sum = (f: (r: JournalRow) => number) => all.reduce((n, r) => n + f(r), 0)
    expect(sum((r) => r.floatDelta)).toBe(m?.float)
    expect(sum((r) => r.liabilityDelta)).toBe(m?.liability)
    expect(sum(customerDelta)).toBe(q.balance(POINT, ALICE))
    expect(sum(purseDelta)).toBe(q.point(POINT)?.totalLocked)
    expect(journalAccountsOf(paid[0] as JournalRow).map(hx)).toEqual([
      hx(key.publicKey),
      hx(MERCHANT),
      hx(TERMINAL),
    ])
  })

  it('a purse that closes with points left returns them in a purseReturn row', () => {
    const chain = world()
    chain.run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 100, memo: '' })
    const key = generateKeyPair()
    const expiresAtMs = chain.state.meta.timeMs + 3_600_000
    chain.run(ALICE, {
      kind: 'purse.open',
      point: POINT,
      purse: key.publicKey,
      amount: 60,
      expiresAtMs,
      possessionProof: sign(pursePossessionSignBytes(TEST_CHAIN_ID, ALICE, key.publicKey), key.secretKey),
    })
    const tx = chain.tx(BOB, { kind: 'purse.reclaim', point: POINT, purse: key.publicKey })
    const result = chain.block([tx], { timeMs: expiresAtMs + PURSE_SETTLEMENT_GRACE_MS + 1 })
    const rows = journalRowsOf(tx, result.receipts[0] as Receipt, {
      height: chain.height,
      timeMs: chain.state.meta.timeMs,
      txIndex: 0,
      managerOf: () => ISSUER,
    })
    expect(rows.map((r) => [r.event, r.fromRole, hx(r.to), r.toRole, r.amount, r.kind])).toEqual([
      ['purseReturn', 'purse', hx(ALICE), 'customer', 60, 'purse.reclaim'],
    ])
    expect(shape(decodeJournalRow(encodeJournalRow(rows[0] as JournalRow)))).toEqual(
      shape(rows[0] as JournalRow),
    )
  })

  it('a purse returning a lot that expired while locked: purseReturn, then its expire row', () => {
    const chain = world()
    chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 1, atMs: 0 })
    const t = chain.state.meta.timeMs + 1_000
    chain.block(
      [chain.tx(TERMINAL, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 100, memo: '' })],
      { timeMs: t },
    )
    const key = generateKeyPair()
    chain.run(ALICE, {
      kind: 'purse.open',
      point: POINT,
      purse: key.publicKey,
      amount: 60,
      expiresAtMs: t + 30 * 86_400_000,
      possessionProof: sign(pursePossessionSignBytes(TEST_CHAIN_ID, ALICE, key.publicKey), key.secretKey),
    })
    // The purse expires with its lot (the cap); after the window the 60 return already expired.
    const purse = createLedgerQuery(chain.state).purse(key.publicKey)
    expect(purse?.expiresAtMs).toBe(expiryAfterDays(t, 1))
    const tx = chain.tx(BOB, { kind: 'purse.reclaim', point: POINT, purse: key.publicKey })
    const result = chain.block([tx], { timeMs: (purse?.settleUntilMs ?? 0) + 1 })
    const rows = journalRowsOf(tx, result.receipts[0] as Receipt, {
      height: chain.height,
      timeMs: chain.state.meta.timeMs,
      txIndex: 0,
      managerOf: () => ISSUER,
    })
    // ALICE's own 40 expired first (lazy expiry, before the movement), then the return, then the 60.
    expect(rows.map((r) => [r.event, r.row, hx(r.from), hx(r.to), r.amount])).toEqual([
      ['expire', 0, hx(ALICE), hx(ISSUER), 40],
      ['purseReturn', 1, hx(key.publicKey), hx(ALICE), 60],
      ['expire', 2, hx(ALICE), hx(ISSUER), 60],
    ])
    expect(rows.reduce((n, r) => n + customerDelta(r), 0)).toBe(-40)
    expect(rows.reduce((n, r) => n + purseDelta(r), 0)).toBe(-60)
  })
})

describe('expire rows: customer → manager, breakage, in the touching tx or the block’s own rows', () => {
  it('lazy expiry: an expire row before the award of the tx that touched the account', () => {
    const chain = world()
    chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 1, atMs: 0 })
    const t = chain.state.meta.timeMs + 1_000
    chain.block(
      [chain.tx(TERMINAL, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 9, memo: '' })],
      {
        timeMs: t,
      },
    )
    chain.blockMs = expiryAfterDays(t, 1) - t
    const { rows } = rowsOf(chain, TERMINAL, {
      kind: 'merchant.award',
      point: POINT,
      customer: ALICE,
      amount: 2,
      memo: 'again',
    })
    expect(rows.map((r) => [r.event, r.row, r.amount, r.kind])).toEqual([
      ['expire', 0, 9, 'merchant.award'],
      ['award', 1, 2, 'merchant.award'],
    ])
    expect(shape(rows[0] as JournalRow)).toMatchObject({
      from: hx(ALICE),
      fromRole: 'customer',
      to: hx(ISSUER),
      toRole: 'manager',
      merchant: null,
      floatDelta: 0,
      liabilityDelta: 0,
    })
    expect(journalAccountsOf(rows[0] as JournalRow).map(toHex)).toEqual([hx(ALICE), hx(ISSUER)])
  })

  it('the sweep’s expiries are the block’s own rows, after its txs, with no tx', () => {
    const chain = world()
    chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 1, atMs: 0 })
    const t = chain.state.meta.timeMs + 1_000
    chain.block(
      [ALICE, BOB].map((c) =>
        chain.tx(TERMINAL, { kind: 'merchant.award', point: POINT, customer: c, amount: 4, memo: '' }),
      ),
      { timeMs: t },
    )
    const result = chain.block([], { timeMs: expiryAfterDays(t, 1) })
    const q = createLedgerQuery(result.state)
    const rows = blockJournalRowsOf(result.blockEvents, {
      height: chain.height,
      timeMs: chain.state.meta.timeMs,
      managerOf: (p) => q.point(p)?.manager ?? null,
    })
    expect(rows.map((r) => [r.event, r.txIndex, r.row, r.kind, r.amount, hx(r.from)])).toEqual([
      ['expire', BLOCK_ROWS_TX_INDEX, 0, BLOCK_ROWS_KIND, 4, hx(ALICE)],
      ['expire', BLOCK_ROWS_TX_INDEX, 1, BLOCK_ROWS_KIND, 4, hx(BOB)],
    ])
    expect(rows.every((r) => r.memo === null && toHex(r.txHash) === '00'.repeat(32))).toBe(true)
    const back = decodeJournalRow(encodeJournalRow(rows[1] as JournalRow))
    expect([back.event, back.txIndex]).toEqual(['expire', BLOCK_ROWS_TX_INDEX])
    // Events that move nothing give no row.
    expect(
      blockJournalRowsOf([{ type: 'proposalExpired', proposal: 1 }], { ...rows[0]!, managerOf: () => null }),
    ).toEqual([])
  })
})

describe('journal row encoding', () => {
  it('round-trips and refuses a malformed tuple', () => {
    const chain = world()
    const { rows } = rowsOf(chain, ISSUER, {
      kind: 'merchant.repay',
      point: POINT,
      merchant: MERCHANT,
      amount: 3,
      fiatRef: 'x',
    })
    const row = rows[0] as JournalRow
    const plain = (r: JournalRow) =>
      JOURNAL_FIELDS.map((f) => {
        const v = r[f]
        return v instanceof Uint8Array ? toHex(v) : v
      })
    expect(plain(decodeJournalRow(encodeJournalRow(row)))).toEqual(plain(row))
    expect(JOURNAL_FIELDS.length).toBe(22)
    const bad = encodeJournalRow({ ...row, amount: 'x' as unknown as number })
    expect(() => decodeJournalRow(bad)).toThrow()
    expect(() => decodeJournalRow(new Uint8Array([0x91, 0x01]))).toThrow()
  })
})
