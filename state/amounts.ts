/**
 * Amount arithmetic. Amounts are `number`s holding non-negative safe integers (≤ 2^53 − 1): the wire
 * schema already rejects anything else, and every sum is checked here, so no amount ever loses
 * precision. `number` rather than `bigint` keeps the hot path (one add and one subtract per payment)
 * allocation-free; 2^53 − 1 is about 9·10^15 points, far beyond any regional point programme.
 */
import { fail, StateErrorCode } from './errors.ts'

export function add(a: number, b: number): number {
  const sum = a + b
  if (!Number.isSafeInteger(sum)) fail(StateErrorCode.amountOverflow, 'amount overflows 2^53 - 1', { a, b })
  return sum
}

/** a − b, failing with `code` when b > a. */
export function sub(a: number, b: number, code: StateErrorCode, what: string): number {
  if (b > a) fail(code, `${what}: needs ${b}, has ${a}`, { have: a, need: b })
  return a - b
}

export function requirePositive(amount: number, what = 'amount'): void {
  if (amount <= 0) fail(StateErrorCode.zeroAmount, `${what} must be positive`)
}

/** floor(a · perMille / 1000), exact for any safe inputs; fails if the result is not safe. */
export function perMille(a: number, rate: number): number {
  const result = (BigInt(a) * BigInt(rate)) / 1000n
  if (result > BigInt(Number.MAX_SAFE_INTEGER)) fail(StateErrorCode.amountOverflow, 'reward overflows')
  return Number(result)
}

/** Days since 1970-01-01 in Japan Standard Time (UTC+9, no daylight saving). */
export function jstDayOf(timeMs: number): number {
  return Math.floor((timeMs + 9 * 3_600_000) / 86_400_000)
}

/** The index of the period of length `periodMs` that `timeMs` falls in. */
export function periodOf(timeMs: number, periodMs: number): number {
  return Math.floor(timeMs / periodMs)
}
