/**
 * The mutable scratch space of one block's execution, over an immutable AuthMap. Writes go straight
 * into one block-level map; while a tx runs, the previous entry of every key it writes is kept in an
 * undo journal, so a failed tx is rolled back and leaves no trace (DESIGN §4), and a read costs one
 * Map lookup. At the end of the block the touched records are encoded once each, sorted by key, and
 * applied to the map in one update.
 *
 * A write of a record whose codec has a `sizeBound` (records that hold a list) is checked against the
 * map's value limit at once: past the bound it is encoded, and if the bytes are over the limit the
 * write throws STATE_RECORD_TOO_LARGE inside the tx that made it (so that tx fails, not the block);
 * the bytes of a write that fits are kept for `encodedWrites`. Other records are never encoded twice.
 *
 * Decoded records are cached by the identity of their stored bytes (a WeakMap the caller owns, kept
 * across blocks): the map hands back the very bytes it was given, and records are immutable, so a
 * cached decoding is always the decoding of those bytes, in any version of the state.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { MAX_STATE_VALUE_BYTES } from '../protocol/state-proof.ts'
import type { AuthMap } from './auth-map-types.ts'
import { fail, StateErrorCode } from './errors.ts'
import { keyBytes } from './keys.ts'
import type { RecordCodec } from './records.ts'

interface Entry {
  readonly codec: RecordCodec<unknown> | null
  /** undefined = absent (deleted when `dirty`). */
  readonly value: unknown
  readonly dirty: boolean
  /** The encoding of `value`, when a size check already made it. */
  readonly bytes: Bytes | undefined
}

export { keyBytes }

export type DecodeCache = WeakMap<Bytes, unknown>

/** Every record a block touched, with its value after the block (undefined = absent). Never mutated once handed over. */
export type TouchedRecords = ReadonlyMap<string, { readonly value: unknown }>

/** How many recent blocks' touched records a new WorkingSet consults before the map (reads there are hashed). */
export const RECENT_BLOCKS = 1

/** Reads a record straight from a map (used by queries and genesis). */
export function readRecord<T>(map: AuthMap, key: string, codec: RecordCodec<T>): T | undefined {
  const bytes = map.get(keyBytes(key))
  return bytes === undefined ? undefined : codec.decode(bytes)
}

export class WorkingSet {
  readonly #base: AuthMap
  readonly #entries = new Map<string, Entry>()
  readonly #cache: DecodeCache
  /** Entries as they were before the running tx first wrote them (undefined = not loaded). */
  #journal: Map<string, Entry | undefined> | null = null

  readonly #recent: readonly TouchedRecords[]

  /**
   * `recent`: the touched records of the blocks that led to `base`, newest first. Each holds the
   * value its keys have after that block, so a key found there has that value in `base` unless a
   * newer block touched it (newer layers are looked at first).
   */
  constructor(base: AuthMap, cache: DecodeCache = new WeakMap(), recent: readonly TouchedRecords[] = []) {
    this.#base = base
    this.#cache = cache
    this.#recent = recent
  }

  get<T>(key: string, codec: RecordCodec<T>): T | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined) return entry.value as T | undefined
    for (const layer of this.#recent) {
      const known = layer.get(key)
      if (known !== undefined) {
        this.#entries.set(key, { codec: null, value: known.value, dirty: false, bytes: undefined })
        return known.value as T | undefined
      }
    }
    const bytes = this.#base.get(keyBytes(key))
    let value: unknown
    if (bytes !== undefined) {
      value = this.#cache.get(bytes)
      if (value === undefined) {
        value = codec.decode(bytes)
        this.#cache.set(bytes, value)
      }
    }
    this.#entries.set(key, { codec: null, value, dirty: false, bytes: undefined })
    return value as T | undefined
  }

  put<T>(key: string, codec: RecordCodec<T>, value: T): void {
    let bytes: Bytes | undefined
    const sizeBound = codec.sizeBound
    if (sizeBound !== undefined && sizeBound(value) > MAX_STATE_VALUE_BYTES) {
      bytes = codec.encode(value)
      if (bytes.length > MAX_STATE_VALUE_BYTES) {
        // The key's family only (`stk`, `mc`…): its other parts are raw bytes.
        fail(StateErrorCode.recordTooLarge, 'the record would pass the state value limit', {
          record: key.split('/', 1)[0],
          bytes: bytes.length,
          limit: MAX_STATE_VALUE_BYTES,
        })
      }
    }
    this.#write(key, { codec: codec as RecordCodec<unknown>, value, dirty: true, bytes })
  }

  delete<T>(key: string, codec: RecordCodec<T>): void {
    this.#write(key, {
      codec: codec as RecordCodec<unknown>,
      value: undefined,
      dirty: true,
      bytes: undefined,
    })
  }

  #write(key: string, entry: Entry): void {
    const journal = this.#journal
    if (journal !== null && !journal.has(key)) journal.set(key, this.#entries.get(key))
    this.#entries.set(key, entry)
  }

  beginTx(): void {
    this.#journal = new Map()
  }

  commitTx(): void {
    this.#journal = null
  }

  abortTx(): void {
    const journal = this.#journal
    this.#journal = null
    if (journal === null) return
    for (const [key, before] of journal) {
      if (before === undefined) this.#entries.delete(key)
      else this.#entries.set(key, before)
    }
  }

  /**
   * Runs `fn` inside the current tx; if it throws, only its own writes are undone (the tx's earlier
   * writes stay) and the error is rethrown. How a passed proposal's action fails atomically.
   */
  attempt(fn: () => void): void {
    const outer = this.#journal
    const inner = new Map<string, Entry | undefined>()
    this.#journal = inner
    try {
      fn()
    } catch (err) {
      for (const [key, before] of inner) {
        if (before === undefined) this.#entries.delete(key)
        else this.#entries.set(key, before)
      }
      throw err
    } finally {
      this.#journal = outer
    }
    if (outer !== null) for (const [key, before] of inner) if (!outer.has(key)) outer.set(key, before)
  }

  /** The records this block touched, for the next block's WorkingSet; call once, at the end. */
  touched(): TouchedRecords {
    return this.#entries
  }

  /**
   * The block's writes as encoded key/value pairs (null deletes), in the order the block first touched
   * the keys: deterministic, since execution is. Not sorted: the map orders its batch by path and the
   * store's batch is atomic in any order, so a sort by key would be work nobody reads.
   */
  encodedWrites(): Array<readonly [Bytes, Bytes | null]> {
    const out: Array<readonly [Bytes, Bytes | null]> = []
    for (const [key, entry] of this.#entries) {
      if (!entry.dirty) continue
      if (entry.value === undefined) {
        out.push([keyBytes(key), null])
      } else {
        const bytes = entry.bytes ?? (entry.codec as RecordCodec<unknown>).encode(entry.value)
        this.#cache.set(bytes, entry.value)
        out.push([keyBytes(key), bytes])
      }
    }
    return out
  }
}
