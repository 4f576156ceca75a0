/**
 * A validator set that changes by keys at a boundary: who counts on each side of it, what a key outside
 * a height's set may do there (nothing but follow), and how a node left behind by a set that changed and
 * went quiet finds its way on.
 */
import { describe, expect, it } from 'vitest'
import { type Block, blockHash, evidenceRootOf, txRootOf } from '../protocol/block.ts'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { publicKeyFromSecret, sign, verify } from '../protocol/crypto.ts'
import { createValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { type CommitCertificate, certificateFromVotes, certificateHash, type Vote } from '../protocol/vote.ts'
import { bufferedMessages } from './future-buffer.ts'
import { createLeaderSchedule } from './leader.ts'
import type { SignaturePort } from './ports.ts'
import type { ConsensusEffect, HeightContext, MachineConfig } from './state.ts'
import { block, cfg, keys, leader0, msg, others, run, set, signed, signs, started, vote } from './testing.ts'
import { countedVotes } from './vote-set.ts'

const keyOf = (fill: number): SignaturePort => {
  const secret = new Uint8Array(32).fill(fill)
  return { publicKey: publicKeyFromSecret(secret), sign: (m) => sign(m, secret), verify }
}

/** A key outside height 1's set: a newcomer of a later epoch. */
const newcomer = keyOf(77)
const [x, y, z] = others as [SignaturePort, SignaturePort, SignaturePort]
const a = block(leader0.publicKey)
const proposalA = signed(leader0, { type: 'proposal', height: 1, view: 0, block: a })

const syncs = (effects: readonly ConsensusEffect[]) =>
  effects.filter((e) => e.type === 'request-sync') as Extract<ConsensusEffect, { type: 'request-sync' }>[]
const timeout = (view: number) => ({ type: 'timeout' as const, height: 1, view })
const signedAnything = (effects: readonly ConsensusEffect[]) =>
  effects.filter((e) => e.type === 'sign-and-broadcast')

/** The certificate of block `a` at height 1: COMMITs of three of the four members. */
const certA = certificateFromVotes(
  [x, y, z].map((k) => (vote(k, 'commit', a) as { vote: Vote }).vote),
) as CommitCertificate

describe('consensus machine: a validator set that changes by keys', () => {
  it('signs nothing at a height whose set lacks its key, yet follows the chain there', () => {
    const outside: MachineConfig = { ...cfg, self: newcomer.publicKey }
    const prepares = [x, y, z].map((k) => msg(vote(k, 'prepare', a)))
    const commits = [x, y, z].map((k) => msg(vote(k, 'commit', a)))
    const r = run(
      started(outside),
      [
        msg(proposalA),
        { type: 'proposal-validated', hash: blockHash(a.header), result: { ok: true } },
        ...prepares,
      ],
      outside,
    )
    expect(signedAnything(r.effects)).toEqual([])
    // Timeouts move it through views silently: no VIEW-CHANGE from a key with no power here.
    const later = run(r.state, [timeout(0), timeout(1)], outside)
    expect(signedAnything(later.effects)).toEqual([])
    // It still decides on the members' COMMIT quorum.
    const decided = run(r.state, commits, outside)
    expect(decided.effects.some((e) => e.type === 'commit')).toBe(true)
    // A member in the same place signs its PREPARE and COMMIT.
    const member = run(started(), [
      msg(proposalA),
      { type: 'proposal-validated', hash: blockHash(a.header), result: { ok: true } },
      ...prepares,
    ])
    expect(signs(member.effects, 'prepare')).toHaveLength(1)
    expect(signs(member.effects, 'commit')).toHaveLength(1)
  })

  /**
   * Found by the simulator (seeds keys 91 and 107, keys-outsider 150, keys-sync 9, 48, 279 and 391): a
   * node following the chain fell behind at a height after which every member of that height's set left
   * and was shut down. Nobody of that set could tell it the height had ended (no claims, and help comes
   * from the next height only); the later sets' messages do not count at its height (none of their keys
   * is a member there) and their certificates cannot be checked against a set it does not know yet. It
   * stayed at that height for good, and once its own epoch came (in keys 91 it held 5 of 12, in
   * keys-outsider 150 it was the next epoch's only member), the chain halted.
   */
  it('stuck in a view change with no quorum at or above its view: asks for a sync of its height only', () => {
    const stuck = run(started(), [timeout(0), timeout(1)])
    expect(syncs(stuck.effects)).toEqual([{ type: 'request-sync', fromHeight: 1, targetHeight: 1 }])
    // Once per height.
    expect(syncs(run(stuck.state, [timeout(1), timeout(1)]).effects)).toEqual([])
    // A first timeout is an ordinary view change: no sync yet.
    expect(syncs(run(started(), [timeout(0)]).effects)).toEqual([])
    // Nor when a quorum moved on to the view: then the view change goes on without it.
    const quorum = [x, y, z].map((k) =>
      msg(signed(k, { type: 'view-change', height: 1, view: 1, prepared: null })),
    )
    expect(syncs(run(started(), [timeout(0), ...quorum, timeout(1)]).effects)).toEqual([])
  })

  it('counts a later height signed by a key outside its set for nothing: no buffer, claim or target', () => {
    const later: ConsensusMessage[] = [
      vote(newcomer, 'prepare', a, 0, 2),
      vote(newcomer, 'commit', a, 0, 9),
      signed(newcomer, { type: 'view-change', height: 9, view: 3, prepared: null }),
    ]
    const r = run(
      started(),
      later.map((m) => msg(m)),
    )
    expect(r.effects).toEqual([])
    expect(r.state.ahead.size).toBe(0)
    expect(bufferedMessages(r.state.future)).toHaveLength(0)
  })

  it('at the boundary: the leaver stops counting, the newcomer counts from the new height on', () => {
    const leaver = x
    // Height 2's set: the leaver out, the newcomer in (one out, one in at the same boundary).
    const next = createValidatorSet([
      ...keys.filter((k) => k !== leaver).map((k) => ({ publicKey: k.publicKey, power: 10 })),
      { publicKey: newcomer.publicKey, power: 10 },
    ])
    const ctx2: HeightContext = {
      height: 2,
      validators: next,
      validatorSetHash: validatorSetHash(next),
      schedule: createLeaderSchedule(next),
      parentHash: blockHash(a.header),
      parentTimeMs: a.header.timeMs,
      lastCommit: certA,
      lastValidators: set,
    }
    const b2: Block = {
      header: {
        ...a.header,
        height: 2,
        timeMs: a.header.timeMs + 1,
        parentHash: blockHash(a.header),
        txRoot: txRootOf([]),
        lastCommitHash: certificateHash(certA),
        validatorSetHash: validatorSetHash(next),
        nextValidatorSetHash: validatorSetHash(next),
        evidenceRoot: evidenceRootOf([]),
      },
      txs: [],
      lastCommit: certA,
      evidence: [],
    }
    // At height 1: the newcomer's vote for height 2 is not even buffered (it is not a member yet); the
    // leaver's is (it is one at height 1), and both their height-1 votes are judged by height 1's set.
    const at1 = run(started(), [
      msg(vote(newcomer, 'commit', a)),
      msg(vote(newcomer, 'prepare', b2, 0, 2)),
      msg(vote(leaver, 'prepare', b2, 0, 2)),
    ])
    expect(countedVotes(at1.state.votes)).toEqual([])
    // Height 2 begins: the buffered vote of the leaver is replayed and dropped, the newcomer's counts.
    const at2 = run(at1.state, [
      { type: 'block-committed', context: ctx2 },
      msg(vote(newcomer, 'prepare', b2, 0, 2)),
      msg(vote(leaver, 'commit', b2, 0, 2)),
    ])
    const voters = countedVotes(at2.state.votes).map((v) => v.validator)
    expect(voters).toEqual([newcomer.publicKey])
  })
})
