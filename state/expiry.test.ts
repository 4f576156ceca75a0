import { describe, expect, it } from 'vitest'
import type { Bytes } from '../protocol/bytes.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import { checkTx } from './admission.ts'
import { jstDayOf } from './amounts.ts'
import { creditCustomer } from './customer-balance.ts'
import { StateErrorCode } from './errors.ts'
import { DAY_MS, expiryAfterDays, jstDayStartMs, MAX_LOTS } from './expiry-lots.ts'
import { MAX_EXPIRY_DAYS } from './expiry-policy.ts'
import { MAX_SWEEP_STEPS_PER_BLOCK } from './expiry-sweep.ts'
import { Keys, keyId } from './keys.ts'
import { createLedgerQuery } from './query.ts'
import type { LedgerEvent, Receipt } from './receipt.ts'
import { expirySweepCodec, lotsCodec, uintCodec } from './records.ts'
import {
  account,
  GENESIS_TIME_MS,
  ISSUER,
  POINT,
  setupMerchant,
  setupPoint,
  TEST_CHAIN_ID,
  TestChain,
} from './test-kit.ts'
import { readRecord, WorkingSet } from './working-set.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const ALICE = account(200)
const BOB = account(201)
const D0 = jstDayOf(GENESIS_TIME_MS)
/** 00:00 JST of the k-th day after genesis's. */
const midnight = (k: number) => jstDayStartMs(D0 + k)

function ok(r: Receipt): Receipt {
  expect(r.error).toBeNull()
  return r
}

const award = (amount: number, customer: Bytes = ALICE): TxBody => ({
  kind: 'merchant.award',
  point: POINT,
  customer,
  amount,
  memo: '',
})
const pay = (amount: number): TxBody => ({
  kind: 'merchant.pay',
  point: POINT,
  payee: TERMINAL,
  amount,
  memo: '',
})
const setExpiry = (afterDays: number, atMs = 0): TxBody => ({
  kind: 'point.setExpiry',
  point: POINT,
  afterDays,
  atMs,
})

/** A point with a merchant (credit 1,000,000) and its terminal; `afterDays` > 0 sets that policy. */
function world(afterDays = 0) {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000_000, [TERMINAL])
  if (afterDays > 0) ok(chain.run(ISSUER, setExpiry(afterDays)))
  const q = () => createLedgerQuery(chain.state)
  const lots = (who: Bytes = ALICE) => readRecord(chain.state.map, Keys.lots(POINT, keyId(who)), lotsCodec)
  const stored = (who: Bytes = ALICE) =>
    readRecord(chain.state.map, Keys.balance(POINT, keyId(who)), uintCodec) ?? 0
  /** One block at an absolute time. */
  const at = (timeMs: number, txs: readonly [Bytes, TxBody][]) =>
    chain.block(
      txs.map(([signer, body]) => chain.tx(signer, body)),
      { timeMs },
    )
  return { chain, q, lots, stored, at }
}

/** The books identity with the expiry (and purse) terms, from the point record and the listed accounts. */
function expectBooks(chain: TestChain, customers: readonly Bytes[]): void {
  const q = createLedgerQuery(chain.state)
  const p = q.point(POINT)!
  let balances = 0
  for (const c of customers)
    balances += readRecord(chain.state.map, Keys.balance(POINT, keyId(c)), uintCodec) ?? 0
  const ms = q.merchants(POINT)
  const floats = ms.reduce((s, m) => s + m.float, 0)
  const liabilities = ms.reduce((s, m) => s + m.liability, 0)
  expect(p.totalSupply).toBe(balances + floats + p.totalLocked)
  expect(balances + p.totalLocked + floats - liabilities).toBe(p.cumRepaid - p.cumRedeemed - p.cumExpired)
}

