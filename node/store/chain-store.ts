/**
 * The chain store: blocks, commit certificates, state entries, tx index, receipts, account history,
 * the journal (by point and by account), the block time index, the head pointer and the consensus WAL of one node. Everything is opaque bytes: the store never
 * decodes a block or a receipt. One `commitBlock` is one atomic write (DESIGN.md §3 "Atomic commit"):
 * after a crash at any instant the store is at the previous block or at this one, never between.
 *
 * Implementations: `createLevelChainStore` (LevelDB) and `createMemoryChainStore` (its twin), both
 * run through `describeChainStoreContract` in chain-store-contract.ts.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import type { KvWrite, StateKv } from '../../state/ports.ts'
import type { JournalPosition } from './keys.ts'
import type { ConsensusWal } from './wal.ts'

export type { JournalPosition } from './keys.ts'

export interface ChainHead {
  readonly height: number
  readonly blockHash: Bytes
}

/** Which chain a store belongs to; a store opened for another chain is refused (STORE_WRONG_CHAIN). */
export interface ChainIdentity {
  readonly chainId: string
  readonly genesisHash: Bytes
}

export interface CommittedTx {
  readonly hash: Bytes
  readonly receiptBytes: Bytes
}

export interface AccountIndexEntry {
  /** The account (1 to 255 bytes; an Ed25519 public key is 32). */
  readonly account: Bytes
  /** Position of the tx in `txs` (and so in the block). */
  readonly txIndex: number
  /**
   * What a history page shows of the tx, kept in the entry so that a page is one range read (no
   * block or receipt decoded per entry): its body kind (printable ASCII, 1 to 255 chars, e.g.
   * `point.transfer`) and its receipt's error code (printable ASCII, at most 255 chars), null when
   * it applied. Every entry of one tx carries the same values.
   */
  readonly kind: string
  readonly error: string | null
}

/** One journal row of a block (state/journal.ts encodes it; the store keeps the bytes as given). */
export interface JournalEntry {
  /** The row's point id (printable ASCII, 1 to 255 chars): the row is stored under it. */
  readonly point: string
  /**
   * Position of the tx in `txs` (or 0xffffffff, journal-kv.ts JOURNAL_BLOCK_ROWS: a row of the block
   * itself, after its txs), and of the row among the tx's rows (0 to 65535).
   */
  readonly txIndex: number
  readonly row: number
  /** The accounts the row names (1 to 255 bytes each, distinct): the row is stored under each. */
  readonly accounts: readonly Bytes[]
  readonly bytes: Bytes
}

/** One sponsored tx of a block (state/sponsor-usage.ts encodes it), stored under its point. */
export interface SponsoredEntry {
  /** Printable ASCII, 1 to 255 chars. */
  readonly point: string
  readonly txIndex: number
  readonly bytes: Bytes
}

/** Journal rows of a point or an account, or the sponsored-tx records of a point (row always 0). */
export type JournalScope =
  | { readonly point: string }
  | { readonly account: Bytes }
  | { readonly sponsoredIn: string }

export interface JournalQuery {
  /** Heights in [fromHeight, toHeight]. */
  readonly fromHeight: number
  readonly toHeight: number
  /** Cursor: only rows strictly after this position. */
  readonly after?: JournalPosition
  /** Maximum rows returned, at least 1. */
  readonly limit: number
  /** Only the rows of this one tx (within the height range). */
  readonly tx?: { readonly height: number; readonly txIndex: number }
}

export interface JournalItem extends JournalPosition {
  readonly bytes: Bytes
}

