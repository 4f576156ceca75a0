import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import type { Vote } from '../protocol/vote.ts'
import { block, keys, leader0, vote } from './testing.ts'
import {
  addVote,
  countedVotes,
  emptyVoteSet,
  keepViewsFrom,
  tallyPower,
  tallyVotes,
  wouldCount,
} from './vote-set.ts'

const v = (k: number, timeMs: number, view = 0, kind: 'prepare' | 'commit' = 'prepare'): Vote =>
  (vote(keys[k] as (typeof keys)[0], kind, block(leader0.publicKey, view, timeMs), view) as { vote: Vote })
    .vote
const hex = (x: Vote) => toHex(x.blockHash)

describe('vote set', () => {
  it('stays immutable for every holder of an older version, and forks when one is added to again', () => {
    const one = addVote(emptyVoteSet, v(0, 5), 10).set
    const two = addVote(one, v(1, 5), 10).set
    expect(countedVotes(one)).toHaveLength(1)
    expect(tallyPower(one, 'prepare', 0, hex(v(0, 5)))).toBe(10)
    expect(tallyPower(two, 'prepare', 0, hex(v(0, 5)))).toBe(20)
    // `one` is stepped again with another vote: `two` must not see it, and the new branch not `two`'s.
    const other = addVote(one, v(2, 5), 7).set
    expect(tallyPower(two, 'prepare', 0, hex(v(0, 5)))).toBe(20)
    expect(tallyPower(other, 'prepare', 0, hex(v(0, 5)))).toBe(17)
    expect(tallyVotes(other, 'prepare', 0, hex(v(0, 5))).map((x) => x.validator)).toEqual([
      keys[0]?.publicKey,
      keys[2]?.publicKey,
    ])
    expect(countedVotes(one)).toHaveLength(1)
  })

  it('counts a second block per slot with evidence, and neither a repeat nor a third block', () => {
    let set = addVote(emptyVoteSet, v(0, 5), 10).set
    expect(wouldCount(set, v(0, 5))).toBe(false)
    const second = addVote(set, v(0, 6), 10)
    expect(second.added).toBe(true)
    expect(second.evidence?.a.blockHash).toEqual(v(0, 5).blockHash)
    set = second.set
    // The older version still sees a single vote in that slot.
    expect(wouldCount(addVote(emptyVoteSet, v(0, 5), 10).set, v(0, 6))).toBe(true)
    expect(wouldCount(set, v(0, 7))).toBe(false)
    expect(addVote(set, v(0, 7), 10).added).toBe(false)
    expect(countedVotes(set)).toHaveLength(2)
  })

  it('forgets the views below a given one', () => {
    let set = emptyVoteSet
    for (const view of [0, 1, 2, 3]) set = addVote(set, v(0, 5 + view, view, 'commit'), 10).set
    const kept = keepViewsFrom(set, 2)
    expect(countedVotes(kept).map((x) => x.view)).toEqual([2, 3])
    expect(countedVotes(set)).toHaveLength(4)
    expect(tallyPower(kept, 'commit', 3, hex(v(0, 8, 3, 'commit')))).toBe(10)
  })
})
