/**
 * A Merkle tree over an ordered list (the txs of a block), RFC 6962 style: leaves and inner nodes are
 * hashed under different one-byte prefixes, so a leaf can never pass for a node. The empty tree's root
 * is SHA-256 of nothing. Inclusion proofs list the sibling hashes from the leaf up.
 */
import type { Bytes } from './bytes.ts'
import { bytesEqual } from './bytes.ts'
import { sha256, sha256Parts } from './crypto.ts'

const LEAF_PREFIX = Uint8Array.of(0x00)
const NODE_PREFIX = Uint8Array.of(0x01)

export function merkleLeafHash(leaf: Bytes): Bytes {
  return sha256Parts(LEAF_PREFIX, leaf)
}

export function merkleNodeHash(left: Bytes, right: Bytes): Bytes {
  return sha256Parts(NODE_PREFIX, left, right)
}

/** Largest power of two strictly less than n (n ≥ 2): RFC 6962's split point. */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function rootOfHashes(leafHashes: readonly Bytes[], from: number, to: number): Bytes {
  const n = to - from
  if (n === 1) return leafHashes[from] as Bytes
  const k = splitPoint(n)
  return merkleNodeHash(rootOfHashes(leafHashes, from, from + k), rootOfHashes(leafHashes, from + k, to))
}

/** Root over the leaves' data (each leaf is hashed with the leaf prefix first). */
export function merkleRoot(leaves: readonly Bytes[]): Bytes {
  if (leaves.length === 0) return sha256(new Uint8Array(0))
  return rootOfHashes(leaves.map(merkleLeafHash), 0, leaves.length)
}

export interface MerkleProof {
  readonly index: number
  readonly size: number
  /** Sibling hashes from the leaf's level up to the root. */
  readonly path: readonly Bytes[]
}

function pathOf(leafHashes: readonly Bytes[], index: number, from: number, to: number): Bytes[] {
  const n = to - from
  if (n === 1) return []
  const k = splitPoint(n)
  if (index - from < k) {
    return [...pathOf(leafHashes, index, from, from + k), rootOfHashes(leafHashes, from + k, to)]
  }
  return [...pathOf(leafHashes, index, from + k, to), rootOfHashes(leafHashes, from, from + k)]
}

export function merkleProof(leaves: readonly Bytes[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length)
    throw new RangeError('leaf index out of range')
  return { index, size: leaves.length, path: pathOf(leaves.map(merkleLeafHash), index, 0, leaves.length) }
}

function rootFromPath(
  leafHash: Bytes,
  index: number,
  size: number,
  path: readonly Bytes[],
  at: number,
): Bytes | null {
  // Walks down the same splits the tree was built with, then folds the path back up.
  if (size === 1) return at === path.length ? leafHash : null
  const k = splitPoint(size)
  const sibling = path[path.length - 1 - at]
  if (sibling === undefined) return null
  if (index < k) {
    const left = rootFromPath(leafHash, index, k, path, at + 1)
    return left === null ? null : merkleNodeHash(left, sibling)
  }
  const right = rootFromPath(leafHash, index - k, size - k, path, at + 1)
  return right === null ? null : merkleNodeHash(sibling, right)
}

export function verifyMerkleProof(root: Bytes, leaf: Bytes, proof: MerkleProof): boolean {
  if (!Number.isInteger(proof.index) || !Number.isInteger(proof.size)) return false
  if (proof.index < 0 || proof.index >= proof.size) return false
  const computed = rootFromPath(merkleLeafHash(leaf), proof.index, proof.size, proof.path, 0)
  return computed !== null && bytesEqual(computed, root)
}
