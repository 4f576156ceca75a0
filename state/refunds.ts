/**
 * Refunds and cancelled awards (issue 15): a shop gives a payment back, all or in part, and takes back
 * an award made in error, within a window the point's manager sets (point.setRefundWindow).
 *
 * Rule (records): while a point's refund window is above 0, every merchant.pay and device.pay leaves
 * a refundable-payment record under its tx hash, and every merchant.award a cancellable-award record,
 * each with its deadline (the tx's block time + the window in force then: a later change of the window
 * never reopens or shortens what was paid). With the window at 0 (the default) nothing is recorded and
 * a payment costs what it did. Offline purse vouchers and traffic rewards are not refundable this way.
 * Rule (refund): the merchant paid, or one of its terminals, refunds `amount` of a payment while the
 * block time ≤ its deadline; the refunds of one payment never sum above it. The points go back to the
 * payer with the expiries they left with (the non-expiring part first, then the latest expiry: the
 * reverse of how a payment takes them; what has expired meanwhile expires at once), and the merchant
 * gives them as it gives an award: float first, then credit within its limit (merchant-books.ts). So a
 * refund reverses the payment's effect on the books: Σ balances + Σ (float − liability) is unchanged.
 * Rule (cancel): the merchant that awarded, or one of its terminals, cancels the whole award while the
 * block time ≤ its deadline, once, provided the customer still holds the points (its oldest first, as
 * any debit); they come back as a payment does: liability first, then float. A campaign bonus the
 * award earned stays with the customer (the budget paid it, not the award).
 * Rule (pruning): each record is queued under the JST day its deadline falls on; a bounded sweep at the
 * end of every block (at most MAX_REFUND_SWEEP_STEPS) deletes the records whose deadline has passed,
 * so refund records cost state only for the window's length.
 */
import type { Bytes } from '../protocol/bytes.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { add, jstDayOf, requirePositive } from './amounts.ts'
import {
  actingMerchant,
  getMerchant,
  getPoint,
  hex,
  isMerchantSide,
  putPoint,
  requireActive,
  requireManager,
  type TxContext,
} from './context.ts'
import { creditTaken, debitCustomer, type Taken } from './customer-balance.ts'
import { fail, StateErrorCode } from './errors.ts'
import { DAY_MS } from './expiry-lots.ts'
import { Keys, keyId } from './keys.ts'
import { chargeMerchant, creditMerchant } from './merchant-books.ts'
import {
  type CancellableAwardRecord,
  cancellableAwardCodec,
  type Lots,
  type RefundablePaymentRecord,
  refundablePaymentCodec,
  refundQueueEntryCodec,
  expirySweepCodec as sweepCursorCodec,
  uintCodec,
} from './records.ts'
import type { WorkingSet } from './working-set.ts'

/** The longest refund window a point may have: a year and a day. */
export const MAX_REFUND_WINDOW_MS = 366 * DAY_MS

/** Most pruning steps per block (queue entries or days passed over), as the expiry sweep's. */
export const MAX_REFUND_SWEEP_STEPS = 256

export function pointSetRefundWindow(ctx: TxContext, body: TxBodyOf<'point.setRefundWindow'>): void {
  // Rule: only the manager sets it; it applies to payments and awards from this tx on.
  const p = requireManager(ctx, body.point)
  if (body.windowMs > MAX_REFUND_WINDOW_MS) {
    fail(StateErrorCode.badRefundWindow, 'refund window above a year and a day', {
      windowMs: body.windowMs,
      max: MAX_REFUND_WINDOW_MS,
    })
  }
  putPoint(ctx.ws, body.point, { ...p, refundWindowMs: body.windowMs })
  ctx.events.push({ type: 'refundWindow', point: body.point, windowMs: body.windowMs })
}

