/**
 * Every change of a customer's balance goes through this pair: `creditCustomer` (points in, with an
 * expiry or none) and `debitCustomer` (points out, oldest expiry first). Awards, payments, transfers
 * and anything later (refunds crediting a customer, a purse locking and returning points) use them,
 * so lots, lazy expiry and the sweep's queues stay right whatever moves the points.
 *
 * The balance record (Keys.balance) stays the sum. A point that never had an expiry policy
 * (`hasLots` false) holds no lots: credit and debit are one read and one write of the sum, as before.
 * Otherwise the account's lots (Keys.lots) hold the expiring part; the rest never expires.
 *
 * Rule (lazy expiry): before any credit or debit of an account, its lots expired at the block's time
 * (expiry ≤ timeMs) leave the balance: burned from totalSupply, added to the point's cumExpired, and
 * reported by an `expire` event in the running tx's receipt. Spendable is what is left.
 * Rule (oldest first): a debit takes the lots in expiry order, then the non-expiring part, last.
 * Rule (queues): each new lot expiry an account gets appends one entry to that day's queue, which the
 * sweep (expiry-sweep.ts) walks once the day has come, so expired points leave even an idle account.
 *
 * Both functions may rewrite the point record (lazy expiry): read the PointRecord you will write back
 * AFTER calling them (the working set hands back the latest value).
 */
import { add, jstDayOf, sub } from './amounts.ts'
import { balanceOf, getPoint, putPoint, setBalance } from './context.ts'
import { StateErrorCode } from './errors.ts'
import { addLot, ceilToJstDay, expiredPrefix, NO_LOTS, takeOldestFirst } from './expiry-lots.ts'
import { Keys, keyBytes } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import { expiryQueueEntryCodec, expirySweepCodec, type Lots, lotsCodec, uintCodec } from './records.ts'
import type { WorkingSet } from './working-set.ts'

/** What balance changes need: a tx's context satisfies it, and so does the block's sweep. */
export interface BalanceContext {
  readonly ws: WorkingSet
  /** The block's time: what is expired is decided against it. */
  readonly timeMs: number
  /** Where `expire` events go (the tx's receipt, or the block's events). */
  readonly events: LedgerEvent[]
}

/** Points a debit took: the lots with their expiries, oldest first, and the non-expiring part. */
export interface Taken {
  readonly lots: Lots
  readonly nonExpiring: number
}

function putLots(ws: WorkingSet, point: string, accountId: string, lots: Lots): void {
  const key = Keys.lots(point, accountId)
  if (lots.length === 0) ws.delete(key, lotsCodec)
  else ws.put(key, lotsCodec, lots)
}

/** The account's lots after lazy expiry (see the header); for a point with `hasLots`. */
function liveLots(ctx: BalanceContext, point: string, accountId: string): Lots {
  const lots = ctx.ws.get(Keys.lots(point, accountId), lotsCodec) ?? NO_LOTS
  const due = expiredPrefix(lots, ctx.timeMs)
  if (due.count === 0) return lots
  const live = lots.slice(due.count)
  putLots(ctx.ws, point, accountId, live)
  // Σ lots ≤ balance always, so this never goes below zero.
  setBalance(ctx.ws, point, accountId, balanceOf(ctx.ws, point, accountId) - due.amount)
  burnExpired(ctx, point, accountId, due.amount)
  return live
}

/** Expired points leave the books: burned from totalSupply, into cumExpired, with their event. */
function burnExpired(ctx: BalanceContext, point: string, accountId: string, amount: number): void {
  const p = getPoint(ctx.ws, point)
  putPoint(ctx.ws, point, {
    ...p,
    totalSupply: p.totalSupply - amount,
    cumExpired: add(p.cumExpired, amount),
  })
  ctx.events.push({ type: 'expire', point, account: keyBytes(accountId), amount })
}

/**
 * Lazy expiry alone (see the header): what a tx that is about to look at an account's balance without
 * moving it calls first (merchant.apply refuses a key that holds a balance). Returns the amount expired.
 */
export function expireDue(ctx: BalanceContext, point: string, accountId: string): number {
  if (!getPoint(ctx.ws, point).hasLots) return 0
  const before = balanceOf(ctx.ws, point, accountId)
  liveLots(ctx, point, accountId)
  return before - balanceOf(ctx.ws, point, accountId)
}

