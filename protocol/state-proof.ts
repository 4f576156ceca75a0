/**
 * The state root's hashing rules and its proofs (DESIGN §4 "State root"). The state is a sparse Merkle
 * tree over path = SHA-256(key), 256 bits read from the most significant bit of byte 0. A leaf sits at
 * the shallowest depth where it is alone in its subtree ("shortcut leaves", as in Diem's Jellyfish
 * Merkle tree), so a tree of n random keys is about log2(n) deep:
 * - leaf  = SHA-256(STATE_LEAF_TAG ‖ keyPath ‖ SHA-256(value))
 * - inner = SHA-256(STATE_NODE_TAG ‖ left ‖ right)
 * - an empty subtree is 32 zero bytes; the empty map's root is that too.
 * The 20-byte tags keep these hashes apart from the tx tree's (protocol/merkle.ts) and from every
 * other hash in the protocol, and each hashed input still fits two SHA-256 blocks (84 bytes).
 *
 * A proof is the list of sibling hashes from the root down to the slot where the key's path ends, plus,
 * for an absence proof that ends on another key's leaf, that leaf. `verifyStateProof` needs only the
 * root, and returns false (never throws) on anything malformed.
 */
import type { Bytes } from './bytes.ts'
import { bytesEqual, utf8 } from './bytes.ts'
import type { WireValue } from './codec.ts'
import { HASH_BYTES, sha256, sha256Parts } from './crypto.ts'
import { fromTuple, hash, list, optional, struct, toTuple } from './schema.ts'

export const STATE_LEAF_TAG: Bytes = utf8('arcade/state-leaf/v1')
export const STATE_NODE_TAG: Bytes = utf8('arcade/state-node/v1')
/** The hash of an empty subtree, and the root of the empty map. */
export const EMPTY_STATE_ROOT: Bytes = new Uint8Array(HASH_BYTES)
/** Bits in a key path: no tree is deeper, no proof has more siblings. */
export const STATE_PATH_BITS = 256
export const MAX_STATE_KEY_BYTES = 256
export const MAX_STATE_VALUE_BYTES = 64 * 1024

/** The leaf an absence proof ends on: another key whose path shares every bit the proof walks. */
export interface StateProofLeaf {
  readonly path: Bytes
  readonly valueHash: Bytes
}

export interface StateProof {
  /** Sibling hashes from the root (index 0) down; the key's slot is at depth `siblings.length`. */
  readonly siblings: readonly Bytes[]
  /**
   * Null when the slot holds the key's own leaf (inclusion) or is empty (absence); otherwise the other
   * key's leaf found in the slot (absence).
   */
  readonly leaf: StateProofLeaf | null
}

const stateProofSchema = struct({
  siblings: list(hash, STATE_PATH_BITS),
  leaf: optional(struct({ path: hash, valueHash: hash })),
})

export function stateProofToTuple(proof: StateProof): WireValue {
  return toTuple(stateProofSchema, proof)
}

/** Stateless validation of a decoded proof; throws a PROTOCOL_INVALID_FIELD error naming the field. */
export function stateProofFromTuple(raw: unknown, field = 'stateProof'): StateProof {
  return fromTuple(stateProofSchema, raw, field) as StateProof
}

/** The path of a key: where it lives in the tree. */
export function stateKeyPath(key: Bytes): Bytes {
  return sha256(key)
}

export function stateLeafHash(path: Bytes, valueHash: Bytes): Bytes {
  return sha256Parts(STATE_LEAF_TAG, path, valueHash)
}

export function stateNodeHash(left: Bytes, right: Bytes): Bytes {
  return sha256Parts(STATE_NODE_TAG, left, right)
}

/** Bit `depth` of a path, most significant bit of byte 0 first; 0 goes left, 1 goes right. */
export function pathBit(path: Bytes, depth: number): number {
  return ((path[depth >> 3] as number) >> (7 - (depth & 7))) & 1
}

function sharesPrefix(a: Bytes, b: Bytes, bits: number): boolean {
  const whole = bits >> 3
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false
  const rest = bits & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return (((a[whole] as number) ^ (b[whole] as number)) & mask) === 0
}

const isHash = (v: unknown): v is Bytes => v instanceof Uint8Array && v.length === HASH_BYTES

/**
 * True when `proof` shows that, under `root`, `key` maps to `value` (or, with `value` null, that `key`
 * is absent). Never throws: malformed roots, keys, values or proofs give false.
 */
export function verifyStateProof(root: Bytes, key: Bytes, value: Bytes | null, proof: StateProof): boolean {
  try {
    if (!isHash(root)) return false
    if (!(key instanceof Uint8Array) || key.length < 1 || key.length > MAX_STATE_KEY_BYTES) return false
    if (value !== null && (!(value instanceof Uint8Array) || value.length > MAX_STATE_VALUE_BYTES))
      return false
    if (typeof proof !== 'object' || proof === null) return false
    const { siblings, leaf } = proof
    if (!Array.isArray(siblings) || siblings.length > STATE_PATH_BITS) return false
    if (!siblings.every(isHash)) return false
    const depth = siblings.length
    const keyPath = stateKeyPath(key)
    let node: Bytes
    if (value !== null) {
      if (leaf !== null) return false
      node = stateLeafHash(keyPath, sha256(value))
    } else if (leaf === null) {
      node = EMPTY_STATE_ROOT
    } else {
      if (typeof leaf !== 'object' || !isHash(leaf.path) || !isHash(leaf.valueHash)) return false
      // Another key's leaf proves absence only where the walk along this key's path would end on it.
      if (bytesEqual(leaf.path, keyPath) || !sharesPrefix(leaf.path, keyPath, depth)) return false
      node = stateLeafHash(leaf.path, leaf.valueHash)
    }
    for (let d = depth - 1; d >= 0; d--) {
      const sibling = siblings[d] as Bytes
      node = pathBit(keyPath, d) === 0 ? stateNodeHash(node, sibling) : stateNodeHash(sibling, node)
    }
    return bytesEqual(node, root)
  } catch {
    return false
  }
}
