/**
 * The maths of a benchmark report, pure and unit-tested: percentiles (nearest rank), per-second
 * series, rates over a window, and the Ed25519 verification bound.
 */

export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
  readonly mean: number
}

/**
 * Nearest-rank percentile of an ascending-sorted array: the smallest value with at least `p` percent
 * of the values at or below it. NaN for an empty array.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  if (p <= 0) return sorted[0] as number
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, rank) - 1] as number
}

export function summarizeLatencies(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort()
  let sum = 0
  for (const v of sorted) sum += v
  const n = sorted.length
  return {
    count: n,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: n === 0 ? Number.NaN : (sorted[n - 1] as number),
    mean: n === 0 ? Number.NaN : sum / n,
  }
}

/** Events per second over [startMs, endMs]; 0 for an empty or inverted window. */
export function ratePerSecond(count: number, startMs: number, endMs: number): number {
  const ms = endMs - startMs
  return ms > 0 ? (count * 1000) / ms : 0
}

export interface SeriesPoint {
  /** Seconds since the start of the run (bucket start). */
  readonly t: number
  readonly committed: number
  /** Committed txs per second in this bucket. */
  readonly tps: number
  readonly p50: number
  readonly p99: number
}

/**
 * A per-bucket series from commit events: `commits` holds [commitMs, latencyMs] per tx (latency NaN
 * when the submit time is unknown). Buckets are `bucketMs` wide from `startMs`; the last bucket ends at
 * `endMs` and its rate is over its real width.
 */
export function timeSeries(
  commits: readonly (readonly [number, number])[],
  startMs: number,
  endMs: number,
  bucketMs = 1000,
): SeriesPoint[] {
  const n = Math.max(0, Math.ceil((endMs - startMs) / bucketMs))
  const counts = new Array<number>(n).fill(0)
  const lat: number[][] = Array.from({ length: n }, () => [])
  for (const [at, latency] of commits) {
    const i = Math.floor((at - startMs) / bucketMs)
    if (i < 0 || i >= n) continue
    counts[i] = (counts[i] as number) + 1
    if (!Number.isNaN(latency)) (lat[i] as number[]).push(latency)
  }
  return counts.map((count, i) => {
    const width = Math.min(bucketMs, endMs - (startMs + i * bucketMs))
    const s = summarizeLatencies(lat[i] as number[])
    return { t: (i * bucketMs) / 1000, committed: count, tps: (count * 1000) / width, p50: s.p50, p99: s.p99 }
  })
}

/**
 * The verification bound: every validator verifies every tx once, and the validators share the
 * machine's cores, so the machine as a whole can verify at most `cores × verifyRate` signatures a
 * second, i.e. `cores × verifyRate / validators` txs a second across the network. A real deployment
 * (one machine per validator) would be bounded by `cores × verifyRate` instead.
 */
export function verifyBoundTps(cores: number, verifyPerSecond: number, validators: number): number {
  return validators > 0 ? (cores * verifyPerSecond) / validators : 0
}

/** Counts values by key, sorted by count descending (for "rejected by code" tables). */
export function countBy(values: Iterable<string>): Record<string, number> {
  const map = new Map<string, number>()
  for (const v of values) map.set(v, (map.get(v) ?? 0) + 1)
  return Object.fromEntries([...map.entries()].sort((a, b) => b[1] - a[1]))
}

/** Mean and max of a list of numbers (NaN when empty). */
export function meanMax(values: readonly number[]): { mean: number; max: number } {
  if (values.length === 0) return { mean: Number.NaN, max: Number.NaN }
  let sum = 0
  let max = Number.NEGATIVE_INFINITY
  for (const v of values) {
    sum += v
    if (v > max) max = v
  }
  return { mean: sum / values.length, max }
}

/**
 * The rate a load schedule asks for at `tSec` seconds: constant for fixed-rate, a straight line from
 * `startTps` to `endTps` over `durationSec` for a ramp.
 */
export function scheduledRate(
  mode: 'fixed-rate' | 'ramp',
  tSec: number,
  endTps: number,
  startTps: number,
  durationSec: number,
): number {
  if (mode === 'fixed-rate' || durationSec <= 0) return endTps
  const f = Math.min(1, Math.max(0, tSec / durationSec))
  return startTps + (endTps - startTps) * f
}

/** How many txs a schedule has asked for by `tSec` (the integral of `scheduledRate`). */
export function scheduledCount(
  mode: 'fixed-rate' | 'ramp',
  tSec: number,
  endTps: number,
  startTps: number,
  durationSec: number,
): number {
  if (mode === 'fixed-rate' || durationSec <= 0) return endTps * tSec
  const t = Math.min(tSec, durationSec)
  const ramp = startTps * t + ((endTps - startTps) * t * t) / (2 * durationSec)
  return ramp + (tSec > durationSec ? endTps * (tSec - durationSec) : 0)
}
