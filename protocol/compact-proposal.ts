/**
 * Compact proposals: a PRE-PREPARE on the wire with the ids of its block's txs in place of the txs.
 * Every validator already holds most of a proposal's txs from tx gossip (its mempool), so the leader
 * sends the signed header, the tx ids (32 bytes each, `SignedTx.hash`, in block order) and the rest of
 * the body as it is (last commit, evidence); a receiver rebuilds the block from its mempool, fetches
 * from the leader what it lacks (node/compact-proposals.ts) and hands consensus the full proposal.
 *
 * Wire form: `[ConsensusTag.compactProposal, height, view, [header, ids, lastCommit, evidence],
 * proposer, signature]`, where `ids` is one bin of 32 × n bytes (n txs; no per-id header). The
 * proposal's signature is over (height, view, block hash) as for the full form, and the header's tx
 * root commits to every tx byte, signatures included (block.ts), so the compact form changes nothing of
 * what is signed: a rebuilt block whose tx root matches its header is the block the leader signed.
 *
 * Decoding checks everything a block decoder checks except the tx root, which needs the txs: the
 * header, the ids (a multiple of 32 bytes, at most `maxTxIds`, no id twice: a block including a tx
 * twice is invalid anyway), the last commit and the evidence against the header, the chain id and the
 * proposal's slot rules. A NEW-VIEW carries its proposal in full, as before.
 */
import {
  type Block,
  type BlockBody,
  type BlockHeader,
  blockBodyFromTuple,
  checkBodyCommitments,
  headerFromTuple,
  headerToTuple,
  txHashesOf,
} from './block.ts'
import { type Bytes, bytesKey } from './bytes.ts'
import { decodeRaw, encode } from './codec.ts'
import {
  type ConsensusMessage,
  ConsensusTag,
  checkChain,
  checkProposalSlot,
  consensusMessageFromTuple,
  type Proposal,
  tuple,
} from './consensus-message.ts'
import { HASH_BYTES, SIGNATURE_BYTES } from './crypto.ts'
import { invalidField } from './errors.ts'
import { readBytes, readUint } from './fields.ts'
import { Limits } from './limits.ts'
import { certificateToTuple, evidenceToTuple } from './vote.ts'

/** A block with its txs named by id: what a compact proposal carries. */
export interface CompactBlock extends BlockBody {
  readonly header: BlockHeader
  /** The txs' ids (SHA-256 of each signed payload), in block order; views into the wire bytes. */
  readonly txIds: readonly Bytes[]
}

export interface CompactProposal {
  readonly type: 'compact-proposal'
  readonly height: number
  readonly view: number
  readonly block: CompactBlock
  readonly proposer: Bytes
  readonly signature: Bytes
}

/** What a consensus frame holds: a message for consensus, or a proposal still to be rebuilt. */
export type ConsensusFrame = ConsensusMessage | CompactProposal

/**
 * The fewest bytes one tx takes in a block: a canonical envelope (fixarray, bin8 header and at least
 * one payload byte, bin8 header and a 64-byte signature) inside its own bin8 header.
 */
const MIN_TX_IN_BLOCK_BYTES = 2 + 1 + 2 + 1 + 2 + SIGNATURE_BYTES

/**
 * The most ids any compact block may name: no block within `Limits.maxBlockBytes` holds more txs. The
 * chain's own `maxBlockTxs` in force (a parameter, usually far lower) is checked by the node.
 */
export const MAX_COMPACT_TX_IDS = Math.floor(Limits.maxBlockBytes / MIN_TX_IN_BLOCK_BYTES)

/** The compact form of a full proposal (its tx ids are remembered for a block the node built). */
export function compactProposalOf(p: Proposal): CompactProposal {
  const { header, txs, lastCommit, evidence } = p.block
  return {
    type: 'compact-proposal',
    height: p.height,
    view: p.view,
    block: { header, txIds: txHashesOf(txs), lastCommit, evidence },
    proposer: p.proposer,
    signature: p.signature,
  }
}

