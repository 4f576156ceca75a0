/**
 * Consensus wire messages: PRE-PREPARE (a proposal carrying the block), PREPARE and COMMIT votes,
 * VIEW-CHANGE (carrying the sender's highest prepared certificate with its block), NEW-VIEW (a quorum
 * of VIEW-CHANGEs plus the new leader's proposal) and COMMIT-CERTIFICATE (a whole commit certificate, sent
 * to a member stuck one height behind). Decoding checks the size limit first and then every stateless
 * rule; signatures, membership and quorum power are checked by consensus against the validator set of
 * the height.
 */

import { type Block, type BlockHeader, blockFromTuple, blockHash, blockToTuple } from './block.ts'
import { type Bytes, bytesEqual, compareBytes } from './bytes.ts'
import { decodeRaw, encode, type WireValue } from './codec.ts'
import { invalidField, ProtocolError, ProtocolErrorCode } from './errors.ts'
import { readBytes, readUint } from './fields.ts'
import { Limits } from './limits.ts'
import { consensusSignBytes, Domain } from './sign-bytes.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  certificateHash,
  certificateToTuple,
  type QuorumCertificate,
  type Vote,
  voteFromTuple,
  voteToTuple,
} from './vote.ts'

/** PRE-PREPARE: the leader of (height, view) proposes a block. */
export interface Proposal {
  readonly type: 'proposal'
  readonly height: number
  readonly view: number
  readonly block: Block
  readonly proposer: Bytes
  readonly signature: Bytes
}

export interface VoteMessage {
  readonly type: 'vote'
  readonly vote: Vote
}

/** A PREPARE quorum certificate with the block it certifies. */
export interface PreparedProof {
  readonly certificate: QuorumCertificate
  readonly block: Block
}

/** A validator's request to move to `view`, carrying its highest prepared certificate (or none). */
export interface ViewChange {
  readonly type: 'view-change'
  readonly height: number
  readonly view: number
  readonly prepared: PreparedProof | null
  readonly validator: Bytes
  readonly signature: Bytes
}

/**
 * The new leader's proof that a quorum asked for `view`, with its proposal. Every part is signed (each
 * view change by its sender, the proposal by the leader), so the message needs no signature of its own.
 */
export interface NewView {
  readonly type: 'new-view'
  readonly height: number
  readonly view: number
  readonly viewChanges: readonly ViewChange[]
  readonly proposal: Proposal
}

/**
 * A commit certificate of (height, view), passed on whole. It carries no signature of its own: it is
 * checked by its COMMIT signatures and their quorum, so any member may send it (it replaces relaying
 * other validators' votes, which a receiver could not tell from forgeries by the relaying peer).
 */
export interface CommitCertificateMessage {
  readonly type: 'commit-certificate'
  readonly height: number
  readonly view: number
  readonly certificate: CommitCertificate
}

export type ConsensusMessage = Proposal | VoteMessage | ViewChange | NewView | CommitCertificateMessage

/**
 * The first field of every consensus frame. `compactProposal` is a proposal's wire form with tx ids in
 * place of txs (compact-proposal.ts): the node rebuilds the proposal before consensus sees it, so it is
 * no ConsensusMessage and decodes only through `decodeConsensusFrame`.
 */
export const ConsensusTag = {
  proposal: 0,
  vote: 1,
  viewChange: 2,
  newView: 3,
  commitCertificate: 4,
  compactProposal: 5,
} as const
const Tag = ConsensusTag

export function proposalSignBytes(chainId: string, height: number, view: number, hash: Bytes): Bytes {
  return consensusSignBytes(Domain.proposal, chainId, [height, view, hash])
}

export function viewChangeSignBytes(
  chainId: string,
  height: number,
  view: number,
  prepared: PreparedProof | null,
): Bytes {
  const cert = prepared === null ? null : certificateHash(prepared.certificate)
  return consensusSignBytes(Domain.viewChange, chainId, [height, view, cert])
}

function proposalToTuple(p: Proposal): WireValue {
  return [Tag.proposal, p.height, p.view, blockToTuple(p.block), p.proposer, p.signature]
}

function viewChangeToTuple(m: ViewChange): WireValue {
  const prepared =
    m.prepared === null ? null : [certificateToTuple(m.prepared.certificate), blockToTuple(m.prepared.block)]
  return [Tag.viewChange, m.height, m.view, prepared, m.validator, m.signature]
}

export function consensusMessageToTuple(m: ConsensusMessage): WireValue {
  switch (m.type) {
    case 'proposal':
      return proposalToTuple(m)
    case 'vote':
      return [Tag.vote, voteToTuple(m.vote)]
    case 'view-change':
      return viewChangeToTuple(m)
    case 'new-view':
      return [
        Tag.newView,
        m.height,
        m.view,
        m.viewChanges.map(viewChangeToTuple),
        proposalToTuple(m.proposal),
      ]
    case 'commit-certificate':
      return [Tag.commitCertificate, m.height, m.view, certificateToTuple(m.certificate)]
  }
}

