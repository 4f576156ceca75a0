import { describe, expect, it } from 'vitest'
import {
  countBy,
  meanMax,
  percentileSorted,
  ratePerSecond,
  scheduledCount,
  scheduledRate,
  summarizeLatencies,
  timeSeries,
  verifyBoundTps,
} from './stats.ts'

describe('percentiles', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentileSorted(values, 50)).toBe(50)
    expect(percentileSorted(values, 95)).toBe(95)
    expect(percentileSorted(values, 99)).toBe(99)
    expect(percentileSorted(values, 100)).toBe(100)
    expect(percentileSorted([7], 99)).toBe(7)
    expect(percentileSorted([1, 2, 3], 50)).toBe(2)
    expect(percentileSorted([1, 2, 3, 4], 50)).toBe(2)
    expect(percentileSorted([1, 2, 3, 4], 51)).toBe(3)
    expect(Number.isNaN(percentileSorted([], 50))).toBe(true)
  })

  it('summarizes unsorted latencies', () => {
    const s = summarizeLatencies([30, 10, 20, 40, 1000])
    expect(s).toEqual({ count: 5, p50: 30, p95: 1000, p99: 1000, max: 1000, mean: 220 })
    expect(summarizeLatencies([]).count).toBe(0)
  })
})

describe('rates and series', () => {
  it('divides by the window in seconds', () => {
    expect(ratePerSecond(500, 1000, 3000)).toBe(250)
    expect(ratePerSecond(5, 10, 10)).toBe(0)
  })

  it('buckets commits per second with latencies, and scales a short last bucket', () => {
    const commits: [number, number][] = [
      [100, 10],
      [900, 30],
      [1100, 50],
      [2100, Number.NaN],
      [5000, 1], // outside the window
    ]
    const s = timeSeries(commits, 0, 2500)
    expect(s.map((p) => p.committed)).toEqual([2, 1, 1])
    expect(s.map((p) => p.tps)).toEqual([2, 1, 2])
    expect(s[0]?.p50).toBe(10)
    expect(s[0]?.p99).toBe(30)
    expect(Number.isNaN(s[2]?.p50 as number)).toBe(true)
    expect(s.map((p) => p.t)).toEqual([0, 1, 2])
  })

  it('integrates the fixed-rate and ramp schedules', () => {
    expect(scheduledCount('fixed-rate', 2.5, 100, 0, 10)).toBe(250)
    // A ramp from 0 to 100 tx/s over 10 s asks for 500 txs, then continues at the end rate.
    expect(scheduledCount('ramp', 10, 100, 0, 10)).toBe(500)
    expect(scheduledCount('ramp', 5, 100, 0, 10)).toBe(125)
    expect(scheduledCount('ramp', 12, 100, 0, 10)).toBe(700)
    expect(scheduledCount('ramp', 10, 100, 50, 10)).toBe(750)
    expect(scheduledRate('ramp', 5, 100, 0, 10)).toBe(50)
    expect(scheduledRate('fixed-rate', 5, 100, 0, 10)).toBe(100)
  })
})

describe('verification bound', () => {
  it('is cores × rate / validators', () => {
    expect(verifyBoundTps(2, 10_000, 4)).toBe(5000)
    expect(verifyBoundTps(8, 12_000, 1)).toBe(96_000)
    expect(verifyBoundTps(2, 10_000, 0)).toBe(0)
  })
})

describe('helpers', () => {
  it('counts by key, most frequent first', () => {
    expect(Object.entries(countBy(['A', 'B', 'B', 'C', 'B', 'A']))).toEqual([
      ['B', 3],
      ['A', 2],
      ['C', 1],
    ])
  })

  it('gives mean and max', () => {
    expect(meanMax([1, 5, 3])).toEqual({ mean: 3, max: 5 })
    expect(Number.isNaN(meanMax([]).mean)).toBe(true)
  })
})
