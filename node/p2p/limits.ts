/**
 * Every limit of the p2p layer in one place: protocol ids, frame sizes, stream counts, queue bounds,
 * timeouts, per-peer rates and the connection manager's admission. A host may lower these through
 * `P2pHostOptions.limits` (tests do); the protocol ceilings in `protocol/limits.ts` are what these
 * defaults are built from, and `consensusMessageBounds` derives the consensus frame cap from genesis.
 */
import { Limits } from '../../protocol/limits.ts'

export const Protocols = {
  /** Long-lived stream per peer; each frame is one opaque consensus message. Validators only. */
  consensus: '/arcade/consensus/1.0.0',
  /** Long-lived stream per peer; each frame is one batch of signed txs. */
  txs: '/arcade/txs/1.0.0',
  /** Long-lived stream per peer; each frame is one item of double-sign evidence. Validators only. */
  evidence: '/arcade/evidence/1.0.0',
  /** One stream per request: a request frame, then response frames until the server closes. */
  sync: '/arcade/sync/1.0.0',
  /**
   * One stream per request: the txs of a compact proposal, asked of the validator that sent it (a
   * request frame of tx ids, then one frame per tx). Validators only.
   */
  txFetch: '/arcade/tx-fetch/1.0.0',
  /** Opened and closed by a dialler: the remote answering it proves its gater admitted us. */
  admit: '/arcade/admit/1.0.0',
} as const

/**
 * A token bucket: a peer may spend `burst` tokens at once and `perSecond` more each second. Over it,
 * the peer's inbound stream is held (not read) until the balance is back to zero.
 */
export interface RateLimit {
  readonly burst: number
  readonly perSecond: number
}

export interface P2pLimits {
  /** Largest consensus frame (a proposal carries a whole block). Larger inbound frames are skipped. */
  readonly maxConsensusMessageBytes: number
  /** Largest evidence frame (two signed votes). */
  readonly maxEvidenceBytes: number
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
  /** Most tx ids in one tx-fetch request; a longer list is asked for in several requests. */
  readonly maxTxFetchIds: number
  /**
   * Bytes of txs one fetch (all its requests) may bring: the block byte limit, since no block holds
   * more. The server stops before it; the client fails an answer over it.
   */
  readonly maxTxFetchResponseBytes: number
  /** A whole fetch of a compact proposal's txs (all its requests); the server's bound on serving one. */
  readonly txFetchTimeoutMs: number
  /** Concurrent tx-fetch requests a peer may have open with us (more is a strike). */
  readonly maxInboundTxFetchStreams: number
  /** Concurrent tx-fetch requests we open to one peer. */
  readonly maxOutboundTxFetchStreams: number
  /** Opening a stream (protocol negotiation included). */
  readonly streamOpenTimeoutMs: number
  /** One dial attempt. */
  readonly dialTimeoutMs: number
  /** First reconnect delay; doubles per failed attempt. */
  readonly reconnectBaseMs: number
  /** Ceiling of the reconnect delay. */
  readonly reconnectMaxMs: number

  // --- admission of connections (libp2p connection manager and yamux) ---
  /** Connections libp2p keeps before refusing inbound ones: see `maxConnectionsFor`. */
  readonly maxConnections: number
  /** Open connections one peer may hold with us (a simultaneous dial both ways makes two). */
  readonly maxConnectionsPerPeer: number
  /** Inbound connection attempts accepted per remote IP per second (libp2p default 5). */
  readonly inboundConnectionsPerIpPerSecond: number
  /** Inbound connections mid-handshake at once, all IPs together (libp2p default 10). */
  readonly maxPendingInboundConnections: number
  /** An inbound connection's handshake (Noise, yamux, gater) must finish within this (default 10 s). */
  readonly inboundUpgradeTimeoutMs: number
  /** Protocol negotiation on a new stream must finish within this (default 10 s). */
  readonly protocolNegotiationTimeoutMs: number
  /** Streams a peer may have open on one connection, negotiating or not (yamux default 1,000). */
  readonly maxStreamsPerConnection: number
  /**
   * Largest yamux receive window of a stream (yamux default 16 MiB): what a peer can still send into a
   * stream we hold paused. The paused read buffer is sized to it, so holding a stream never resets it.
   */
  readonly maxStreamWindowBytes: number

