/**
 * A point's expiry policy (issue 15): what its FUTURE awards get. Set at point.create (the appended
 * `expiry` field, default none) and changed by the manager with point.setExpiry; lots already held
 * keep the expiry they were given.
 *
 * - none: awards never expire (the balance's non-expiring part);
 * - afterDays N (1 to MAX_EXPIRY_DAYS): each award expires N days after it, rounded up to 00:00 JST
 *   and then up to the policy's day grid (expiry-lots.ts expiryAfterDays: never earlier than N days);
 * - atMs, a fixed date (the fiscal year end): rounded up to 00:00 JST when set, and it must lie after
 *   the block's time then. Awards made before it expire at it. Rule (a passed date): once it has
 *   passed, awards get no expiry (they never expire) until the manager sets a new policy; a lapsed
 *   date never makes an award fail and never hands out points that are expired on arrival.
 */
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { requireManager, type TxContext } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { ceilToJstDay, DAY_MS, expiryAfterDays } from './expiry-lots.ts'
import { Keys } from './keys.ts'
import { type PointRecord, pointCodec } from './records.ts'

/** Longest expiry a policy may give: 100 years (afterDays, or how far ahead a fixed date lies). */
export const MAX_EXPIRY_DAYS = 36_500

/** A policy as the txs carry it: at most one of the two positive. */
export interface ExpiryPolicyInput {
  readonly afterDays: number
  readonly atMs: number
}

/** The point's stored form of a policy. */
export type PointExpiry = Pick<PointRecord, 'expiryDays' | 'expiryAtMs'>

export const NO_EXPIRY: PointExpiry = { expiryDays: 0, expiryAtMs: 0 }

/**
 * Rule (a valid policy): none, afterDays in 1..MAX_EXPIRY_DAYS, or a date after `timeMs` and at
 * most MAX_EXPIRY_DAYS ahead; never both. Gives the stored form, the date rounded up to 00:00 JST.
 * `horizon` false skips the "at most ahead" rule: admission (admission.ts) refuses only what is sure
 * to fail at any later block time, and a later block brings a far date within reach.
 */
export function checkedPolicy(policy: ExpiryPolicyInput | null, timeMs: number, horizon = true): PointExpiry {
  if (policy === null || (policy.afterDays === 0 && policy.atMs === 0)) return NO_EXPIRY
  if (policy.afterDays > 0 && policy.atMs > 0)
    fail(StateErrorCode.badExpiryPolicy, 'give afterDays or atMs, not both')
  if (policy.afterDays > MAX_EXPIRY_DAYS)
    fail(StateErrorCode.badExpiryPolicy, `afterDays must be at most ${MAX_EXPIRY_DAYS}`)
  if (policy.afterDays > 0) return { expiryDays: policy.afterDays, expiryAtMs: 0 }
  if (policy.atMs <= timeMs)
    fail(StateErrorCode.expiryDatePassed, 'the expiry date must be after the block time', {
      atMs: policy.atMs,
      timeMs,
    })
  if (horizon && policy.atMs > timeMs + MAX_EXPIRY_DAYS * DAY_MS)
    fail(StateErrorCode.badExpiryPolicy, `the expiry date must be at most ${MAX_EXPIRY_DAYS} days ahead`)
  return { expiryDays: 0, expiryAtMs: ceilToJstDay(policy.atMs) }
}

export const hasPolicy = (e: PointExpiry): boolean => e.expiryDays > 0 || e.expiryAtMs > 0

/**
 * The expiry instant an award made at `timeMs` gets under the point's policy, or null when it never
 * expires (no policy, or a fixed date that has passed: see the header).
 */
export function awardExpiryOf(p: PointRecord, timeMs: number): number | null {
  if (p.expiryDays > 0) return expiryAfterDays(timeMs, p.expiryDays)
  if (p.expiryAtMs > timeMs) return p.expiryAtMs
  return null
}

export function pointSetExpiry(ctx: TxContext, body: TxBodyOf<'point.setExpiry'>): void {
  // Rule: only the manager sets its point's policy; it applies to awards from this tx on.
  const p = requireManager(ctx, body.point)
  const expiry = checkedPolicy(body, ctx.timeMs)
  ctx.ws.put(Keys.point(body.point), pointCodec, { ...p, ...expiry, hasLots: p.hasLots || hasPolicy(expiry) })
  ctx.events.push({
    type: 'expiryPolicy',
    point: body.point,
    afterDays: expiry.expiryDays,
    atMs: expiry.expiryAtMs,
  })
}
