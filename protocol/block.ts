/**
 * Blocks. The header commits to everything: the txs (every byte of every tx, see below), the state root
 * *after* executing them (execute before vote), the previous block's commit certificate (carried in
 * this block, so finality of every block but the head is on chain), the validator set in force and the
 * one for the next height (they differ only after an epoch's last block), and any evidence.
 * The block hash is SHA-256 of the header's canonical bytes.
 *
 * The tx root. A block must commit to every byte of every tx it carries, signatures included: if two
 * blocks with different bytes could share a hash, a Byzantine leader could show one to some
 * validators and the other, with a bad signature, to the rest, and every verdict or cache keyed by the
 * hash would mix them up. The tx id (SHA-256 of the signed payload, `SignedTx.hash`) leaves the
 * signature out on purpose (replay protection must not depend on it), so it cannot be the leaf alone.
 * The leaf of tx i is `txLeaf(id, signature)`: the 32-byte id followed by the 64-byte signature, a
 * fixed 96-byte layout, hashed under the Merkle tree's leaf prefix (RFC 6962, merkle.ts). With the
 * envelope canonical (exactly `encode([payload, signature])`, tx.ts `txEnvelopeOf`), the tx bytes are
 * a function of (payload, signature), so the root binds every byte. Cost on the hot path: the id is
 * computed once per tx anyway (decoding, or the mempool's admission for a leader's own txs); the leaf
 * adds nothing but 64 bytes to the leaf hash every Merkle tree computes (one SHA-256 of 97 bytes
 * instead of 33), never a second hash of a payload that may be 128 KiB.
 */

import { type Bytes, bytesEqual } from './bytes.ts'
import { validateChainId } from './chain-id.ts'
import { decodeRaw, encode, type WireValue } from './codec.ts'
import { HASH_BYTES, sha256 } from './crypto.ts'
import { invalidField } from './errors.ts'
import { readBytes, readUint } from './fields.ts'
import { Limits } from './limits.ts'
import { merkleLeafHashOfPair, merkleRoot, merkleRootOfLeafHashes } from './merkle.ts'
import { Domain, taggedBytes } from './sign-bytes.ts'
import { type TxEnvelope, txEnvelopeOf } from './tx.ts'
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
  /** Merkle root over the txs in block order, one leaf per tx: `txLeaf(tx id, signature)`. */
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
  return {
    header,
    // Frozen, so the tx hashes remembered for this list (txHashesOf) stay true.
    txs: Object.freeze(txs as Bytes[]),
    ...blockBodyFromTuple(raw[2], raw[3], field),
  }
}

/** The body of a block besides its txs: the parent's commit certificate and the evidence. */
export interface BlockBody {
  readonly lastCommit: CommitCertificate | null
  readonly evidence: readonly Evidence[]
}

/**
 * Stateless checks of a block's last commit and evidence fields (the third and fourth of its tuple),
 * shared by the full block and the compact form a proposal travels in (compact-proposal.ts).
 */
export function blockBodyFromTuple(rawLastCommit: unknown, rawEvidence: unknown, field: string): BlockBody {
  const lastCommit =
    rawLastCommit === null ? null : certificateFromTuple(rawLastCommit, `${field}.lastCommit`)
  if (lastCommit !== null && lastCommit.kind !== 'commit')
    throw invalidField(`${field}.lastCommit.kind`, 'must be commit')
  if (!Array.isArray(rawEvidence) || rawEvidence.length > Limits.maxValidators) {
    throw invalidField(`${field}.evidence`, `must be a list of at most ${Limits.maxValidators}`)
  }
  const evidence = rawEvidence.map((e: unknown, i: number) => evidenceFromTuple(e, `${field}.evidence[${i}]`))
  return { lastCommit: lastCommit as CommitCertificate | null, evidence }
}