describe('expiry policy: set at creation, changed by the manager for future awards', () => {
  it('point.create takes an optional policy; without it nothing expires and no lot is kept', () => {
    const chain = new TestChain()
    const create = { kind: 'point.create', point: 'EXP', name: 'n', decimals: 0, transferable: true } as const
    const r = ok(chain.run(ISSUER, { ...create, expiry: { afterDays: 30, atMs: 0 } }))
    expect(r.events.map((e) => e.type)).toEqual(['pointCreated', 'expiryPolicy'])
    const q = createLedgerQuery(chain.state)
    expect(q.point('EXP')).toMatchObject({ expiryDays: 30, expiryAtMs: 0, hasLots: true, cumExpired: 0 })
    ok(chain.run(ISSUER, { ...create, point: 'OLD' }))
    expect(createLedgerQuery(chain.state).point('OLD')).toMatchObject({ expiryDays: 0, hasLots: false })
    expect(chain.run(ISSUER, { ...create, point: 'BAD', expiry: { afterDays: 1, atMs: 1 } }).error).toBe(
      StateErrorCode.badExpiryPolicy,
    )
  })

  it('refuses a bad policy with its code, and a non-manager', () => {
    const { chain } = world()
    const now = chain.state.meta.timeMs
    const run = (body: TxBody, signer = ISSUER) => chain.run(signer, body).error
    expect(run(setExpiry(30), ALICE)).toBe(StateErrorCode.notManager)
    expect(run(setExpiry(30, now + DAY_MS))).toBe(StateErrorCode.badExpiryPolicy)
    expect(run(setExpiry(MAX_EXPIRY_DAYS + 1))).toBe(StateErrorCode.badExpiryPolicy)
    expect(run(setExpiry(MAX_EXPIRY_DAYS))).toBeNull()
    // A date not after the block's time (the next block is 1 s later).
    expect(run(setExpiry(0, now + 1_000))).toBe(StateErrorCode.expiryDatePassed)
    expect(run(setExpiry(0, 1))).toBe(StateErrorCode.expiryDatePassed)
    expect(run(setExpiry(0, now + (MAX_EXPIRY_DAYS + 1) * DAY_MS))).toBe(StateErrorCode.badExpiryPolicy)
  })

  it('admission refuses what is sure to fail: a malformed policy, a passed date, a non-manager', () => {
    const { chain } = world()
    const now = chain.state.meta.timeMs
    const check = (body: TxBody, signer = ISSUER) =>
      checkTx(chain.state, chain.tx(signer, body), { chainId: TEST_CHAIN_ID, height: chain.height + 1 })
        ?.code ?? null
    expect(check(setExpiry(30))).toBeNull()
    expect(check(setExpiry(0, now + DAY_MS))).toBeNull()
    expect(check(setExpiry(30), ALICE)).toBe(StateErrorCode.notManager)
    expect(check(setExpiry(3, now + DAY_MS))).toBe(StateErrorCode.badExpiryPolicy)
    expect(check(setExpiry(0, now))).toBe(StateErrorCode.expiryDatePassed)
    // Too far ahead now, but a later block may bring it within reach: left to the block.
    expect(check(setExpiry(0, now + (MAX_EXPIRY_DAYS + 1) * DAY_MS))).toBeNull()
    const create = { kind: 'point.create', point: 'NEW', name: 'n', decimals: 0, transferable: true } as const
    expect(check({ ...create, expiry: { afterDays: MAX_EXPIRY_DAYS + 1, atMs: 0 } })).toBe(
      StateErrorCode.badExpiryPolicy,
    )
    expect(check(create)).toBeNull()
  })

  it('a fixed date is kept to the millisecond; none turns expiry off but not the lots', () => {
    const { chain, q } = world()
    const r = ok(chain.run(ISSUER, setExpiry(0, midnight(90) + 1)))
    expect(r.events).toEqual([{ type: 'expiryPolicy', point: POINT, afterDays: 0, atMs: midnight(90) + 1 }])
    ok(chain.run(ISSUER, setExpiry(0)))
    expect(q().point(POINT)).toMatchObject({ expiryDays: 0, expiryAtMs: 0, hasLots: true })
  })

  it('a policy change affects only future awards', () => {
    const { chain, lots, at } = world(30)
    const t1 = chain.state.meta.timeMs + 1_000
    ok(at(t1, [[TERMINAL, award(10)]]).receipts[0]!)
    ok(chain.run(ISSUER, setExpiry(10)))
    const t2 = chain.state.meta.timeMs + 1_000
    ok(at(t2, [[TERMINAL, award(5)]]).receipts[0]!)
    expect(lots()).toEqual([
      [expiryAfterDays(t2, 10), 5],
      [expiryAfterDays(t1, 30), 10],
    ])
    ok(chain.run(ISSUER, setExpiry(0)))
    ok(chain.run(TERMINAL, award(7)))
    expect(lots()).toHaveLength(2)
    expect(createLedgerQuery(chain.state).lots(POINT, ALICE)).toMatchObject({ balance: 22, nonExpiring: 7 })
  })

  it('a fixed date mid-day: the lot expires at that instant, the sweep reaches it the next 00:00 JST', () => {
    const { chain, q, lots, at } = world()
    const date = chain.state.meta.timeMs + 5_000
    ok(chain.run(ISSUER, setExpiry(0, date)))
    ok(chain.run(TERMINAL, award(10)))
    expect(lots()).toEqual([[date, 10]])
    // At the instant the points are gone for a query and for any tx (a failed tx writes nothing)...
    const r = at(date, [[ALICE, pay(4)]]).receipts[0]!
    expect(r.error).toBe(StateErrorCode.insufficientBalance)
    expect(q().balance(POINT, ALICE)).toBe(0)
    // ...and the books take them the first time a tx moves the account, before the next 00:00 JST.
    const credited = ok(at(date + 1_000, [[TERMINAL, award(3)]]).receipts[0]!)
    expect(credited.events[0]).toEqual({ type: 'expire', point: POINT, account: ALICE, amount: 10 })
    expect(q().point(POINT)).toMatchObject({ cumExpired: 10 })
    expect(q().balance(POINT, ALICE)).toBe(3)
  })

  it('a fixed date: awards before it expire at it; once it has passed awards never expire', () => {
    const { chain, q, lots, at } = world()
    ok(chain.run(ISSUER, setExpiry(0, midnight(10))))
    ok(chain.run(TERMINAL, award(10)))
    expect(lots()).toEqual([[midnight(10), 10]])
    // After the date: the old lot is expired, and a new award has no expiry.
    const r = at(midnight(10) + 5_000, [[TERMINAL, award(4)]]).receipts[0]!
    expect(ok(r).events.map((e) => e.type)).toEqual(['expire', 'award'])
    expect(lots()).toBeUndefined()
    expect(q().lots(POINT, ALICE)).toMatchObject({ balance: 4, nonExpiring: 4, lots: [] })
    expect(q().point(POINT)).toMatchObject({ expiryAtMs: midnight(10), cumExpired: 10 })
    // Far later, the 4 are still there.
    at(midnight(5_000), [])
    expect(q().balance(POINT, ALICE)).toBe(4)
  })
})

