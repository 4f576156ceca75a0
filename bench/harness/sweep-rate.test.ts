import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunSummary } from './summary.ts'
import {
  type RateStep,
  rateStep,
  rateSweepMarkdown,
  rateSweepResult,
  sustainableRate,
  sweepSaturated,
  writeRateSweep,
} from './sweep-rate.ts'

/** The fields of a run a rate step reads. */
function run(offered: number, committed: number, p99: number, p50 = p99 / 2): RunSummary {
  return {
    config: { rateTps: offered },
    committedTps: committed,
    submittedTps: offered,
    latencyMs: { p50, p99 },
  } as unknown as RunSummary
}

const step = (offeredTps: number, sustained: boolean): RateStep => ({
  offeredTps,
  submittedTps: offeredTps,
  committedTps: offeredTps,
  committedRatio: 1,
  p50Ms: 1,
  p99Ms: 1,
  sustained,
})

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('a rate step', () => {
  it('is sustained at committed/offered ≥ 0.95 with p99 ≤ 500 ms, and only then', () => {
    expect(rateStep(run(1000, 950, 500)).sustained).toBe(true)
    expect(rateStep(run(1000, 949, 100)).sustained).toBe(false)
    expect(rateStep(run(1000, 1000, 501)).sustained).toBe(false)
    // Nothing committed: no latency at all, never sustained.
    expect(rateStep(run(1000, 0, Number.NaN)).sustained).toBe(false)
    expect(rateStep(run(2000, 1500, 100))).toMatchObject({
      offeredTps: 2000,
      committedRatio: 0.75,
      p99Ms: 100,
    })
    expect(rateStep(run(1000, 900, 100), { minCommittedRatio: 0.9, maxP99Ms: 200 }).sustained).toBe(true)
  })
})

describe('the sustainable rate', () => {
  it('is the highest offered rate of a sustained step, even past a noisy saturated one', () => {
    expect(sustainableRate([step(500, true), step(1000, true), step(1500, false), step(2000, false)])).toBe(
      1000,
    )
    expect(sustainableRate([step(500, true), step(1000, false), step(1500, true), step(2000, false)])).toBe(
      1500,
    )
    expect(sustainableRate([step(500, false), step(1000, false)])).toBeNull()
    expect(sustainableRate([])).toBeNull()
  })

  it('stops the sweep after two saturated steps in a row, not after one', () => {
    expect(sweepSaturated([step(500, true), step(1000, false)])).toBe(false)
    expect(sweepSaturated([step(500, false), step(1000, true), step(1500, false)])).toBe(false)
    expect(sweepSaturated([step(500, true), step(1000, false), step(1500, false)])).toBe(true)
    expect(sweepSaturated([step(500, false)])).toBe(false)
  })

  it('reports the steps, the rate and an early stop in Markdown and sweep.json', async () => {
    const sweep = { startTps: 500, stopTps: 2500, stepTps: 500 }
    const result = rateSweepResult(
      sweep,
      [run(500, 499, 40), run(1000, 990, 80), run(1500, 1100, 900), run(2000, 1200, 1500)],
      5,
    )
    expect(result.sustainableTps).toBe(1000)
    expect(result.stoppedEarly).toBe(true)
    const md = rateSweepMarkdown(result)
    expect(md).toContain('Sustainable rate: 1000 tx/s')
    expect(md).toContain('Stopped after 2 saturated steps in a row.')
    expect(md).toContain('| 1500 | 1500 | 1100.0 | 0.733 | 450 | 900 | no |')
    const dir = await mkdtemp(join(tmpdir(), 'bench-sweep-'))
    dirs.push(dir)
    await writeRateSweep(dir, result)
    const json = JSON.parse(await readFile(join(dir, 'sweep.json'), 'utf8')) as typeof result
    expect(json.sustainableTps).toBe(1000)
    expect(json.steps.map((s) => s.offeredTps)).toEqual([500, 1000, 1500, 2000])
    expect(rateSweepMarkdown(rateSweepResult(sweep, [run(500, 10, 40)], 1))).toContain(
      'Sustainable rate: none of the steps',
    )
  })
})
