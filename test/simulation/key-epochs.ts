/**
 * Validator-set schedules where the keys change at epoch boundaries, not only the powers: a key never
 * seen before joins, a member leaves, one out and one in at the same boundary (rotation), the set
 * shrinking to the minimum and growing again, and a change where the old and the new sets share less
 * than 2/3 of the power (down to no key at all). `walk` chains random changes of every kind.
 *
 * A schedule is a list of sets, each a map from key index to power; `toEpochPowers` turns it into the
 * scenario's rows (one entry per key, 0 = not a member). Keys are numbered in order of first appearance,
 * so key n is new when it first shows up.
 */
import type { Prng } from './prng.ts'

export const KEY_CHANGES = ['join', 'leave', 'rotate', 'shrink-grow', 'disjoint', 'walk'] as const
export type KeyChange = (typeof KEY_CHANGES)[number]

/** One epoch's set: key index → power (≥ 1). */
export type EpochSet = ReadonlyMap<number, number>

export interface KeySchedule {
  readonly change: KeyChange
  readonly sets: readonly EpochSet[]
  /** Keys used (0 … keys − 1). */
  readonly keys: number
}

const total = (s: EpochSet) => [...s.values()].reduce((a, b) => a + b, 0)

/** The power the two sets' common keys hold in `of` (each key's power in `of`). */
function sharedPower(a: EpochSet, b: EpochSet, of: EpochSet): number {
  let p = 0
  for (const k of a.keys()) if (b.has(k)) p += of.get(k) ?? 0
  return p
}

/** Whether the common keys hold less than 2/3 of the power of both sets. */
export function sharesUnderTwoThirds(a: EpochSet, b: EpochSet): boolean {
  return sharedPower(a, b, a) * 3 < total(a) * 2 && sharedPower(a, b, b) * 3 < total(b) * 2
}

class Builder {
  readonly sets: Map<number, number>[] = []
  next = 0
  readonly #prng: Prng

  constructor(prng: Prng, members: number) {
    this.#prng = prng
    const first = new Map<number, number>()
    for (let i = 0; i < members; i++) first.set(this.newKey(), this.power())
    this.sets.push(first)
  }

  power(): number {
    return 1 + this.#prng.int(9)
  }

  newKey(): number {
    return this.next++
  }

  get last(): Map<number, number> {
    return this.sets[this.sets.length - 1] as Map<number, number>
  }

  push(set: Map<number, number>): void {
    this.sets.push(set)
  }

  /** A copy of the last set without `out` members (picked at random) and with `in` new keys. */
  changed(out: number, add: number): Map<number, number> {
    const set = new Map(this.last)
    const members = this.#prng.shuffle([...set.keys()])
    for (const k of members.slice(0, Math.min(out, members.length - 1))) set.delete(k)
    for (let i = 0; i < add; i++) set.set(this.newKey(), this.power())
    return set
  }

  /** A set whose common keys with the last one hold less than 2/3 of the power of each (maybe none). */
  disjoint(): Map<number, number> {
    const prev = this.last
    for (;;) {
      const keep = this.#prng.chance(0.3) ? 0 : this.#prng.int(prev.size)
      const kept = this.#prng.shuffle([...prev.keys()]).slice(0, keep)
      const set = new Map<number, number>()
      for (const k of kept) set.set(k, prev.get(k) as number)
      const fresh = 1 + this.#prng.int(5)
      const start = this.next
      for (let i = 0; i < fresh; i++) set.set(start + i, this.power())
      if (sharesUnderTwoThirds(prev, set)) {
        this.next = start + fresh
        return set
      }
    }
  }
}

/**
 * A schedule of `epochs` sets (at least 3) for the named change, starting from 4 to 6 members; the
 * change happens at the boundary into epoch 1 and again further on.
 */
export function keySchedule(prng: Prng, change: KeyChange, epochs: number): KeySchedule {
  const b = new Builder(prng, 4 + prng.int(3))
  const count = Math.max(3, epochs)
  while (b.sets.length < count) {
    switch (change) {
      case 'join':
        b.push(b.changed(0, 1))
        break
      case 'leave':
        // Leave one at a time while at least 2 remain, then someone new comes so the chain goes on.
        b.push(b.last.size > 2 ? b.changed(1, 0) : b.changed(0, 1 + prng.int(3)))
        break
      case 'rotate':
        b.push(b.changed(1, 1))
        break
      case 'shrink-grow': {
        // Down to the protocol's minimum (one member) or the smallest set with f = 1 (four), and back.
        const min = prng.chance(0.5) ? 1 : 4
        const n = b.last.size
        b.push(n > min ? b.changed(n - min, 0) : b.changed(0, 3 + prng.int(3)))
        break
      }
      case 'disjoint':
        b.push(b.disjoint())
        break
      case 'walk':
        b.push(walkStep(prng, b))
        break
    }
  }
  return { change, sets: b.sets, keys: b.next }
}

function walkStep(prng: Prng, b: Builder): Map<number, number> {
  const n = b.last.size
  switch (prng.int(6)) {
    case 0:
      return b.changed(0, 1 + prng.int(2))
    case 1:
      return n > 1 ? b.changed(1 + prng.int(Math.min(2, n - 1)), 0) : b.changed(0, 2)
    case 2:
      return b.changed(1, 1)
    case 3:
      return b.disjoint()
    case 4: {
      // New powers for the same keys (the old epochs scenario's kind of change), one key swapped.
      const set = b.changed(prng.chance(0.5) ? 1 : 0, prng.chance(0.5) ? 1 : 0)
      for (const k of set.keys()) set.set(k, b.power())
      return set
    }
    default:
      return n > 1 ? b.changed(n - 1, 0) : b.changed(0, 3 + prng.int(3))
  }
}

/** The scenario's rows: one list per epoch with an entry for every key, 0 where it is not a member. */
export function toEpochPowers(schedule: KeySchedule): number[][] {
  return schedule.sets.map((set) => Array.from({ length: schedule.keys }, (_, k) => set.get(k) ?? 0))
}
