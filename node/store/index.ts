/**
 * node/store/: the node's LevelDB database (blocks, certificates, state, indexes, head, consensus WAL)
 * behind `ChainStore`, plus its in-memory twin. Only the composition root (node/) creates one.
 */
import type { ChainStore } from './chain-store.ts'
import { KvChainStore, type KvChainStoreOptions } from './kv-chain-store.ts'
import { LevelKv, type LevelKvOptions } from './level-kv.ts'
import { MemoryKv } from './raw-kv.ts'

export type * from './chain-store.ts'
export { StoreError, StoreErrorCode } from './errors.ts'
export { MetaKey } from './keys.ts'
export type { KvChainStoreOptions } from './kv-chain-store.ts'
export type { ConsensusWal, WalRecord } from './wal.ts'
export { MemoryKv }

export interface LevelChainStoreOptions extends KvChainStoreOptions, LevelKvOptions {}

/** A store over the LevelDB database at `options.location` (created if missing). Call `open()`. */
export function createLevelChainStore(options: LevelChainStoreOptions): ChainStore {
  return new KvChainStore(options, { kv: new LevelKv(options) })
}

/**
 * The in-memory twin. Pass the same `kv` to a second store to "reopen" it (the data lives in the
 * MemoryKv, not in the store), e.g. to test restarts without a disk.
 */
export function createMemoryChainStore(
  options: KvChainStoreOptions = {},
  deps: { kv?: MemoryKv } = {},
): ChainStore {
  return new KvChainStore(options, { kv: deps.kv ?? new MemoryKv() })
}
