/**
 * The ordered byte map the chain store is written over. `LevelKv` (level-kv.ts) is the real one;
 * `MemoryKv` here is its in-memory twin, so the chain store's logic exists once and both twins run
 * the same contract suite. Keys sort as unsigned bytes, shorter prefix first (LevelDB's order).
 */
import type { Bytes } from '../../protocol/bytes.ts'

export type RawOp =
  | { readonly type: 'put'; readonly key: Bytes; readonly value: Bytes }
  | { readonly type: 'del'; readonly key: Bytes }

export interface RawRange {
  readonly gt?: Bytes
  readonly gte?: Bytes
  readonly lt?: Bytes
  readonly lte?: Bytes
  readonly limit?: number
  readonly reverse?: boolean
}

export interface RawKv {
  open(): Promise<void>
  close(): Promise<void>
  get(key: Bytes): Promise<Bytes | undefined>
  /** Applies every op or none. With `sync`, resolves only once the write is on disk. */
  write(ops: readonly RawOp[], options: { readonly sync: boolean }): Promise<void>
  /** Entries in key order (or reverse) within the range. */
  entries(range: RawRange): AsyncIterable<readonly [Bytes, Bytes]>
}

/** Bytes as a string whose UTF-16 order is the bytes' unsigned order (one char per byte). */
function toKeyString(bytes: Bytes): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i] as number)
  return out
}

function inRange(k: string, r: { gt?: string; gte?: string; lt?: string; lte?: string }): boolean {
  if (r.gt !== undefined && !(k > r.gt)) return false
  if (r.gte !== undefined && !(k >= r.gte)) return false
  if (r.lt !== undefined && !(k < r.lt)) return false
  if (r.lte !== undefined && !(k <= r.lte)) return false
  return true
}

/**
 * Memory twin of LevelKv. Survives close()/open() (the data lives in this object), so tests can
 * reopen a store over the same MemoryKv. Values are copied in and out, as LevelDB does.
 */
export class MemoryKv implements RawKv {
  readonly #data = new Map<string, readonly [Bytes, Bytes]>()

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async get(key: Bytes): Promise<Bytes | undefined> {
    const entry = this.#data.get(toKeyString(key))
    return entry === undefined ? undefined : entry[1].slice()
  }

  async write(ops: readonly RawOp[], _options: { readonly sync: boolean }): Promise<void> {
    // Build every change first, then apply: nothing is visible unless all of it is.
    const staged = ops.map(
      (op) =>
        [
          toKeyString(op.key),
          op.type === 'put' ? ([op.key.slice(), op.value.slice()] as const) : null,
        ] as const,
    )
    for (const [k, entry] of staged) {
      if (entry === null) this.#data.delete(k)
      else this.#data.set(k, entry)
    }
  }

  async *entries(range: RawRange): AsyncIterable<readonly [Bytes, Bytes]> {
    const r = {
      ...(range.gt && { gt: toKeyString(range.gt) }),
      ...(range.gte && { gte: toKeyString(range.gte) }),
      ...(range.lt && { lt: toKeyString(range.lt) }),
      ...(range.lte && { lte: toKeyString(range.lte) }),
    }
    const keys = [...this.#data.keys()].filter((k) => inRange(k, r)).sort()
    if (range.reverse === true) keys.reverse()
    const limit = range.limit ?? Number.POSITIVE_INFINITY
    let n = 0
    for (const k of keys) {
      if (n++ >= limit) return
      const entry = this.#data.get(k)
      // A key deleted while iterating is skipped, as a LevelDB snapshot would not see later writes
      // either way; the contract does not depend on this case.
      if (entry !== undefined) yield [entry[0].slice(), entry[1].slice()]
    }
  }
}
