/**
 * Every limit of the p2p layer in one place: protocol ids, frame sizes, stream counts, queue bounds and
 * timeouts. A host may lower these through `P2pHostOptions.limits` (tests do); the protocol ceilings in
 * `protocol/limits.ts` are what these defaults are built from.
 */
import { Limits } from '../../protocol/limits.ts'

export const Protocols = {
  /** Long-lived stream per peer; each frame is one opaque consensus message. */
  consensus: '/arcade/consensus/1.0.0',
  /** Long-lived stream per peer; each frame is one batch of signed txs. */
  txs: '/arcade/txs/1.0.0',
  /** One stream per request: a request frame, then response frames until the server closes. */
  sync: '/arcade/sync/1.0.0',
} as const

export interface P2pLimits {
  /** Largest consensus message (a proposal carries a whole block). Larger inbound frames are skipped. */
  readonly maxConsensusMessageBytes: number
  /** Largest tx-gossip batch frame (the encoded array of txs). */
  readonly maxTxBatchBytes: number
  /** Most txs in one gossip batch. */
  readonly maxTxsPerBatch: number
  /** Largest single tx in a gossip batch. */
  readonly maxTxBytes: number
  /** Bytes queued (not yet handed to the stream) per peer and protocol; beyond it sends are dropped. */
  readonly maxQueuedBytesPerPeer: number
  /** Small frames queued together are coalesced into one stream write up to this many bytes. */
  readonly maxCoalesceBytes: number
  /** Inbound / outbound streams per connection for the long-lived protocols (room for a reopen). */
  readonly maxLongLivedStreams: number
  /** Concurrent sync requests a peer may have open with us. */
  readonly maxInboundSyncStreams: number
  /** Concurrent sync requests we open to one peer. */
  readonly maxOutboundSyncStreams: number
  /** Largest sync request frame. */
  readonly maxSyncRequestBytes: number
  /** Largest single entry (a block with its certificate) in a sync response. */
  readonly maxSyncEntryBytes: number
  /** Total bytes of one sync response; the server stops adding entries before it. */
  readonly maxSyncResponseBytes: number
  /** Most entries one sync request may ask for. */
  readonly maxSyncBlocksPerRequest: number
  /** A whole sync request/response round trip, when the caller passes no signal of its own. */
  readonly syncTimeoutMs: number
  /** How long the server waits for the request frame. */
  readonly syncRequestReadTimeoutMs: number
  /** Opening a stream (protocol negotiation included). */
  readonly streamOpenTimeoutMs: number
  /** One dial attempt. */
  readonly dialTimeoutMs: number
  /** First reconnect delay; doubles per failed attempt. */
  readonly reconnectBaseMs: number
  /** Ceiling of the reconnect delay. */
  readonly reconnectMaxMs: number
  /** Connections libp2p keeps before pruning (validators + observers + headroom). */
  readonly maxConnections: number
}

export const DEFAULT_P2P_LIMITS: P2pLimits = {
  maxConsensusMessageBytes: Limits.maxConsensusMessageBytes,
  maxTxBatchBytes: 4 * 1024 * 1024,
  maxTxsPerBatch: 1024,
  maxTxBytes: Limits.maxTxBytes,
  maxQueuedBytesPerPeer: 4 * Limits.maxConsensusMessageBytes,
  maxCoalesceBytes: 64 * 1024,
  maxLongLivedStreams: 4,
  maxInboundSyncStreams: 8,
  maxOutboundSyncStreams: 8,
  maxSyncRequestBytes: 64,
  maxSyncEntryBytes: Limits.maxConsensusMessageBytes,
  maxSyncResponseBytes: 32 * 1024 * 1024,
  maxSyncBlocksPerRequest: 256,
  syncTimeoutMs: 30_000,
  syncRequestReadTimeoutMs: 5_000,
  streamOpenTimeoutMs: 5_000,
  dialTimeoutMs: 5_000,
  reconnectBaseMs: 250,
  reconnectMaxMs: 10_000,
  maxConnections: 2 * Limits.maxValidators,
}
