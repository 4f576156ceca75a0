/**
 * The authenticated map behind the state root: a persistent sparse Merkle tree with shortcut leaves,
 * hashed as protocol/state-proof.ts defines (read that header for the tree's shape).
 *
 * Nodes are immutable and shared between versions; `update` copies only the paths it touches. A batch
 * of writes is hashed to paths, sorted and de-duplicated once (auth-map-batch.ts), then applied in one
 * descent: the sorted range of writes under a node splits at the first write whose next path bit is 1,
 * so every changed inner node is rebuilt and hashed exactly once per call, bottom-up. The cost is
 * O(k log n) for k writes into n entries.
 *
 * Keys and values are kept by reference: callers must not mutate bytes after handing them over.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import { STATE_LEAF_TAG, STATE_NODE_TAG, type StateProof } from '../protocol/state-proof.ts'
import { type Batch, checkKey, prepareBatch } from './auth-map-batch.ts'
import { hashWords, Inner, Leaf, leafHasPath, leafPath, type Node } from './auth-map-node.ts'
import {
  bytesFromWords,
  createShaScratch,
  hash84,
  type ShaScratch,
  sha256Into,
  tagWords,
} from './auth-map-sha.ts'
import type { AuthMap } from './auth-map-types.ts'

export type { AuthMap } from './auth-map-types.ts'

const LEAF_TAG = tagWords(STATE_LEAF_TAG)
const NODE_TAG = tagWords(STATE_NODE_TAG)

/** Per-call working state: the batch, the hash scratch, reused buffers, the change in entry count. */
interface Ctx {
  readonly b: Batch
  readonly s: ShaScratch
  readonly valueHash: Int32Array
  readonly left: Int32Array
  readonly right: Int32Array
  /** The path of the leaf `applyToLeaf` is merging writes with. */
  readonly leafPath: Int32Array
  sizeDelta: number
}

function createCtx(b: Batch, s: ShaScratch): Ctx {
  const words = () => new Int32Array(8)
  return { b, s, valueHash: words(), left: words(), right: words(), leafPath: words(), sizeDelta: 0 }
}

function bitOf(path: Int32Array, depth: number): number {
  return (path[depth >> 5]! >>> (31 - (depth & 31))) & 1
}

function makeLeaf(ctx: Ctx, i: number): Leaf {
  const value = ctx.b.values[i] as Bytes
  sha256Into(ctx.s, value)
  ctx.valueHash.set(ctx.s.h)
  hash84(ctx.s, LEAF_TAG, ctx.b.paths, i * 8, ctx.valueHash, 0)
  ctx.sizeDelta++
  return new Leaf(ctx.b.paths, i * 8, ctx.b.keys[i]!, value, ctx.s.h)
}

/** The node over two children, collapsing a lone leaf upwards (it sits as high as it is alone). */
function join(ctx: Ctx, left: Node | null, right: Node | null): Node | null {
  if (left === null) {
    if (right === null || right instanceof Leaf) return right
  } else if (right === null && left instanceof Leaf) {
    return left
  }
  hash84(ctx.s, NODE_TAG, hashWords(left, ctx.left), 0, hashWords(right, ctx.right), 0)
  return new Inner(left, right, ctx.s.h)
}

/** First index in [lo, hi) whose path has bit `depth` set; the range shares all earlier bits. */
function split(paths: Int32Array, lo: number, hi: number, depth: number): number {
  const word = depth >> 5
  const shift = 31 - (depth & 31)
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((paths[mid * 8 + word]! >>> shift) & 1) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** How many of the writes in [lo, hi) set a value, counting no further than `upTo`. */
function countSets(values: readonly (Bytes | null)[], lo: number, hi: number, upTo: number): number {
  let n = 0
  for (let i = lo; i < hi && n < upTo; i++) if (values[i] !== null) n++
  return n
}

/** A subtree holding the set writes of [lo, hi) (deletes there have nothing to delete). */
function build(ctx: Ctx, lo: number, hi: number, depth: number): Node | null {
  const values = ctx.b.values
  const n = countSets(values, lo, hi, 2)
  if (n === 0) return null
  if (n === 1) {
    for (let i = lo; i < hi; i++) if (values[i] !== null) return makeLeaf(ctx, i)
  }
  const mid = split(ctx.b.paths, lo, hi, depth)
  return join(ctx, build(ctx, lo, mid, depth + 1), build(ctx, mid, hi, depth + 1))
}

/** Like `build`, plus an existing leaf (whose path is `path`) that no write in [lo, hi) touches. */
function buildWith(
  ctx: Ctx,
  leaf: Leaf,
  path: Int32Array,
  lo: number,
  hi: number,
  depth: number,
): Node | null {
  if (countSets(ctx.b.values, lo, hi, 1) === 0) return leaf
  const mid = split(ctx.b.paths, lo, hi, depth)
  if (bitOf(path, depth) === 0) {
    return join(ctx, buildWith(ctx, leaf, path, lo, mid, depth + 1), build(ctx, mid, hi, depth + 1))
  }
  return join(ctx, build(ctx, lo, mid, depth + 1), buildWith(ctx, leaf, path, mid, hi, depth + 1))
}

/** The index in [lo, hi) of the write to the leaf's path, or -1. */
function findLeaf(paths: Int32Array, lo: number, hi: number, leaf: Leaf, path: Int32Array): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (leafHasPath(leaf, paths, mid * 8)) return mid
    let c = 0
    for (let i = 0; i < 8 && c === 0; i++) c = (paths[mid * 8 + i]! >>> 0) - (path[i]! >>> 0)
    if (c < 0) lo = mid + 1
    else hi = mid
  }
  return -1
}

