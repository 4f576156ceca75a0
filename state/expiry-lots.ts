/**
 * Lots: the expiring part of a customer's balance (records.ts `Lots`), as pure functions over the
 * sorted list `[expiresAtMs, amount]`. customer-balance.ts applies them to the state.
 *
 * Expiry instants are always 00:00 JST (the start of a JST day, amounts.ts jstDayOf), so a lot names
 * its expiry day, the sweep's queues are per day, and a lot is expired at any time ≥ its instant.
 *
 * Rule (lot bound): a balance holds at most MAX_LOTS lots. By construction it rarely gets near:
 * an N-day policy rounds expiries up to a grid of `expiryGridDays(N)` days (a power of two g with
 * g · LOTS_PER_WINDOW ≥ N), so the awards of one policy that are still alive fall on at most
 * LOTS_PER_WINDOW + 2 distinct days. Transfers (lots move with their expiry) and policy changes can
 * add more; when the list is full a new lot is merged in the customer's favour (addLot): never a
 * refused credit, never an earlier expiry.
 */
import { jstDayOf } from './amounts.ts'
import type { Lots } from './records.ts'

export const DAY_MS = 86_400_000
const JST_OFFSET_MS = 9 * 3_600_000

/** Most lots one balance holds (2.4 KiB at most encoded). */
export const MAX_LOTS = 128
/** Distinct expiry days the live awards of one N-day policy fall on, at most (+2 for the ends). */
export const LOTS_PER_WINDOW = 64

export const NO_LOTS: Lots = []

/** The instant 00:00 JST that starts JST day `day`. */
export function jstDayStartMs(day: number): number {
  return day * DAY_MS - JST_OFFSET_MS
}

/** The first 00:00 JST at or after `timeMs`: how every expiry instant is rounded (never down). */
export function ceilToJstDay(timeMs: number): number {
  const start = jstDayStartMs(jstDayOf(timeMs))
  return start === timeMs ? start : start + DAY_MS
}

/** The grid, in days, that an N-day policy rounds expiries up to: a power of two, g · 64 ≥ N. */
export function expiryGridDays(afterDays: number): number {
  let grid = 1
  while (grid * LOTS_PER_WINDOW < afterDays) grid *= 2
  return grid
}

/**
 * When an award made at `timeMs` under an N-day policy expires: N days later, rounded up to 00:00 JST
 * and then up to the policy's grid of days (at most `expiryGridDays(N)` days more, never less).
 */
export function expiryAfterDays(timeMs: number, afterDays: number): number {
  const grid = expiryGridDays(afterDays)
  const day = jstDayOf(ceilToJstDay(timeMs + afterDays * DAY_MS))
  return jstDayStartMs(Math.ceil(day / grid) * grid)
}

/** Σ amounts of lots. */
export function lotsTotal(lots: Lots): number {
  let sum = 0
  for (const [, amount] of lots) sum += amount
  return sum
}

/** How many leading lots are expired at `timeMs` (expiry ≤ timeMs), and their sum. */
export function expiredPrefix(lots: Lots, timeMs: number): { count: number; amount: number } {
  let count = 0
  let amount = 0
  while (count < lots.length && (lots[count] as readonly [number, number])[0] <= timeMs) {
    amount += (lots[count] as readonly [number, number])[1]
    count++
  }
  return { count, amount }
}

/**
 * Adds `amount` expiring at `expiresAtMs` (a 00:00 JST after every expired lot was removed). Same
 * expiry: the lot grows. Room left: a new lot, in order. Full (MAX_LOTS): merged in the customer's
 * favour: into the first lot that expires later, or, when none does, the last lot grows and takes the
 * new, later expiry. `newExpiry` is the expiry instant that now has a lot it had not before (its day
 * needs a queue entry), or null.
 */
export function addLot(
  lots: Lots,
  expiresAtMs: number,
  amount: number,
): { lots: Lots; newExpiry: number | null } {
  let i = 0
  while (i < lots.length && (lots[i] as readonly [number, number])[0] < expiresAtMs) i++
  const at = lots[i]
  if (at !== undefined && at[0] === expiresAtMs) {
    return { lots: replaced(lots, i, [expiresAtMs, at[1] + amount]), newExpiry: null }
  }
  if (lots.length < MAX_LOTS) {
    return { lots: [...lots.slice(0, i), [expiresAtMs, amount], ...lots.slice(i)], newExpiry: expiresAtMs }
  }
  if (at !== undefined) return { lots: replaced(lots, i, [at[0], at[1] + amount]), newExpiry: null }
  const last = lots[lots.length - 1] as readonly [number, number]
  return { lots: replaced(lots, lots.length - 1, [expiresAtMs, last[1] + amount]), newExpiry: expiresAtMs }
}

function replaced(lots: Lots, i: number, lot: readonly [number, number]): Lots {
  const out = lots.slice()
  out[i] = lot
  return out
}

/**
 * Takes up to `amount` from the lots, oldest expiry first. `taken` are the pieces with their
 * expiries (the last one possibly a part of a lot), `fromLots` their sum (less than `amount` when
 * the lots run out: the rest comes from the balance's non-expiring part, consumed last).
 */
export function takeOldestFirst(lots: Lots, amount: number): { lots: Lots; taken: Lots; fromLots: number } {
  const taken: (readonly [number, number])[] = []
  let left = amount
  let i = 0
  while (left > 0 && i < lots.length) {
    const [expiresAtMs, lot] = lots[i] as readonly [number, number]
    const take = Math.min(lot, left)
    taken.push([expiresAtMs, take])
    left -= take
    if (take < lot) break
    i++
  }
  if (taken.length === 0) return { lots, taken, fromLots: 0 }
  const rest = lots.slice(i)
  const lastTaken = taken[taken.length - 1] as readonly [number, number]
  const first = rest[0]
  // A lot taken in part stays with what is left of it.
  if (first !== undefined && first[0] === lastTaken[0]) rest[0] = [first[0], first[1] - lastTaken[1]]
  return { lots: rest, taken, fromLots: amount - left }
}
