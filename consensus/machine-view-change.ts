/**
 * Views and view change. A view that times out ends in VIEW-CHANGE(h, v+1) carrying this node's highest
 * prepared proof. A third of the power asking for later views pulls a node along (at least one honest
 * member timed out). The new leader, on a quorum of VIEW-CHANGEs, sends NEW-VIEW: the view changes plus
 * a proposal, which must be the block of the highest prepared proof among them, or a fresh block of its
 * own when there is none. Validators check exactly that before they follow it.
 *
 * Memory is bounded per member: VIEW-CHANGEs are kept for this node's view and the few above it
 * (VIEW_CHANGES_AHEAD), a prepared block shared with the copy this node already knows; of later views
 * only each member's highest view is remembered (all that the join rule needs). Moving to a view forgets
 * the votes and view changes of the views it leaves behind.
 */
import type { Block } from '../protocol/block.ts'
import { blockHash } from '../protocol/block.ts'
import { bytesEqual, compareBytes, toHex } from '../protocol/bytes.ts'
import type { NewView, PreparedProof, ViewChange } from '../protocol/consensus-message.ts'
import { findValidator, hasOneThird } from '../protocol/validator-set.ts'
import { blockFits, onProposal, signsHere, VOTE_VIEWS_BEHIND } from './machine-normal.ts'
import { viewTimeoutMs } from './options.ts'
import type { ConsensusEffect, ConsensusState, MachineConfig } from './state.ts'
import { verifyViewChangeSignatureWith, verifyViewChangeWith } from './verify.ts'
import { keepViewsFrom } from './vote-set.ts'

/** VIEW-CHANGEs (and NEW-VIEWs) are taken for this node's view and up to this many views above it. */
export const VIEW_CHANGES_AHEAD = 4

const withDone = (s: ConsensusState, duty: string): ConsensusState => ({
  ...s,
  done: new Set(s.done).add(duty),
})

const isLeader = (cfg: MachineConfig, s: ConsensusState, view: number): boolean =>
  cfg.self !== null && bytesEqual(cfg.self, s.ctx.schedule.leaderOf(s.ctx.height, view))

/** Sets the view; moving up forgets the votes and view changes of the views left behind. */
function moveTo(s: ConsensusState, view: number): ConsensusState {
  if (view <= s.view) return { ...s, view }
  const viewChanges = new Map([...s.viewChanges].filter(([v]) => v >= view))
  return { ...s, view, votes: keepViewsFrom(s.votes, view - VOTE_VIEWS_BEHIND), viewChanges }
}

/** Enter `view` in the normal phase: arm its timer; the view-0 leader builds its proposal. */
export function enterView(
  cfg: MachineConfig,
  s: ConsensusState,
  view: number,
  out: ConsensusEffect[],
): ConsensusState {
  const { height } = s.ctx
  s = { ...moveTo(s, view), phase: 'normal' }
  out.push({
    type: 'schedule-timeout',
    height,
    view,
    afterMs: viewTimeoutMs(s.ctx.timing ?? cfg.options, view),
  })
  out.push({ type: 'view-entered', height, view })
  if (view === 0 && isLeader(cfg, s, 0) && !s.done.has('build/0')) {
    out.push({
      type: 'build-proposal',
      height,
      view: 0,
      waitForTxs: true,
      lastCommit: s.ctx.lastCommit,
      evidence: s.evidence,
    })
    s = withDone(s, 'build/0')
  }
  return s
}

export function onTimeout(
  cfg: MachineConfig,
  s: ConsensusState,
  height: number,
  view: number,
  out: ConsensusEffect[],
): ConsensusState {
  if (height !== s.ctx.height || view !== s.view || s.phase === 'decided') return s
  // Help sent to peers stuck at the previous height may have been lost: allow it again once per timeout.
  s = forgetHelp(s)
  // After PBFT: a node moves past view v only once a quorum of members has asked for view v or later
  // (a member asking for a later view has left v for good). Until then it stays in v and resends its
  // VIEW-CHANGE, so one lost before GST is retransmitted. Without the rule a node that timed out alone
  // runs ahead one view per timeout; once the timeouts reach their cap the others never catch up, and
  // below a third of the power it cannot pull them along. Counting later views too means a node whose
  // NEW-VIEW was lost follows the others on, and all honest members (> 2/3) eventually meet: the lowest
  // always sees the rest at or above it, the highest waits for them.
  if (s.phase === 'view-change' && !quorumAtOrAbove(cfg, s, view)) {
    out.push({
      type: 'schedule-timeout',
      height,
      view,
      afterMs: viewTimeoutMs(s.ctx.timing ?? cfg.options, view),
    })
    if (signsHere(cfg, s)) {
      out.push({
        type: 'sign-and-broadcast',
        message: { type: 'view-change', height, view, prepared: s.prepared },
      })
    }
    return syncWhenStuck(s, out)
  }
  return startViewChange(cfg, s, view + 1, out)
}

