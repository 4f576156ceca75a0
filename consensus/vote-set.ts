/**
 * Votes of one height, tallied per (kind, view, block) with integer voting power. Immutable: `addVote`
 * returns a new set, so the machine's step stays pure. The first vote of a validator for a
 * (kind, view) is the one counted; a second one for another block is returned as evidence.
 */
import { toHex } from '../protocol/bytes.ts'
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
}

export const emptyVoteSet: VoteSet = { tallies: new Map(), first: new Map() }

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
  if (prior !== undefined) {
    if (toHex(prior.blockHash) === hashHex) return { set, added: false, evidence: null }
    return { set, added: false, evidence: { a: prior, b: vote } }
  }
  const key = tallyKey(vote.kind, vote.view, hashHex)
  const old = set.tallies.get(key)
  const tally: Tally = { power: (old?.power ?? 0) + power, votes: [...(old?.votes ?? []), vote] }
  const tallies = new Map(set.tallies)
  tallies.set(key, tally)
  const first = new Map(set.first)
  first.set(who, vote)
  return { set: { tallies, first }, added: true, evidence: null }
}

export function tallyOf(set: VoteSet, kind: VoteKind, view: number, hashHex: string): Tally | undefined {
  return set.tallies.get(tallyKey(kind, view, hashHex))
}
