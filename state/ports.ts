/**
 * What state/ needs from storage, declared by its consumer (STYLE.md §8). The ledger keeps its working
 * state in memory (an authenticated map, see auth-map.ts) and uses this port only to load everything
 * at start-up and to persist each block's writes. node/store/ implements it over LevelDB; the memory
 * twin is for tests. Both pass the contract suite in state/kv-contract.ts.
 */
import type { Bytes } from '../protocol/bytes.ts'

/** One write of a block: a value, or null to delete the key. */
export type KvWrite = readonly [key: Bytes, value: Bytes | null]

export interface StateKv {
  /** Every stored entry, in ascending key order. */
  entries(): AsyncIterable<readonly [Bytes, Bytes]>
  get(key: Bytes): Promise<Bytes | undefined>
  /** Applies all writes atomically: after a crash either all of them are visible or none. */
  commit(writes: readonly KvWrite[]): Promise<void>
}
