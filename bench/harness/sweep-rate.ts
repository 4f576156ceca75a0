/**
 * `--sweep-rate`: fixed-rate rounds in steps up to saturation (as Hyperledger Caliper does), each a
 * full run on a fresh network. A step is sustained when the network commits at least 95% of the rate
 * offered with p99 latency within 500 ms; the sweep stops after two saturated steps in a row and names
 * the highest offered rate that was sustained.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RateSweep } from './options.ts'
import type { RunSummary } from './summary.ts'

export interface SustainCriteria {
  /** committed / offered must reach this. */
  readonly minCommittedRatio: number
  readonly maxP99Ms: number
}

export const DEFAULT_SUSTAIN: SustainCriteria = { minCommittedRatio: 0.95, maxP99Ms: 500 }

/** Saturated steps in a row after which the sweep stops. */
export const SATURATED_STEPS_TO_STOP = 2

export interface RateStep {
  readonly offeredTps: number
  /** What the load generator managed to send (below the offer when it cannot keep up). */
  readonly submittedTps: number
  readonly committedTps: number
  /** committedTps / offeredTps. */
  readonly committedRatio: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly sustained: boolean
}

export function rateStep(s: RunSummary, criteria: SustainCriteria = DEFAULT_SUSTAIN): RateStep {
  const offeredTps = s.config.rateTps ?? 0
  const committedRatio = offeredTps > 0 ? s.committedTps / offeredTps : 0
  const p99Ms = s.latencyMs.p99
  return {
    offeredTps,
    submittedTps: s.submittedTps,
    committedTps: s.committedTps,
    committedRatio,
    p50Ms: s.latencyMs.p50,
    p99Ms,
    // A p99 that is not a number (nothing committed) sustains nothing.
    sustained: committedRatio >= criteria.minCommittedRatio && p99Ms <= criteria.maxP99Ms,
  }
}

/** The highest offered rate of a sustained step, or null when none was. */
export function sustainableRate(steps: readonly RateStep[]): number | null {
  let best: number | null = null
  for (const s of steps) if (s.sustained && (best === null || s.offeredTps > best)) best = s.offeredTps
  return best
}

/** True once the last SATURATED_STEPS_TO_STOP steps were all saturated. */
export function sweepSaturated(steps: readonly RateStep[]): boolean {
  const tail = steps.slice(-SATURATED_STEPS_TO_STOP)
  return tail.length === SATURATED_STEPS_TO_STOP && tail.every((s) => !s.sustained)
}

export interface RateSweepResult {
  readonly sweep: RateSweep
  readonly criteria: SustainCriteria
  readonly steps: readonly RateStep[]
  readonly sustainableTps: number | null
  /** The sweep stopped before STOP after two saturated steps. */
  readonly stoppedEarly: boolean
}

export function rateSweepResult(
  sweep: RateSweep,
  runs: readonly RunSummary[],
  plannedSteps: number,
  criteria: SustainCriteria = DEFAULT_SUSTAIN,
): RateSweepResult {
  const steps = runs.map((r) => rateStep(r, criteria))
  return {
    sweep,
    criteria,
    steps,
    sustainableTps: sustainableRate(steps),
    stoppedEarly: steps.length < plannedSteps,
  }
}

const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–')

/** The sweep's Markdown section (also the terminal's closing lines). */
export function rateSweepMarkdown(r: RateSweepResult): string {
  const { minCommittedRatio, maxP99Ms } = r.criteria
  return [
    '## Rate sweep',
    '',
    `Sustainable rate: ${r.sustainableTps === null ? 'none of the steps' : `${f0(r.sustainableTps)} tx/s`} (the highest offered rate with committed/offered ≥ ${minCommittedRatio} and p99 ≤ ${maxP99Ms} ms).`,
    ...(r.stoppedEarly ? ['', `Stopped after ${SATURATED_STEPS_TO_STOP} saturated steps in a row.`] : []),
    '',
    '| offered tx/s | submitted tx/s | committed tx/s | committed/offered | p50 ms | p99 ms | sustained |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.steps.map(
      (s) =>
        `| ${f0(s.offeredTps)} | ${f0(s.submittedTps)} | ${s.committedTps.toFixed(1)} | ${s.committedRatio.toFixed(3)} | ${f0(s.p50Ms)} | ${f0(s.p99Ms)} | ${s.sustained ? 'yes' : 'no'} |`,
    ),
    '',
  ].join('\n')
}

export async function writeRateSweep(dir: string, r: RateSweepResult): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'sweep.json'), `${JSON.stringify(r, null, 2)}\n`)
}
