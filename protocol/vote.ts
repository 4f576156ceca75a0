/**
 * Consensus votes and the certificates made of them. A vote signs (domain, chain id, height, view,
 * block hash) only, so its cost does not grow with the block. A commit certificate is a set of COMMIT
 * signatures from more than 2/3 of the voting power; it is stored with its block and carried in the
 * next block (so a block's finality proof is on chain), and it is what an observer checks.
 */

import { type Bytes, bytesEqual, compareBytes } from './bytes.ts'
import { encode, type WireValue } from './codec.ts'
import { sha256, sign, verify } from './crypto.ts'
import { ArcadeError, invalidField } from './errors.ts'
import { readBytes, readUint } from './fields.ts'
import { Limits } from './limits.ts'
import { Domain, taggedBytes, voteSignBytes } from './sign-bytes.ts'
import { findValidator, hasQuorum, type ValidatorSet } from './validator-set.ts'

export const VoteKind = { prepare: 'prepare', commit: 'commit' } as const
export type VoteKind = (typeof VoteKind)[keyof typeof VoteKind]

export interface Vote {
  readonly kind: VoteKind
  readonly height: number
  readonly view: number
  readonly blockHash: Bytes
  readonly validator: Bytes
  readonly signature: Bytes
}

export interface VoteSignature {
  readonly validator: Bytes
  readonly signature: Bytes
}

/** PREPARE or COMMIT signatures for one (height, view, block) from a quorum of the voting power. */
export interface QuorumCertificate {
  readonly kind: VoteKind
  readonly height: number
  readonly view: number
  readonly blockHash: Bytes
  /** Sorted by validator key, one per validator. */
  readonly signatures: readonly VoteSignature[]
}

export type CommitCertificate = QuorumCertificate & { readonly kind: 'commit' }

/** Two votes by one validator for the same (height, view, kind) and different blocks. */
export interface Evidence {
  readonly a: Vote
  readonly b: Vote
}

const domainOf = (kind: VoteKind) => (kind === VoteKind.prepare ? Domain.prepare : Domain.commit)

export function voteBytes(
  chainId: string,
  kind: VoteKind,
  height: number,
  view: number,
  blockHash: Bytes,
): Bytes {
  return voteSignBytes(domainOf(kind), chainId, height, view, blockHash)
}

export function signVote(
  chainId: string,
  fields: Omit<Vote, 'signature' | 'validator'>,
  keys: { secretKey: Bytes; publicKey: Bytes },
): Vote {
  const signature = sign(
    voteBytes(chainId, fields.kind, fields.height, fields.view, fields.blockHash),
    keys.secretKey,
  )
  return { ...fields, validator: keys.publicKey, signature }
}

export function verifyVote(chainId: string, vote: Vote): boolean {
  return verify(
    vote.signature,
    voteBytes(chainId, vote.kind, vote.height, vote.view, vote.blockHash),
    vote.validator,
  )
}

// --- wire tuples and stateless validation ---

function voteKind(value: unknown, field: string): VoteKind {
  if (value !== VoteKind.prepare && value !== VoteKind.commit)
    throw invalidField(field, 'must be prepare or commit')
  return value
}

export function voteToTuple(v: Vote): WireValue {
  return [v.kind, v.height, v.view, v.blockHash, v.validator, v.signature]
}

export function voteFromTuple(raw: unknown, field = 'vote'): Vote {
  if (!Array.isArray(raw) || raw.length !== 6) throw invalidField(field, 'must be a tuple of 6 fields')
  return {
    kind: voteKind(raw[0], `${field}.kind`),
    height: readUint(raw[1], `${field}.height`),
    view: readUint(raw[2], `${field}.view`),
    blockHash: readBytes(raw[3], 32, `${field}.blockHash`),
    validator: readBytes(raw[4], 32, `${field}.validator`),
    signature: readBytes(raw[5], 64, `${field}.signature`),
  }
}

export function certificateToTuple(c: QuorumCertificate): WireValue {
  return [c.kind, c.height, c.view, c.blockHash, c.signatures.map((s) => [s.validator, s.signature])]
}

export function certificateFromTuple(raw: unknown, field = 'certificate'): QuorumCertificate {
  if (!Array.isArray(raw) || raw.length !== 5) throw invalidField(field, 'must be a tuple of 5 fields')
  const sigs = raw[4]
  if (!Array.isArray(sigs) || sigs.length === 0 || sigs.length > Limits.maxValidators) {
    throw invalidField(`${field}.signatures`, `must list 1 to ${Limits.maxValidators} signatures`)
  }
  const signatures = sigs.map((s: unknown, i: number) => {
    if (!Array.isArray(s) || s.length !== 2)
      throw invalidField(`${field}.signatures[${i}]`, 'must be [validator, signature]')
    return {
      validator: readBytes(s[0], 32, `${field}.signatures[${i}].validator`),
      signature: readBytes(s[1], 64, `${field}.signatures[${i}].signature`),
    }
  })
  for (let i = 1; i < signatures.length; i++) {
    if (
      compareBytes(
        (signatures[i - 1] as VoteSignature).validator,
        (signatures[i] as VoteSignature).validator,
      ) >= 0
    ) {
      throw invalidField(`${field}.signatures`, 'must be sorted by validator with no duplicates')
    }
  }
  return {
    kind: voteKind(raw[0], `${field}.kind`),
    height: readUint(raw[1], `${field}.height`),
    view: readUint(raw[2], `${field}.view`),
    blockHash: readBytes(raw[3], 32, `${field}.blockHash`),
    signatures,
  }
}

