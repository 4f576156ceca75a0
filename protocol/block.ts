/**
 * Blocks. The header commits to everything: the txs (Merkle root of their hashes), the state root
 * *after* executing them (execute before vote), the previous block's commit certificate (carried in
 * this block, so finality of every block but the head is on chain), the validator set in force and the
 * one for the next height (they differ only after an epoch's last block), and any evidence.
 * The block hash is SHA-256 of the header's canonical bytes.
 */

import { type Bytes, bytesEqual } from './bytes.ts'
import { validateChainId } from './chain-id.ts'
import { decodeRaw, encode, type WireValue } from './codec.ts'
import { HASH_BYTES, sha256 } from './crypto.ts'
import { invalidField } from './errors.ts'
import { readBytes, readUint } from './fields.ts'
import { Limits } from './limits.ts'
import { merkleRoot } from './merkle.ts'
import { Domain, taggedBytes } from './sign-bytes.ts'
import { txHashOfEncoded } from './tx.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  certificateHash,
  certificateToTuple,
  type Evidence,
  evidenceFromTuple,
  evidenceHash,
  evidenceToTuple,
} from './vote.ts'

export const ZERO_HASH: Bytes = new Uint8Array(HASH_BYTES)

export interface BlockHeader {
  readonly chainId: string
  readonly height: number
  /** The view in which this block was proposed. */
  readonly view: number
  /** Proposer's clock, checked by validators to be later than the parent's and not in the future. */
  readonly timeMs: number
  readonly parentHash: Bytes
  /** Merkle root over the hashes of the block's txs, in order. */
  readonly txRoot: Bytes
  /** State root after executing this block. */
  readonly stateRoot: Bytes
  /** Hash of `lastCommit` (the parent's commit certificate); zero for height 1. */
  readonly lastCommitHash: Bytes
  /** Hash of the validator set that certifies this block. */
  readonly validatorSetHash: Bytes
  /** Hash of the validator set for the next height: differs only after an epoch's last block. */
  readonly nextValidatorSetHash: Bytes
  /** Merkle root over the hashes of the evidence included. */
  readonly evidenceRoot: Bytes
  /** Node key of the proposer. */
  readonly proposer: Bytes
}

export interface Block {
  readonly header: BlockHeader
  /** The encoded signed txs, exactly as submitted. */
  readonly txs: readonly Bytes[]
  /** The commit certificate of the parent block (null at height 1). */
  readonly lastCommit: CommitCertificate | null
  readonly evidence: readonly Evidence[]
}

export function headerToTuple(h: BlockHeader): WireValue {
  return [
    h.chainId,
    h.height,
    h.view,
    h.timeMs,
    h.parentHash,
    h.txRoot,
    h.stateRoot,
    h.lastCommitHash,
    h.validatorSetHash,
    h.nextValidatorSetHash,
    h.evidenceRoot,
    h.proposer,
  ]
}

export function blockHash(h: BlockHeader): Bytes {
  return sha256(taggedBytes(Domain.blockHeader, [headerToTuple(h)]))
}

export function headerFromTuple(raw: unknown, field = 'header'): BlockHeader {
  if (!Array.isArray(raw) || raw.length !== 12) throw invalidField(field, 'must be a tuple of 12 fields')
  const header: BlockHeader = {
    chainId: validateChainId(raw[0], `${field}.chainId`),
    height: readUint(raw[1], `${field}.height`),
    view: readUint(raw[2], `${field}.view`),
    timeMs: readUint(raw[3], `${field}.timeMs`),
    parentHash: readBytes(raw[4], 32, `${field}.parentHash`),
    txRoot: readBytes(raw[5], 32, `${field}.txRoot`),
    stateRoot: readBytes(raw[6], 32, `${field}.stateRoot`),
    lastCommitHash: readBytes(raw[7], 32, `${field}.lastCommitHash`),
    validatorSetHash: readBytes(raw[8], 32, `${field}.validatorSetHash`),
    nextValidatorSetHash: readBytes(raw[9], 32, `${field}.nextValidatorSetHash`),
    evidenceRoot: readBytes(raw[10], 32, `${field}.evidenceRoot`),
    proposer: readBytes(raw[11], 32, `${field}.proposer`),
  }
  if (header.height < 1) throw invalidField(`${field}.height`, 'must be at least 1')
  return header
}

export function blockToTuple(b: Block): WireValue {
  return [
    headerToTuple(b.header),
    b.txs,
    b.lastCommit === null ? null : certificateToTuple(b.lastCommit),
    b.evidence.map(evidenceToTuple),
  ]
}

/**
 * Stateless checks of a decoded block: shape, sizes, and that the header's roots and hashes match the
 * body it came with. Stateful checks (parent, proposer, certificate power, state root) are consensus's.
 */
export function blockFromTuple(raw: unknown, field = 'block'): Block {
  const block = blockShapeFromTuple(raw, field)
  checkBlockCommitments(block, field)
  return block
}