/** The full proposal once its txs are rebuilt; the caller has checked them against the tx root. */
export function fullProposalOf(p: CompactProposal, txs: readonly Bytes[]): Proposal {
  const { header, lastCommit, evidence } = p.block
  const block: Block = { header, txs, lastCommit, evidence }
  return {
    type: 'proposal',
    height: p.height,
    view: p.view,
    block,
    proposer: p.proposer,
    signature: p.signature,
  }
}

function concatIds(ids: readonly Bytes[]): Bytes {
  const out = new Uint8Array(ids.length * HASH_BYTES)
  for (let i = 0; i < ids.length; i++) out.set(ids[i] as Bytes, i * HASH_BYTES)
  return out
}

export function encodeCompactProposal(p: CompactProposal): Bytes {
  const { header, txIds, lastCommit, evidence } = p.block
  return encode([
    ConsensusTag.compactProposal,
    p.height,
    p.view,
    [
      headerToTuple(header),
      concatIds(txIds),
      lastCommit === null ? null : certificateToTuple(lastCommit),
      evidence.map(evidenceToTuple),
    ],
    p.proposer,
    p.signature,
  ])
}

/** Splits `n` × 32 bytes into `n` ids (views, nothing copied), refusing a repeated id. */
function idsFromBytes(raw: unknown, maxTxIds: number, field: string): Bytes[] {
  if (!(raw instanceof Uint8Array) || raw.length % HASH_BYTES !== 0) {
    throw invalidField(field, `must be a multiple of ${HASH_BYTES} bytes`)
  }
  const count = raw.length / HASH_BYTES
  if (count > maxTxIds) throw invalidField(field, `must name at most ${maxTxIds} txs`)
  const ids: Bytes[] = new Array(count)
  const seen = new Set<string>()
  for (let i = 0; i < count; i++) {
    const id = raw.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)
    const key = bytesKey(id)
    if (seen.has(key)) throw invalidField(`${field}[${i}]`, 'names a tx already in the block')
    seen.add(key)
    ids[i] = id
  }
  return ids
}

function compactBlockFromTuple(raw: unknown, maxTxIds: number, field: string): CompactBlock {
  const t = tuple(raw, 4, field)
  const header = headerFromTuple(t[0], `${field}.header`)
  const txIds = idsFromBytes(t[1], maxTxIds, `${field}.txIds`)
  const body = blockBodyFromTuple(t[2], t[3], field)
  checkBodyCommitments(header, body, field)
  return { header, txIds, ...body }
}

export function compactProposalFromTuple(
  raw: unknown,
  chainId: string,
  maxTxIds: number = MAX_COMPACT_TX_IDS,
  field = 'compactProposal',
): CompactProposal {
  const t = tuple(raw, 6, field)
  if (t[0] !== ConsensusTag.compactProposal) throw invalidField(`${field}.type`, 'must be a compact proposal')
  const block = compactBlockFromTuple(t[3], Math.min(maxTxIds, MAX_COMPACT_TX_IDS), `${field}.block`)
  checkChain(block.header, chainId)
  const p: CompactProposal = {
    type: 'compact-proposal',
    height: readUint(t[1], `${field}.height`),
    view: readUint(t[2], `${field}.view`),
    block,
    proposer: readBytes(t[4], 32, `${field}.proposer`),
    signature: readBytes(t[5], 64, `${field}.signature`),
  }
  checkProposalSlot(block.header, p.height, p.view, field)
  return p
}

/**
 * Decodes one consensus frame: size limit, msgpack, then the stateless rules of whichever kind it is
 * (`decodeConsensusMessage` for all but the compact proposal).
 */
export function decodeConsensusFrame(
  bytes: Bytes,
  chainId: string,
  maxTxIds: number = MAX_COMPACT_TX_IDS,
): ConsensusFrame {
  const raw = decodeRaw(bytes, Limits.maxConsensusMessageBytes, 'consensus message')
  if (Array.isArray(raw) && raw[0] === ConsensusTag.compactProposal) {
    return compactProposalFromTuple(raw, chainId, maxTxIds)
  }
  return consensusMessageFromTuple(raw, chainId)
}