  // --- per-peer rates (token buckets; over them the peer's stream is held, not buffered) ---
  readonly consensusFramesPerPeer: RateLimit
  readonly consensusBytesPerPeer: RateLimit
  readonly txFramesPerPeer: RateLimit
  readonly txBytesPerPeer: RateLimit
  /** Sync requests served per peer; over it a request waits before it is served. */
  readonly syncRequestsPerPeer: RateLimit
  /** Bytes of sync responses served per peer; over it the response is written more slowly. */
  readonly syncBytesPerPeer: RateLimit
  /** Tx-fetch requests served per peer; over it a request waits before it is served. */
  readonly txFetchRequestsPerPeer: RateLimit
  /** Bytes of tx-fetch answers served per peer; over it the answer is written more slowly. */
  readonly txFetchBytesPerPeer: RateLimit
  /** Inbound streams a peer may open, all protocols; over it a new stream is reset at once. */
  readonly streamOpensPerPeer: RateLimit
  /**
   * Misbehaviour a peer may show (a corrupt or oversize frame, a stream refused for its rate): one
   * token each. A peer that empties this bucket is disconnected and banned.
   */
  readonly strikesPerPeer: RateLimit
  /**
   * A peer held by the consensus or tx-gossip rate without a break for this long is far over its
   * budget: it is disconnected and banned. (Sync clients are only slowed: catching up is honest.)
   */
  readonly maxThrottledMs: number
  /** How long a disconnected abuser is refused (both ways) before it may connect again. */
  readonly banMs: number
}

/**
 * Upper bounds of each consensus message's encoding, from genesis: `maxBlockBytes` is the most bytes of
 * one encoded block (chain checks it on every block, so no valid message embeds a larger one) and
 * `maxValidators` the most members of any validator set. Msgpack nests by concatenation, so a message
 * is its fields' encodings plus headers. With n = maxValidators and B = maxBlockBytes:
 *
 * - a quorum certificate: tuple and field headers, hash, then per signer [key 2+32, sig 2+64] + 1
 *   = 101 bytes: at most CERT_OVERHEAD + 101 n;
 * - a vote: kind, height, view, hash, key, signature: at most VOTE_BYTES;
 * - a proposal: tag, height, view, key, signature and the block: at most B + PROPOSAL_OVERHEAD;
 * - a view change: tag, height, view, key, signature and, when it has prepared, [certificate, block]:
 *   at most B + cert(n) + VIEW_CHANGE_OVERHEAD;
 * - a NEW-VIEW: its proposal and one view change per member of the set, each carrying its prepared
 *   block: at most NEW_VIEW_OVERHEAD + proposal + n × view change = (n + 1) B + O(n²).
 *
 * The frame cap is the largest of these, never above the protocol ceiling. Because today's NEW-VIEW
 * repeats a prepared block in every view change it carries, its bound is (n + 1) blocks: with the
 * default genesis (B = 4 MiB, n = 100) the cap stays at the 17 MiB ceiling, and an honest NEW-VIEW over
 * that ceiling cannot be sent at all. If NEW-VIEW carried each view change's certificate without its
 * block (the proposal already carries the block re-proposed), the bound would fall to
 * B + O(n²) ≈ B + 1 MiB (`viewChangesCarryBlocks: false`).
 */
export interface ConsensusMessageBounds {
  readonly vote: number
  readonly proposal: number
  readonly viewChange: number
  readonly newView: number
  /** The frame cap: the largest of the above, at most `Limits.maxConsensusMessageBytes`. */
  readonly frame: number
}

const VOTE_BYTES = 256
const CERT_OVERHEAD = 128
const CERT_BYTES_PER_SIGNER = 101
const PROPOSAL_OVERHEAD = 160
const VIEW_CHANGE_OVERHEAD = 192
const NEW_VIEW_OVERHEAD = 64

export function consensusMessageBounds(params: {
  readonly maxBlockBytes: number
  readonly maxValidators: number
  readonly viewChangesCarryBlocks?: boolean
}): ConsensusMessageBounds {
  const block = params.maxBlockBytes
  const n = params.maxValidators
  const certificate = CERT_OVERHEAD + CERT_BYTES_PER_SIGNER * n
  const proposal = PROPOSAL_OVERHEAD + block
  const viewChange = VIEW_CHANGE_OVERHEAD + certificate + block
  const carried = params.viewChangesCarryBlocks === false ? viewChange - block : viewChange
  const newView = NEW_VIEW_OVERHEAD + proposal + n * carried
  const frame = Math.min(Limits.maxConsensusMessageBytes, Math.max(VOTE_BYTES, proposal, viewChange, newView))
  return { vote: VOTE_BYTES, proposal, viewChange, newView, frame }
}

/**
 * Connections worth keeping: each allowed peer (every validator a set may hold, the genesis validators
 * and the observers) with up to `maxConnectionsPerPeer` connections, plus a few mid-handshake.
 */
export function maxConnectionsFor(peers: number, perPeer: number): number {
  return peers * perPeer + 16
}

const MiB = 1024 * 1024