describe('lots: awards make them, debits take the oldest first, the remainder last', () => {
  it('pays oldest expiry first and the non-expiring remainder last', () => {
    const { chain, q, lots, at } = world()
    ok(chain.run(TERMINAL, award(50))) // before any policy: never expires
    ok(chain.run(ISSUER, setExpiry(5)))
    const t1 = chain.state.meta.timeMs + 1_000
    ok(at(t1, [[TERMINAL, award(10)]]).receipts[0]!)
    const t2 = t1 + 3 * DAY_MS
    ok(at(t2, [[TERMINAL, award(20)]]).receipts[0]!)
    const [e1, e2] = [expiryAfterDays(t1, 5), expiryAfterDays(t2, 5)]
    expect(lots()).toEqual([
      [e1, 10],
      [e2, 20],
    ])
    ok(chain.run(ALICE, pay(15)))
    expect(lots()).toEqual([[e2, 15]])
    ok(chain.run(ALICE, pay(40)))
    expect(lots()).toBeUndefined()
    expect(q().lots(POINT, ALICE)).toMatchObject({ balance: 25, nonExpiring: 25, stored: 25 })
  })

  it('a transfer moves lots with their expiry (never refreshed), oldest first', () => {
    const { chain, lots, at } = world(30)
    const t1 = chain.state.meta.timeMs + 1_000
    ok(at(t1, [[TERMINAL, award(10)]]).receipts[0]!)
    const t2 = t1 + 20 * DAY_MS
    ok(at(t2, [[TERMINAL, award(10)]]).receipts[0]!)
    ok(chain.run(ALICE, { kind: 'point.transfer', point: POINT, to: BOB, amount: 15 }))
    expect(lots(BOB)).toEqual([
      [expiryAfterDays(t1, 30), 10],
      [expiryAfterDays(t2, 30), 5],
    ])
    expect(lots(ALICE)).toEqual([[expiryAfterDays(t2, 30), 5]])
    // BOB's first lot expires when ALICE's would have: 30 days after the award, not the transfer.
    at(expiryAfterDays(t1, 30), [])
    expect(createLedgerQuery(chain.state).balance(POINT, BOB)).toBe(5)
  })

  it('traffic rewards make lots too, when their pseudonym claims them', () => {
    const { chain, lots } = world(30)
    const rates = { visit: 3, view: 0, click: 0, purchase: 0, purchasePerMille: 0 }
    ok(
      chain.run(ISSUER, {
        kind: 'traffic.setRules',
        point: POINT,
        confirmed: rates,
        unconfirmed: rates,
        dailyCapPerCustomer: 100,
      }),
    )
    const pseudonym = account(4_242)
    ok(
      chain.run(TERMINAL, {
        kind: 'traffic.record',
        point: POINT,
        events: [{ eventId: 'v1', kind: 'visit', pseudonym, amount: 0, attestation: null }],
      }),
    )
    expect(lots()).toBeUndefined()
    const t = chain.state.meta.timeMs + 1_000
    const r = chain.block(
      [chain.tx(pseudonym, { kind: 'traffic.claim', point: POINT, account: ALICE, amount: 3 })],
      { timeMs: t },
    )
    ok(r.receipts[0]!)
    expect(lots()).toEqual([[expiryAfterDays(t, 30), 3]])
  })

  it('the lot bound: at most MAX_LOTS, merged in the customer’s favour, no award refused', () => {
    const { chain, q, lots } = world()
    const now = chain.state.meta.timeMs
    const n = MAX_LOTS + 40
    // One block: a new fixed date each time, then an award under it: n distinct expiries.
    const txs = []
    for (let k = 1; k <= n; k++) {
      txs.push(chain.tx(ISSUER, setExpiry(0, jstDayStartMs(jstDayOf(now) + k))))
      txs.push(chain.tx(TERMINAL, award(1)))
    }
    const r = chain.block(txs, { timeMs: now + 1_000 })
    expect(r.receipts.every((x) => x.status === 'ok')).toBe(true)
    const held = lots()!
    expect(held).toHaveLength(MAX_LOTS)
    expect(q().balance(POINT, ALICE)).toBe(n)
    // By any day, no more has expired than the policy asked for by then.
    for (let k = 1; k <= n + 1; k++) {
      const day = jstDayStartMs(jstDayOf(now) + k)
      const expired = held.filter(([e]) => e <= day).reduce((s, [, a]) => s + a, 0)
      expect(expired).toBeLessThanOrEqual(k)
    }
  })
})