/** Builds a certificate from votes (any order, duplicates dropped). Does not check the quorum. */
export function certificateFromVotes(votes: readonly Vote[]): QuorumCertificate {
  const first = votes[0]
  if (first === undefined) throw new RangeError('a certificate needs at least one vote')
  const seen = new Set<string>()
  const signatures: VoteSignature[] = []
  for (const v of votes) {
    if (
      v.kind !== first.kind ||
      v.height !== first.height ||
      v.view !== first.view ||
      !bytesEqual(v.blockHash, first.blockHash)
    ) {
      throw new RangeError('votes of a certificate must agree on kind, height, view and block')
    }
    const id = String.fromCharCode(...v.validator)
    if (seen.has(id)) continue
    seen.add(id)
    signatures.push({ validator: v.validator, signature: v.signature })
  }
  signatures.sort((a, b) => compareBytes(a.validator, b.validator))
  return { kind: first.kind, height: first.height, view: first.view, blockHash: first.blockHash, signatures }
}

export function certificateHash(c: QuorumCertificate): Bytes {
  return sha256(taggedBytes(Domain.certificate, [certificateToTuple(c)]))
}

export const CertificateErrorCode = {
  /** A signer is not in the validator set for that height. */
  unknownSigner: 'CERT_UNKNOWN_SIGNER',
  /** A signature does not verify. */
  badSignature: 'CERT_BAD_SIGNATURE',
  /** The signers hold no more than 2/3 of the voting power. */
  noQuorum: 'CERT_NO_QUORUM',
  /** Certificate is for another height, view, kind or block than expected. */
  mismatch: 'CERT_MISMATCH',
} as const
export type CertificateErrorCode = (typeof CertificateErrorCode)[keyof typeof CertificateErrorCode]

export class CertificateError extends ArcadeError<CertificateErrorCode> {
  constructor(code: CertificateErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'CertificateError'
  }
}

/**
 * Checks a certificate against the validator set that was in force at its height: every signer is a
 * member, every signature verifies, and the signers hold more than 2/3 of the power. Throws a
 * CertificateError saying which rule failed.
 */
export function verifyCertificate(chainId: string, cert: QuorumCertificate, set: ValidatorSet): void {
  const message = voteBytes(chainId, cert.kind, cert.height, cert.view, cert.blockHash)
  let power = 0
  for (const s of cert.signatures) {
    const v = findValidator(set, s.validator)
    if (v === undefined) {
      throw new CertificateError(
        CertificateErrorCode.unknownSigner,
        'certificate signed by a key outside the validator set',
      )
    }
    if (!verify(s.signature, message, s.validator)) {
      throw new CertificateError(
        CertificateErrorCode.badSignature,
        'certificate carries a signature that does not verify',
      )
    }
    power += v.power
  }
  if (!hasQuorum(power, set.totalPower)) {
    throw new CertificateError(
      CertificateErrorCode.noQuorum,
      `certificate power ${power} of ${set.totalPower} is not a 2/3 quorum`,
      {
        power,
        totalPower: set.totalPower,
      },
    )
  }
}

export function evidenceToTuple(e: Evidence): WireValue {
  return [voteToTuple(e.a), voteToTuple(e.b)]
}

export function evidenceFromTuple(raw: unknown, field = 'evidence'): Evidence {
  if (!Array.isArray(raw) || raw.length !== 2) throw invalidField(field, 'must be a pair of votes')
  return { a: voteFromTuple(raw[0], `${field}.a`), b: voteFromTuple(raw[1], `${field}.b`) }
}

/**
 * Evidence is valid when both votes are by the same validator, for the same kind, height and view,
 * on different blocks, and both signatures verify. Anything else would be a false accusation.
 */
export function isValidEvidence(chainId: string, e: Evidence): boolean {
  return (
    bytesEqual(e.a.validator, e.b.validator) &&
    e.a.kind === e.b.kind &&
    e.a.height === e.b.height &&
    e.a.view === e.b.view &&
    !bytesEqual(e.a.blockHash, e.b.blockHash) &&
    verifyVote(chainId, e.a) &&
    verifyVote(chainId, e.b)
  )
}

export function evidenceHash(e: Evidence): Bytes {
  return sha256(taggedBytes(Domain.evidence, [evidenceToTuple(e)]))
}

export function encodeVote(v: Vote): Bytes {
  return encode(voteToTuple(v))
}
