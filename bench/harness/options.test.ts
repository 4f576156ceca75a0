import { describe, expect, it } from 'vitest'
import { BenchErrorCode } from './errors.ts'
import { nextKind } from './load.ts'
import {
  DEFAULT_MIX,
  expandSweep,
  type MixKind,
  parseBenchArgs,
  parseMix,
  parseRateSweep,
  sweepRates,
} from './options.ts'

const codeOf = (f: () => unknown) => {
  try {
    f()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return null
}

describe('bench options', () => {
  it('defaults to max load on 4 validators, outstanding twice the block size', () => {
    const o = parseBenchArgs([])
    expect(o.mode).toBe('max')
    expect(o.validators).toBe(4)
    expect(o.outstanding).toBe(2 * o.blockTxs)
    expect(o.mix).toEqual(DEFAULT_MIX)
  })

  it('reads a numeric rate as fixed-rate, and a ramp with its start', () => {
    const o = parseBenchArgs(['--rate', '250', '--validators', '2', '--duration', '5'])
    expect(o).toMatchObject({ mode: 'fixed-rate', rateTps: 250, validators: 2, durationSec: 5 })
    const r = parseBenchArgs(['--mode', 'ramp', '--rate', '400', '--rate-start', '100'])
    expect(r).toMatchObject({ mode: 'ramp', rateTps: 400, rampStartTps: 100 })
  })

  it('refuses bad flags with a code', () => {
    expect(codeOf(() => parseBenchArgs(['--validators', '0']))).toBe(BenchErrorCode.badFlag)
    expect(codeOf(() => parseBenchArgs(['--rate', 'fast']))).toBe(BenchErrorCode.badFlag)
    expect(codeOf(() => parseBenchArgs(['--mode', 'ramp']))).toBe(BenchErrorCode.badFlag)
    expect(codeOf(() => parseMix('pay=1,burn=2'))).toBe(BenchErrorCode.badFlag)
    expect(codeOf(() => parseMix('pay=0'))).toBe(BenchErrorCode.badFlag)
    expect(codeOf(() => parseBenchArgs(['--sweep', 'colour=red']))).toBe(BenchErrorCode.badFlag)
    expect(codeOf(() => parseBenchArgs(['--log-level', 'loud']))).toBe(BenchErrorCode.badFlag)
    expect(parseBenchArgs(['--log-level', 'info']).logLevel).toBe('info')
  })

  it('expands a sweep into the cartesian product, first axis slowest', () => {
    const o = parseBenchArgs(['--sweep', 'validators=1,4', '--sweep', 'rate=100,max'])
    const runs = expandSweep(o)
    expect(runs.map((r) => r.label)).toEqual([
      'validators=1 rate=100',
      'validators=1 rate=max',
      'validators=4 rate=100',
      'validators=4 rate=max',
    ])
    expect(runs[0]?.options).toMatchObject({ validators: 1, mode: 'fixed-rate', rateTps: 100 })
    expect(runs[3]?.options).toMatchObject({ validators: 4, mode: 'max', rateTps: null })
    expect(expandSweep(parseBenchArgs([]))).toHaveLength(1)
  })
})

describe('--sweep-rate', () => {
  it('reads START:STOP:STEP into fixed-rate rounds that never pass STOP', () => {
    const o = parseBenchArgs(['--sweep-rate', '500:4000:500', '--duration', '5'])
    expect(o.sweepRate).toEqual({ startTps: 500, stopTps: 4000, stepTps: 500 })
    expect(o).toMatchObject({ mode: 'fixed-rate', rateTps: 500, durationSec: 5 })
    expect(sweepRates(o.sweepRate as NonNullable<typeof o.sweepRate>)).toEqual([
      500, 1000, 1500, 2000, 2500, 3000, 3500, 4000,
    ])
    expect(sweepRates(parseRateSweep('100:250:100'))).toEqual([100, 200])
    expect(sweepRates(parseRateSweep('0.5:1.5:0.5'))).toEqual([0.5, 1, 1.5])
    expect(sweepRates(parseRateSweep('300:300:50'))).toEqual([300])
    expect(parseBenchArgs(['--mode', 'fixed-rate', '--sweep-rate', '1:2:1']).sweepRate).not.toBeNull()
    expect(parseBenchArgs([]).sweepRate).toBeNull()
  })

  it('refuses a malformed range and flags that contradict it, with a code', () => {
    for (const bad of ['500:4000', '500:4000:0', 'a:b:c', '4000:500:500', '-1:5:1', '1:1000:1', '1:2:3:4'])
      expect(
        codeOf(() => parseRateSweep(bad)),
        bad,
      ).toBe(BenchErrorCode.badFlag)
    for (const extra of [
      ['--rate', '100'],
      ['--mode', 'max'],
      ['--sweep', 'validators=1,4'],
      ['--in-process'],
      ['--txs', '100'],
    ])
      expect(
        codeOf(() => parseBenchArgs(['--sweep-rate', '100:200:100', ...extra])),
        extra.join(' '),
      ).toBe(BenchErrorCode.badFlag)
  })
})

describe('tx mix', () => {
  it('follows the weights exactly over one cycle and spreads kinds out', () => {
    const mix = parseMix('pay=50,award=30,transfer=10,traffic=10')
    const credit: Record<MixKind, number> = { pay: 0, award: 0, transfer: 0, traffic: 0 }
    const kinds = Array.from({ length: 100 }, () => nextKind(mix, credit))
    const count = (k: MixKind) => kinds.filter((x) => x === k).length
    expect([count('pay'), count('award'), count('transfer'), count('traffic')]).toEqual([50, 30, 10, 10])
    // Smooth: the first ten already hold the proportions.
    expect(kinds.slice(0, 10).filter((k) => k === 'pay')).toHaveLength(5)
  })

  it('never picks a kind of weight zero', () => {
    const credit: Record<MixKind, number> = { pay: 0, award: 0, transfer: 0, traffic: 0 }
    const kinds = Array.from({ length: 20 }, () => nextKind(parseMix('award=1'), credit))
    expect(new Set(kinds)).toEqual(new Set(['award']))
  })
})
