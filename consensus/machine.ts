/**
 * DS-PBFT as a pure function: `step(config, state, event) → { state, effects }`. No I/O, no clock, no
 * randomness: the driver runs the effects. One height at a time, views within a height:
 * PRE-PREPARE (the leader's proposal) → PREPARE (after the executor re-ran the block) → COMMIT (after a
 * PREPARE quorum, which becomes this node's prepared proof) → decided (after a COMMIT quorum). A view that
 * times out ends in VIEW-CHANGE; the next leader's NEW-VIEW proves a quorum of them and re-proposes the
 * highest prepared block. Proposal and vote rules are in machine-normal.ts, view change in
 * machine-view-change.ts.
 */
import { blockHash as blockHashOf } from '../protocol/block.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { findValidator, hasOneThird } from '../protocol/validator-set.ts'
import { evidenceHash } from '../protocol/vote.ts'
import { onProposal, onVote, progress } from './machine-normal.ts'
import { enterView, onNewView, onTimeout, onViewChange, onViewChangeBuilt } from './machine-view-change.ts'
import {
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  type HeightContext,
  initialState,
  type MachineConfig,
} from './state.ts'
import { isValidCertificate, verifyProposalWith, verifyVoteWith } from './verify.ts'

export interface StepResult {
  readonly state: ConsensusState
  readonly effects: readonly ConsensusEffect[]
}

export function step(cfg: MachineConfig, state: ConsensusState, event: ConsensusEvent): StepResult {
  const out: ConsensusEffect[] = []
  let s = state
  switch (event.type) {
    case 'start':
      s = enterView(cfg, s, s.view, out)
      break
    case 'message':
      s = onMessage(cfg, s, event.message, out)
      break
    case 'timeout':
      s = onTimeout(cfg, s, event.height, event.view, out)
      break
    case 'proposal-built':
      s = onProposalBuilt(cfg, s, event, out)
      break
    case 'proposal-validated': {
      const hex = toHex(event.hash)
      if (s.validation.get(hex) === 'pending') {
        s = { ...s, validation: new Map(s.validation).set(hex, event.result.ok ? 'ok' : 'bad') }
      }
      break
    }
    case 'block-committed':
    case 'sync-done':
      s = advance(cfg, s, event.context, out)
      break
  }
  return { state: progress(cfg, s, out), effects: out }
}

function onProposalBuilt(
  cfg: MachineConfig,
  s: ConsensusState,
  e: Extract<ConsensusEvent, { type: 'proposal-built' }>,
  out: ConsensusEffect[],
): ConsensusState {
  if (e.height !== s.ctx.height || e.view !== s.view || s.phase === 'decided') return s
  // The executor built and ran this block itself: no need to run it again before voting.
  const hex = toHex(blockHashOf(e.block.header))
  s = { ...s, validation: new Map(s.validation).set(hex, 'ok') }
  if (e.view === 0) {
    if (s.phase !== 'normal' || s.done.has('proposal/0')) return s
    out.push({
      type: 'sign-and-broadcast',
      message: { type: 'proposal', height: e.height, view: 0, block: e.block },
    })
    return { ...s, done: new Set(s.done).add('proposal/0') }
  }
  return onViewChangeBuilt(cfg, s, e.block, out)
}

function messageHeight(m: ConsensusMessage): number {
  return m.type === 'vote' ? m.vote.height : m.height
}

function senderOf(m: ConsensusMessage): Uint8Array {
  switch (m.type) {
    case 'vote':
      return m.vote.validator
    case 'proposal':
      return m.proposer
    case 'view-change':
      return m.validator
    case 'new-view':
      return m.proposal.proposer
  }
}

function onMessage(
  cfg: MachineConfig,
  s: ConsensusState,
  m: ConsensusMessage,
  out: ConsensusEffect[],
): ConsensusState {
  const h = s.ctx.height
  const mh = messageHeight(m)
  if (mh < h) return helpBehind(cfg, s, m, mh, out)
  if (mh > h) return onFuture(cfg, s, m, mh, out)
  switch (m.type) {
    case 'proposal':
      return onProposal(cfg, s, m, false, out)
    case 'vote':
      return onVote(cfg, s, m.vote, out)
    case 'view-change':
      return onViewChange(cfg, s, m, out)
    case 'new-view':
      return onNewView(cfg, s, m, out)
  }
}

/**
 * A member still at the previous height missed its end (it asks for a view change there): send it the
 * COMMIT votes of the certificate this height carries (once per peer and timeout), so it can decide
 * without a sync.
 */
