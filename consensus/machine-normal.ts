/**
 * The normal case of one view: accept the leader's proposal, have the executor re-run it, PREPARE,
 * COMMIT after a PREPARE quorum, decide after a COMMIT quorum (or on a valid commit certificate). Also
 * the evidence rule: a second, different vote by one validator for the same (height, view, kind) is
 * reported and kept for the next proposal.
 *
 * The window of views. Votes are taken only for views from one below this node's view to two above it,
 * so a member holds at most 2 kinds × 4 views × 2 votes here, and a flood of votes over many views costs
 * one comparison each. This is safe: dropping a vote never makes a node sign anything, so safety (quorum
 * intersection of signed votes) is untouched. It keeps liveness because after GST all honest members
 * meet in one view (the view-change rules in machine-view-change.ts: a third of the power asking for
 * later views pulls a node along, and a node moves past a view only with a quorum at or above it), and
 * there every honest vote is inside every honest window: one view ahead and behind covers votes that
 * arrive just before a node enters the view or just after it left. A COMMIT quorum of an older view
 * still decides, whatever the window, when it comes whole: as a relayed commit certificate or in the
 * next height's block, or through a sync (which trusts only certified blocks).
 */
import { type Block, type BlockHeader, blockHash, checkBlockCommitments } from '../protocol/block.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import type { Proposal } from '../protocol/consensus-message.ts'
import { type CommitCertificate, certificateFromVotes, type Vote } from '../protocol/vote.ts'
import type { ConsensusEffect, ConsensusState, MachineConfig } from './state.ts'
import { isValidCertificate, isValidEvidenceWith, verifyProposalWith, verifyVoteWith } from './verify.ts'
import { addVote, tallyPower, tallyVotes, wouldCount } from './vote-set.ts'

/** Votes (and proposals' blocks) are taken for views [view − BEHIND, view + AHEAD] of this node's view. */
export const VOTE_VIEWS_BEHIND = 1
export const VOTE_VIEWS_AHEAD = 2

export const inVoteWindow = (nodeView: number, view: number): boolean =>
  view + VOTE_VIEWS_BEHIND >= nodeView && view <= nodeView + VOTE_VIEWS_AHEAD

/** Distinct blocks with a COMMIT certificate kept per height: one unless a third of the power lies. */
const MAX_CERTIFIED = 4

/** Block hashes by header object (headers are never changed): `progress` runs after every event. */
const hashes = new WeakMap<BlockHeader, Uint8Array>()
function headerHash(header: BlockHeader): Uint8Array {
  let hash = hashes.get(header)
  if (hash === undefined) {
    hash = blockHash(header)
    hashes.set(header, hash)
  }
  return hash
}

const withDone = (s: ConsensusState, duty: string): ConsensusState => ({
  ...s,
  done: new Set(s.done).add(duty),
})

/** This node's key in hex, per config (`progress` asks after every event). */
const selfHex = new WeakMap<MachineConfig, string | null>()

/**
 * Rule: a node signs votes and view changes only at heights whose set holds its key. Elsewhere (a
 * newcomer before its epoch, a validator after it left) it follows the chain and signs nothing: a vote
 * there has no power, and every member would only drop it.
 */
export function signsHere(cfg: MachineConfig, s: ConsensusState): boolean {
  let hex = selfHex.get(cfg)
  if (hex === undefined) {
    hex = cfg.self === null ? null : toHex(cfg.self)
    selfHex.set(cfg, hex)
  }
  return hex !== null && s.ctx.validators.byKey.has(hex)
}

