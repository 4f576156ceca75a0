import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jstDayOf } from './amounts.ts'
import {
  addLot,
  ceilToJstDay,
  DAY_MS,
  expiredPrefix,
  expiryAfterDays,
  expiryGridDays,
  jstDayStartMs,
  LOTS_PER_WINDOW,
  lotsTotal,
  MAX_LOTS,
  takeOldestFirst,
} from './expiry-lots.ts'
import type { Lots } from './records.ts'

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0) // 09:00 JST, 2026-01-01
const midnight = (day: number) => jstDayStartMs(day)
const D0 = jstDayOf(T0)

describe('expiry instants: 00:00 JST, rounded up', () => {
  it('a day start is 00:00 JST (15:00 UTC the day before) and rounds to itself', () => {
    expect(new Date(midnight(D0)).toISOString()).toBe('2025-12-31T15:00:00.000Z')
    expect(ceilToJstDay(midnight(D0))).toBe(midnight(D0))
    expect(ceilToJstDay(midnight(D0) + 1)).toBe(midnight(D0 + 1))
    expect(ceilToJstDay(midnight(D0) - 1)).toBe(midnight(D0))
  })

  it('the grid grows with N by powers of two, at most 64 grid steps per window', () => {
    expect([1, 30, 64, 65, 128, 129, 365, 36_500].map(expiryGridDays)).toEqual([1, 1, 1, 2, 2, 4, 8, 1024])
    for (const n of [1, 7, 64, 65, 100, 365, 730, 3650, 36_500]) {
      const g = expiryGridDays(n)
      expect(g * LOTS_PER_WINDOW).toBeGreaterThanOrEqual(n)
      expect(g === 1 || (g / 2) * LOTS_PER_WINDOW < n).toBe(true)
    }
  })

  it('an N-day award never expires before N days, and at most one grid step plus a day after', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * DAY_MS }), fc.integer({ min: 1, max: 36_500 }), (dt, n) => {
        const t = T0 + dt
        const e = expiryAfterDays(t, n)
        expect(e).toBeGreaterThanOrEqual(t + n * DAY_MS)
        expect(e).toBeLessThan(t + n * DAY_MS + (expiryGridDays(n) + 1) * DAY_MS)
        expect(ceilToJstDay(e)).toBe(e)
        expect(jstDayOf(e) % expiryGridDays(n)).toBe(0)
      }),
    )
  })

  it('the live awards of one policy fall on at most LOTS_PER_WINDOW + 2 distinct days', () => {
    for (const n of [30, 64, 65, 365, 3650]) {
      const days = new Set<number>()
      // One award every hour over the window: all still alive at its end.
      for (let t = T0; t < T0 + n * DAY_MS; t += 3_600_000) days.add(expiryAfterDays(t, n))
      expect(days.size).toBeLessThanOrEqual(LOTS_PER_WINDOW + 2)
    }
  })
})

describe('lots: add, bound, take oldest first, expire', () => {
  const e = (k: number) => midnight(D0 + k)

  it('adds in expiry order and merges the same expiry', () => {
    let lots: Lots = []
    for (const [k, a] of [
      [3, 5],
      [1, 2],
      [3, 1],
      [2, 7],
    ] as const) {
      const added = addLot(lots, e(k), a)
      lots = added.lots
    }
    expect(lots).toEqual([
      [e(1), 2],
      [e(2), 7],
      [e(3), 6],
    ])
    expect(addLot(lots, e(2), 1).newExpiry).toBeNull()
    expect(addLot(lots, e(4), 1).newExpiry).toBe(e(4))
  })

  it('when full, a new lot merges in the customer’s favour: into a later lot, or the last one grows later', () => {
    const full: Lots = Array.from({ length: MAX_LOTS }, (_, i) => [e(2 * i + 2), 1] as const)
    // Between two lots: merged into the next later one (its points expire later than asked, never earlier).
    const mid = addLot(full, e(3), 10)
    expect(mid.lots).toHaveLength(MAX_LOTS)
    expect(mid.lots[1]).toEqual([e(4), 11])
    expect(mid.newExpiry).toBeNull()
    // Before all: merged into the first.
    expect(addLot(full, e(1), 10).lots[0]).toEqual([e(2), 11])
    // After all: the last lot takes the new, later expiry (its own points gain time).
    const late = addLot(full, e(10_000), 10)
    expect(late.lots).toHaveLength(MAX_LOTS)
    expect(late.lots.at(-1)).toEqual([e(10_000), 11])
    expect(late.lots.at(-2)).toEqual(full.at(-2))
    expect(late.newExpiry).toBe(e(10_000))
  })

  it('any sequence of adds: bounded, sorted, nothing lost, and nothing expires earlier than asked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 50 })), {
          maxLength: 400,
        }),
        (adds) => {
          let lots: Lots = []
          for (const [k, a] of adds) lots = addLot(lots, e(k), a).lots
          expect(lots.length).toBeLessThanOrEqual(MAX_LOTS)
          for (let i = 1; i < lots.length; i++) expect(lots[i]![0]).toBeGreaterThan(lots[i - 1]![0])
          expect(lotsTotal(lots)).toBe(adds.reduce((s, [, a]) => s + a, 0))
          // For every instant, what has expired by then is at most what was asked to expire by then.
          for (const [k] of adds) {
            const asked = adds.filter(([j]) => j <= k).reduce((s, [, a]) => s + a, 0)
            expect(expiredPrefix(lots, e(k)).amount).toBeLessThanOrEqual(asked)
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('takes oldest first, a lot in part, and reports what the lots could not give', () => {
    const lots: Lots = [
      [e(1), 10],
      [e(2), 20],
    ]
    expect(takeOldestFirst(lots, 15)).toEqual({
      lots: [[e(2), 15]],
      taken: [
        [e(1), 10],
        [e(2), 5],
      ],
      fromLots: 15,
    })
    expect(takeOldestFirst(lots, 10)).toEqual({ lots: [[e(2), 20]], taken: [[e(1), 10]], fromLots: 10 })
    expect(takeOldestFirst(lots, 45)).toEqual({ lots: [], taken: lots, fromLots: 30 })
    expect(takeOldestFirst([], 5)).toEqual({ lots: [], taken: [], fromLots: 0 })
  })

  it('a lot is expired from its instant on, not a millisecond before', () => {
    const lots: Lots = [
      [e(1), 10],
      [e(2), 20],
    ]
    expect(expiredPrefix(lots, e(1) - 1)).toEqual({ count: 0, amount: 0 })
    expect(expiredPrefix(lots, e(1))).toEqual({ count: 1, amount: 10 })
    expect(expiredPrefix(lots, e(2))).toEqual({ count: 2, amount: 30 })
  })
})
