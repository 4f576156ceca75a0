import { describe, expect, it } from 'vitest'
import { BenchErrorCode } from './errors.ts'
import { parseReadArgs } from './read-options.ts'
import { median, perCore } from './reads.ts'

describe('read bench', () => {
  it('has documented defaults', () => {
    const o = parseReadArgs([])
    expect(o).toMatchObject({ connections: 32, durationSec: 10, loadTps: 500, runs: 1, validators: 1 })
  })

  it('refuses a bad flag with a coded error', () => {
    expect(() => parseReadArgs(['--connections', '0'])).toThrow(
      expect.objectContaining({ code: BenchErrorCode.badFlag }),
    )
    expect(() => parseReadArgs(['--log-level', 'loud'])).toThrow(
      expect.objectContaining({ code: BenchErrorCode.badFlag }),
    )
  })

  it('counts req/s per core of CPU the server used', () => {
    // 8,000 req/s while the observer used 4 CPU seconds over 10 s (40% of a core): 20,000 per core.
    expect(perCore(8000, 4, 10)).toBe(20_000)
    expect(perCore(8000, 0, 10)).toBe(0)
  })

  it('takes medians of odd and even runs', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBe(0)
  })
})
