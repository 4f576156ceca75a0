/**
 * The auth map's tree nodes. A node's hash (and a leaf's path) is kept as eight int32 fields, the
 * big-endian words of the digest: on Node (no pointer compression) an int32 is a small integer stored
 * inside the object, so a node is one allocation and one object for the garbage collector to trace.
 * An Int32Array per hash costs about 250 bytes and two more objects; that dominated the profile of a
 * million-entry map. (Where pointer compression is on, words above 2^30 get boxed: slower, still right.)
 */
import type { Bytes } from '../protocol/bytes.ts'

export class Hashed {
  readonly h0: number
  readonly h1: number
  readonly h2: number
  readonly h3: number
  readonly h4: number
  readonly h5: number
  readonly h6: number
  readonly h7: number
  constructor(h: Int32Array) {
    this.h0 = h[0]!
    this.h1 = h[1]!
    this.h2 = h[2]!
    this.h3 = h[3]!
    this.h4 = h[4]!
    this.h5 = h[5]!
    this.h6 = h[6]!
    this.h7 = h[7]!
  }
}

export class Leaf extends Hashed {
  readonly key: Bytes
  readonly value: Bytes
  // SHA-256(key), the leaf's path, as words like the hash.
  readonly p0: number
  readonly p1: number
  readonly p2: number
  readonly p3: number
  readonly p4: number
  readonly p5: number
  readonly p6: number
  readonly p7: number
  constructor(paths: Int32Array, at: number, key: Bytes, value: Bytes, hash: Int32Array) {
    super(hash)
    this.key = key
    this.value = value
    this.p0 = paths[at + 0]!
    this.p1 = paths[at + 1]!
    this.p2 = paths[at + 2]!
    this.p3 = paths[at + 3]!
    this.p4 = paths[at + 4]!
    this.p5 = paths[at + 5]!
    this.p6 = paths[at + 6]!
    this.p7 = paths[at + 7]!
  }
}

export class Inner extends Hashed {
  readonly left: Node | null
  readonly right: Node | null
  constructor(left: Node | null, right: Node | null, hash: Int32Array) {
    super(hash)
    this.left = left
    this.right = right
  }
}

export type Node = Leaf | Inner

/** Loads a node's hash (zeros for an empty subtree) into `out` as 8 words. */
export function hashWords(node: Hashed | null, out: Int32Array): Int32Array {
  if (node === null) {
    out.fill(0)
    return out
  }
  out[0] = node.h0
  out[1] = node.h1
  out[2] = node.h2
  out[3] = node.h3
  out[4] = node.h4
  out[5] = node.h5
  out[6] = node.h6
  out[7] = node.h7
  return out
}

/** Loads a leaf's path into `out` as 8 words. */
export function leafPath(leaf: Leaf, out: Int32Array): Int32Array {
  out[0] = leaf.p0
  out[1] = leaf.p1
  out[2] = leaf.p2
  out[3] = leaf.p3
  out[4] = leaf.p4
  out[5] = leaf.p5
  out[6] = leaf.p6
  out[7] = leaf.p7
  return out
}

/** Whether a leaf's path equals the 8 words of `paths` from `at`. */
export function leafHasPath(leaf: Leaf, paths: Int32Array, at: number): boolean {
  return (
    leaf.p0 === paths[at + 0] &&
    leaf.p1 === paths[at + 1] &&
    leaf.p2 === paths[at + 2] &&
    leaf.p3 === paths[at + 3] &&
    leaf.p4 === paths[at + 4] &&
    leaf.p5 === paths[at + 5] &&
    leaf.p6 === paths[at + 6] &&
    leaf.p7 === paths[at + 7]
  )
}
