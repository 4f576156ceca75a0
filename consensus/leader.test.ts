import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { createValidatorSet } from '../protocol/validator-set.ts'
import { createLeaderSchedule } from './leader.ts'

function key(i: number): Uint8Array {
  const k = new Uint8Array(32)
  k[0] = i
  return k
}

describe('leader schedule', () => {
  const powers = [1, 2, 3, 5, 7, 11, 13]
  const set = createValidatorSet(powers.map((power, i) => ({ publicKey: key(i + 1), power })))
  const schedule = createLeaderSchedule(set)
  const total = set.totalPower

  it('gives each validator exactly its power over one period', () => {
    const counts = new Map<string, number>()
    for (let h = 0; h < total; h++) {
      const id = toHex(schedule.leaderOf(h, 0))
      counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    for (const v of set.validators) expect(counts.get(toHex(v.publicKey))).toBe(v.power)
  })

  it('keeps windows from a period start within ±1 of the stake share, and any window within ±2', () => {
    let worst = 0
    let worstAligned = 0
    for (let start = 0; start < total; start++) {
      const counts = new Map<string, number>()
      for (let len = 1; len <= 2 * total; len++) {
        const id = toHex(schedule.leaderOf(start + len - 1 + total, 0))
        counts.set(id, (counts.get(id) ?? 0) + 1)
        for (const v of set.validators) {
          const share = (len * v.power) / total
          const d = Math.abs((counts.get(toHex(v.publicKey)) ?? 0) - share)
          worst = Math.max(worst, d)
          if (start === 0) worstAligned = Math.max(worstAligned, d)
        }
      }
    }
    expect(worstAligned).toBeLessThan(1)
    expect(worst).toBeLessThan(2)
  })

  it('is a function of the set alone and moves on with the view', () => {
    const again = createLeaderSchedule(createValidatorSet([...set.validators].reverse()))
    for (let h = 0; h < 50; h++) expect(again.leaderOf(h, 1)).toEqual(schedule.leaderOf(h, 1))
    expect(schedule.leaderOf(10, 1)).toEqual(schedule.leaderOf(11, 0))
  })

  it('rotates equal powers round robin', () => {
    const equal = createLeaderSchedule(
      createValidatorSet([1, 2, 3, 4].map((i) => ({ publicKey: key(i), power: 10 }))),
    )
    const seen = new Set([0, 1, 2, 3].map((h) => toHex(equal.leaderOf(h, 0))))
    expect(seen.size).toBe(4)
  })
})