export function encodeConsensusMessage(m: ConsensusMessage): Bytes {
  return encode(consensusMessageToTuple(m))
}

// --- stateless validation ---

export function tuple(raw: unknown, length: number, field: string): unknown[] {
  if (!Array.isArray(raw) || raw.length !== length) throw invalidField(field, `must be a tuple of ${length}`)
  return raw
}

export function checkChain(header: BlockHeader, chainId: string): void {
  if (header.chainId !== chainId) {
    throw new ProtocolError(ProtocolErrorCode.wrongChain, 'consensus message for another chain', {
      expected: chainId,
      got: header.chainId,
    })
  }
}

/** Rule: a proposal is for the height of its block, and a block is never from a later view. */
export function checkProposalSlot(header: BlockHeader, height: number, view: number, field: string): void {
  if (header.height !== height) throw invalidField(`${field}.height`, 'must equal the block height')
  if (header.view > view) throw invalidField(`${field}.view`, 'must not be below the block view')
}

function proposalFromTuple(raw: unknown, chainId: string, field: string): Proposal {
  const t = tuple(raw, 6, field)
  if (t[0] !== Tag.proposal) throw invalidField(`${field}.type`, 'must be a proposal')
  const block = blockFromTuple(t[3], `${field}.block`)
  checkChain(block.header, chainId)
  const p: Proposal = {
    type: 'proposal',
    height: readUint(t[1], `${field}.height`),
    view: readUint(t[2], `${field}.view`),
    block,
    proposer: readBytes(t[4], 32, `${field}.proposer`),
    signature: readBytes(t[5], 64, `${field}.signature`),
  }
  checkProposalSlot(block.header, p.height, p.view, field)
  return p
}

function viewChangeFromTuple(raw: unknown, chainId: string, field: string): ViewChange {
  const t = tuple(raw, 6, field)
  if (t[0] !== Tag.viewChange) throw invalidField(`${field}.type`, 'must be a view change')
  const height = readUint(t[1], `${field}.height`)
  const view = readUint(t[2], `${field}.view`)
  let prepared: PreparedProof | null = null
  if (t[3] !== null) {
    const p = tuple(t[3], 2, `${field}.prepared`)
    const certificate = certificateFromTuple(p[0], `${field}.prepared.certificate`)
    const block = blockFromTuple(p[1], `${field}.prepared.block`)
    checkChain(block.header, chainId)
    // Rule: the certificate is a PREPARE quorum for this block, at this height, from an earlier view.
    if (certificate.kind !== 'prepare')
      throw invalidField(`${field}.prepared.certificate.kind`, 'not prepare')
    if (certificate.height !== height || block.header.height !== height) {
      throw invalidField(`${field}.prepared`, 'must be for the view change height')
    }
    if (certificate.view >= view) throw invalidField(`${field}.prepared.certificate.view`, 'must be earlier')
    if (!bytesEqual(certificate.blockHash, blockHash(block.header))) {
      throw invalidField(`${field}.prepared.block`, 'does not match the certificate')
    }
    prepared = { certificate, block }
  }
  if (view === 0) throw invalidField(`${field}.view`, 'a view change targets view 1 or later')
  return {
    type: 'view-change',
    height,
    view,
    prepared,
    validator: readBytes(t[4], 32, `${field}.validator`),
    signature: readBytes(t[5], 64, `${field}.signature`),
  }
}

function newViewFromTuple(raw: unknown, chainId: string, field: string): NewView {
  const t = tuple(raw, 5, field)
  const height = readUint(t[1], `${field}.height`)
  const view = readUint(t[2], `${field}.view`)
  const list = t[3]
  if (!Array.isArray(list) || list.length === 0 || list.length > Limits.maxValidators) {
    throw invalidField(`${field}.viewChanges`, `must list 1 to ${Limits.maxValidators}`)
  }
  const viewChanges = list.map((v: unknown, i: number) =>
    viewChangeFromTuple(v, chainId, `${field}.viewChanges[${i}]`),
  )
  for (const [i, vc] of viewChanges.entries()) {
    // Rule: every view change is for this height and view, one per validator, sorted by key.
    if (vc.height !== height || vc.view !== view) {
      throw invalidField(`${field}.viewChanges[${i}]`, 'must be for the new view')
    }
    const prev = viewChanges[i - 1]
    if (prev !== undefined && compareBytes(prev.validator, vc.validator) >= 0) {
      throw invalidField(`${field}.viewChanges`, 'must be sorted by validator with no duplicates')
    }
  }
  const proposal = proposalFromTuple(t[4], chainId, `${field}.proposal`)
  if (proposal.height !== height || proposal.view !== view) {
    throw invalidField(`${field}.proposal`, 'must be for the new view')
  }
  return { type: 'new-view', height, view, viewChanges, proposal }
}