/** Appends the account to the queue of the day its new lot expires (see the header). */
function enqueue(ctx: BalanceContext, point: string, accountId: string, expiresAtMs: number): void {
  const day = jstDayOf(expiresAtMs)
  const lengthKey = Keys.expiryQueueLength(day)
  const length = ctx.ws.get(lengthKey, uintCodec) ?? 0
  ctx.ws.put(Keys.expiryQueueEntry(day, length), expiryQueueEntryCodec, {
    point,
    account: keyBytes(accountId),
  })
  ctx.ws.put(lengthKey, uintCodec, length + 1)
  // The first lot ever starts the sweep at today: every lot expires on a later day.
  if (ctx.ws.get(Keys.expirySweep, expirySweepCodec) === undefined)
    ctx.ws.put(Keys.expirySweep, expirySweepCodec, { day: jstDayOf(ctx.timeMs), seq: 0 })
}

/**
 * Credits `amount` to a customer's balance: expiring at `expiresAtMs` (rounded up to 00:00 JST), or
 * never with null. Use `awardExpiryOf` (expiry-policy.ts) for what a new award gets. An expiry not
 * after the block's time credits points that expire at once (an `expire` event reports them).
 */
export function creditCustomer(
  ctx: BalanceContext,
  point: string,
  accountId: string,
  amount: number,
  expiresAtMs: number | null,
): void {
  creditTaken(
    ctx,
    point,
    accountId,
    expiresAtMs === null
      ? { lots: NO_LOTS, nonExpiring: amount }
      : { lots: [[expiresAtMs, amount]], nonExpiring: 0 },
  )
}

/**
 * Credits what a debit took, each lot with its own expiry (a transfer: lots move with their expiry,
 * so a transfer never refreshes it). Expiries are rounded up to 00:00 JST (a debit's already are).
 */
export function creditTaken(ctx: BalanceContext, point: string, accountId: string, taken: Taken): void {
  const p = getPoint(ctx.ws, point)
  let total = taken.nonExpiring
  for (const [, amount] of taken.lots) total = add(total, amount)
  if (!p.hasLots && taken.lots.length === 0) {
    setBalance(ctx.ws, point, accountId, add(balanceOf(ctx.ws, point, accountId), total))
    return
  }
  // A credit with an expiry to a point without lots (a caller's explicit expiry) turns them on.
  if (!p.hasLots) putPoint(ctx.ws, point, { ...p, hasLots: true })
  let lots = liveLots(ctx, point, accountId)
  let changed = false
  // Points that arrive already expired never enter the balance: they leave at once (and get no queue
  // entry: the sweep may have passed their day).
  let expiredOnArrival = 0
  for (const [at, amount] of taken.lots) {
    if (amount <= 0) continue
    const expiresAtMs = ceilToJstDay(at)
    if (expiresAtMs <= ctx.timeMs) {
      expiredOnArrival += amount
      continue
    }
    const added = addLot(lots, expiresAtMs, amount)
    lots = added.lots
    changed = true
    if (added.newExpiry !== null) enqueue(ctx, point, accountId, added.newExpiry)
  }
  if (changed) putLots(ctx.ws, point, accountId, lots)
  setBalance(ctx.ws, point, accountId, add(balanceOf(ctx.ws, point, accountId), total - expiredOnArrival))
  if (expiredOnArrival > 0) burnExpired(ctx, point, accountId, expiredOnArrival)
}

/**
 * Debits `amount` from a customer's balance (STATE_INSUFFICIENT_BALANCE when what is left after lazy
 * expiry is short): lots oldest expiry first, then the non-expiring part. Returns what it took.
 */
export function debitCustomer(ctx: BalanceContext, point: string, accountId: string, amount: number): Taken {
  const p = getPoint(ctx.ws, point)
  if (!p.hasLots) {
    const balance = sub(
      balanceOf(ctx.ws, point, accountId),
      amount,
      StateErrorCode.insufficientBalance,
      'balance',
    )
    setBalance(ctx.ws, point, accountId, balance)
    return { lots: NO_LOTS, nonExpiring: amount }
  }
  const lots = liveLots(ctx, point, accountId)
  const balance = sub(
    balanceOf(ctx.ws, point, accountId),
    amount,
    StateErrorCode.insufficientBalance,
    'balance',
  )
  const took = takeOldestFirst(lots, amount)
  setBalance(ctx.ws, point, accountId, balance)
  if (took.fromLots > 0) putLots(ctx.ws, point, accountId, took.lots)
  return { lots: took.taken, nonExpiring: amount - took.fromLots }
}

/**
 * A customer's balance as it stands at `timeMs`: the stored sum less its lots already expired but not
 * yet swept (what a customer may spend, and the only balance a query should show).
 */
export function effectiveBalance(stored: number, lots: Lots, timeMs: number): number {
  return stored - expiredPrefix(lots, timeMs).amount
}