/** Stateful checks of a block for this height, cheapest first. Execution is the executor's. */
export function blockFits(cfg: MachineConfig, s: ConsensusState, block: Block): boolean {
  const { header } = block
  const ctx = s.ctx
  // Rule: the block extends this node's committed head, on this chain, certified by this height's set.
  if (header.chainId !== cfg.chainId || header.height !== ctx.height) return false
  if (!bytesEqual(header.parentHash, ctx.parentHash)) return false
  if (ctx.height > 1 && header.timeMs <= ctx.parentTimeMs) return false
  if (!bytesEqual(header.validatorSetHash, ctx.validatorSetHash)) return false
  // Rule: the header's roots match the body (txRoot, lastCommitHash, evidenceRoot).
  try {
    checkBlockCommitments(block)
  } catch {
    return false
  }
  // Rule: lastCommit is a valid commit certificate of the parent, by the parent's set.
  const last = block.lastCommit
  if (ctx.height > 1) {
    if (last === null || ctx.lastValidators === null || !bytesEqual(last.blockHash, ctx.parentHash))
      return false
    if (!isValidCertificate(cfg.verify, cfg.options.quorum, cfg.chainId, last, ctx.lastValidators))
      return false
  }
  // Rule: every piece of evidence is two conflicting signed votes by one validator.
  return block.evidence.every((e) => isValidEvidenceWith(cfg.verify, cfg.chainId, e))
}

/**
 * A proposal for this height. `justified` is true when it came inside a valid NEW-VIEW; a view-0
 * proposal must be a fresh block by the view-0 leader.
 */
export function onProposal(
  cfg: MachineConfig,
  s: ConsensusState,
  p: Proposal,
  justified: boolean,
  out: ConsensusEffect[],
): ConsensusState {
  if (s.phase === 'decided') return s
  if (!bytesEqual(p.proposer, s.ctx.schedule.leaderOf(s.ctx.height, p.view))) return s
  if (p.view > 0 && !justified) return s
  if (p.view === 0 && (p.block.header.view !== 0 || !bytesEqual(p.block.header.proposer, p.proposer)))
    return s
  const hex = toHex(blockHash(p.block.header))
  const known = s.blocks.has(hex)
  // Rule (memory): blocks are learned from proposals of views near this node's, at most two per view (the
  // leader's, and one more from a leader that equivocates: a COMMIT quorum may name either).
  const learn = s.done.has(`block/${p.view}`) ? `block2/${p.view}` : `block/${p.view}`
  if (!known && (!inVoteWindow(s.view, p.view) || s.done.has(learn))) return s
  if (!verifyProposalWith(cfg.verify, cfg.chainId, p)) return s
  if (!known) {
    if (!blockFits(cfg, s, p.block)) return s
    s = { ...withDone(s, learn), blocks: new Map(s.blocks).set(hex, p.block) }
  }
  // A proposal of another view still teaches this node the block (a COMMIT quorum may name it).
  if (p.view !== s.view || s.phase !== 'normal' || s.proposals.has(p.view)) return s
  s = { ...s, proposals: new Map(s.proposals).set(p.view, p) }
  if (!s.validation.has(hex)) {
    s = { ...s, validation: new Map(s.validation).set(hex, 'pending') }
    out.push({ type: 'validate-proposal', block: p.block })
  }
  return s
}

export function onVote(
  cfg: MachineConfig,
  s: ConsensusState,
  vote: Vote,
  out: ConsensusEffect[],
): ConsensusState {
  const member = s.ctx.validators.byKey.get(toHex(vote.validator))
  if (member === undefined || vote.height !== s.ctx.height) return s
  // Cheapest first: the window, then a repeat, then the signature.
  if (!inVoteWindow(s.view, vote.view) || !wouldCount(s.votes, vote)) return s
  if (!verifyVoteWith(cfg.verify, cfg.chainId, vote)) return s
  const r = addVote(s.votes, vote, member.power)
  if (r.evidence !== null) {
    const key = `${vote.kind}/${vote.height}/${vote.view}/${toHex(vote.validator)}`
    if (!s.reported.has(key)) {
      out.push({ type: 'report-evidence', evidence: r.evidence })
      s = { ...s, reported: new Set(s.reported).add(key), evidence: [...s.evidence, r.evidence] }
    }
  }
  if (!r.added) return s
  s = { ...s, votes: r.set }
  // Only the tally this vote joined can have just reached a quorum.
  const hex = toHex(vote.blockHash)
  if (vote.kind !== 'commit' || isCertified(s, vote.blockHash)) return s
  if (!cfg.options.quorum(tallyPower(s.votes, 'commit', vote.view, hex), s.ctx.validators.totalPower))
    return s
  return withCertified(
    s,
    certificateFromVotes(tallyVotes(s.votes, 'commit', vote.view, hex)) as CommitCertificate,
  )
}