function bytesSame(a: Bytes, b: Bytes): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function applyToLeaf(ctx: Ctx, leaf: Leaf, lo: number, hi: number, depth: number): Node | null {
  const path = leafPath(leaf, ctx.leafPath)
  const at = findLeaf(ctx.b.paths, lo, hi, leaf, path)
  if (at < 0) return buildWith(ctx, leaf, path, lo, hi, depth)
  const value = ctx.b.values[at]!
  // Rewriting the same value alone changes nothing: keep the node (and its hash).
  if (hi - lo === 1 && value !== null && bytesSame(value, leaf.value)) return leaf
  ctx.sizeDelta--
  return build(ctx, lo, hi, depth)
}

function apply(ctx: Ctx, node: Node | null, lo: number, hi: number, depth: number): Node | null {
  if (lo === hi) return node
  if (node === null) return build(ctx, lo, hi, depth)
  if (node instanceof Leaf) return applyToLeaf(ctx, node, lo, hi, depth)
  const mid = split(ctx.b.paths, lo, hi, depth)
  const left = apply(ctx, node.left, lo, mid, depth + 1)
  const right = apply(ctx, node.right, mid, hi, depth + 1)
  if (left === node.left && right === node.right) return node
  return join(ctx, left, right)
}

class PersistentAuthMap implements AuthMap {
  readonly #top: Node | null
  /** Hashing scratch shared by every version made from one map: all calls are synchronous. */
  readonly #s: ShaScratch
  readonly size: number
  #root: Bytes | null = null

  constructor(top: Node | null, size: number, s: ShaScratch) {
    this.#top = top
    this.size = size
    this.#s = s
  }

  get root(): Bytes {
    this.#root ??= bytesFromWords(hashWords(this.#top, new Int32Array(8)))
    return this.#root.slice()
  }

  get(key: Bytes): Bytes | undefined {
    checkKey(key)
    sha256Into(this.#s, key)
    const path = this.#s.h
    let node = this.#top
    for (let depth = 0; node !== null; depth++) {
      if (node instanceof Leaf) return leafHasPath(node, path, 0) ? node.value : undefined
      node = bitOf(path, depth) === 0 ? node.left : node.right
    }
    return undefined
  }

  update(writes: Iterable<readonly [Bytes, Bytes | null]>): AuthMap {
    const batch = prepareBatch(this.#s, writes)
    if (batch.keys.length === 0) return this
    const ctx = createCtx(batch, this.#s)
    const top = apply(ctx, this.#top, 0, batch.keys.length, 0)
    if (top === this.#top) return this
    return new PersistentAuthMap(top, this.size + ctx.sizeDelta, this.#s)
  }

  prove(key: Bytes): StateProof {
    checkKey(key)
    sha256Into(this.#s, key)
    const path = this.#s.h.slice()
    const siblings: Bytes[] = []
    let node = this.#top
    for (let depth = 0; node instanceof Inner; depth++) {
      const bit = bitOf(path, depth)
      const sibling = bit === 0 ? node.right : node.left
      siblings.push(bytesFromWords(hashWords(sibling, new Int32Array(8))))
      node = bit === 0 ? node.left : node.right
    }
    if (node === null || leafHasPath(node, path, 0)) return { siblings, leaf: null }
    const other = bytesFromWords(leafPath(node, new Int32Array(8)))
    return { siblings, leaf: { path: other, valueHash: sha256(node.value) } }
  }
}

/** The empty map; its root is EMPTY_STATE_ROOT (32 zero bytes). */
export function createAuthMap(): AuthMap {
  return new PersistentAuthMap(null, 0, createShaScratch())
}

/** A map holding `entries` (the last value wins for a repeated key), built bottom-up in one pass. */
export function authMapFromEntries(entries: Iterable<readonly [Bytes, Bytes]>): AuthMap {
  const s = createShaScratch()
  const ctx = createCtx(prepareBatch(s, entries), s)
  const top = build(ctx, 0, ctx.b.keys.length, 0)
  return new PersistentAuthMap(top, ctx.sizeDelta, s)
}
