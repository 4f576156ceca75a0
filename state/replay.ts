/**
 * The replay index: hashes of the txs included whose `validUntil` has not passed. A tx's hash covers
 * its `validUntil`, so a duplicate can only sit in the bucket of that same height: a lookup is one
 * Map and one Set probe. Buckets below the current height are pruned, since their txs are expired and
 * rejected anyway.
 *
 * The index is NOT in the authenticated map: it is a function of the chain (the txs of the blocks in
 * the window), so every honest node derives the same one, and keeping it out of the map saves a hashed
 * write per tx. It is persisted under `x/replay/` in the same atomic batch as the state, so a restart
 * rebuilds it from storage (loadLedgerState).
 *
 * Persistent: each block's builder returns a new index and leaves the old one usable (a validator
 * can execute several proposals on one parent). Buckets a block does not touch are shared. A bucket
 * is a few immutable chunks rather than one set, so a block adding to a bucket never copies the whole
 * bucket: its hashes become a new chunk, and the newest chunks merge while the older one is at most
 * twice the newer (a binary counter). Chunk sizes then fall geometrically, so a bucket of n hashes has
 * at most log2(n) + 1 chunks to probe, and each hash is copied O(log n) times over its life, even when
 * every tx of the window names the same `validUntil` (one bucket of window × block txs).
 */
import type { Bytes } from '../protocol/bytes.ts'
import { fail, StateErrorCode } from './errors.ts'
import { REPLAY_PREFIX } from './keys.ts'
import { keyBytes } from './working-set.ts'

/** The hashes valid until one height, oldest (largest) chunk first. */
type Bucket = readonly ReadonlySet<string>[]

export type ReplayIndex = ReadonlyMap<number, Bucket>

export const EMPTY_REPLAY: ReplayIndex = new Map()

/** `x/replay/<validUntil>/<32 raw hash bytes>`. */
export function replayKey(validUntil: number, hashId: string): Bytes {
  return keyBytes(`${REPLAY_PREFIX}${validUntil}/${hashId}`)
}

export function hasTx(index: ReplayIndex, validUntil: number, hashId: string): boolean {
  const bucket = index.get(validUntil)
  if (bucket === undefined) return false
  for (const chunk of bucket) if (chunk.has(hashId)) return true
  return false
}

/** The bucket with one more chunk, the newest chunks merged while the older is at most twice the newer. */
function withChunk(bucket: Bucket, added: ReadonlySet<string>): Bucket {
  const chunks = bucket.slice()
  let top = added
  for (let below = chunks.at(-1); below !== undefined && below.size <= 2 * top.size; below = chunks.at(-1)) {
    chunks.pop()
    const merged = new Set(below)
    for (const hashId of top) merged.add(hashId)
    top = merged
  }
  chunks.push(top)
  return chunks
}

/** A builder for one block: records hashes, prunes old buckets, and emits the store writes. */
export class ReplayBuilder {
  readonly #base: ReplayIndex
  readonly #added = new Map<number, Set<string>>()

  constructor(base: ReplayIndex) {
    this.#base = base
  }

  has(validUntil: number, hashId: string): boolean {
    return hasTx(this.#base, validUntil, hashId) || (this.#added.get(validUntil)?.has(hashId) ?? false)
  }

  add(validUntil: number, hashId: string): void {
    let set = this.#added.get(validUntil)
    if (set === undefined) {
      set = new Set()
      this.#added.set(validUntil, set)
    }
    set.add(hashId)
  }

  /** The index after this block at `height`, and its store writes (puts and pruning deletes). */
  finish(height: number): { index: ReplayIndex; writes: Array<readonly [Bytes, Bytes | null]> } {
    const writes: Array<readonly [Bytes, Bytes | null]> = []
    const index = new Map<number, Bucket>()
    const empty = new Uint8Array(0)
    const heights = [...new Set([...this.#base.keys(), ...this.#added.keys()])].sort((a, b) => a - b)
    for (const h of heights) {
      const old = this.#base.get(h)
      if (h < height + 1) {
        // Txs valid until h cannot be included at height + 1 or later: forget them.
        for (const chunk of old ?? []) for (const hashId of chunk) writes.push([replayKey(h, hashId), null])
        continue
      }
      const added = this.#added.get(h)
      if (added === undefined) {
        index.set(h, old as Bucket)
        continue
      }
      const hashes = [...added].sort()
      for (const hashId of hashes) writes.push([replayKey(h, hashId), empty])
      index.set(h, withChunk(old ?? [], added))
    }
    return { index, writes }
  }
}

/** Rebuilds the index from stored replay keys (as key ids, see keys.ts). */
export function replayFromKeys(keys: Iterable<string>): ReplayIndex {
  const sets = new Map<number, Set<string>>()
  for (const key of keys) {
    const rest = key.slice(REPLAY_PREFIX.length)
    const slash = rest.indexOf('/')
    const height = Number(rest.slice(0, slash))
    const hashId = rest.slice(slash + 1)
    if (slash < 1 || !Number.isSafeInteger(height) || hashId.length !== 32) {
      fail(StateErrorCode.corruptState, 'malformed replay key')
    }
    let set = sets.get(height)
    if (set === undefined) {
      set = new Set()
      sets.set(height, set)
    }
    set.add(hashId)
  }
  const index = new Map<number, Bucket>()
  for (const [height, set] of sets) index.set(height, [set])
  return index
}
