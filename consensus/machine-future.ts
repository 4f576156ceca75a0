/**
 * Messages of other heights. From a later height: the next height's messages are kept for later (signed,
 * bounded per member in messages and bytes); a block of the next height carries the commit certificate of
 * this one (decide at once when the block is known); a valid certificate of a later height, or members
 * with a third of the power claiming later heights, mean this node is behind: ask for a sync. From the
 * previous height: a member stuck there gets the certificate that ends it.
 *
 * Every message is authenticated before it influences anything here: its signer is the peer that
 * delivered it and a member (machine.ts), and its signature verifies. A claimed height alone never sets a
 * sync target beyond the height a third of the power claims, so members with less than a third of the
 * power cannot send this node chasing a height that does not exist. A later height signed by a key
 * outside this height's set (a newcomer of a later epoch) sets no target at all.
 */
import { toHex } from '../protocol/bytes.ts'
import { type ConsensusMessage, consensusMessageWeight } from '../protocol/consensus-message.ts'
import { hasOneThird } from '../protocol/validator-set.ts'
import type { CommitCertificate } from '../protocol/vote.ts'
import { bufferedFrom, usageOf, withBuffered } from './future-buffer.ts'
import { onCertificate, VOTE_VIEWS_AHEAD } from './machine-normal.ts'
import { memoryBounds } from './options.ts'
import type { ConsensusEffect, ConsensusState, MachineConfig } from './state.ts'
import {
  isValidCertificate,
  verifyProposalWith,
  verifyViewChangeSignatureWith,
  verifyVoteWith,
} from './verify.ts'

const withDone = (s: ConsensusState, duty: string): ConsensusState => ({
  ...s,
  done: new Set(s.done).add(duty),
})

/**
 * A member still at the previous height missed its end (it asks for a view change there): send it the
 * commit certificate this height carries, whole, once per peer between two of this node's own timeouts
 * (onTimeout forgets these duties), so help lost before GST is resent after it, and a flood of
 * VIEW-CHANGEs cannot make this node send more.
 */
export function helpBehind(
  cfg: MachineConfig,
  s: ConsensusState,
  m: ConsensusMessage,
  mh: number,
  from: string,
  out: ConsensusEffect[],
): ConsensusState {
  // Only a VIEW-CHANGE shows the peer is stuck: late votes of the last height are normal traffic.
  const cert = s.ctx.lastCommit
  if (m.type !== 'view-change' || cert === null || mh !== s.ctx.height - 1 || cfg.self === null) return s
  const duty = `help/${from}`
  if (s.done.has(duty) || from === toHex(cfg.self)) return s
  if ((s.ctx.lastValidators ?? s.ctx.validators).byKey.get(from) === undefined) return s
  out.push({
    type: 'send',
    peer: from,
    message: { type: 'commit-certificate', height: cert.height, view: cert.view, certificate: cert },
  })
  return withDone(s, duty)
}

/**
 * Entering a height: hand the parent's commit certificate to this height's first leader. A leader that
 * missed some COMMIT votes of the parent (lost or late under load) is still there, and nobody else
 * sends it a message of this height before it proposes: without this it would learn the parent's end
 * only from the others' view changes, a whole view timeout later. One small message per member per
 * height; a leader already here drops it unread (helpBehind acts on view changes only).
 */
export function handOffCertificate(cfg: MachineConfig, s: ConsensusState, out: ConsensusEffect[]): void {
  const cert = s.ctx.lastCommit
  if (cfg.self === null || cert === null) return
  const self = toHex(cfg.self)
  if (!s.ctx.validators.byKey.has(self)) return
  const leader = toHex(s.ctx.schedule.leaderOf(s.ctx.height, 0))
  if (leader === self) return
  out.push({
    type: 'send',
    peer: leader,
    message: { type: 'commit-certificate', height: cert.height, view: cert.view, certificate: cert },
  })
}

/** Its sender's own signature (the parts it carries are checked when it is replayed). */
function isSigned(cfg: MachineConfig, m: ConsensusMessage): boolean {
  switch (m.type) {
    case 'vote':
      return verifyVoteWith(cfg.verify, cfg.chainId, m.vote)
    case 'proposal':
      return verifyProposalWith(cfg.verify, cfg.chainId, m)
    case 'new-view':
      return verifyProposalWith(cfg.verify, cfg.chainId, m.proposal)
    case 'view-change':
      return verifyViewChangeSignatureWith(cfg.verify, cfg.chainId, m)
    case 'commit-certificate':
      return false
  }
}

