/**
 * The normal case of one view: accept the leader's proposal, have the executor re-run it, PREPARE,
 * COMMIT after a PREPARE quorum, decide after a COMMIT quorum. Also the evidence rule: a second,
 * different vote by one validator for the same (height, view, kind) is reported and kept for the next
 * proposal.
 */
import { type Block, blockHash, checkBlockCommitments } from '../protocol/block.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import type { Proposal } from '../protocol/consensus-message.ts'
import { findValidator } from '../protocol/validator-set.ts'
import { type CommitCertificate, certificateFromVotes, type Vote } from '../protocol/vote.ts'
import type { ConsensusEffect, ConsensusState, MachineConfig } from './state.ts'
import { isValidCertificate, isValidEvidenceWith, verifyProposalWith, verifyVoteWith } from './verify.ts'
import { addVote, tallyOf } from './vote-set.ts'

const withDone = (s: ConsensusState, duty: string): ConsensusState => ({
  ...s,
  done: new Set(s.done).add(duty),
})

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
  if (!verifyProposalWith(cfg.verify, cfg.chainId, p)) return s
  const hex = toHex(blockHash(p.block.header))
  if (!s.blocks.has(hex)) {
    if (!blockFits(cfg, s, p.block)) return s
    s = { ...s, blocks: new Map(s.blocks).set(hex, p.block) }
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
  const member = findValidator(s.ctx.validators, vote.validator)
  if (member === undefined || vote.height !== s.ctx.height) return s
  if (!verifyVoteWith(cfg.verify, cfg.chainId, vote)) return s
  const r = addVote(s.votes, vote, member.power)
  if (r.evidence !== null) {
    const key = `${vote.kind}/${vote.height}/${vote.view}/${toHex(vote.validator)}`
    if (!s.reported.has(key)) {
      out.push({ type: 'report-evidence', evidence: r.evidence })
      s = { ...s, reported: new Set(s.reported).add(key), evidence: [...s.evidence, r.evidence] }
    }
  }
  return r.added ? { ...s, votes: r.set } : s
}

/** After every event: decide on a COMMIT quorum; else PREPARE and COMMIT in the current view when due. */
export function progress(cfg: MachineConfig, s: ConsensusState, out: ConsensusEffect[]): ConsensusState {
  if (s.phase === 'decided') return s
  const quorum = cfg.options.quorum
  const total = s.ctx.validators.totalPower
  for (const [key, tally] of s.votes.tallies) {
    if (!key.startsWith('commit/') || !quorum(tally.power, total)) continue
    const hex = key.slice(key.lastIndexOf('/') + 1)
    const block = s.blocks.get(hex)
    if (block === undefined) {
      if (!s.done.has('sync')) {
        out.push({ type: 'request-sync', fromHeight: s.ctx.height, targetHeight: s.ctx.height })
        s = withDone(s, 'sync')
      }
      continue
    }
    const certificate = certificateFromVotes(tally.votes) as CommitCertificate
    out.push({ type: 'commit', block, certificate })
    return { ...s, phase: 'decided', decided: block }
  }
  if (s.phase !== 'normal' || cfg.self === null || s.done.has('behind')) return s
  const p = s.proposals.get(s.view)
  if (p === undefined) return s
  const hash = blockHash(p.block.header)
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
  const prepares = tallyOf(s.votes, 'prepare', view, hex)
  if (prepares !== undefined && quorum(prepares.power, total) && !s.done.has(`commit/${view}`)) {
    // The prepared proof is persisted before the COMMIT is signed: after a crash this node still
    // carries it into view changes, which is what keeps a committed block from being replaced.
    const proof = { certificate: certificateFromVotes(prepares.votes), block: p.block }
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
