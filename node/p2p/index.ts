/** The p2p layer's public surface: the rest of the node imports from here, and sees no libp2p type. */
export type { ConsensusHandler } from './consensus.ts'
export type { PeerAddress } from './dialer.ts'
export { P2pError, P2pErrorCode } from './errors.ts'
export type { EvidenceHandler } from './evidence-gossip.ts'
export {
  type AbuseReason,
  createP2pHost,
  type P2pHost,
  type P2pHostDeps,
  type P2pHostOptions,
  type RefusalReason,
} from './host.ts'
export {
  type ConsensusMessageBounds,
  consensusMessageBounds,
  DEFAULT_P2P_LIMITS,
  maxConnectionsFor,
  type P2pLimits,
  Protocols,
  type RateLimit,
} from './limits.ts'
export type { P2pLogger } from './logger.ts'
export { nodeKeyFromPeerKey, peerIdFromNodeKey, peerKeyOf } from './peer-id.ts'
export type { SyncServer, SyncStatus } from './sync.ts'
export type { TxFetchServer } from './tx-fetch.ts'
export type { TxBatchHandler } from './tx-gossip.ts'
