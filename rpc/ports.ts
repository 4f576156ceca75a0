/**
 * What the RPC needs from the node, declared by its consumer (STYLE.md habit 8) and satisfied
 * structurally by node/: the RPC never imports node/ or consensus/. Everything is in domain terms:
 * keys and hashes are bytes, amounts are safe integers; the JSON form (hex, bech32m) is rpc's business.
 * Every read may be synchronous or asynchronous.
 */

import type { Registry } from 'prom-client'
import type { Block } from '../protocol/block.ts'
import type { Bytes } from '../protocol/bytes.ts'
import type { SignedTx } from '../protocol/tx.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import type { CommitCertificate, Evidence } from '../protocol/vote.ts'
import type { JournalRow } from '../state/journal.ts'
import type { Period } from '../state/period.ts'
import type { LedgerQuery } from '../state/query.ts'
import type { LedgerEvent, Receipt } from '../state/receipt.ts'
import type { SponsorUsageStatement } from '../state/sponsor-usage.ts'
import type { SettlementStatement } from '../state/statement.ts'

export type Awaitable<T> = T | Promise<T>

export const NodeRole = { validator: 'validator', observer: 'observer' } as const
export type NodeRole = (typeof NodeRole)[keyof typeof NodeRole]

export interface NodeStatus {
  readonly chainId: string
  readonly height: number
  readonly role: NodeRole
  readonly peers: number
  readonly syncing: boolean
  readonly mempoolSize: number
  /** Null before the first block. */
  readonly headHash: Bytes | null
  readonly latestBlockTimeMs: number | null
}

export type TxLookup =
  | { readonly status: 'pending' }
  /**
   * Committed: applied (`receipt.status` ok) or failed with `receipt.error`. `tx` is the encoded
   * signed tx as its block carries it, when the node has it at hand (the route then shows its kind,
   * signer and sponsor).
   */
  | { readonly status: 'committed'; readonly receipt: Receipt; readonly tx?: Bytes }

export interface BlockRecord {
  readonly block: Block
  readonly hash: Bytes
  /** The certificate that committed this block; null for the head until the next block carries it. */
  readonly certificate: CommitCertificate | null
  /** The hashes of `block.txs`, when the node has them at hand (saves decoding and hashing each tx). */
  readonly txHashes?: readonly Bytes[]
}

export interface HistoryCursor {
  readonly height: number
  readonly index: number
}

/** One movement as history shows it: a journal row of the tx that names the account. */
export type HistoryMovement = JournalRow

export interface HistoryEntry extends HistoryCursor {
  readonly txHash: Bytes
  /** The tx's journal rows naming the account (amounts and counterparties), at most a few. */
  readonly movements?: readonly HistoryMovement[]
  /** True when the tx has more such rows than `movements` holds. */
  readonly moreMovements?: boolean
  /** The tx body kind, e.g. `point.transfer`. */
  readonly kind: string
  readonly status: 'ok' | 'failed'
  /** The state error code when failed. */
  readonly error: string | null
}

/** Where a journal row sits; a page's `next` is the last row it read (exclusive start of the next). */
export interface JournalCursor {
  readonly height: number
  readonly txIndex: number
  readonly row: number
}

export interface JournalRequest {
  readonly point: string
  /** Rows naming this account (in any role); exclusive with `merchant`. */
  readonly account?: Bytes
  /** Rows that move this merchant's books. */
  readonly merchant?: Bytes
  /** Inclusive bounds; heights and block times intersect when both are given. */
  readonly fromHeight?: number
  readonly toHeight?: number
  readonly fromTimeMs?: number
  readonly toTimeMs?: number
  readonly after?: JournalCursor
  readonly limit: number
}

export interface JournalPage {
  /** Ascending by (height, txIndex, row); may hold fewer than `limit` rows while `next` is set. */
  readonly rows: readonly JournalRow[]
  readonly next: JournalCursor | null
}

export const HealthReason = { fork: 'fork', behind: 'behind', staleHead: 'stale-head' } as const
export type HealthReason = (typeof HealthReason)[keyof typeof HealthReason]

/** The node's health verdict (node/health.ts documents each reason). */
export interface NodeHealth {
  readonly ok: boolean
  /** Most severe first; empty when ok. */
  readonly reasons: readonly HealthReason[]
  readonly height: number
  readonly syncing: boolean
  readonly peers: number
  readonly headAgeSeconds: number
  readonly staleAfterSeconds: number
  readonly behindBlocks: number
  readonly forks: number
}

/** Two valid commit certificates for different blocks at one height, as the node keeps them. */
export interface ForkEvidence {
  readonly height: number
  /** The certificate of the block this node committed (null if its store lacks it). */
  readonly ours: CommitCertificate | null
  readonly theirs: CommitCertificate
  /** Where `theirs` was seen: sync, sync-last-commit, consensus. */
  readonly source: string
  /** Hex node key of the peer that delivered it, or null. */
  readonly peer: string | null
  readonly seenAtMs: number
}

