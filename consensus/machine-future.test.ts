/**
 * Who may influence the machine: a message counts only when its signer is the peer whose connection
 * delivered it, that peer is a member, and its signature verifies; future-height messages are bounded
 * per sender, and a claimed height alone never sets a sync target beyond what a third of the power claims.
 */
import { describe, expect, it } from 'vitest'
import { type Block, blockHash, evidenceRootOf, txRootOf } from '../protocol/block.ts'
import { toHex } from '../protocol/bytes.ts'
import { encode } from '../protocol/codec.ts'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { publicKeyFromSecret, sign, verify } from '../protocol/crypto.ts'
import { validatorSetHash } from '../protocol/validator-set.ts'
import { type CommitCertificate, certificateFromVotes, certificateHash, type Vote } from '../protocol/vote.ts'
import { bufferedMessages } from './future-buffer.ts'
import { consensusOptions } from './options.ts'
import type { SignaturePort } from './ports.ts'
import { type ConsensusEffect, type ConsensusState, initialState } from './state.ts'
import {
  block,
  cfg,
  ctx,
  hexOf,
  keys,
  leader0,
  me,
  msg,
  others,
  run,
  schedule,
  senderHex,
  set,
  signed,
  started,
  vote,
} from './testing.ts'
import { countedVotes } from './vote-set.ts'

const buffered = (s: ConsensusState): readonly ConsensusMessage[] =>
  bufferedMessages(s.future).map((b) => b.message)
const voteCount = (s: ConsensusState): number => countedVotes(s.votes).length

const syncs = (effects: readonly ConsensusEffect[]) =>
  effects.filter((e) => e.type === 'request-sync') as Extract<ConsensusEffect, { type: 'request-sync' }>[]

const forge = (m: ConsensusMessage): ConsensusMessage => {
  const zero = new Uint8Array(64)
  switch (m.type) {
    case 'vote':
      return { ...m, vote: { ...m.vote, signature: zero } }
    case 'proposal':
      return { ...m, signature: zero }
    case 'view-change':
      return { ...m, signature: zero }
    default:
      return m
  }
}

const [x, y, z] = others as [SignaturePort, SignaturePort, SignaturePort]
const a = block(leader0.publicKey)
const proposalA = signed(leader0, { type: 'proposal', height: 1, view: 0, block: a })

/** A member's own, validly signed VIEW-CHANGE claiming `height`. */
const claim = (k: SignaturePort, height: number) =>
  signed(k, { type: 'view-change', height, view: 1, prepared: null })