/** Queues a record for pruning on the JST day its deadline falls on (see the header). */
function enqueue(ctx: TxContext, point: string, record: 'payment' | 'award', deadlineMs: number): void {
  // The day after the deadline's: the sweep walks a day only once it has begun, so it prunes a record
  // only once its deadline has passed.
  const day = jstDayOf(deadlineMs) + 1
  const lengthKey = Keys.refundQueueLength(day)
  const length = ctx.ws.get(lengthKey, uintCodec) ?? 0
  ctx.ws.put(Keys.refundQueueEntry(day, length), refundQueueEntryCodec, {
    point,
    record,
    txHash: ctx.txHash,
  })
  ctx.ws.put(lengthKey, uintCodec, length + 1)
  if (ctx.ws.get(Keys.refundSweep, sweepCursorCodec) === undefined)
    ctx.ws.put(Keys.refundSweep, sweepCursorCodec, { day: jstDayOf(ctx.timeMs), seq: 0 })
}

/** Called by merchant.pay and device.pay after the payment: keeps it refundable (see the header). */
export function recordPayment(
  ctx: TxContext,
  point: string,
  merchant: Bytes,
  payer: Bytes,
  amount: number,
  taken: Taken,
): void {
  const windowMs = getPoint(ctx.ws, point).refundWindowMs
  if (windowMs === 0) return
  const refundableUntilMs = ctx.timeMs + windowMs
  ctx.ws.put(Keys.refundablePayment(point, ctx.txHashId), refundablePaymentCodec, {
    merchant,
    payer,
    amount,
    refunded: 0,
    refundableUntilMs,
    lots: taken.lots,
    nonExpiring: taken.nonExpiring,
  })
  enqueue(ctx, point, 'payment', refundableUntilMs)
}

/** Called by merchant.award after the award: keeps it cancellable (see the header). */
export function recordAward(
  ctx: TxContext,
  point: string,
  merchant: Bytes,
  customer: Bytes,
  amount: number,
): void {
  const windowMs = getPoint(ctx.ws, point).refundWindowMs
  if (windowMs === 0) return
  const cancellableUntilMs = ctx.timeMs + windowMs
  ctx.ws.put(Keys.cancellableAward(point, ctx.txHashId), cancellableAwardCodec, {
    merchant,
    customer,
    amount,
    cancellableUntilMs,
    cancelled: false,
  })
  enqueue(ctx, point, 'award', cancellableUntilMs)
}

/**
 * Splits `amount` off what a payment still holds for refunds: the non-expiring part first, then the
 * lots latest expiry first. Returns what goes back and what stays.
 */
export function giveBack(
  held: { lots: Lots; nonExpiring: number },
  amount: number,
): { back: Taken; left: { lots: Lots; nonExpiring: number } } {
  const fromNonExpiring = Math.min(held.nonExpiring, amount)
  let rest = amount - fromNonExpiring
  const left = [...held.lots]
  const back: [number, number][] = []
  while (rest > 0 && left.length > 0) {
    const [at, lot] = left[left.length - 1] as readonly [number, number]
    const part = Math.min(lot, rest)
    back.unshift([at, part])
    rest -= part
    if (part === lot) left.pop()
    else left[left.length - 1] = [at, lot - part]
  }
  return {
    back: { lots: back, nonExpiring: fromNonExpiring },
    left: { lots: left, nonExpiring: held.nonExpiring - fromNonExpiring },
  }
}

/** The signer's merchant (itself or as its terminal), active, and the one named by the record. */
function refundingMerchant(ctx: TxContext, point: string, recorded: Bytes) {
  const merchant = actingMerchant(ctx, point)
  if (merchant.id !== keyId(recorded))
    fail(StateErrorCode.notPaymentMerchant, 'the payment or award is another merchant’s')
  const record = getMerchant(ctx.ws, point, merchant.id)
  requireActive(record)
  return { ...merchant, record }
}