function blockShapeFromTuple(raw: unknown, field: string): Block {
  if (!Array.isArray(raw) || raw.length !== 4)
    throw invalidField(field, 'must be a tuple [header, txs, lastCommit, evidence]')
  const header = headerFromTuple(raw[0], `${field}.header`)
  const txs = raw[1]
  if (!Array.isArray(txs)) throw invalidField(`${field}.txs`, 'must be a list')
  for (let i = 0; i < txs.length; i++) {
    const tx: unknown = txs[i]
    if (!(tx instanceof Uint8Array) || tx.length === 0 || tx.length > Limits.maxTxBytes) {
      throw invalidField(`${field}.txs[${i}]`, `must be 1 to ${Limits.maxTxBytes} bytes`)
    }
  }
  const lastCommit = raw[2] === null ? null : certificateFromTuple(raw[2], `${field}.lastCommit`)
  if (lastCommit !== null && lastCommit.kind !== 'commit')
    throw invalidField(`${field}.lastCommit.kind`, 'must be commit')
  if (!Array.isArray(raw[3]) || raw[3].length > Limits.maxValidators) {
    throw invalidField(`${field}.evidence`, `must be a list of at most ${Limits.maxValidators}`)
  }
  const evidence = raw[3].map((e: unknown, i: number) => evidenceFromTuple(e, `${field}.evidence[${i}]`))
  return {
    header,
    // Frozen, so the tx hashes remembered for this list (txHashesOf) stay true.
    txs: Object.freeze(txs as Bytes[]),
    lastCommit: lastCommit as CommitCertificate | null,
    evidence,
  }
}

/** The header's txRoot, lastCommitHash and evidenceRoot must match the body. */
export function checkBlockCommitments(block: Block, field = 'block'): void {
  const { header } = block
  if (!bytesEqual(header.txRoot, txRootOf(block.txs)))
    throw invalidField(`${field}.header.txRoot`, 'does not match the txs')
  const expectedCommitHash = block.lastCommit === null ? ZERO_HASH : certificateHash(block.lastCommit)
  if (!bytesEqual(header.lastCommitHash, expectedCommitHash)) {
    throw invalidField(`${field}.header.lastCommitHash`, 'does not match lastCommit')
  }
  if ((header.height === 1) !== (block.lastCommit === null)) {
    throw invalidField(`${field}.lastCommit`, 'must be null at height 1 and present after it')
  }
  if (block.lastCommit !== null && block.lastCommit.height !== header.height - 1) {
    throw invalidField(`${field}.lastCommit.height`, 'must be the parent height')
  }
  if (!bytesEqual(header.evidenceRoot, evidenceRootOf(block.evidence))) {
    throw invalidField(`${field}.header.evidenceRoot`, 'does not match the evidence')
  }
}

// A block's tx hashes and tx root, computed once per frozen tx list (decoding checks the root; the
// node then executes, re-checks and serves the same list). Keyed by the list, so a block copied with
// other txs gets its own; only frozen lists are remembered, as an unfrozen one could still change.
// Hashing is a pure function of the bytes (never modified in place): remembering it skips no check.
const txDigests = new WeakMap<readonly Bytes[], { hashes: readonly Bytes[]; root: Bytes | null }>()

/** The hashes of a block's txs (`txHashOfEncoded` of each), in block order; remembered for frozen lists. */
export function txHashesOf(txs: readonly Bytes[]): readonly Bytes[] {
  const known = txDigests.get(txs)
  if (known !== undefined) return known.hashes
  const hashes = txs.map(txHashOfEncoded)
  if (Object.isFrozen(txs)) txDigests.set(txs, { hashes, root: null })
  return hashes
}

/**
 * Trusted caller only: records the hashes of a tx list built from txs already decoded (a leader's
 * proposal from its mempool), where `hashes[i]` is the hash of the tx encoded as `txs[i]`. Freezes
 * the list; its tx root is then computed from these hashes.
 */
export function rememberTxHashes(txs: Bytes[], hashes: readonly Bytes[]): readonly Bytes[] {
  if (hashes.length !== txs.length) throw new RangeError('one hash per tx')
  Object.freeze(txs)
  txDigests.set(txs, { hashes, root: null })
  return txs
}

/** Merkle root over the hashes of the encoded txs, in block order. */
export function txRootOf(txs: readonly Bytes[]): Bytes {
  const known = txDigests.get(txs)
  if (known !== undefined && known.root !== null) return known.root
  const root = merkleRoot(txHashesOf(txs))
  const entry = txDigests.get(txs)
  if (entry !== undefined) entry.root = root
  return root
}

export function evidenceRootOf(evidence: readonly Evidence[]): Bytes {
  return merkleRoot(evidence.map(evidenceHash))
}

export function encodeBlock(b: Block): Bytes {
  return encode(blockToTuple(b))
}

/** Decodes a block off the wire: shape, sizes, and every header commitment checked against the body. */
export function decodeBlock(bytes: Bytes, maxBytes: number = Limits.maxBlockBytes): Block {
  return blockFromTuple(decodeRaw(bytes, Math.min(maxBytes, Limits.maxBlockBytes), 'block'))
}

/**
 * TRUSTED INPUT ONLY: decodes a block this node committed itself (its own block store), checking the
 * shape but not re-checking the header's commitments (tx root, last commit hash, evidence root), which
 * were checked before the block was committed. Never use it on bytes from a peer or a client.
 */
export function decodeStoredBlock(bytes: Bytes): Block {
  return blockShapeFromTuple(decodeRaw(bytes, Limits.maxBlockBytes, 'block'), 'block')
}
