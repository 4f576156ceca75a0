/**
 * Checking a ledger answer without trusting the node that gave it (DESIGN §4 "State root"): the state
 * proof leads from the record to the state root, the root is in the block header, the header's hash is
 * what the commit certificate's validators signed, and they hold more than 2/3 of the power of the
 * validator set the header names. Any broken link is a CLIENT_PROOF_INVALID saying which.
 */
import { type BlockHeader, blockHash } from '../protocol/block.ts'
import { type Bytes, bytesEqual, toHex } from '../protocol/bytes.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { isArcadeError } from '../protocol/errors.ts'
import { MAX_STATE_VALUE_BYTES, verifyStateProof } from '../protocol/state-proof.ts'
import { type ValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { type QuorumCertificate, verifyCertificate } from '../protocol/vote.ts'
import { ArcadeClientError, ClientErrorCode } from './errors.ts'
import { type ParsedProof, parseBlock, parseProof, parseValidatorSet } from './parse.ts'
import type { BlockJson, ProofJson, ValidatorsJson } from './types.ts'

export interface VerifyProofOptions {
  readonly chainId: string
  /** The header of the block at the proof's height (parsed, or the RPC's block JSON). */
  readonly header: BlockHeader | BlockJson
  /** The validator set that certifies that block (a protocol set, or GET /v1/validators JSON). */
  readonly validators: ValidatorSet | ValidatorsJson
  /** The block's commit certificate when the proof came without one (the next block's lastCommit). */
  readonly certificate?: QuorumCertificate | null
}

export interface VerifiedRecord {
  readonly key: Bytes
  /** The record's stored bytes; null for a proven absence. */
  readonly value: Bytes | null
  /** The record decoded (msgpack tuple or number), or null for an absence. */
  readonly decoded: unknown
  readonly height: number
  readonly stateRoot: Bytes
  readonly blockHash: Bytes
}

export const ProofFailure = {
  stateProof: 'state-proof',
  header: 'header',
  certificate: 'certificate',
  validatorSet: 'validator-set',
} as const
export type ProofFailure = (typeof ProofFailure)[keyof typeof ProofFailure]

function fail(reason: ProofFailure, message: string, details: Record<string, unknown> = {}): never {
  throw new ArcadeClientError(ClientErrorCode.proofInvalid, message, null, { reason, ...details })
}

const isJsonHeader = (h: BlockHeader | BlockJson): h is BlockJson => typeof (h as BlockJson).hash === 'string'
const isValidatorSet = (v: ValidatorSet | ValidatorsJson): v is ValidatorSet => 'byKey' in v

/**
 * Verifies a GET /v1/proofs response end to end and returns the proven record; throws
 * CLIENT_PROOF_INVALID (`details.reason`: state-proof, header, certificate, validator-set) or
 * CLIENT_PROOF_UNSIGNED when no certificate is known yet.
 */
export function verifyRecordProof(
  response: ProofJson | ParsedProof,
  options: VerifyProofOptions,
): VerifiedRecord {
  const p = typeof response.key === 'string' ? parseProof(response as ProofJson) : (response as ParsedProof)
  // 1. The record (or its absence) under the claimed state root.
  if (!verifyStateProof(p.stateRoot, p.key, p.value, p.proof)) {
    fail(ProofFailure.stateProof, 'the state proof does not lead to the state root')
  }
  // 2. The root is the one in the header of the block at that height.
  const header = isJsonHeader(options.header) ? parseBlock(options.header).header : options.header
  if (header.chainId !== options.chainId) fail(ProofFailure.header, `header is for chain ${header.chainId}`)
  if (header.height !== p.height)
    fail(ProofFailure.header, `header is for height ${header.height}, not ${p.height}`)
  if (!bytesEqual(header.stateRoot, p.stateRoot)) fail(ProofFailure.header, "the header's state root differs")
  const hash = blockHash(header)
  if (p.blockHash !== null && !bytesEqual(hash, p.blockHash))
    fail(ProofFailure.header, 'the block hash differs')
  // 3. The validator set is the one the header names.
  const set = isValidatorSet(options.validators) ? options.validators : parseValidatorSet(options.validators)
  if (!bytesEqual(validatorSetHash(set), header.validatorSetHash)) {
    fail(ProofFailure.validatorSet, 'the validator set is not the one that certifies this block')
  }
  // 4. More than 2/3 of its power signed COMMIT for this very header.
  const cert = p.certificate ?? options.certificate ?? null
  if (cert === null) {
    throw new ArcadeClientError(
      ClientErrorCode.proofUnsigned,
      'no commit certificate for this block yet',
      null,
      {
        height: p.height,
      },
    )
  }
  if (cert.kind !== 'commit' || cert.height !== header.height || !bytesEqual(cert.blockHash, hash)) {
    fail(ProofFailure.certificate, 'the certificate is not a commit of this block')
  }
  try {
    verifyCertificate(options.chainId, cert, set)
  } catch (err) {
    if (isArcadeError(err)) fail(ProofFailure.certificate, err.message, { cause: err.code })
    throw err
  }
  return {
    key: p.key,
    value: p.value,
    decoded: p.value === null ? null : decodeRaw(p.value, MAX_STATE_VALUE_BYTES, 'record'),
    height: p.height,
    stateRoot: p.stateRoot,
    blockHash: hash,
  }
}

export const proofSummary = (r: VerifiedRecord): string =>
  `verified at height ${r.height}, block ${toHex(r.blockHash).slice(0, 16)}…, ${r.value === null ? 'absent' : 'present'}`