export function merchantRefund(ctx: TxContext, body: TxBodyOf<'merchant.refund'>): void {
  getPoint(ctx.ws, body.point)
  requirePositive(body.amount)
  const key = Keys.refundablePayment(body.point, hex(body.payment))
  const payment =
    ctx.ws.get(key, refundablePaymentCodec) ??
    fail(StateErrorCode.unknownPayment, 'no refundable payment with this tx hash')
  const merchant = refundingMerchant(ctx, body.point, payment.merchant)
  if (ctx.timeMs > payment.refundableUntilMs)
    fail(StateErrorCode.refundWindowOver, 'the refund window of this payment is over', {
      refundableUntilMs: payment.refundableUntilMs,
    })
  const refunded = add(payment.refunded, body.amount)
  if (refunded > payment.amount) {
    fail(StateErrorCode.refundExceedsPayment, 'refunds would pass the payment', {
      amount: payment.amount,
      refunded: payment.refunded,
    })
  }
  // The payer stays a customer: a key that became merchant-side since holds no customer balance.
  const payerId = keyId(payment.payer)
  if (isMerchantSide(ctx.ws, body.point, payerId))
    fail(StateErrorCode.roleConflict, 'the payer is now a merchant or terminal')
  const { fromFloat, onCredit } = chargeMerchant(ctx, body.point, merchant, body.amount)
  const { back, left } = giveBack(payment, body.amount)
  creditTaken(ctx, body.point, payerId, back)
  ctx.ws.put(key, refundablePaymentCodec, { ...payment, refunded, ...left })
  ctx.events.push({
    type: 'refund',
    point: body.point,
    merchant: merchant.address,
    terminal: ctx.signer,
    customer: payment.payer,
    payment: body.payment,
    amount: body.amount,
    fromFloat,
    onCredit,
  })
}

export function merchantCancelAward(ctx: TxContext, body: TxBodyOf<'merchant.cancelAward'>): void {
  getPoint(ctx.ws, body.point)
  const key = Keys.cancellableAward(body.point, hex(body.award))
  const award: CancellableAwardRecord =
    ctx.ws.get(key, cancellableAwardCodec) ??
    fail(StateErrorCode.unknownAward, 'no cancellable award with this tx hash')
  const merchant = refundingMerchant(ctx, body.point, award.merchant)
  if (award.cancelled) fail(StateErrorCode.awardCancelled, 'the award is already cancelled')
  if (ctx.timeMs > award.cancellableUntilMs)
    fail(StateErrorCode.refundWindowOver, 'the cancellation window of this award is over', {
      cancellableUntilMs: award.cancellableUntilMs,
    })
  // Fails with STATE_INSUFFICIENT_BALANCE when the customer no longer holds the points.
  debitCustomer(ctx, body.point, keyId(award.customer), award.amount)
  const { liabilityCleared, toFloat } = creditMerchant(ctx, body.point, merchant, award.amount)
  ctx.ws.put(key, cancellableAwardCodec, { ...award, cancelled: true })
  ctx.events.push({
    type: 'awardCancelled',
    point: body.point,
    merchant: merchant.address,
    terminal: ctx.signer,
    customer: award.customer,
    award: body.award,
    amount: award.amount,
    liabilityCleared,
    toFloat,
  })
}

/**
 * Prunes refund records whose window is over (see the header): a bounded walk over the queue days
 * that have begun. Returns the steps taken. Deleting a record is all it does, so it cannot fail.
 */
export function sweepRefundRecords(ws: WorkingSet, timeMs: number): number {
  const cursor = ws.get(Keys.refundSweep, sweepCursorCodec)
  if (cursor === undefined) return 0
  const today = jstDayOf(timeMs)
  let { day, seq } = cursor
  let steps = 0
  while (steps < MAX_REFUND_SWEEP_STEPS && day <= today) {
    steps++
    const lengthKey = Keys.refundQueueLength(day)
    const length = ws.get(lengthKey, uintCodec) ?? 0
    if (seq >= length) {
      if (length > 0) ws.delete(lengthKey, uintCodec)
      day++
      seq = 0
      continue
    }
    const entryKey = Keys.refundQueueEntry(day, seq)
    const entry = ws.get(entryKey, refundQueueEntryCodec)
    ws.delete(entryKey, refundQueueEntryCodec)
    seq++
    if (entry === undefined) continue
    const hashId = keyId(entry.txHash)
    if (entry.record === 'payment') {
      ws.delete(Keys.refundablePayment(entry.point, hashId), refundablePaymentCodec)
    } else {
      ws.delete(Keys.cancellableAward(entry.point, hashId), cancellableAwardCodec)
    }
  }
  if (steps > 0) ws.put(Keys.refundSweep, sweepCursorCodec, { day, seq })
  return steps
}

/** What a query shows of a refundable payment: the record and what may still be refunded. */
export function refundableOf(record: RefundablePaymentRecord): number {
  return record.amount - record.refunded
}