const isCertified = (s: ConsensusState, hash: Uint8Array): boolean =>
  s.certified.some((c) => bytesEqual(c.blockHash, hash))

function withCertified(s: ConsensusState, cert: CommitCertificate): ConsensusState {
  if (s.certified.length >= MAX_CERTIFIED) return s
  return { ...s, certified: [...s.certified, cert] }
}

/**
 * A whole COMMIT certificate of this height (relayed by a member, or carried by the next height's block):
 * checked by its own signatures and quorum, then decided like a quorum of votes.
 */
export function onCertificate(
  cfg: MachineConfig,
  s: ConsensusState,
  cert: CommitCertificate,
): ConsensusState {
  if (s.phase === 'decided' || cert.kind !== 'commit' || cert.height !== s.ctx.height) return s
  if (isCertified(s, cert.blockHash) || s.certified.length >= MAX_CERTIFIED) return s
  if (!isValidCertificate(cfg.verify, cfg.options.quorum, cfg.chainId, cert, s.ctx.validators)) return s
  return withCertified(s, cert)
}

/** After every event: decide on a COMMIT quorum; else PREPARE and COMMIT in the current view when due. */
export function progress(cfg: MachineConfig, s: ConsensusState, out: ConsensusEffect[]): ConsensusState {
  if (s.phase === 'decided') return s
  const quorum = cfg.options.quorum
  const total = s.ctx.validators.totalPower
  for (const certificate of s.certified) {
    const block = s.blocks.get(toHex(certificate.blockHash))
    if (block === undefined) continue
    out.push({ type: 'commit', block, certificate })
    return { ...s, phase: 'decided', decided: block }
  }
  if (s.certified.length > 0 && !s.done.has('sync')) {
    // Decided, but this node never saw the block: fetch it (a sync trusts only certified blocks).
    out.push({ type: 'request-sync', fromHeight: s.ctx.height, targetHeight: s.ctx.height })
    s = withDone(s, 'sync')
  }
  if (s.phase !== 'normal' || !signsHere(cfg, s) || s.done.has('behind')) return s
  const p = s.proposals.get(s.view)
  if (p === undefined || s.done.has(`commit/${s.view}`)) return s
  const hash = headerHash(p.block.header)
  const hex = toHex(hash)
  if (s.validation.get(hex) !== 'ok') return s
  const { height } = s.ctx
  const view = s.view
  if (!s.done.has(`prepare/${view}`)) {
    out.push({
      type: 'sign-and-broadcast',
      message: { type: 'vote', kind: 'prepare', height, view, blockHash: hash },
    })
    s = withDone(s, `prepare/${view}`)
  }
  if (quorum(tallyPower(s.votes, 'prepare', view, hex), total) && !s.done.has(`commit/${view}`)) {
    // The prepared proof is persisted before the COMMIT is signed: after a crash this node still
    // carries it into view changes, which is what keeps a committed block from being replaced.
    const proof = {
      certificate: certificateFromVotes(tallyVotes(s.votes, 'prepare', view, hex)),
      block: p.block,
    }
    if (s.prepared === null || s.prepared.certificate.view < view) {
      out.push({ type: 'persist', entry: { type: 'prepared', proof } })
      s = { ...s, prepared: proof }
    }
    out.push({
      type: 'sign-and-broadcast',
      message: { type: 'vote', kind: 'commit', height, view, blockHash: hash },
    })
    s = withDone(s, `commit/${view}`)
  }
  return s
}