/** The header's txRoot, lastCommitHash and evidenceRoot must match the body. */
export function checkBlockCommitments(block: Block, field = 'block'): void {
  if (!bytesEqual(block.header.txRoot, txRootOf(block.txs)))
    throw invalidField(`${field}.header.txRoot`, 'does not match the txs')
  checkBodyCommitments(block.header, block, field)
}

/**
 * The header's commitments to the body besides the txs: lastCommitHash and evidenceRoot, and a last
 * commit exactly when there is a parent. A compact proposal is checked with this on decoding, and for
 * its tx root once its txs are rebuilt.
 */
export function checkBodyCommitments(header: BlockHeader, body: BlockBody, field = 'block'): void {
  const expectedCommitHash = body.lastCommit === null ? ZERO_HASH : certificateHash(body.lastCommit)
  if (!bytesEqual(header.lastCommitHash, expectedCommitHash)) {
    throw invalidField(`${field}.header.lastCommitHash`, 'does not match lastCommit')
  }
  if ((header.height === 1) !== (body.lastCommit === null)) {
    throw invalidField(`${field}.lastCommit`, 'must be null at height 1 and present after it')
  }
  if (body.lastCommit !== null && body.lastCommit.height !== header.height - 1) {
    throw invalidField(`${field}.lastCommit.height`, 'must be the parent height')
  }
  if (!bytesEqual(header.evidenceRoot, evidenceRootOf(body.evidence))) {
    throw invalidField(`${field}.header.evidenceRoot`, 'does not match the evidence')
  }
}

// A block's tx ids, signatures and tx root, computed once per frozen tx list (decoding checks the
// root; the node then executes, re-checks and serves the same list). Keyed by the list, so a block
// copied with other txs gets its own; only frozen lists are remembered, as an unfrozen one could still
// change. Parsing and hashing are pure functions of the bytes (never modified in place): remembering
// them skips no check.
interface TxDigests {
  /** Tx ids: SHA-256 of each payload. */
  readonly hashes: readonly Bytes[]
  /** Each tx's signature (a view into its bytes). */
  readonly signatures: readonly Bytes[]
  root: Bytes | null
}
const txDigests = new WeakMap<readonly Bytes[], TxDigests>()

/** The leaf data of one tx in the tx root: its id (32 bytes) then its signature (64 bytes). */
export function txLeaf(hash: Bytes, signature: Bytes): Bytes {
  const leaf = new Uint8Array(hash.length + signature.length)
  leaf.set(hash)
  leaf.set(signature, hash.length)
  return leaf
}

function digestsOf(txs: readonly Bytes[]): TxDigests {
  const known = txDigests.get(txs)
  if (known !== undefined) return known
  const hashes: Bytes[] = new Array(txs.length)
  const signatures: Bytes[] = new Array(txs.length)
  for (let i = 0; i < txs.length; i++) {
    // Refuses a non-canonical envelope: the same payload and signature spelled otherwise.
    const envelope: TxEnvelope = txEnvelopeOf(txs[i] as Bytes)
    hashes[i] = sha256(envelope.payload)
    signatures[i] = envelope.signature
  }
  const digests: TxDigests = { hashes, signatures, root: null }
  if (Object.isFrozen(txs)) txDigests.set(txs, digests)
  return digests
}

/**
 * The ids (`SignedTx.hash`) of a block's txs, in block order; remembered for frozen lists. Throws a
 * typed error for a tx whose envelope is not canonical.
 */
export function txHashesOf(txs: readonly Bytes[]): readonly Bytes[] {
  return digestsOf(txs).hashes
}

/** The ids and signatures of a block's txs (views into the tx bytes); remembered for frozen lists. */
export function txDigestsOf(txs: readonly Bytes[]): {
  readonly hashes: readonly Bytes[]
  readonly signatures: readonly Bytes[]
} {
  return digestsOf(txs)
}

/**
 * Trusted caller only: records the ids and signatures of a tx list built from txs already decoded (a
 * leader's proposal from its mempool), where `decoded[i]` is `decodeTx(txs[i])`. Freezes the list;
 * its tx root is then computed without parsing or hashing any tx again.
 */