describe('expiry: lazily on touch, at the boundary instant', () => {
  it('usable a millisecond before the instant; expired at it, reported in the touching tx', () => {
    const { chain, q, lots, at, stored } = world(10)
    const t = chain.state.meta.timeMs + 1_000
    ok(at(t, [[TERMINAL, award(30)]]).receipts[0]!)
    const e = expiryAfterDays(t, 10)
    expect(lots()).toEqual([[e, 30]])
    // Just before: spendable.
    ok(at(e - 1, [[ALICE, pay(1)]]).receipts[0]!)
    expect(q().balance(POINT, ALICE)).toBe(29)
    // At the instant: gone.
    const before = q().point(POINT)!
    const r = at(e, [[ALICE, pay(1)]])
    expect(r.receipts[0]!.error).toBe(StateErrorCode.insufficientBalance)
    // The sweep at the end of that block took them.
    expect(r.blockEvents).toContainEqual({ type: 'expire', point: POINT, account: ALICE, amount: 29 })
    expect(stored()).toBe(0)
    expect(q().point(POINT)).toMatchObject({
      totalSupply: before.totalSupply - 29,
      cumExpired: 29,
    })
    expectBooks(chain, [ALICE])
  })

  it('an award to an account with expired lots expires them first, in the same receipt', () => {
    const { chain, q, at } = world(10)
    const t = chain.state.meta.timeMs + 1_000
    ok(at(t, [[TERMINAL, award(30)]]).receipts[0]!)
    const e = expiryAfterDays(t, 10)
    const r = ok(at(e + 1, [[TERMINAL, award(5)]]).receipts[0]!)
    expect(r.events.slice(0, 2)).toMatchObject([
      { type: 'expire', account: ALICE, amount: 30 },
      { type: 'award', amount: 5 },
    ])
    expect(q().lots(POINT, ALICE)).toMatchObject({ balance: 5, stored: 5 })
    expectBooks(chain, [ALICE])
  })

  it('a customer whose points expired may become a merchant (expired points are no balance)', () => {
    const { chain, at } = world(10)
    const t = chain.state.meta.timeMs + 1_000
    ok(at(t, [[TERMINAL, award(30)]]).receipts[0]!)
    expect(chain.run(ALICE, { kind: 'merchant.apply', point: POINT, name: 'x' }).error).toBe(
      StateErrorCode.roleConflict,
    )
    const r = at(expiryAfterDays(t, 10), [[ALICE, { kind: 'merchant.apply', point: POINT, name: 'x' }]])
    expect(ok(r.receipts[0]!).events.map((e) => e.type)).toEqual(['expire', 'merchantStatus'])
    expectBooks(chain, [ALICE])
  })

  it('a credit with an expiry already past never enters the balance', () => {
    const { chain } = world(10)
    const ws = new WorkingSet(chain.state.map)
    const events: LedgerEvent[] = []
    const ctx = { ws, timeMs: chain.state.meta.timeMs, events }
    creditCustomer(ctx, POINT, keyId(ALICE), 7, ctx.timeMs - DAY_MS)
    creditCustomer(ctx, POINT, keyId(ALICE), 3, ctx.timeMs + DAY_MS)
    expect(events).toEqual([{ type: 'expire', point: POINT, account: ALICE, amount: 7 }])
    expect(ws.get(Keys.balance(POINT, keyId(ALICE)), uintCodec)).toBe(3)
  })
})

