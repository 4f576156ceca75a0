/** The state/ port (`StateKv`) over the state-entries prefix of the node's database. */
import type { Bytes } from '../../protocol/bytes.ts'
import type { KvWrite, StateKv } from '../../state/ports.ts'
import { Prefix, prefixEnd, stateKey } from './keys.ts'
import type { RawKv, RawOp } from './raw-kv.ts'

export interface KvStateKvDeps {
  readonly kv: RawKv
  readonly assertOpen: () => void
  /** The owning store's serialised, atomic write path. */
  readonly write: (ops: RawOp[]) => Promise<void>
}

/** Appends the ops for `writes` to `ops` (put, or del for a null value). */
export function pushStateOps(ops: RawOp[], writes: readonly KvWrite[]): void {
  for (const [key, value] of writes) {
    ops.push(
      value === null ? { type: 'del', key: stateKey(key) } : { type: 'put', key: stateKey(key), value },
    )
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
