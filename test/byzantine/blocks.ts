/**
 * Blocks a Byzantine leader proposes: a valid block from the harness's chain, bent in one way. Each
 * helper keeps every other commitment of the header consistent, so the one lie is what a receiver
 * must catch.
 */
import { type Block, type BlockHeader, txRootOf } from '../../protocol/block.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { randomBytes } from '../../protocol/crypto.ts'
import { decodeTx, encodeTx, type SignedTx } from '../../protocol/tx.ts'

export function withHeader(block: Block, patch: Partial<BlockHeader>): Block {
  return { ...block, header: { ...block.header, ...patch } }
}

/** The block with other tx bytes and a tx root that commits to them (the state root is kept). */
export function withTxs(block: Block, txs: readonly Bytes[]): Block {
  return { ...block, txs: [...txs], header: { ...block.header, txRoot: txRootOf(txs) } }
}

/** The same tx with one bit of its signature flipped: same id (the payload hash), bad signature. */
export function flipSignature(txBytes: Bytes): Bytes {
  const tx = decodeTx(txBytes)
  const signature = Uint8Array.from(tx.signature)
  signature[0] = (signature[0] as number) ^ 1
  return encodeTx({ ...tx, signature })
}

/** The block with its first tx's signature flipped and the tx root, hence the hash, unchanged. */
export function sameHashOtherBytes(block: Block): Block {
  const [first, ...rest] = block.txs
  if (first === undefined) throw new Error('the block has no tx to flip')
  return { ...block, txs: [flipSignature(first), ...rest] }
}

export function withRandomStateRoot(block: Block): Block {
  return withHeader(block, { stateRoot: randomBytes(32) })
}

/** Decoded txs in the shape `Chain.buildBlock` takes. */
export function asBuildTxs(encoded: readonly Bytes[]): { tx: SignedTx; bytes: Bytes }[] {
  return encoded.map((bytes) => ({ tx: decodeTx(bytes), bytes }))
}