describe('the sweep: bounded per block, over a cursor of expiry days', () => {
  it('expires idle accounts, cleans its queues, and keeps the books', () => {
    const { chain, q, at, stored } = world(3)
    const customers = [ALICE, BOB, account(202)]
    const t = chain.state.meta.timeMs + 1_000
    at(
      t,
      customers.map((c, i) => [TERMINAL, award(10 + i, c)]),
    )
    const e = expiryAfterDays(t, 3)
    const day = jstDayOf(e)
    expect(readRecord(chain.state.map, Keys.expiryQueueLength(day), uintCodec)).toBe(3)
    const r = at(e, [])
    expect(
      r.blockEvents.filter((x) => x.type === 'expire').map((x) => (x as { amount: number }).amount),
    ).toEqual([10, 11, 12])
    for (const c of customers) expect(stored(c)).toBe(0)
    expect(readRecord(chain.state.map, Keys.expiryQueueLength(day), uintCodec)).toBeUndefined()
    expect(readRecord(chain.state.map, Keys.expiryQueueEntry(day, 0), uintCodec)).toBeUndefined()
    expect(q().point(POINT)!.cumExpired).toBe(33)
    expectBooks(chain, customers)
  })

  it('takes at most MAX_SWEEP_STEPS_PER_BLOCK steps, entries and empty days alike, over a long idle gap', () => {
    const { chain, at, stored } = world(1)
    const n = MAX_SWEEP_STEPS_PER_BLOCK + 50
    const customers = Array.from({ length: n }, (_, i) => account(1_000 + i))
    const t = chain.state.meta.timeMs + 1_000
    at(
      t,
      customers.map((c) => [TERMINAL, award(1, c)]),
    )
    const cursor = () => readRecord(chain.state.map, Keys.expirySweep, expirySweepCodec)!
    const start = cursor()
    // Two years later, in one block: the sweep walks days and entries, never more than its bound.
    const gap = 730
    const late = t + gap * DAY_MS
    let blocks = 0
    let swept = 0
    for (; cursor().day <= jstDayOf(late) && blocks < 20; blocks++) {
      const r = at(late + blocks * 1_000, [])
      const expired = r.blockEvents.filter((x) => x.type === 'expire').length
      expect(expired).toBeLessThanOrEqual(MAX_SWEEP_STEPS_PER_BLOCK)
      swept += expired
      expectBooks(chain, customers)
      if (blocks === 0) {
        // Mid-sweep: an account not reached yet still stores its point, but nobody can see or spend it.
        const last = customers.at(-1)!
        expect(stored(last)).toBe(1)
        const q = createLedgerQuery(chain.state)
        expect(q.balance(POINT, last)).toBe(0)
        expect(q.lots(POINT, last)).toEqual({
          balance: 0,
          stored: 1,
          expiredUnswept: 1,
          nonExpiring: 0,
          lots: [],
        })
      }
    }
    expect(swept).toBe(n)
    // One step per day from the cursor's start to the late block's day, one per entry, at the bound per block.
    const steps = jstDayOf(late) - start.day + 1 + n
    expect(blocks).toBe(Math.ceil(steps / MAX_SWEEP_STEPS_PER_BLOCK))
    for (const c of customers) expect(stored(c)).toBe(0)
  })

  it('a point without a policy writes no lot, no queue and no cursor', () => {
    const { chain } = world()
    const result = chain.block([chain.tx(TERMINAL, award(10)), chain.tx(ALICE, pay(3))])
    const written = result.writes.map(([k]) => String.fromCharCode(...k.subarray(0, 4)))
    expect(written.some((k) => /^(lot|exn|exq|exs)/.test(k))).toBe(false)
    expect(readRecord(chain.state.map, Keys.expirySweep, expirySweepCodec)).toBeUndefined()
  })
})
