/**
 * Refunds and cancelled awards (refunds.ts): every rule and its boundary, with the books after each.
 */
import { describe, expect, it } from 'vitest'
import type { Bytes } from '../protocol/bytes.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import { StateErrorCode } from './errors.ts'
import { DAY_MS } from './expiry-lots.ts'
import { createLedgerQuery } from './query.ts'
import type { EventOf, Receipt } from './receipt.ts'
import { giveBack, MAX_REFUND_WINDOW_MS } from './refunds.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const OTHER = account(110)
const CUSTOMER = account(200)
const HOUR = 3_600_000

function world(windowMs = HOUR) {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000, [TERMINAL])
  setupMerchant(chain, OTHER, 1_000)
  ok(chain.run(ISSUER, { kind: 'point.setRefundWindow', point: POINT, windowMs }))
  const q = () => createLedgerQuery(chain.state)
  const run = (signer: Bytes, body: TxBody, timeMs?: number): Receipt =>
    chain.block([chain.tx(signer, body)], timeMs === undefined ? {} : { timeMs }).receipts[0] as Receipt
  const books = () => {
    const p = q().point(POINT)
    const m = q().merchant(POINT, MERCHANT)
    const o = q().merchant(POINT, OTHER)
    if (p === null || m === null || o === null) throw new Error('missing')
    const left = q().balance(POINT, CUSTOMER) + m.float - m.liability + o.float - o.liability
    return { left, right: p.cumRepaid - p.cumRedeemed - p.cumExpired, m, p }
  }
  return { chain, q, run, books }
}

function ok(r: Receipt): Receipt {
  if (r.status !== 'ok') throw new Error(`failed: ${r.error}`)
  return r
}

/** The customer gets 100 on MERCHANT's credit, then pays MERCHANT's terminal 60 (clearing 60). */
function paid(windowMs = HOUR) {
  const w = world(windowMs)
  ok(w.run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: CUSTOMER, amount: 100, memo: '' }))
  const pay = ok(
    w.run(CUSTOMER, { kind: 'merchant.pay', point: POINT, payee: TERMINAL, amount: 60, memo: '' }),
  )
  return { ...w, payment: pay.txHash }
}

describe('refunds', () => {
  it('gives part of a payment back, as an award is given, and never more than the payment', () => {
    const w = paid()
    expect(w.books().m.liability).toBe(40)
    const r = ok(
      w.run(TERMINAL, { kind: 'merchant.refund', point: POINT, payment: w.payment, amount: 25, memo: '' }),
    )
    const e = r.events.find((x) => x.type === 'refund') as EventOf<'refund'>
    expect(e).toMatchObject({ amount: 25, fromFloat: 0, onCredit: 25 })
    expect(w.q().balance(POINT, CUSTOMER)).toBe(65)
    expect(w.books().m.liability).toBe(65)
    expect(w.q().refundablePayment(POINT, w.payment)).toMatchObject({ amount: 60, refunded: 25 })
    const b = w.books()
    expect(b.left).toBe(b.right)
    const over = w.run(MERCHANT, {
      kind: 'merchant.refund',
      point: POINT,
      payment: w.payment,
      amount: 36,
      memo: '',
    })
    expect(over.error).toBe(StateErrorCode.refundExceedsPayment)
    ok(w.run(MERCHANT, { kind: 'merchant.refund', point: POINT, payment: w.payment, amount: 35, memo: '' }))
    expect(w.q().balance(POINT, CUSTOMER)).toBe(100)
    const again = w.run(MERCHANT, {
      kind: 'merchant.refund',
      point: POINT,
      payment: w.payment,
      amount: 1,
      memo: '',
    })
    expect(again.error).toBe(StateErrorCode.refundExceedsPayment)
  })

  it('takes the float first, then credit within the limit', () => {
    const w = paid()
    ok(w.run(ISSUER, { kind: 'merchant.repay', point: POINT, merchant: MERCHANT, amount: 50, fiatRef: 'f' }))
    expect(w.books().m).toMatchObject({ liability: 0, float: 10 })
    const r = ok(
      w.run(TERMINAL, { kind: 'merchant.refund', point: POINT, payment: w.payment, amount: 30, memo: '' }),
    )
    expect(r.events.find((x) => x.type === 'refund')).toMatchObject({ fromFloat: 10, onCredit: 20 })
    ok(w.run(ISSUER, { kind: 'merchant.setLimit', point: POINT, merchant: MERCHANT, creditLimit: 20 }))
    const r2 = w.run(TERMINAL, {
      kind: 'merchant.refund',
      point: POINT,
      payment: w.payment,
      amount: 1,
      memo: '',
    })
    expect(r2.error).toBe(StateErrorCode.creditLimitExceeded)
  })

  it('refuses another merchant, a customer, a closed window and an unknown payment', () => {
    const w = paid()
    const body = { kind: 'merchant.refund', point: POINT, payment: w.payment, amount: 1, memo: '' } as const
    expect(w.run(OTHER, body).error).toBe(StateErrorCode.notPaymentMerchant)
    expect(w.run(CUSTOMER, body).error).toBe(StateErrorCode.notTerminal)
    expect(w.run(MERCHANT, { ...body, payment: new Uint8Array(32) }).error).toBe(
      StateErrorCode.unknownPayment,
    )
    expect(w.run(MERCHANT, { ...body, amount: 0 }).error).toBe(StateErrorCode.zeroAmount)
    const until = w.q().refundablePayment(POINT, w.payment)?.refundableUntilMs as number
    ok(w.run(MERCHANT, body, until))
    expect(w.run(MERCHANT, body, until + 1).error).toBe(StateErrorCode.refundWindowOver)
  })

  it('keeps no record without a window, and a window change never touches past payments', () => {
    const w = paid(0)
    expect(w.q().refundablePayment(POINT, w.payment)).toBeNull()
    const r = w.run(MERCHANT, {
      kind: 'merchant.refund',
      point: POINT,
      payment: w.payment,
      amount: 1,
      memo: '',
    })
    expect(r.error).toBe(StateErrorCode.unknownPayment)
    const w2 = paid(HOUR)
    const until = w2.q().refundablePayment(POINT, w2.payment)?.refundableUntilMs
    ok(w2.run(ISSUER, { kind: 'point.setRefundWindow', point: POINT, windowMs: 10 * HOUR }))
    expect(w2.q().refundablePayment(POINT, w2.payment)?.refundableUntilMs).toBe(until)
  })

  it('bounds the window and keeps it the manager’s', () => {
    const w = world()
    const body = { kind: 'point.setRefundWindow', point: POINT, windowMs: MAX_REFUND_WINDOW_MS } as const
    ok(w.run(ISSUER, body))
    expect(w.run(ISSUER, { ...body, windowMs: MAX_REFUND_WINDOW_MS + 1 }).error).toBe(
      StateErrorCode.badRefundWindow,
    )
    expect(w.run(MERCHANT, body).error).toBe(StateErrorCode.notManager)
  })

  it('prunes records once their window is over, with bounded work', () => {
    const w = paid()
    expect(w.q().refundablePayment(POINT, w.payment)).not.toBeNull()
    // Two days on: the day after the deadline's has begun, so the sweep deletes the record.
    w.chain.block([], { timeMs: w.chain.state.meta.timeMs + 2 * DAY_MS })
    w.chain.block([])
    expect(w.q().refundablePayment(POINT, w.payment)).toBeNull()
  })
})