export function rememberTxHashes(
  txs: Bytes[],
  decoded: readonly { readonly hash: Bytes; readonly signature: Bytes }[],
): readonly Bytes[] {
  if (decoded.length !== txs.length) throw new RangeError('one decoded tx per tx')
  const hashes: Bytes[] = new Array(txs.length)
  const signatures: Bytes[] = new Array(txs.length)
  for (let i = 0; i < decoded.length; i++) {
    const tx = decoded[i] as { readonly hash: Bytes; readonly signature: Bytes }
    hashes[i] = tx.hash
    signatures[i] = tx.signature
  }
  Object.freeze(txs)
  txDigests.set(txs, { hashes, signatures, root: null })
  return txs
}

/** The tx root: Merkle root over `txLeaf(id, signature)` of each tx, in block order. */
export function txRootOf(txs: readonly Bytes[]): Bytes {
  const digests = digestsOf(txs)
  if (digests.root !== null) return digests.root
  const { hashes, signatures } = digests
  // merkleLeafHash(txLeaf(id, signature)) for each tx, without building the 96-byte leaves.
  const leafHashes: Bytes[] = new Array(hashes.length)
  for (let i = 0; i < hashes.length; i++) {
    leafHashes[i] = merkleLeafHashOfPair(hashes[i] as Bytes, signatures[i] as Bytes)
  }
  const root = merkleRootOfLeafHashes(leafHashes)
  digests.root = root
  return root
}

export function evidenceRootOf(evidence: readonly Evidence[]): Bytes {
  return merkleRoot(evidence.map(evidenceHash))
}

export function encodeBlock(b: Block): Bytes {
  return encode(blockToTuple(b))
}

/** Bytes of a msgpack array header for `n` items (fixarray, array16, array32). */
function arrayHeaderBytes(n: number): number {
  return n < 16 ? 1 : n < 0x1_0000 ? 3 : 5
}

/** Bytes of a msgpack bin header for `n` bytes (bin8, bin16, bin32). */
function binHeaderBytes(n: number): number {
  return n < 0x100 ? 2 : n < 0x1_0000 ? 3 : 5
}

/**
 * The most bytes a header can encode to: a 64-character chain id, three integers of up to 9 bytes and
 * eight 32-byte fields (2 + 32 bytes each), in a fixarray.
 */
export const MAX_HEADER_BYTES = 1 + (2 + Limits.maxChainIdLength) + 3 * 9 + 8 * (2 + HASH_BYTES)

/**
 * Bytes a block's encoding takes apart from its txs' own bytes, when it carries `txCount` txs: the
 * tuple and list headers, the header (at most MAX_HEADER_BYTES when not given yet), the last commit and
 * the evidence. Encodes only these small parts.
 */
export function blockOverheadBytes(
  header: BlockHeader | null,
  lastCommit: CommitCertificate | null,
  evidence: readonly Evidence[],
  txCount: number,
): number {
  const headerBytes = header === null ? MAX_HEADER_BYTES : encode(headerToTuple(header)).length
  let size = 1 + headerBytes + arrayHeaderBytes(txCount)
  size += lastCommit === null ? 1 : encode(certificateToTuple(lastCommit)).length
  return size + encode(evidence.map(evidenceToTuple)).length
}

/**
 * `encodeBlock(b).length`, without encoding the txs: the overhead plus, per tx, its length and its
 * bin header. What a block's size limit (genesis `maxBlockBytes`) is checked against.
 */
export function encodedBlockBytes(b: Block): number {
  let size = blockOverheadBytes(b.header, b.lastCommit, b.evidence, b.txs.length)
  for (const tx of b.txs) size += binHeaderBytes(tx.length) + tx.length
  return size
}

/** The most bytes any tx adds to a block's encoding beyond its own length (its bin header). */
export const BLOCK_BYTES_PER_TX = 5

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
