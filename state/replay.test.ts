import { describe, expect, it } from 'vitest'
import { EMPTY_REPLAY, hasTx, ReplayBuilder, type ReplayIndex } from './replay.ts'

const hashId = (n: number) => `h${n}`.padEnd(32, '.')

describe('replay index', () => {
  it('a block adding to a bucket shares its chunks instead of copying them, and stays persistent', () => {
    const first = new ReplayBuilder(EMPTY_REPLAY)
    for (let i = 0; i < 1_000; i++) first.add(500, hashId(i))
    const one = first.finish(1).index
    const second = new ReplayBuilder(one)
    for (let i = 1_000; i < 1_010; i++) second.add(500, hashId(i))
    const two = second.finish(2).index
    const shared = one.get(500)?.[0]
    expect(shared?.size).toBe(1_000)
    expect(two.get(500)?.[0]).toBe(shared)
    expect(hasTx(two, 500, hashId(1_005))).toBe(true)
    // The parent index is unchanged: another proposal on it does not see these hashes.
    expect(hasTx(one, 500, hashId(1_005))).toBe(false)
  })

  it('when every block adds to one bucket, it keeps log2(n) + 1 chunks and copies each hash O(log n) times', () => {
    let index: ReplayIndex = EMPTY_REPLAY
    let copied = 0
    let n = 0
    for (let height = 1; height <= 400; height++) {
      const builder = new ReplayBuilder(index)
      const count = 1 + ((height * 37) % 50)
      for (let i = 0; i < count; i++) builder.add(1_000, hashId(n++))
      const before = new Set(index.get(1_000) ?? [])
      index = builder.finish(height).index
      const bucket = index.get(1_000) ?? []
      // A chunk not in the parent bucket is new: its hashes were copied (or added) in this block.
      for (const chunk of bucket) if (!before.has(chunk)) copied += chunk.size
      expect(bucket.length).toBeLessThanOrEqual(Math.floor(Math.log2(n)) + 1)
    }
    expect(copied).toBeLessThan(n * 2 * Math.log2(n))
    for (const i of [0, 1, n - 1, Math.floor(n / 2)]) expect(hasTx(index, 1_000, hashId(i))).toBe(true)
    expect(hasTx(index, 1_000, hashId(n))).toBe(false)
    // Pruned once the height passes the bucket.
    const builder = new ReplayBuilder(index)
    const pruned = builder.finish(1_000)
    expect(pruned.index.has(1_000)).toBe(false)
    expect(pruned.writes.filter(([, v]) => v === null).length).toBe(n)
  })
})
