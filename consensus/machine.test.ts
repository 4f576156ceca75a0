import { describe, expect, it } from 'vitest'
import { type Block, blockHash } from '../protocol/block.ts'
import type { ViewChange } from '../protocol/consensus-message.ts'
import {
  certificateFromVotes,
  certificateHash,
  isValidEvidence,
  type Vote,
  verifyCertificate,
} from '../protocol/vote.ts'
import { consensusOptions, viewTimeoutMs } from './options.ts'
import type { SignaturePort } from './ports.ts'
import { type ConsensusEffect, initialState } from './state.ts'
import {
  block,
  CHAIN,
  cfg,
  ctx,
  keys,
  leader0,
  leader1,
  me,
  msg,
  others,
  run,
  set,
  signed,
  signs,
  started,
  vote,
} from './testing.ts'
import { countedVotes } from './vote-set.ts'

describe('consensus machine', () => {
  const a = block(leader0.publicKey)
  const proposalA = signed(leader0, { type: 'proposal', height: 1, view: 0, block: a })

  it('votes PREPARE only after the executor re-ran the proposal and found it valid', () => {
    const r1 = run(started(), [msg(proposalA)])
    expect(r1.effects.some((e) => e.type === 'validate-proposal')).toBe(true)
    expect(signs(r1.effects, 'prepare')).toHaveLength(0)
    const hash = blockHash(a.header)
    const bad = run(r1.state, [{ type: 'proposal-validated', hash, result: { ok: false, reason: 'root' } }])
    expect(signs(bad.effects, 'prepare')).toHaveLength(0)
    const ok = run(r1.state, [{ type: 'proposal-validated', hash, result: { ok: true } }])
    expect(signs(ok.effects, 'prepare')).toHaveLength(1)
  })

  it('ignores a proposal from a validator that is not the leader', () => {
    const wrong = signed(me, { type: 'proposal', height: 1, view: 0, block: block(me.publicKey) })
    expect(run(started(), [msg(wrong)]).effects).toHaveLength(0)
  })

  it('persists the prepared proof before signing COMMIT, and decides with a valid certificate', () => {
    const hash = blockHash(a.header)
    const r = run(started(), [
      msg(proposalA),
      { type: 'proposal-validated', hash, result: { ok: true } },
      ...others.map((k) => msg(vote(k, 'prepare', a))),
    ])
    const persist = r.effects.findIndex((e) => e.type === 'persist')
    const commitVote = r.effects.indexOf(signs(r.effects, 'commit')[0] as ConsensusEffect)
    expect(persist).toBeGreaterThanOrEqual(0)
    expect(commitVote).toBeGreaterThan(persist)
    const d = run(
      r.state,
      others.map((k) => msg(vote(k, 'commit', a))),
    )
    const commit = d.effects.find((e) => e.type === 'commit')
    if (commit?.type !== 'commit') throw new Error('no commit effect')
    expect(() => verifyCertificate(CHAIN, commit.certificate, set)).not.toThrow()
    expect(d.state.phase).toBe('decided')
  })

  it('does not decide on COMMITs from two thirds or less of the power', () => {
    const r = run(started(), [msg(proposalA), ...others.slice(0, 2).map((k) => msg(vote(k, 'commit', a)))])
    expect(r.effects.some((e) => e.type === 'commit')).toBe(false)
  })

  it('reports two conflicting votes as evidence, and never a repeated vote', () => {
    const b = block(leader0.publicKey, 0, 6)
    const k = others[0] as SignaturePort
    const same = run(started(), [msg(vote(k, 'prepare', a)), msg(vote(k, 'prepare', a))])
    expect(same.effects.some((e) => e.type === 'report-evidence')).toBe(false)
    const r = run(started(), [msg(vote(k, 'prepare', a)), msg(vote(k, 'prepare', b))])
    const ev = r.effects.find((e) => e.type === 'report-evidence')
    if (ev?.type !== 'report-evidence') throw new Error('no evidence')
    expect(isValidEvidence(CHAIN, ev.evidence)).toBe(true)
    expect(r.state.evidence).toHaveLength(1)
  })

  it('times out into VIEW-CHANGE carrying its prepared proof, with a timer that grows per view', () => {
    const hash = blockHash(a.header)
    const r = run(started(), [
      msg(proposalA),
      { type: 'proposal-validated', hash, result: { ok: true } },
      ...others.map((k) => msg(vote(k, 'prepare', a))),
      { type: 'timeout', height: 1, view: 0 },
    ])
    const vc = signs(r.effects, 'view-change')[0]
    if (vc?.type !== 'sign-and-broadcast' || vc.message.type !== 'view-change')
      throw new Error('no view change')
    expect(vc.message.view).toBe(1)
    expect(vc.message.prepared?.certificate.blockHash).toEqual(hash)
    const timers = r.effects
      .filter((e) => e.type === 'schedule-timeout')
      .map((e) => (e as { afterMs: number }).afterMs)
    expect(timers).toEqual([1500])
    const o = consensusOptions()
    expect([0, 1, 2, 50].map((v) => viewTimeoutMs(o, v))).toEqual([2000, 1500, 2000, 10_000])
  })

  it('stays in a view change, resending it, until a quorum asks for that view or a later one', () => {
    const vc = (k: SignaturePort, view: number) =>
      msg(signed(k, { type: 'view-change', height: 1, view, prepared: null }))
    const sentViews = (effects: ConsensusEffect[]) =>
      signs(effects, 'view-change').map((e) => (e.type === 'sign-and-broadcast' ? e.message.view : -1))
    const first = run(started(), [{ type: 'timeout', height: 1, view: 0 }])
    expect(first.state.view).toBe(1)
    // Alone in view 1: the timeout resends VIEW-CHANGE(1) and re-arms the timer instead of running ahead.
    const alone = run(first.state, [vc(me, 1), { type: 'timeout', height: 1, view: 1 }])
    expect(alone.state.view).toBe(1)
    expect(sentViews(alone.effects)).toEqual([1])
    expect(alone.effects.filter((e) => e.type === 'schedule-timeout')).toHaveLength(1)
    // A member at view 1 and one already at view 2 make a quorum with this node: now it moves on.
    const [x, y] = others as [SignaturePort, SignaturePort]
    const moved = run(alone.state, [vc(x, 1), vc(y, 2), { type: 'timeout', height: 1, view: 1 }])
    expect(moved.state.view).toBe(2)
    expect(sentViews(moved.effects)).toEqual([2])
  })

  it('counts the second vote of an equivocator, opening at most one extra tally per slot', () => {
    const b = block(leader0.publicKey, 0, 6)
    const [x, y, z] = others as [SignaturePort, SignaturePort, SignaturePort]
    // x COMMITs b first, then a: with y and z that is a quorum for a, and x is reported.
    const r = run(started(), [
      msg(proposalA),
      msg(vote(x, 'commit', b)),
      ...[x, y, z].map((k) => msg(vote(k, 'commit', a))),
    ])
    expect(r.effects.some((e) => e.type === 'commit')).toBe(true)
    expect(r.effects.some((e) => e.type === 'report-evidence')).toBe(true)
    // Beyond one extra block per slot, a vote for a block nobody else voted for opens no tally.
    const c = block(leader0.publicKey, 0, 7)
    const lone = run(started(), [
      msg(vote(x, 'prepare', a)),
      msg(vote(x, 'prepare', b)),
      msg(vote(x, 'prepare', c)),
    ])
    expect(countedVotes(lone.state.votes).filter((v) => v.kind === 'prepare')).toHaveLength(2)
  })

  function viewChanges(prepared: boolean): ViewChange[] {
    const hash = blockHash(a.header)
    const proof = prepared
      ? {
          certificate: {
            kind: 'prepare' as const,
            height: 1,
            view: 0,
            blockHash: hash,
            signatures: certificateFromVotes(
              keys.slice(0, 3).map((k) => (vote(k, 'prepare', a) as { vote: Vote }).vote),
            ).signatures,
          },
          block: a,
        }
      : null
    return others.map(
      (k, i) =>
        signed(k, {
          type: 'view-change',
          height: 1,
          view: 1,
          prepared: i === 0 ? proof : null,
        }) as ViewChange,
    )
  }

  it('follows a NEW-VIEW only if it re-proposes the highest prepared block', () => {
    const fresh = block(leader1.publicKey, 1, 9)
    const cheat = signed(leader1, {
      type: 'new-view',
      height: 1,
      view: 1,
      viewChanges: viewChanges(true),
      block: fresh,
    })
    const honest = signed(leader1, {
      type: 'new-view',
      height: 1,
      view: 1,
      viewChanges: viewChanges(true),
      block: a,
    })
    const s0 = run(started(), [{ type: 'timeout', height: 1, view: 0 }]).state
    expect(run(s0, [msg(cheat)]).state.phase).toBe('view-change')
    const ok = run(s0, [msg(honest)])
    expect(ok.state.phase).toBe('normal')
    expect(ok.state.view).toBe(1)
    expect(ok.effects.some((e) => e.type === 'validate-proposal')).toBe(true)
  })

  it('accepts a fresh block in a NEW-VIEW when no view change carries a prepared proof', () => {
    const fresh = block(leader1.publicKey, 1, 9)
    const nv = signed(leader1, {
      type: 'new-view',
      height: 1,
      view: 1,
      viewChanges: viewChanges(false),
      block: fresh,
    })
    const r = run(started(), [{ type: 'timeout', height: 1, view: 0 }, msg(nv)])
    expect(r.state.view).toBe(1)
    expect(r.state.proposals.get(1)?.block.header.timeMs).toBe(9)
  })

  it('asks for a sync when a third of the power is already at a later height', () => {
    const later = (k: SignaturePort) =>
      signed(k, { type: 'vote', kind: 'prepare', height: 5, view: 0, blockHash: new Uint8Array(32) })
    const one = run(started(), [msg(later(others[0] as SignaturePort))])
    expect(one.effects.some((e) => e.type === 'request-sync')).toBe(false)
    const two = run(one.state, [msg(later(others[1] as SignaturePort))])
    expect(two.effects.some((e) => e.type === 'request-sync')).toBe(true)
  })

  it('stops voting and asks for a sync on a valid commit certificate for a later height', () => {
    const hash = new Uint8Array(32).fill(3)
    const commits = keys
      .slice(0, 3)
      .map(
        (k) =>
          (signed(k, { type: 'vote', kind: 'commit', height: 2, view: 0, blockHash: hash }) as { vote: Vote })
            .vote,
      )
    const cert = { ...certificateFromVotes(commits), kind: 'commit' as const }
    const later: Block = {
      ...block(leader0.publicKey),
      header: { ...block(leader0.publicKey).header, height: 3, lastCommitHash: certificateHash(cert) },
      lastCommit: cert,
    }
    const p = signed(leader0, { type: 'proposal', height: 3, view: 0, block: later })
    const r = run(started(), [msg(p)])
    expect(r.effects.some((e) => e.type === 'request-sync')).toBe(true)
    const after = run(r.state, [
      msg(proposalA),
      { type: 'proposal-validated', hash: blockHash(a.header), result: { ok: true } },
    ])
    expect(signs(after.effects, 'prepare')).toHaveLength(0)
  })
})

describe('view timing per height', () => {
  const timers = (effects: readonly ConsensusEffect[]) =>
    effects.filter((e) => e.type === 'schedule-timeout').map((e) => (e as { afterMs: number }).afterMs)

  it("a height's context timing (the chain's, from state) replaces the options' for its views", () => {
    // Options: base 1000, increment 500, interval 1000. The height's: base 300, increment 100, interval 50.
    const timing = {
      viewTimeoutBaseMs: 300,
      viewTimeoutIncrementMs: 100,
      viewTimeoutCapMs: 400,
      emptyBlockIntervalMs: 50,
    }
    const start = run(initialState({ ...ctx, timing }), [{ type: 'start' }])
    expect(timers(start.effects)).toEqual([350])
    const next = run(start.state, [{ type: 'timeout', height: 1, view: 0 }])
    expect(timers(next.effects)).toEqual([400])
    // Without one, the options' timing.
    expect(timers(run(initialState(ctx), [{ type: 'start' }], cfg).effects)).toEqual([2000])
  })
})