export interface ChainReader {
  status(): Awaitable<NodeStatus>
  blockByHeight(height: number | 'latest'): Awaitable<BlockRecord | null>
  txByHash(hash: Bytes): Awaitable<TxLookup | null>
  /** Newest first; `before` excludes that position and everything newer. */
  accountHistory(
    address: Bytes,
    page: { readonly limit: number; readonly before?: HistoryCursor },
  ): Awaitable<readonly HistoryEntry[]>
  /** The journal (state/journal.ts rows). Optional (the route answers 501). */
  journal?(request: JournalRequest): Awaitable<JournalPage>
  /** A point's settlement statement for a period (state/statement.ts). Optional (the route answers 501). */
  statement?(point: string, period: Period): Awaitable<SettlementStatement>
  /**
   * What the point's manager sponsored in a period (state/sponsor-usage.ts); null when the statement
   * would list more than MAX_USAGE_GRANTEES grantees. Optional (the route answers 501).
   */
  sponsorUsage?(point: string, period: Period): Awaitable<SponsorUsageStatement | null>
  /** The health verdict; optional (then `/health` answers 200 while the node answers). */
  health?(): Awaitable<NodeHealth>
  /** Fork evidence this node holds, oldest first; optional (the route answers 501). */
  forks?(page: { readonly limit: number }): Awaitable<readonly ForkEvidence[]>
  /** Double-sign evidence included in blocks, newest first; optional (the route answers 501). */
  evidence?(page: { readonly limit: number }): Awaitable<readonly { height: number; evidence: Evidence }[]>
  /**
   * The validator sets in force from `fromHeight` on, oldest first: the one certifying `fromHeight`,
   * then each change (at most `limit` in all). Optional (the route answers 501).
   */
  validatorSets?(page: {
    readonly fromHeight: number
    readonly limit: number
  }): Awaitable<readonly { fromHeight: number; set: ValidatorSet }[]>
}

export interface AdmissionResult {
  readonly hash: Bytes | null
  readonly accepted: boolean
  readonly code?: string
  readonly message?: string
}

/** A tx as the route received it (`bytes`) and decoded it (`tx`: shape and chain id checked). */
export interface DecodedTx {
  readonly bytes: Bytes
  readonly tx: SignedTx
}

export interface TxSubmitter {
  /** Per-tx admission results, in order; the mempool decides (it need not decode the txs again). */
  submit(txs: readonly DecodedTx[]): Promise<readonly AdmissionResult[]>
}

// --- ledger reads ---

/**
 * The ledger query over the latest committed state. state/'s `LedgerQuery` is a snapshot of one
 * height, so the node passes either one that it keeps current or a function returning the latest.
 */
export type LedgerSource = LedgerQuery | (() => LedgerQuery)

// --- events for the stream ---

export type ChainEvent =
  | {
      readonly type: 'block'
      readonly height: number
      readonly hash: Bytes
      readonly timeMs: number
      readonly txCount: number
      /**
       * Events of the block itself, outside any tx: jailing by evidence, expired proposals, parameters
       * applied at an epoch boundary. Absent means none.
       */
      readonly events?: readonly LedgerEvent[]
    }
  | {
      readonly type: 'receipt'
      readonly receipt: Receipt
      /**
       * Every account the tx touched (signer, sponsor, parties), for `?account=` filtering. When
       * omitted, the accounts named in the receipt's events are used.
       */
      readonly accounts?: readonly Bytes[]
    }

export interface ChainEvents {
  /** Calls `listener` for every new block (with its own events), then for each of its receipts; returns unsubscribe. */
  subscribe(listener: (event: ChainEvent) => void): () => void
}

/**
 * The block explorer's three files (node/explorer-bundle.ts builds them at the first request and keeps
 * them). Each may reject when they cannot be built; the route answers 503 RPC_EXPLORER_UNAVAILABLE.
 */
export interface ExplorerAssets {
  html(): Promise<string>
  script(): Promise<string>
  style(): Promise<string>
}

export interface RpcDeps {
  readonly chain: ChainReader
  readonly submitter: TxSubmitter
  readonly query: LedgerSource
  /** Ids of every point, for `/points` and account balances; without it those need `?points=`. */
  readonly pointIds?: () => Awaitable<readonly string[]>
  readonly events: ChainEvents
  /** The node's registry; rpc adds its request metrics to it and serves it at /metrics and /v1/metrics. */
  readonly metrics: Registry
  /** A pino-compatible logger, or undefined for none (only node/ creates pino). */
  readonly logger?: RpcLogger
  /** Used to forward txs when this node is an observer with `forwardTxsTo` set. */
  readonly fetch?: typeof globalThis.fetch
  /** The clock token buckets refill by (signer limits, signature credit). Default `Date.now`. */
  readonly nowMs?: () => number
  /** The explorer served at /explorer (and / redirecting there); without it those routes are absent. */
  readonly explorer?: ExplorerAssets
}

/** The subset of pino that Fastify needs (pino satisfies it). */
export interface RpcLogger {
  level: string
  info(...args: unknown[]): void
  error(...args: unknown[]): void
  debug(...args: unknown[]): void
  fatal(...args: unknown[]): void
  warn(...args: unknown[]): void
  trace(...args: unknown[]): void
  silent(...args: unknown[]): void
  child(bindings: Record<string, unknown>): RpcLogger
}