export interface BlockCommit {
  /** Must be head + 1 (1 for an empty store): STORE_OUT_OF_ORDER otherwise. */
  readonly height: number
  readonly blockHash: Bytes
  readonly blockBytes: Bytes
  /**
   * The commit certificate for THIS height, known when the block commits (the COMMIT quorum that
   * finalised it). Null when not known yet, e.g. a synced block whose certificate arrives with the
   * next one; `putCertificate` stores it later. The next block's header carries a certificate of
   * this height too, possibly with other signers: either one proves the block.
   */
  readonly certificateBytes: Bytes | null
  readonly stateWrites: readonly KvWrite[]
  /** The block's txs in block order with their receipts. */
  readonly txs: readonly CommittedTx[]
  /** Which accounts each tx touched, for `accountHistory`. */
  readonly accountIndex: readonly AccountIndexEntry[]
  /** The block's time, for the block time index (heights by time); omitted: not indexed. */
  readonly timeMs?: number
  /** The block's journal rows, in (txIndex, row) order. */
  readonly journal?: readonly JournalEntry[]
  /** The block's sponsored txs, in txIndex order (at most one per tx). */
  readonly sponsored?: readonly SponsoredEntry[]
  /** Named meta entries written in the same atomic write (small node-side indexes). */
  readonly meta?: readonly (readonly [name: string, value: Bytes])[]
  /** Drops WAL entries of heights below this one in the same atomic write. */
  readonly walPruneBelowHeight?: number
}

export interface TxLocation {
  readonly height: number
  readonly index: number
  readonly receiptBytes: Bytes
}

export interface AccountHistoryEntry {
  readonly height: number
  readonly index: number
  readonly txHash: Bytes
  /** As written in the tx's `AccountIndexEntry`. */
  readonly kind: string
  readonly error: string | null
}

export interface AccountHistoryQuery {
  /** Maximum entries returned, at least 1. */
  readonly limit: number
  /** Cursor: only entries strictly older than this (height, index), i.e. the last entry of a page. */
  readonly before?: { readonly height: number; readonly index: number }
}

export interface StoredBlock {
  readonly height: number
  readonly blockBytes: Bytes
  readonly certificateBytes: Bytes | null
}

export interface ChainStore {
  /** Opens the database, checks its format (and chain, if configured) and loads the head and WAL. */
  open(): Promise<void>
  /** Waits for writes under way, then closes. Closing twice is harmless. */
  close(): Promise<void>

  /** Binds a fresh store to `chain`, or checks that an existing store belongs to it. */
  ensureChain(chain: ChainIdentity): Promise<void>
  getMeta(name: string): Promise<Bytes | null>
  setMeta(name: string, value: Bytes): Promise<void>

  /** Writes a block with everything it implies in one atomic batch. Calls are serialised. */
  commitBlock(commit: BlockCommit): Promise<void>
  /** Stores (or replaces) the commit certificate of a stored block; STORE_NOT_FOUND if absent. */
  putCertificate(height: number, certificateBytes: Bytes): Promise<void>

  head(): Promise<ChainHead | null>
  getBlock(height: number): Promise<Bytes | null>
  getBlockByHash(hash: Bytes): Promise<{ readonly height: number; readonly blockBytes: Bytes } | null>
  getCertificate(height: number): Promise<Bytes | null>
  getTx(hash: Bytes): Promise<TxLocation | null>
  /** Newest first. */
  accountHistory(account: Bytes, query: AccountHistoryQuery): Promise<AccountHistoryEntry[]>
  /** Journal rows of one point or one account, ascending by (height, tx, row). */
  journal(scope: JournalScope, query: JournalQuery): Promise<JournalItem[]>
  /**
   * From the block time index: the first height whose block time is at or after `timeMs` ('from'), or
   * the last height whose block time is at or before it ('until'); null when there is none.
   */
  heightAtTime(timeMs: number, side: 'from' | 'until'): Promise<number | null>
  /**
   * Stored blocks with heights in [from, to], ascending, with their certificates. With `maxBytes`
   * it stops once the blocks and certificates returned reach that size (always at least one block),
   * so a sync response stays bounded; the caller asks again from the last height + 1.
   */
  blocksRange(from: number, to: number, limits?: { readonly maxBytes?: number }): Promise<StoredBlock[]>
  /** Every state entry in ascending key order, for start-up loading. */
  stateEntries(): AsyncIterable<readonly [Bytes, Bytes]>

  /** The state port over this store (genesis state goes in through `state.commit`). */
  readonly state: StateKv
  /** The consensus write-ahead log in the same database. */
  readonly wal: ConsensusWal
}
