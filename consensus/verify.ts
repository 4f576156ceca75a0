/**
 * Signature and certificate checks through the SignaturePort, so the same rules run with real Ed25519
 * in the node and with the simulator's cheap scheme. Each returns a boolean and never throws (a field
 * that cannot even be encoded, such as a height past 2^53 in a message built in memory, is a bad
 * signature).
 */
import { blockHash } from '../protocol/block.ts'
import { bytesEqual } from '../protocol/bytes.ts'
import {
  type Proposal,
  proposalSignBytes,
  type ViewChange,
  viewChangeSignBytes,
} from '../protocol/consensus-message.ts'
import { findValidator, type ValidatorSet } from '../protocol/validator-set.ts'
import { type Evidence, type QuorumCertificate, type Vote, voteBytes } from '../protocol/vote.ts'

export type Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean
export type QuorumRule = (power: number, totalPower: number) => boolean

/** `check`, with anything it throws taken as a failed check. */
function safely(check: () => boolean): boolean {
  try {
    return check()
  } catch {
    return false
  }
}

export function verifyVoteWith(verify: Verify, chainId: string, v: Vote): boolean {
  return safely(() =>
    verify(v.signature, voteBytes(chainId, v.kind, v.height, v.view, v.blockHash), v.validator),
  )
}

/** Every signer is a member, every signature verifies, and together they pass the quorum rule. */
export function isValidCertificate(
  verify: Verify,
  quorum: QuorumRule,
  chainId: string,
  cert: QuorumCertificate,
  set: ValidatorSet,
): boolean {
  return safely(() => isValidCertificateUnsafe(verify, quorum, chainId, cert, set))
}

function isValidCertificateUnsafe(
  verify: Verify,
  quorum: QuorumRule,
  chainId: string,
  cert: QuorumCertificate,
  set: ValidatorSet,
): boolean {
  const message = voteBytes(chainId, cert.kind, cert.height, cert.view, cert.blockHash)
  let power = 0
  let previous: Uint8Array | null = null
  for (const s of cert.signatures) {
    if (previous !== null && bytesEqual(previous, s.validator)) return false
    previous = s.validator
    const v = findValidator(set, s.validator)
    if (v === undefined || !verify(s.signature, message, s.validator)) return false
    power += v.power
  }
  return quorum(power, set.totalPower)
}

/** Two conflicting votes by one member, both signed: never a false accusation. */
export function isValidEvidenceWith(
  verify: Verify,
  chainId: string,
  e: Evidence,
  set?: ValidatorSet,
): boolean {
  return (
    bytesEqual(e.a.validator, e.b.validator) &&
    e.a.kind === e.b.kind &&
    e.a.height === e.b.height &&
    e.a.view === e.b.view &&
    !bytesEqual(e.a.blockHash, e.b.blockHash) &&
    (set === undefined || findValidator(set, e.a.validator) !== undefined) &&
    verifyVoteWith(verify, chainId, e.a) &&
    verifyVoteWith(verify, chainId, e.b)
  )
}

export function verifyProposalWith(verify: Verify, chainId: string, p: Proposal): boolean {
  return safely(() =>
    verify(p.signature, proposalSignBytes(chainId, p.height, p.view, blockHash(p.block.header)), p.proposer),
  )
}

/** The sender's own signature only (enough to trust its claim of height and view). */
export function verifyViewChangeSignatureWith(verify: Verify, chainId: string, m: ViewChange): boolean {
  return safely(() =>
    verify(m.signature, viewChangeSignBytes(chainId, m.height, m.view, m.prepared), m.validator),
  )
}

/** The sender's signature, and (if it carries one) a valid PREPARE certificate from the set. */
export function verifyViewChangeWith(
  verify: Verify,
  quorum: QuorumRule,
  chainId: string,
  m: ViewChange,
  set: ValidatorSet,
): boolean {
  if (findValidator(set, m.validator) === undefined) return false
  if (!verifyViewChangeSignatureWith(verify, chainId, m)) return false
  return m.prepared === null || isValidCertificate(verify, quorum, chainId, m.prepared.certificate, set)
}