describe('consensus machine: who may influence it', () => {
  it('neither buffers nor counts next-height VIEW-CHANGEs whose signature does not verify', () => {
    const forged = [x, y].map((k) => forge(claim(k, 2)))
    const r = run(
      started(),
      forged.map((m) => msg(m)),
    )
    expect(buffered(r.state)).toHaveLength(0)
    expect(r.state.ahead.size).toBe(0)
    expect(syncs(r.effects)).toEqual([])
  })

  it('drops every kind of message whose signer is not the peer that delivered it', () => {
    const fromOthers: ConsensusMessage[] = [
      proposalA,
      vote(y, 'prepare', a),
      vote(y, 'commit', a),
      claim(y, 1),
      claim(y, 2),
      vote(z, 'prepare', a, 0, 2),
    ]
    for (const m of fromOthers) {
      const relay = keys.find((k) => k !== me && hexOf(k) !== senderHex(m)) as SignaturePort
      const r = run(started(), [msg(m, hexOf(relay))])
      expect(r.effects).toEqual([])
      expect(voteCount(r.state)).toBe(0)
      expect(buffered(r.state)).toHaveLength(0)
      expect(r.state.proposals.size).toBe(0)
      expect(r.state.ahead.size).toBe(0)
    }
    // The same messages over their signers' own connections do count.
    const direct = run(started(), [msg(proposalA)])
    expect(direct.effects.some((e) => e.type === 'validate-proposal')).toBe(true)
  })

  it('drops messages delivered by a peer outside the validator set, even when validly signed by it', () => {
    const secret = new Uint8Array(32).fill(99)
    const observer: SignaturePort = {
      publicKey: publicKeyFromSecret(secret),
      sign: (m) => sign(m, secret),
      verify,
    }
    const r = run(started(), [msg(vote(observer, 'commit', a)), msg(claim(observer, 7))])
    expect(r.effects).toEqual([])
    expect(r.state.ahead.size).toBe(0)
  })

  it('never asks for a sync beyond the height that a third of the power claims', () => {
    const absurd = Number.MAX_SAFE_INTEGER
    const one = run(started(), [msg(claim(x, 10))])
    expect(syncs(one.effects)).toEqual([])
    // A second member claims an absurd height: together they hold a third, but only height 10 is claimed
    // by a third of the power, so the target is 9 (the last height before it).
    const two = run(one.state, [msg(claim(y, absurd))])
    expect(syncs(two.effects).map((e) => e.targetHeight)).toEqual([9])
    // One member alone, however high it claims, never triggers a sync.
    const alone = run(started(), [msg(claim(y, absurd)), msg(claim(y, 2 ** 40))])
    expect(syncs(alone.effects)).toEqual([])
  })

  it('bounds the next-height buffer per sender: a flood of signed messages keeps at most its share', () => {
    const flood: ConsensusMessage[] = []
    for (let view = 0; view < 60; view++) {
      flood.push(vote(x, 'prepare', a, view, 2), vote(x, 'commit', a, view, 2))
      if (view > 0) flood.push(signed(x, { type: 'view-change', height: 2, view, prepared: null }))
    }
    const r = run(
      started(),
      flood.map((m) => msg(m)),
    )
    const fromX = buffered(r.state).length
    expect(fromX).toBe(cfg.options.maxFutureMessagesPerMember)
  })

  it('keeps a genuine early message of one member however much another member sends', () => {
    const flood: ConsensusMessage[] = []
    for (let view = 0; view < 1100; view++) flood.push(vote(x, 'prepare', a, view, 2))
    const genuine = vote(y, 'prepare', a, 0, 2)
    const r = run(
      started(),
      [...flood, genuine].map((m) => msg(m)),
    )
    const kept = buffered(r.state)
    expect(kept).toContain(genuine)
  })

  it('counts a block-carrying message by its block size against the sender byte allowance', () => {
    const small = { ...cfg, options: consensusOptions({ maxBlockBytes: 64 * 1024 }) }
    const next = (view: number, txBytes: number): Block => {
      const txs = Array.from({ length: Math.ceil(txBytes / 1024) }, (_, i) =>
        encode([new Uint8Array(1024).fill(i % 251), new Uint8Array(64).fill(view)]),
      )
      const b = block(schedule.leaderOf(2, view), view, 10 + view, txs)
      return { ...b, header: { ...b.header, height: 2 } }
    }
    // The leader of height 2 view 0 sends a proposal whose block is above its allowance: refused.
    const lead2 = keys.find((k) => toHex(k.publicKey) === toHex(schedule.leaderOf(2, 0))) as SignaturePort
    const big = signed(lead2, { type: 'proposal', height: 2, view: 0, block: next(0, 2 * 64 * 1024) })
    const fits = signed(lead2, { type: 'proposal', height: 2, view: 0, block: next(0, 1024) })
    expect(buffered(run(started(small), [msg(big)], small).state)).toHaveLength(0)
    expect(buffered(run(started(small), [msg(fits)], small).state)).toHaveLength(1)
  })
})

