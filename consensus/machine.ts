/**
 * DS-PBFT as a pure function: `step(config, state, event) → { state, effects }`. No I/O, no clock, no
 * randomness: the driver runs the effects. One height at a time, views within a height:
 * PRE-PREPARE (the leader's proposal) → PREPARE (after the executor re-ran the block) → COMMIT (after a
 * PREPARE quorum, which becomes this node's prepared proof) → decided (after a COMMIT quorum). A view that
 * times out ends in VIEW-CHANGE; the next leader's NEW-VIEW proves a quorum of them and re-proposes the
 * highest prepared block. Proposal and vote rules are in machine-normal.ts, view change in
 * machine-view-change.ts, messages of other heights in machine-future.ts.
 */
import { blockHash as blockHashOf } from '../protocol/block.ts'
import { toHex } from '../protocol/bytes.ts'
import { type ConsensusMessage, heightOf, signerOf } from '../protocol/consensus-message.ts'
import { evidenceHash } from '../protocol/vote.ts'
import { bufferedMessages } from './future-buffer.ts'
import { handOffCertificate, helpBehind, onFuture } from './machine-future.ts'
import { onCertificate, onProposal, onVote, progress } from './machine-normal.ts'
import {
  enterView,
  onNewView,
  onTimeout,
  onViewChange,
  onViewChangeBuilt,
  resumeViewChange,
} from './machine-view-change.ts'
import {
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  type HeightContext,
  initialState,
  type MachineConfig,
} from './state.ts'

export interface StepResult {
  readonly state: ConsensusState
  readonly effects: readonly ConsensusEffect[]
}

export function step(cfg: MachineConfig, state: ConsensusState, event: ConsensusEvent): StepResult {
  const out: ConsensusEffect[] = []
  let s = state
  switch (event.type) {
    case 'start':
      // A node restarted after it asked for a view change resumes it (it may follow that view's NEW-VIEW).
      s = s.phase === 'view-change' ? resumeViewChange(cfg, s, out) : enterView(cfg, s, s.view, out)
      break
    case 'message':
      s = onMessage(cfg, s, event.message, event.from, out)
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

/**
 * A message from the peer `from`. Rule: a member speaks only for itself, over its own connection. A
 * message whose signer is not the peer that delivered it is a relay or a forgery and is dropped before it
 * can influence anything (buffers, counts, sync targets); so is anything from a peer outside this
 * height's validator set (observers never vote; a newcomer counts from the height its set takes over, a
 * leaver no more after its last). A commit certificate carries no single signer: any member may pass
 * one on, and it is checked by its own signatures and quorum.
 */
export function onMessage(
  cfg: MachineConfig,
  s: ConsensusState,
  m: ConsensusMessage,
  from: string,
  out: ConsensusEffect[],
): ConsensusState {
  const signer = signerOf(m)
  if (signer !== null && toHex(signer) !== from) return s
  const h = s.ctx.height
  const mh = heightOf(m)
  if (mh < h) return helpBehind(cfg, s, m, mh, from, out)
  const member = s.ctx.validators.byKey.get(from)
  if (member === undefined) return s
  if (mh > h) return onFuture(cfg, s, m, mh, from, member.power, out)
  switch (m.type) {
    case 'proposal':
      return onProposal(cfg, s, m, false, out)
    case 'vote':
      return onVote(cfg, s, m.vote, out)
    case 'view-change':
      return onViewChange(cfg, s, m, out)
    case 'new-view':
      return onNewView(cfg, s, m, out)
    case 'commit-certificate':
      return onCertificate(cfg, s, m.certificate)
  }
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
  handOffCertificate(cfg, next, out)
  for (const b of bufferedMessages(s.future)) next = onMessage(cfg, next, b.message, b.from, out)
  return next
}
