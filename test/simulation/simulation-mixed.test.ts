import { describe, expect, it } from 'vitest'
import { replayCommand, runSeed } from './run.ts'
import { familyFor } from './scenarios.ts'

/** Seeds 1..600 of the mixed families (faulty, calm, epochs, accountable, fork), 100 per test. */
describe('simulation: mixed scenarios', () => {
  const chunks = Array.from({ length: 6 }, (_, i) => 1 + i * 100)
  it.each(chunks)(
    'keeps agreement, validity, liveness, fairness and accountability from seed %i (100 seeds)',
    (from) => {
      const failures: string[] = []
      let forks = 0
      for (let seed = from; seed < from + 100; seed++) {
        const family = familyFor(seed)
        const r = runSeed(seed, family)
        if (r.forked) forks++
        if (r.violations.length > 0)
          failures.push(`${r.violations[0]} — replay: ${replayCommand(seed, family)}`)
      }
      expect(failures).toEqual([])
      // The fork family (every 10th seed) must actually fork, and the checks then demand proofs.
      expect(forks).toBeGreaterThanOrEqual(5)
    },
  )
})