/**
 * Rule (liveness across key changes): stuck in a view change with no quorum at or above its view, this
 * node may be the last one at this height. The height can have ended without it, decided by a set that
 * then left and went quiet: nobody of this height's set is left to claim a later height or to send the
 * certificate (help comes from the next height only), and a later set's claims and certificates cannot
 * be weighed by a set that does not hold its keys. So it asks for a sync of this height only, once per
 * height: a target it knows exists, set by no peer, and a sync trusts only certified blocks, each checked
 * against the set this node's own chain gives for its height.
 */
function syncWhenStuck(s: ConsensusState, out: ConsensusEffect[]): ConsensusState {
  if (s.done.has('sync-stuck')) return s
  const { height } = s.ctx
  out.push({ type: 'request-sync', fromHeight: height, targetHeight: height })
  return withDone(s, 'sync-stuck')
}

function forgetHelp(s: ConsensusState): ConsensusState {
  let kept: Set<string> | null = null
  for (const duty of s.done) {
    if (!duty.startsWith('help/')) continue
    kept ??= new Set(s.done)
    kept.delete(duty)
  }
  return kept === null ? s : { ...s, done: kept }
}

/** After a restart in the middle of a view change (the WAL's last word was VIEW-CHANGE): carry on with it. */
export function resumeViewChange(
  cfg: MachineConfig,
  s: ConsensusState,
  out: ConsensusEffect[],
): ConsensusState {
  return startViewChange(cfg, s, s.view, out)
}

function startViewChange(
  cfg: MachineConfig,
  s: ConsensusState,
  view: number,
  out: ConsensusEffect[],
): ConsensusState {
  const { height } = s.ctx
  s = { ...moveTo(s, view), phase: 'view-change' }
  out.push({
    type: 'schedule-timeout',
    height,
    view,
    afterMs: viewTimeoutMs(s.ctx.timing ?? cfg.options, view),
  })
  if (signsHere(cfg, s) && !s.done.has(`vc/${view}`)) {
    out.push({
      type: 'sign-and-broadcast',
      message: { type: 'view-change', height, view, prepared: s.prepared },
    })
    s = withDone(s, `vc/${view}`)
  }
  return maybeLead(cfg, s, out)
}

export function onViewChange(
  cfg: MachineConfig,
  s: ConsensusState,
  m: ViewChange,
  out: ConsensusEffect[],
): ConsensusState {
  if (s.phase === 'decided' || m.view < s.view) return s
  const id = toHex(m.validator)
  const asked = s.viewsAsked.get(id) ?? 0
  const kept = m.view <= s.view + VIEW_CHANGES_AHEAD
  // Cheapest first: nothing new (a repeat, or a view beyond those kept no higher than the member's last).
  if (kept ? s.viewChanges.get(m.view)?.has(id) : m.view <= asked) return s
  if (kept) {
    if (!verifyViewChangeWith(cfg.verify, cfg.options.quorum, cfg.chainId, m, s.ctx.validators)) return s
    s = keepViewChange(cfg, s, m, id)
  } else if (!verifyViewChangeSignatureWith(cfg.verify, cfg.chainId, m)) {
    return s
  }
  if (m.view > asked) s = { ...s, viewsAsked: new Map(s.viewsAsked).set(id, m.view) }
  // Join rule: members with a third of the power want views above ours, so an honest one timed out.
  let power = 0
  let target = Number.POSITIVE_INFINITY
  for (const [key, view] of s.viewsAsked) {
    if (view <= s.view) continue
    power += s.ctx.validators.byKey.get(key)?.power ?? 0
    target = Math.min(target, view)
  }
  if (power > 0 && hasOneThird(power, s.ctx.validators.totalPower)) {
    return startViewChange(cfg, s, target, out)
  }
  return maybeLead(cfg, s, out)
}

/** Stores a verified VIEW-CHANGE; its prepared proof teaches this node the block (one copy of it). */
function keepViewChange(cfg: MachineConfig, s: ConsensusState, m: ViewChange, id: string): ConsensusState {
  if (m.prepared !== null) {
    const hex = toHex(m.prepared.certificate.blockHash)
    const known = s.blocks.get(hex)
    if (known !== undefined) {
      m = { ...m, prepared: { ...m.prepared, block: known } }
    } else if (blockFits(cfg, s, m.prepared.block)) {
      s = { ...s, blocks: new Map(s.blocks).set(hex, m.prepared.block) }
    }
  }
  const forView = new Map(s.viewChanges.get(m.view) ?? []).set(id, m)
  return { ...s, viewChanges: new Map(s.viewChanges).set(m.view, forView) }
}