describe('cancelled awards', () => {
  it('takes a whole award back as a payment is, once, while the customer holds it', () => {
    const w = world()
    const award = ok(
      w.run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: CUSTOMER, amount: 80, memo: '' }),
    ).txHash
    expect(w.books().m.liability).toBe(80)
    const r = ok(w.run(MERCHANT, { kind: 'merchant.cancelAward', point: POINT, award, memo: 'typo' }))
    expect(r.events.find((x) => x.type === 'awardCancelled')).toMatchObject({
      amount: 80,
      liabilityCleared: 80,
      toFloat: 0,
    })
    expect(w.q().balance(POINT, CUSTOMER)).toBe(0)
    expect(w.books().m.liability).toBe(0)
    expect(w.books().p.totalSupply).toBe(0)
    expect(w.run(MERCHANT, { kind: 'merchant.cancelAward', point: POINT, award, memo: '' }).error).toBe(
      StateErrorCode.awardCancelled,
    )
  })

  it('refuses when the customer spent the points, and for another merchant', () => {
    const w = world()
    const award = ok(
      w.run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: CUSTOMER, amount: 80, memo: '' }),
    ).txHash
    expect(w.run(OTHER, { kind: 'merchant.cancelAward', point: POINT, award, memo: '' }).error).toBe(
      StateErrorCode.notPaymentMerchant,
    )
    ok(w.run(CUSTOMER, { kind: 'merchant.pay', point: POINT, payee: OTHER, amount: 30, memo: '' }))
    expect(w.run(MERCHANT, { kind: 'merchant.cancelAward', point: POINT, award, memo: '' }).error).toBe(
      StateErrorCode.insufficientBalance,
    )
    const b = w.books()
    expect(b.left).toBe(b.right)
  })
})

describe('giveBack', () => {
  it('returns the non-expiring part first, then the latest expiry', () => {
    const held = {
      lots: [
        [10, 5],
        [20, 7],
      ] as const,
      nonExpiring: 3,
    }
    expect(giveBack(held, 2)).toEqual({
      back: { lots: [], nonExpiring: 2 },
      left: { lots: held.lots, nonExpiring: 1 },
    })
    expect(giveBack(held, 12)).toEqual({
      back: {
        lots: [
          [10, 2],
          [20, 7],
        ],
        nonExpiring: 3,
      },
      left: { lots: [[10, 3]], nonExpiring: 0 },
    })
  })
})