export const DEFAULT_P2P_LIMITS: P2pLimits = {
  maxConsensusMessageBytes: Limits.maxConsensusMessageBytes,
  maxEvidenceBytes: 1024,
  maxTxBatchBytes: 4 * MiB,
  maxTxsPerBatch: 1024,
  maxTxBytes: Limits.maxTxBytes,
  maxQueuedBytesPerPeer: 4 * Limits.maxConsensusMessageBytes,
  maxCoalesceBytes: 64 * 1024,
  maxLongLivedStreams: 4,
  maxInboundSyncStreams: 8,
  maxOutboundSyncStreams: 8,
  maxSyncRequestBytes: 64,
  maxSyncEntryBytes: Limits.maxConsensusMessageBytes,
  maxSyncResponseBytes: 32 * MiB,
  maxSyncBlocksPerRequest: 256,
  syncTimeoutMs: 30_000,
  syncRequestReadTimeoutMs: 5_000,
  // 4,096 ids are a 128 KiB request; a 5,000-tx block (the default maxBlockTxs) takes two.
  maxTxFetchIds: 4096,
  maxTxFetchResponseBytes: Limits.maxBlockBytes,
  // Past the first view timeout (1 s by default) the proposal is late anyway: 3 s bounds how long a
  // silent or slow leader holds a pending proposal, never anything else (votes keep flowing).
  txFetchTimeoutMs: 3_000,
  maxInboundTxFetchStreams: 2,
  maxOutboundTxFetchStreams: 2,
  streamOpenTimeoutMs: 5_000,
  dialTimeoutMs: 5_000,
  reconnectBaseMs: 250,
  reconnectMaxMs: 10_000,

  // Every validator a set may hold and as many observers, two connections each: the node passes the
  // real count from genesis (`maxConnectionsFor`).
  maxConnections: maxConnectionsFor(2 * Limits.maxValidators, 2),
  maxConnectionsPerPeer: 2,
  // libp2p's defaults are 5/s per IP and 10 pending. In production each validator has its own IP, and
  // one peer connects once (redials back off from 250 ms). 16/s and 32 pending let a 64-validator
  // devnet on one host (every dial from 127.0.0.1, all nodes starting at once) connect within seconds,
  // while a flood from one address still costs us at most 16 handshakes a second.
  inboundConnectionsPerIpPerSecond: 16,
  maxPendingInboundConnections: 32,
  // A Noise handshake is two round trips and a few ms of CPU: 5 s is ample and frees a slot sooner.
  inboundUpgradeTimeoutMs: 5_000,
  protocolNegotiationTimeoutMs: 5_000,
  // 4 consensus + 4 tx gossip + 4 evidence + 8 sync + 2 tx fetch + the admission probe, with room
  // for reopens.
  maxStreamsPerConnection: 32,
  maxStreamWindowBytes: 4 * MiB,

  // A validator sends a few messages per view: a proposal when it leads, two votes, a view change
  // now and then. A 2,000-tx proposal is ~400 KB; at the bench peak (~10,000 tx/s, ~5 blocks/s) a
  // leader sends ~2 MB/s. 1,000 frames and 16 MiB a second are ten times that, with a burst of two
  // whole proposals or NEW-VIEWs (the byte bucket may go into debt by one frame, so the largest frame
  // always passes, after a wait).
  consensusFramesPerPeer: { burst: 2_000, perSecond: 1_000 },
  consensusBytesPerPeer: { burst: 2 * Limits.maxConsensusMessageBytes, perSecond: 16 * MiB },
  // Gossip forwards what clients submit: ~10,000 tx/s of ~250 B at the peak, in batches of up to
  // 1,024 txs, at worst one batch per RPC request. The mempool's own verification already holds the
  // stream while it works; these stop one peer from taking all of it.
  txFramesPerPeer: { burst: 20_000, perSecond: 10_000 },
  txBytesPerPeer: { burst: 16 * MiB, perSecond: 16 * MiB },
  // A syncing peer asks one batch at a time (64 blocks); 16 requests a second is 1,024 blocks/s,
  // and 32 MiB/s is one full response a second.
  syncRequestsPerPeer: { burst: 16, perSecond: 16 },
  syncBytesPerPeer: { burst: 32 * MiB, perSecond: 32 * MiB },
  // A validator fetches at most twice per proposal it receives (what it lacks, then, if the tx root
  // still differs, the rest), at ~5 blocks/s at the bench peak: 8 a second with a burst of 16 is ample.
  // Answers are at most one block's txs; 32 MiB/s is two of the largest blocks a second.
  txFetchRequestsPerPeer: { burst: 16, perSecond: 8 },
  txFetchBytesPerPeer: { burst: 2 * Limits.maxBlockBytes, perSecond: 32 * MiB },
  // Honest peers open two long-lived streams per connection plus one per sync request.
  streamOpensPerPeer: { burst: 64, perSecond: 32 },
  // An honest peer never sends a corrupt frame; 16 strikes, forgiven at one per 5 s.
  strikesPerPeer: { burst: 16, perSecond: 0.2 },
  maxThrottledMs: 10_000,
  banMs: 60_000,
}