describe('consensus machine: commit certificates', () => {
  const commits = (b: Block, signers: SignaturePort[], view = 0): CommitCertificate =>
    ({
      ...certificateFromVotes(
        signers.map((k) => (vote(k, 'commit', b, view, b.header.height) as { vote: Vote }).vote),
      ),
      kind: 'commit',
    }) as CommitCertificate
  const certMsg = (c: CommitCertificate): ConsensusMessage => ({
    type: 'commit-certificate',
    height: c.height,
    view: c.view,
    certificate: c,
  })

  it('helps a member stuck one height behind with one commit-certificate message, not relayed votes', () => {
    const cert = commits(a, [x, y, z])
    const h2 = {
      ...ctx,
      height: 2,
      parentHash: blockHash(a.header),
      parentTimeMs: 5,
      lastCommit: cert,
      lastValidators: set,
    }
    const s = run(initialState(h2), [{ type: 'start' }]).state
    const stuck = claim(x, 1)
    const r = run(s, [msg(stuck), msg(stuck)])
    const sent = r.effects.filter((e) => e.type === 'send')
    expect(sent).toHaveLength(1)
    const help = sent[0] as Extract<ConsensusEffect, { type: 'send' }>
    expect(help.peer).toBe(hexOf(x))
    expect(help.message.type).toBe('commit-certificate')
  })

  it("hands the parent's certificate to the new height's first leader, and that leader decides on it at once", () => {
    const cert = commits(a, [x, y, z])
    const h2 = {
      ...ctx,
      height: 2,
      parentHash: blockHash(a.header),
      parentTimeMs: 5,
      lastCommit: cert,
      lastValidators: set,
    }
    const nextLeader = keys.find(
      (k) => toHex(k.publicKey) === toHex(schedule.leaderOf(2, 0)),
    ) as SignaturePort
    const follower = keys.find((k) => k !== nextLeader) as SignaturePort
    const asFollower = { ...cfg, self: follower.publicKey }
    const entered = run(
      run(initialState(ctx), [{ type: 'start' }], asFollower).state,
      [{ type: 'block-committed', context: h2 }],
      asFollower,
    )
    const handed = entered.effects.filter((e) => e.type === 'send')
    expect(handed).toHaveLength(1)
    const send = handed[0] as Extract<ConsensusEffect, { type: 'send' }>
    expect(send.peer).toBe(toHex(nextLeader.publicKey))
    expect(send.message).toEqual(certMsg(cert))
    // The leader itself sends nothing to itself.
    const asLeader = { ...cfg, self: nextLeader.publicKey }
    const own = run(
      run(initialState(ctx), [{ type: 'start' }], asLeader).state,
      [{ type: 'block-committed', context: h2 }],
      asLeader,
    )
    expect(own.effects.filter((e) => e.type === 'send')).toEqual([])
    // A next leader that saw the block but missed the COMMIT quorum (one vote lost): the handed-off
    // certificate decides the height now, not after the others' view timeouts.
    const behind = run(
      run(initialState(ctx), [{ type: 'start' }], asLeader).state,
      [msg(proposalA)],
      asLeader,
    )
    expect(behind.state.phase).toBe('normal')
    const caughtUp = run(behind.state, [msg(send.message, toHex(follower.publicKey))], asLeader)
    expect(caughtUp.state.phase).toBe('decided')
    expect(caughtUp.effects.some((e) => e.type === 'commit')).toBe(true)
  })

  it('decides on a valid commit certificate from any member, and ignores one without a quorum or forged', () => {
    const s = run(started(), [msg(proposalA)]).state
    const ok = commits(a, [x, y, z])
    const short = commits(a, [x, y])
    const forged = {
      ...ok,
      signatures: ok.signatures.map((sig, i) => (i === 0 ? { ...sig, signature: new Uint8Array(64) } : sig)),
    }
    for (const bad of [short, forged]) {
      const r = run(s, [msg(certMsg(bad), hexOf(x))])
      expect(r.effects.some((e) => e.type === 'commit')).toBe(false)
    }
    // Not from a member's connection: dropped.
    expect(run(s, [msg(certMsg(ok), toHex(new Uint8Array(32).fill(5)))]).state.phase).toBe('normal')
    const good = run(s, [msg(certMsg(ok), hexOf(x))])
    expect(good.state.phase).toBe('decided')
    const commit = good.effects.find((e) => e.type === 'commit')
    expect(commit?.type === 'commit' && certificateHash(commit.certificate)).toEqual(certificateHash(ok))
  })

  it('asks for a sync to the height of a valid certificate for a later height, and no further', () => {
    const b2: Block = {
      ...block(leader0.publicKey),
      header: {
        ...block(leader0.publicKey).header,
        height: 2,
        txRoot: txRootOf([]),
        evidenceRoot: evidenceRootOf([]),
        validatorSetHash: validatorSetHash(set),
      },
    }
    const r = run(started(), [msg(certMsg(commits(b2, [x, y, me])), hexOf(x))])
    expect(syncs(r.effects).map((e) => e.targetHeight)).toEqual([2])
  })
})