function helpBehind(
  cfg: MachineConfig,
  s: ConsensusState,
  m: ConsensusMessage,
  mh: number,
  out: ConsensusEffect[],
): ConsensusState {
  // Only a VIEW-CHANGE shows the peer is stuck: late votes of the last height are normal traffic.
  const cert = s.ctx.lastCommit
  if (m.type !== 'view-change' || cert === null || mh !== h1(s) || cfg.self === null) return s
  // Once per peer between two of this node's own timeouts (onTimeout forgets these duties): help lost
  // before GST is resent after it, and a flood of VIEW-CHANGEs cannot make this node send more.
  const peer = toHex(senderOf(m))
  const duty = `help/${peer}`
  if (s.done.has(duty) || findValidator(s.ctx.validators, senderOf(m)) === undefined) return s
  if (bytesEqual(senderOf(m), cfg.self)) return s
  for (const sig of cert.signatures) {
    out.push({
      type: 'send',
      peer,
      message: {
        type: 'vote',
        vote: {
          kind: 'commit',
          height: cert.height,
          view: cert.view,
          blockHash: cert.blockHash,
          validator: sig.validator,
          signature: sig.signature,
        },
      },
    })
  }
  return { ...s, done: new Set(s.done).add(duty) }
}

const h1 = (s: ConsensusState) => s.ctx.height - 1

/**
 * A message from a later height. The next height's messages are kept for later; a next-height proposal
 * carries the commit certificate of this height (decide at once when the block is known); and members
 * with a third of the power ahead of this node mean it is behind: ask for a sync.
 */
function onFuture(
  cfg: MachineConfig,
  s: ConsensusState,
  m: ConsensusMessage,
  mh: number,
  out: ConsensusEffect[],
): ConsensusState {
  const set = s.ctx.validators
  const sender = senderOf(m)
  const member = findValidator(set, sender)
  if (member === undefined) return s
  const authentic =
    m.type === 'vote'
      ? verifyVoteWith(cfg.verify, cfg.chainId, m.vote)
      : m.type === 'proposal'
        ? verifyProposalWith(cfg.verify, cfg.chainId, m)
        : m.type === 'new-view'
          ? verifyProposalWith(cfg.verify, cfg.chainId, m.proposal)
          : true
  if (!authentic) return s
  if (mh === s.ctx.height + 1 && s.future.length < cfg.options.maxFutureMessages) {
    s = { ...s, future: [...s.future, m] }
  }
  if (s.phase !== 'decided' && mh === s.ctx.height + 1 && (m.type === 'proposal' || m.type === 'new-view')) {
    const block = m.type === 'proposal' ? m.block : m.proposal.block
    const cert = block.lastCommit
    if (cert !== null && cert.height === s.ctx.height) {
      for (const sig of cert.signatures) {
        const vote = {
          kind: 'commit' as const,
          height: cert.height,
          view: cert.view,
          blockHash: cert.blockHash,
          validator: sig.validator,
          signature: sig.signature,
        }
        s = onVote(cfg, s, vote, out)
      }
    }
  }
  // A valid commit certificate for a later height (same epoch's set): this node is behind. It stops
  // voting here and asks for a sync.
  if ((m.type === 'proposal' || m.type === 'new-view') && !s.done.has('behind')) {
    const cert = (m.type === 'proposal' ? m.block : m.proposal.block).lastCommit
    if (
      cert !== null &&
      cert.height > s.ctx.height &&
      isValidCertificate(cfg.verify, cfg.options.quorum, cfg.chainId, cert, set)
    ) {
      out.push({ type: 'request-sync', fromHeight: s.ctx.height, targetHeight: cert.height })
      s = { ...s, done: new Set(s.done).add('behind').add('sync') }
    }
  }
  const id = toHex(sender)
  if (!s.ahead.has(id)) {
    const ahead = new Map(s.ahead).set(id, member.power)
    s = { ...s, ahead }
    let power = 0
    for (const p of ahead.values()) power += p
    if (hasOneThird(power, set.totalPower) && !s.done.has('sync')) {
      out.push({ type: 'request-sync', fromHeight: s.ctx.height, targetHeight: mh - 1 })
      s = { ...s, done: new Set(s.done).add('sync') }
    }
  }
  return s
}

/** The next height: fresh per-height state; evidence not yet on chain carries over; buffered messages replay. */
function advance(
  cfg: MachineConfig,
  s: ConsensusState,
  ctx: HeightContext,
  out: ConsensusEffect[],
): ConsensusState {
  if (ctx.height <= s.ctx.height) return s
  const included = new Set((s.decided?.evidence ?? []).map((e) => toHex(evidenceHash(e))))
  const evidence = s.evidence.filter((e) => !included.has(toHex(evidenceHash(e)))).slice(-64)
  const reported = s.reported.size > 4096 ? new Set<string>() : s.reported
  let next: ConsensusState = { ...initialState(ctx), evidence, reported }
  next = enterView(cfg, next, 0, out)
  for (const m of s.future) next = onMessage(cfg, next, m, out)
  return next
}
