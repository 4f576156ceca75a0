/**
 * A Merkle tree over an ordered list (the txs of a block), RFC 6962 style: leaves and inner nodes are
 * hashed under different one-byte prefixes, so a leaf can never pass for a node. The empty tree's root
 * is SHA-256 of nothing. Inclusion proofs list the sibling hashes from the leaf up.
 */
import type { Bytes } from './bytes.ts'
import { bytesEqual } from './bytes.ts'
import { HASH_BYTES, sha256, sha256Parts } from './crypto.ts'

const LEAF_PREFIX = 0x00
const NODE_PREFIX = 0x01

// Preallocated inputs for the common shapes (a 32-byte leaf, two 32-byte children): one copy and a
// one-shot hash. Reuse is safe: sha256 is synchronous and keeps no reference to its input.
const leafInput = new Uint8Array(1 + HASH_BYTES)
leafInput[0] = LEAF_PREFIX
const nodeInput = new Uint8Array(1 + 2 * HASH_BYTES)
nodeInput[0] = NODE_PREFIX

export function merkleLeafHash(leaf: Bytes): Bytes {
  if (leaf.length !== HASH_BYTES) return sha256Parts(Uint8Array.of(LEAF_PREFIX), leaf)
  leafInput.set(leaf, 1)
  return sha256(leafInput)
}

// The same for a leaf given in two parts (a block's tx leaf: id then signature, 96 bytes).
const pairLeafInput = new Uint8Array(1 + 3 * HASH_BYTES)
pairLeafInput[0] = LEAF_PREFIX

/** `merkleLeafHash(first ‖ second)`, without building the concatenation. */
export function merkleLeafHashOfPair(first: Bytes, second: Bytes): Bytes {
  const length = 1 + first.length + second.length
  if (length > pairLeafInput.length) return sha256Parts(Uint8Array.of(LEAF_PREFIX), first, second)
  pairLeafInput.set(first, 1)
  pairLeafInput.set(second, 1 + first.length)
  return sha256(pairLeafInput.subarray(0, length))
}

export function merkleNodeHash(left: Bytes, right: Bytes): Bytes {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES)
    return sha256Parts(Uint8Array.of(NODE_PREFIX), left, right)
  nodeInput.set(left, 1)
  nodeInput.set(right, 1 + HASH_BYTES)
  return sha256(nodeInput)
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
  return merkleRootOfLeafHashes(leaves.map(merkleLeafHash))
}

/** Root over leaves already hashed with `merkleLeafHash` (or `merkleLeafHashOfPair`). */
export function merkleRootOfLeafHashes(leafHashes: readonly Bytes[]): Bytes {
  if (leafHashes.length === 0) return sha256(new Uint8Array(0))
  return rootOfHashes(leafHashes, 0, leafHashes.length)
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
