/**
 * Votes of one height, tallied per (kind, view, block) with integer voting power. Immutable from the
 * caller's point of view (the machine's step stays pure) yet O(1) per vote: the counted votes are an
 * append-only journal shared by successive versions (journal.ts), indexed by slot and by tally.
 *
 * A slot is (kind, view, validator). Its first vote is counted; a second vote for another block is
 * returned as evidence and counted too, in its own block's tally. Counting it is safe: a quorum of
 * signed votes is a valid certificate whoever holds it. Not counting it can stall the height: an
 * equivocator's vote may complete the COMMIT quorum another node decided on, and the nodes that saw its
 * other vote first could never rebuild that certificate. A third block in one slot is not counted (the
 * equivocation is already proven), so a member holds at most two votes per slot: with the machine's
 * window of views, a bounded number in all.
 */
import { toHex } from '../protocol/bytes.ts'
import type { Evidence, Vote, VoteKind } from '../protocol/vote.ts'
import {
  append,
  countBelow,
  emptyVersion,
  entries,
  type JournalKind,
  type Version,
  versionOf,
} from './journal.ts'

interface Counted {
  readonly vote: Vote
  readonly power: number
}

interface Slot {
  readonly first: number
  /** Position of the second vote, or -1. Set once, on the newest version; older ones ignore it by position. */
  second: number
}

interface TallyIndex {
  /** Positions of the tally's votes, ascending, and the power summed up to each. */
  readonly positions: number[]
  readonly power: number[]
}

interface VoteIndex {
  /** `${kind}/${view}/${validatorHex}` → the slot's votes. */
  readonly slots: Map<string, Slot>
  /** `${kind}/${view}/${hashHex}` → the tally. */
  readonly tallies: Map<string, TallyIndex>
}

const kind: JournalKind<Counted, VoteIndex> = {
  createIndex: () => ({ slots: new Map(), tallies: new Map() }),
  index(index, { vote, power }, pos) {
    const who = slotKey(vote.kind, vote.view, toHex(vote.validator))
    const slot = index.slots.get(who)
    if (slot === undefined) index.slots.set(who, { first: pos, second: -1 })
    else slot.second = pos
    const key = tallyKey(vote.kind, vote.view, toHex(vote.blockHash))
    let tally = index.tallies.get(key)
    if (tally === undefined) {
      tally = { positions: [], power: [] }
      index.tallies.set(key, tally)
    }
    tally.power.push((tally.power.at(-1) ?? 0) + power)
    tally.positions.push(pos)
  },
}

export type VoteSet = Version<Counted, VoteIndex>

export const emptyVoteSet: VoteSet = emptyVersion(kind)

export function tallyKey(voteKind: VoteKind, view: number, hashHex: string): string {
  return `${voteKind}/${view}/${hashHex}`
}

function slotKey(voteKind: VoteKind, view: number, validatorHex: string): string {
  return `${voteKind}/${view}/${validatorHex}`
}

/** The slot's first and second vote as this version sees them. */
function slotOf(set: VoteSet, v: Vote): { first: Vote; second: Vote | null } | null {
  const slot = set.journal.index.slots.get(slotKey(v.kind, v.view, toHex(v.validator)))
  if (slot === undefined || slot.first >= set.length) return null
  const log = set.journal.log
  const second = slot.second >= 0 && slot.second < set.length ? (log[slot.second] as Counted).vote : null
  return { first: (log[slot.first] as Counted).vote, second }
}

const sameBlock = (a: Vote, b: Vote) => toHex(a.blockHash) === toHex(b.blockHash)

/**
 * Whether `vote` would change the set: false for a repeat of a counted vote, or for a third block in a
 * slot that already holds two. Cheap (no signature check): the machine asks before it verifies.
 */
export function wouldCount(set: VoteSet, vote: Vote): boolean {
  const slot = slotOf(set, vote)
  if (slot === null) return true
  if (sameBlock(slot.first, vote)) return false
  return slot.second === null
}

export interface AddResult {
  readonly set: VoteSet
  /** Whether the vote was new and counted. */
  readonly added: boolean
  readonly evidence: Evidence | null
}

/** Counts a vote whose signature the caller has checked. O(1). */
export function addVote(set: VoteSet, vote: Vote, power: number): AddResult {
  const slot = slotOf(set, vote)
  if (slot === null) return { set: append(kind, set, { vote, power }), added: true, evidence: null }
  if (sameBlock(slot.first, vote)) return { set, added: false, evidence: null }
  const evidence = { a: slot.first, b: vote }
  if (slot.second !== null) return { set, added: false, evidence }
  return { set: append(kind, set, { vote, power }), added: true, evidence }
}

function tallyIndex(set: VoteSet, voteKind: VoteKind, view: number, hashHex: string) {
  const t = set.journal.index.tallies.get(tallyKey(voteKind, view, hashHex))
  if (t === undefined) return null
  const n = countBelow(t.positions, set.length)
  return n === 0 ? null : { t, n }
}

/** The power voting `kind` for the block in `view` (0 when none). O(1) at the newest version. */
export function tallyPower(set: VoteSet, voteKind: VoteKind, view: number, hashHex: string): number {
  const found = tallyIndex(set, voteKind, view, hashHex)
  return found === null ? 0 : (found.t.power[found.n - 1] as number)
}

/** The votes of that tally (to build a certificate from). */
export function tallyVotes(set: VoteSet, voteKind: VoteKind, view: number, hashHex: string): Vote[] {
  const found = tallyIndex(set, voteKind, view, hashHex)
  if (found === null) return []
  const log = set.journal.log
  return found.t.positions.slice(0, found.n).map((p) => (log[p] as Counted).vote)
}

/** The same set without the views below `minView` (a fresh journal: O(votes kept)). */
export function keepViewsFrom(set: VoteSet, minView: number): VoteSet {
  const all = entries(set)
  if (all.every((c) => c.vote.view >= minView)) return set
  return versionOf(
    kind,
    all.filter((c) => c.vote.view >= minView),
  )
}

/** Every counted vote, oldest first (for tests and the simulator's checks). */
export function countedVotes(set: VoteSet): Vote[] {
  return entries(set).map((c) => c.vote)
}
