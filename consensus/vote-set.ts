/**
 * Votes of one height, tallied per (kind, view, block) with integer voting power. Immutable: `addVote`
 * returns a new set, so the machine's step stays pure. A second vote of a validator for another block
 * in the same (kind, view) is returned as evidence; it is counted too, within bounds (see addVote).
 */
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import type { Evidence, Vote, VoteKind } from '../protocol/vote.ts'

export interface Tally {
  readonly power: number
  readonly votes: readonly Vote[]
}

export interface VoteSet {
  /** `${kind}/${view}/${hashHex}` → tally. */
  readonly tallies: ReadonlyMap<string, Tally>
  /** `${kind}/${view}/${validatorHex}` → the first vote counted. */
  readonly first: ReadonlyMap<string, Vote>
  /** The same slots → a second, conflicting vote counted in a tally of its own block. */
  readonly second: ReadonlyMap<string, Vote>
}

export const emptyVoteSet: VoteSet = { tallies: new Map(), first: new Map(), second: new Map() }

export function tallyKey(kind: VoteKind, view: number, hashHex: string): string {
  return `${kind}/${view}/${hashHex}`
}

export interface AddResult {
  readonly set: VoteSet
  /** Whether the vote was new and counted. */
  readonly added: boolean
  readonly evidence: Evidence | null
}

export function addVote(set: VoteSet, vote: Vote, power: number): AddResult {
  const who = `${vote.kind}/${vote.view}/${toHex(vote.validator)}`
  const prior = set.first.get(who)
  const hashHex = toHex(vote.blockHash)
  const key = tallyKey(vote.kind, vote.view, hashHex)
  const old = set.tallies.get(key)
  if (prior !== undefined) {
    if (toHex(prior.blockHash) === hashHex) return { set, added: false, evidence: null }
    const evidence = { a: prior, b: vote }
    // A conflicting vote still counts for its own block: into a tally others voted for, or as the one
    // extra tally an equivocator may open per slot (so made-up blocks cannot grow the set). Counting it
    // is safe: a quorum of signed votes is a valid certificate whoever holds it. Not counting it can stall
    // the height: an equivocator's vote may complete the COMMIT quorum another node decided on, and the
    // nodes that saw its other vote first could never rebuild that certificate.
    if (old?.votes.some((v) => sameValidator(v, vote))) return { set, added: false, evidence }
    if (old === undefined && set.second.has(who)) return { set, added: false, evidence }
    const tallies = new Map(set.tallies)
    tallies.set(key, { power: (old?.power ?? 0) + power, votes: [...(old?.votes ?? []), vote] })
    const second = set.second.has(who) ? set.second : new Map(set.second).set(who, vote)
    return { set: { ...set, tallies, second }, added: true, evidence }
  }
  const tally: Tally = { power: (old?.power ?? 0) + power, votes: [...(old?.votes ?? []), vote] }
  const tallies = new Map(set.tallies)
  tallies.set(key, tally)
  const first = new Map(set.first)
  first.set(who, vote)
  return { set: { ...set, tallies, first }, added: true, evidence: null }
}

export function tallyOf(set: VoteSet, kind: VoteKind, view: number, hashHex: string): Tally | undefined {
  return set.tallies.get(tallyKey(kind, view, hashHex))
}

function sameValidator(a: Vote, b: Vote): boolean {
  return bytesEqual(a.validator, b.validator)
}