/** A later-height message from the member `from` (its signer), holding `power`. */
export function onFuture(
  cfg: MachineConfig,
  s: ConsensusState,
  m: ConsensusMessage,
  mh: number,
  from: string,
  power: number,
  out: ConsensusEffect[],
): ConsensusState {
  const h = s.ctx.height
  const next = mh === h + 1
  if (m.type === 'commit-certificate') return onLaterCertificate(cfg, s, m.certificate, out)
  // Cheapest first: beyond the next height a message is only a claim of height, and one no higher than
  // the sender's last claim changes nothing (so a flood of them costs no signature check).
  if (!next && (s.ahead.get(from) ?? 0) >= mh) return s
  if (!isSigned(cfg, m)) return s
  if (next) s = buffer(cfg, s, m, from, power)
  if (m.type === 'proposal' || m.type === 'new-view') {
    const cert = (m.type === 'proposal' ? m.block : m.proposal.block).lastCommit
    if (cert !== null && next && cert.height === h) s = onCertificate(cfg, s, cert)
    if (cert !== null && cert.height > h) s = onLaterCertificate(cfg, s, cert, out)
  }
  return claimHeight(s, from, mh, out)
}

/** The slot a next-height message fills for its sender: a repeat of a filled slot is not kept twice. */
function futureSlot(m: ConsensusMessage): string {
  switch (m.type) {
    case 'vote':
      return `${m.vote.kind}/${m.vote.view}`
    case 'proposal':
      return `proposal/${m.view}`
    case 'new-view':
      return `new-view/${m.view}`
    case 'view-change':
      return `view-change/${m.view}`
    case 'commit-certificate':
      return `certificate/${m.view}`
  }
}

/**
 * Keeps a signed next-height message for replay, within its sender's allowance: at most
 * `maxFutureMessagesPerMember` messages (one per slot), and bytes up to its stake share of the buffer
 * (never below a small floor, never above one full block), a block-carrying message counting its block.
 * No member's allowance depends on what others hold, so nobody can crowd out another's early messages,
 * and members with less than a third of the power hold less than a third of the bytes.
 */
function buffer(
  cfg: MachineConfig,
  s: ConsensusState,
  m: ConsensusMessage,
  from: string,
  power: number,
): ConsensusState {
  // The next height starts at view 0: votes beyond its window would be dropped on replay.
  if (m.type === 'vote' && m.vote.view > VOTE_VIEWS_AHEAD) return s
  const used = usageOf(s.future, from)
  if (used.messages >= cfg.options.maxFutureMessagesPerMember) return s
  const bounds = memoryBounds(cfg.options)
  const share = Math.floor((bounds.futureBytes * power) / s.ctx.validators.totalPower)
  const allowance = Math.min(bounds.futureMemberCapBytes, Math.max(bounds.futureFloorBytes, share))
  const bytes = consensusMessageWeight(m)
  if (used.bytes + bytes > allowance) return s
  if (used.messages > 0) {
    const slot = futureSlot(m)
    if (bufferedFrom(s.future, from).some((b) => futureSlot(b.message) === slot)) return s
  }
  return { ...s, future: withBuffered(s.future, { message: m, from, bytes }) }
}

/**
 * A valid COMMIT certificate of a later height (checked against this height's set: the same epoch's):
 * this node is behind. It stops voting here and asks for a sync up to that height, which a quorum signed.
 */
function onLaterCertificate(
  cfg: MachineConfig,
  s: ConsensusState,
  cert: CommitCertificate,
  out: ConsensusEffect[],
): ConsensusState {
  if (cert.height <= s.ctx.height) return onCertificate(cfg, s, cert)
  if (s.done.has('behind')) return s
  if (!isValidCertificate(cfg.verify, cfg.options.quorum, cfg.chainId, cert, s.ctx.validators)) return s
  out.push({ type: 'request-sync', fromHeight: s.ctx.height, targetHeight: cert.height })
  return withDone(withDone(s, 'behind'), 'sync')
}

/**
 * Records the member's claim to be at height `mh`. Once members with a third of the power claim later
 * heights, at least one honest member is ahead: sync up to the height before the highest one that a
 * third of the power claims (a lie by less than a third cannot raise it).
 */
function claimHeight(s: ConsensusState, from: string, mh: number, out: ConsensusEffect[]): ConsensusState {
  if ((s.ahead.get(from) ?? 0) >= mh) return s
  const ahead = new Map(s.ahead).set(from, mh)
  s = { ...s, ahead }
  if (s.done.has('sync')) return s
  const set = s.ctx.validators
  const claims = [...ahead].sort((a, b) => b[1] - a[1])
  let power = 0
  for (const [key, height] of claims) {
    power += set.byKey.get(key)?.power ?? 0
    if (!hasOneThird(power, set.totalPower)) continue
    out.push({ type: 'request-sync', fromHeight: s.ctx.height, targetHeight: height - 1 })
    return withDone(s, 'sync')
  }
  return s
}