function commitCertificateFromTuple(raw: unknown, field: string): CommitCertificateMessage {
  const t = tuple(raw, 4, field)
  const height = readUint(t[1], `${field}.height`)
  const view = readUint(t[2], `${field}.view`)
  const certificate = certificateFromTuple(t[3], `${field}.certificate`)
  // Rule: a COMMIT certificate, for the height and view the message names.
  if (certificate.kind !== 'commit') throw invalidField(`${field}.certificate.kind`, 'must be commit')
  if (certificate.height !== height || certificate.view !== view) {
    throw invalidField(`${field}.certificate`, 'must be for the height and view of the message')
  }
  return { type: 'commit-certificate', height, view, certificate: certificate as CommitCertificate }
}

export function consensusMessageFromTuple(raw: unknown, chainId: string): ConsensusMessage {
  if (!Array.isArray(raw) || raw.length === 0) throw invalidField('message', 'must be a tagged tuple')
  switch (raw[0]) {
    case Tag.proposal:
      return proposalFromTuple(raw, chainId, 'proposal')
    case Tag.vote: {
      const t = tuple(raw, 2, 'vote')
      return { type: 'vote', vote: voteFromTuple(t[1]) }
    }
    case Tag.viewChange:
      return viewChangeFromTuple(raw, chainId, 'viewChange')
    case Tag.newView:
      return newViewFromTuple(raw, chainId, 'newView')
    case Tag.commitCertificate:
      return commitCertificateFromTuple(raw, 'commitCertificate')
    default:
      throw new ProtocolError(ProtocolErrorCode.unknownKind, 'unknown consensus message type', {
        // Never String() a decoded value: a msgpack map {toString: 1} would throw a TypeError.
        type: typeof raw[0] === 'string' || typeof raw[0] === 'number' ? raw[0] : `(${typeof raw[0]})`,
      })
  }
}

/** Size limit, msgpack, shape, chain id and the stateless rules, in one call. */
export function decodeConsensusMessage(bytes: Bytes, chainId: string): ConsensusMessage {
  return consensusMessageFromTuple(
    decodeRaw(bytes, Limits.maxConsensusMessageBytes, 'consensus message'),
    chainId,
  )
}

// --- who signed it, and what it weighs ---

/** The member a message is signed by, or null for a commit certificate (signed by a quorum). */
export function signerOf(m: ConsensusMessage): Bytes | null {
  switch (m.type) {
    case 'vote':
      return m.vote.validator
    case 'proposal':
      return m.proposer
    case 'view-change':
      return m.validator
    case 'new-view':
      return m.proposal.proposer
    case 'commit-certificate':
      return null
  }
}

export function heightOf(m: ConsensusMessage): number {
  return m.type === 'vote' ? m.vote.height : m.height
}

export function viewOf(m: ConsensusMessage): number {
  return m.type === 'vote' ? m.vote.view : m.view
}

/** Room for a message's fixed fields, a header, or one signature entry (an upper estimate, in bytes). */
const FIXED_BYTES = 512
const SIGNATURE_ENTRY_BYTES = 104

function blockWeight(b: Block): number {
  let bytes = FIXED_BYTES + b.evidence.length * 2 * FIXED_BYTES
  for (const tx of b.txs) bytes += tx.length + 5
  if (b.lastCommit !== null) bytes += b.lastCommit.signatures.length * SIGNATURE_ENTRY_BYTES
  return bytes
}

function viewChangeWeight(m: ViewChange): number {
  if (m.prepared === null) return FIXED_BYTES
  const sigs = m.prepared.certificate.signatures.length * SIGNATURE_ENTRY_BYTES
  return FIXED_BYTES + sigs + blockWeight(m.prepared.block)
}

/**
 * What a decoded message holds in memory, estimated from its parts without encoding it (about its wire
 * size): a block-carrying message counts its block. Used to bound buffers and queues.
 */
export function consensusMessageWeight(m: ConsensusMessage): number {
  switch (m.type) {
    case 'vote':
      return FIXED_BYTES
    case 'proposal':
      return FIXED_BYTES + blockWeight(m.block)
    case 'view-change':
      return viewChangeWeight(m)
    case 'new-view': {
      let bytes = FIXED_BYTES + blockWeight(m.proposal.block)
      for (const vc of m.viewChanges) bytes += viewChangeWeight(vc)
      return bytes
    }
    case 'commit-certificate':
      return FIXED_BYTES + m.certificate.signatures.length * SIGNATURE_ENTRY_BYTES
  }
}
