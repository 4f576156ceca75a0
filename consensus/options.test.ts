import { describe, expect, it } from 'vitest'
import { ConsensusErrorCode } from './errors.ts'
import { consensusOptions, viewTimeoutMs } from './options.ts'

const codeOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return 'no error'
}

describe('consensus options', () => {
  it('grows view timeouts linearly up to the cap, and adds the proposal wait to view 0 only', () => {
    const o = consensusOptions({
      viewTimeoutBaseMs: 100,
      viewTimeoutIncrementMs: 50,
      viewTimeoutCapMs: 300,
      emptyBlockIntervalMs: 40,
    })
    expect([0, 1, 2, 3, 4, 1000].map((v) => viewTimeoutMs(o, v))).toEqual([140, 150, 200, 250, 300, 300])
  })

  it('rejects options out of range with a coded error', () => {
    expect(codeOf(() => consensusOptions({ viewTimeoutBaseMs: 0 }))).toBe(ConsensusErrorCode.badOptions)
    expect(codeOf(() => consensusOptions({ viewTimeoutCapMs: 10, viewTimeoutBaseMs: 20 }))).toBe(
      ConsensusErrorCode.badOptions,
    )
    expect(codeOf(() => consensusOptions({ emptyBlockIntervalMs: -1 }))).toBe(ConsensusErrorCode.badOptions)
  })
})