function quorumOfViewChanges(cfg: MachineConfig, s: ConsensusState, view: number): ViewChange[] | null {
  const byValidator = s.viewChanges.get(view)
  if (byValidator === undefined) return null
  let power = 0
  for (const m of byValidator.values()) power += findValidator(s.ctx.validators, m.validator)?.power ?? 0
  if (!cfg.options.quorum(power, s.ctx.validators.totalPower)) return null
  return [...byValidator.values()].sort((a, b) => compareBytes(a.validator, b.validator))
}

function quorumAtOrAbove(cfg: MachineConfig, s: ConsensusState, view: number): boolean {
  let power = 0
  for (const [key, asked] of s.viewsAsked)
    if (asked >= view) power += s.ctx.validators.byKey.get(key)?.power ?? 0
  return cfg.options.quorum(power, s.ctx.validators.totalPower)
}

function highestPrepared(viewChanges: readonly ViewChange[]): PreparedProof | null {
  let best: PreparedProof | null = null
  for (const m of viewChanges) {
    if (m.prepared !== null && (best === null || m.prepared.certificate.view > best.certificate.view)) {
      best = m.prepared
    }
  }
  return best
}

/** The leader of the view being changed to, on a quorum of VIEW-CHANGEs, re-proposes or builds. */
function maybeLead(cfg: MachineConfig, s: ConsensusState, out: ConsensusEffect[]): ConsensusState {
  const view = s.view
  if (
    s.phase !== 'view-change' ||
    !isLeader(cfg, s, view) ||
    s.done.has(`nv/${view}`) ||
    s.done.has(`build/${view}`)
  ) {
    return s
  }
  const viewChanges = quorumOfViewChanges(cfg, s, view)
  if (viewChanges === null) return s
  const best = highestPrepared(viewChanges)
  const { height } = s.ctx
  if (best !== null) {
    out.push({
      type: 'sign-and-broadcast',
      message: { type: 'new-view', height, view, viewChanges, block: best.block },
    })
    return withDone(s, `nv/${view}`)
  }
  out.push({
    type: 'build-proposal',
    height,
    view,
    waitForTxs: false,
    lastCommit: s.ctx.lastCommit,
    evidence: s.evidence,
  })
  return withDone(s, `build/${view}`)
}

/** The executor built the fresh block for a NEW-VIEW with no prepared proof in it. */
export function onViewChangeBuilt(
  cfg: MachineConfig,
  s: ConsensusState,
  block: Block,
  out: ConsensusEffect[],
): ConsensusState {
  const view = s.view
  if (s.phase !== 'view-change' || s.done.has(`nv/${view}`)) return s
  const viewChanges = quorumOfViewChanges(cfg, s, view)
  if (viewChanges === null) return s
  out.push({
    type: 'sign-and-broadcast',
    message: { type: 'new-view', height: s.ctx.height, view, viewChanges, block },
  })
  return withDone(s, `nv/${view}`)
}

export function onNewView(
  cfg: MachineConfig,
  s: ConsensusState,
  m: NewView,
  out: ConsensusEffect[],
): ConsensusState {
  if (s.phase === 'decided' || m.view === 0 || m.view < s.view) return s
  if (m.view === s.view && s.phase === 'normal') return s
  // Rule (work): views near this node's only, and one full check per view (only its leader can send one).
  const checked = `nv-checked/${m.view}`
  if (m.view > s.view + VIEW_CHANGES_AHEAD || s.done.has(checked)) return s
  const { validators } = s.ctx
  // Rule: the proposal is by the leader of the new view.
  if (!bytesEqual(m.proposal.proposer, s.ctx.schedule.leaderOf(s.ctx.height, m.view))) return s
  s = withDone(s, checked)
  // Rule: a quorum of valid VIEW-CHANGEs for this view, one per member.
  let power = 0
  const seen = new Set<string>()
  for (const vc of m.viewChanges) {
    if (vc.height !== s.ctx.height || vc.view !== m.view) return s
    const id = toHex(vc.validator)
    if (seen.has(id)) return s
    seen.add(id)
    if (!verifyViewChangeWith(cfg.verify, cfg.options.quorum, cfg.chainId, vc, validators)) return s
    power += findValidator(validators, vc.validator)?.power ?? 0
  }
  if (!cfg.options.quorum(power, validators.totalPower)) return s
  // Rule: the highest prepared block among them is re-proposed; with none, a fresh block of this view.
  const best = highestPrepared(m.viewChanges)
  const header = m.proposal.block.header
  if (best !== null) {
    if (!bytesEqual(blockHash(header), best.certificate.blockHash)) return s
  } else if (header.view !== m.view || !bytesEqual(header.proposer, m.proposal.proposer)) {
    return s
  }
  s = enterView(cfg, s, m.view, out)
  return onProposal(cfg, s, m.proposal, true, out)
}
