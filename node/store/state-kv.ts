/** The state/ port (`StateKv`) over the state-entries prefix of the node's database. */
import type { Bytes } from '../../protocol/bytes.ts'
import type { KvWrite, StateKv } from '../../state/ports.ts'
import { type ByteSlab, Prefix, prefixEnd, stateKey } from './keys.ts'
import type { RawKv, RawOp } from './raw-kv.ts'

export interface KvStateKvDeps {
  readonly kv: RawKv
  readonly assertOpen: () => void
  /** The owning store's serialised, atomic write path. */
  readonly write: (ops: RawOp[]) => Promise<void>
}

/**
 * Values up to this size are copied into the batch's slab: V8 keeps typed arrays this small on its
 * heap, and handing one to LevelDB costs more than the copy (see `ByteSlab`).
 */
const SMALL_VALUE_BYTES = 64

/** Slab bytes a state value takes in `pushStateOps`. */
export const slabValueBytes = (value: Bytes | null): number =>
  value !== null && value.length <= SMALL_VALUE_BYTES ? value.length : 0

/**
 * Appends the ops for `writes` to `ops` (put, or del for a null value), with keys (and small values)
 * in `slab` when given (room: 1 + key length + `slabValueBytes` per write).
 */
export function pushStateOps(ops: RawOp[], writes: readonly KvWrite[], slab?: ByteSlab): void {
  for (const [key, value] of writes) {
    const k = slab === undefined ? stateKey(key) : slab.prefixed(Prefix.state, key)
    if (value === null) ops.push({ type: 'del', key: k })
    else if (slab !== undefined && value.length <= SMALL_VALUE_BYTES) {
      ops.push({ type: 'put', key: k, value: slab.copy(value) })
    } else ops.push({ type: 'put', key: k, value })
  }
}

export class KvStateKv implements StateKv {
  readonly #deps: KvStateKvDeps

  constructor(_options: Record<string, never>, deps: KvStateKvDeps) {
    this.#deps = deps
  }

  async *entries(): AsyncIterable<readonly [Bytes, Bytes]> {
    this.#deps.assertOpen()
    const range = { gte: Uint8Array.of(Prefix.state), lt: prefixEnd(Prefix.state) }
    for await (const [key, value] of this.#deps.kv.entries(range)) yield [key.subarray(1), value]
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.#deps.assertOpen()
    return this.#deps.kv.get(stateKey(key))
  }

  async commit(writes: readonly KvWrite[]): Promise<void> {
    this.#deps.assertOpen()
    const ops: RawOp[] = []
    pushStateOps(ops, writes)
    await this.#deps.write(ops)
  }
}
