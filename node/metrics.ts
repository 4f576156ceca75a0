/**
 * Prometheus metrics of a node (prom-client), one registry per node instance so several nodes can run
 * in one process. Parts receive the metrics object they need (or null) and never create metrics.
 * Names: arcade_<subsystem>_<what>_<unit>.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

const PROPOSAL_BYTE_BUCKETS = [1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216]

export function createNodeMetrics(
  registry: Registry = new Registry(),
  opts: { defaultMetrics?: boolean } = {},
) {
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'arcade_process_' })
  const r = [registry]
  return {
    registry,
    consensus: {
      height: new Gauge({
        name: 'arcade_consensus_height',
        help: 'Height of the last committed block',
        registers: r,
      }),
      view: new Gauge({
        name: 'arcade_consensus_view',
        help: 'Current view within the height',
        registers: r,
      }),
      viewChanges: new Counter({
        name: 'arcade_consensus_view_changes_total',
        help: 'View changes started',
        registers: r,
      }),
      votesSent: new Counter({
        name: 'arcade_consensus_votes_sent_total',
        help: 'Votes signed and sent',
        labelNames: ['kind'] as const,
        registers: r,
      }),
      commitLatency: new Histogram({
        name: 'arcade_consensus_block_interval_seconds',
        help: 'Time between consecutive commits',
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
        registers: r,
      }),
      blockTxs: new Histogram({
        name: 'arcade_consensus_block_txs',
        help: 'Txs per committed block',
        buckets: [0, 1, 10, 100, 500, 1000, 2000, 5000, 10000],
        registers: r,
      }),
      txsCommitted: new Counter({
        name: 'arcade_consensus_txs_committed_total',
        help: 'Txs committed',
        registers: r,
      }),
      compactProposals: new Counter({
        name: 'arcade_consensus_compact_proposals_total',
        help: 'Compact proposals received, by outcome: complete (every tx pooled), complete-late (the missing txs reached the pool during the fetch), fetched (completed by fetching txs from the sender), dropped',
        labelNames: ['outcome'] as const,
        registers: r,
      }),
      compactDropped: new Counter({
        name: 'arcade_consensus_compact_proposals_dropped_total',
        help: 'Compact proposals dropped uncompleted, by code (COMPACT_FETCH_FAILED, COMPACT_WRONG_TX, ...)',
        labelNames: ['code'] as const,
        registers: r,
      }),
      compactTxsFetched: new Counter({
        name: 'arcade_consensus_compact_txs_fetched_total',
        help: 'Txs fetched from proposers to complete compact proposals',
        registers: r,
      }),
      compactFetchSeconds: new Histogram({
        name: 'arcade_consensus_compact_fetch_seconds',
        help: 'Time from the arrival of a compact proposal that lacked txs to its completion by fetch (or its drop)',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
        registers: r,
      }),
      compactTxsServed: new Counter({
        name: 'arcade_consensus_compact_txs_served_total',
        help: "Txs served to validators completing this node's compact proposals",
        registers: r,
      }),
      proposalBytes: new Histogram({
        name: 'arcade_consensus_proposal_bytes',
        help: 'Bytes of each proposal this node sent as leader (compact: tx ids in place of txs)',
        buckets: PROPOSAL_BYTE_BUCKETS,
        registers: r,
      }),
      proposalBlockBytes: new Histogram({
        name: 'arcade_consensus_proposal_block_bytes',
        help: 'Bytes of the full block of each proposal this node sent as leader (what a full proposal would weigh)',
        buckets: PROPOSAL_BYTE_BUCKETS,
        registers: r,
      }),
      buildSeconds: new Histogram({
        name: 'arcade_consensus_build_seconds',
        help: 'Time to build one proposal as leader: reaping the mempool and executing the block',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        registers: r,
      }),
    },
    chain: {
      headAgeSeconds: new Gauge({
        name: 'arcade_chain_head_age_seconds',
        help: "Seconds since the head block's time (the genesis time before the first block)",
        registers: r,
      }),
      healthy: new Gauge({
        name: 'arcade_chain_healthy',
        help: 'Whether /v1/health answers 200 (1) or 503 (0)',
        registers: r,
      }),
      forkEvidence: new Gauge({
        name: 'arcade_chain_fork_evidence',
        help: 'Forks on record: valid commit certificates for two blocks at one height (any is an alarm)',
        registers: r,
      }),
      forksDetected: new Counter({
        name: 'arcade_chain_forks_detected_total',
        help: 'Conflicting commit certificates verified as fork evidence, by source (held or past the bound)',
        labelNames: ['source'] as const,
        registers: r,
      }),
      forkCertificatesRefused: new Counter({
        name: 'arcade_chain_fork_certificates_refused_total',
        help: 'Certificates for another block at a committed height that failed verification (no alarm), by source',
        labelNames: ['source'] as const,
        registers: r,
      }),
    },
    mempool: {
      size: new Gauge({ name: 'arcade_mempool_txs', help: 'Txs waiting in the mempool', registers: r }),
      bytes: new Gauge({
        name: 'arcade_mempool_bytes',
        help: 'Bytes of txs waiting in the mempool',
        registers: r,
      }),
      admitted: new Counter({ name: 'arcade_mempool_admitted_total', help: 'Txs admitted', registers: r }),
      rejected: new Counter({
        name: 'arcade_mempool_rejected_total',
        help: 'Txs refused, by error code',
        labelNames: ['code'] as const,
        registers: r,
      }),
      admissionSeconds: new Histogram({
        name: 'arcade_mempool_admission_seconds',
        help: 'Main-thread time of one admission call (a batch from RPC or gossip), without the wait for signature verification',
        buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
        registers: r,
      }),
    },
    p2p: {
      peers: new Gauge({ name: 'arcade_p2p_peers', help: 'Connected peers', registers: r }),
      allowed: new Gauge({
        name: 'arcade_p2p_allowed_peers',
        help: 'Node keys on the allow-list (validator sets, observers and config peers the chain names)',
        registers: r,
      }),
      dialTargets: new Gauge({
        name: 'arcade_p2p_dial_targets',
        help: 'Peers this node keeps connected (allowed validators with a known address, config peers)',
        registers: r,
      }),
      allowListChanges: new Counter({
        name: 'arcade_p2p_allow_list_changes_total',
        help: 'Times the allow-list changed after a commit (epoch boundary, admission, removal)',
        registers: r,
      }),
      messagesIn: new Counter({
        name: 'arcade_p2p_messages_received_total',
        help: 'Messages received',
        labelNames: ['protocol'] as const,
        registers: r,
      }),
      messagesOut: new Counter({
        name: 'arcade_p2p_messages_sent_total',
        help: 'Messages sent',
        labelNames: ['protocol'] as const,
        registers: r,
      }),
      refused: new Counter({
        name: 'arcade_p2p_refused_total',
        help: 'Inbound streams and frames refused before decoding (not-a-validator, oversize, bad-frame, stream-rate)',
        labelNames: ['protocol', 'reason'] as const,
        registers: r,
      }),
      throttled: new Counter({
        name: 'arcade_p2p_throttled_total',
        help: "Times a peer's stream was held for being over its rate",
        labelNames: ['protocol'] as const,
        registers: r,
      }),
      penalized: new Counter({
        name: 'arcade_p2p_peers_penalized_total',
        help: 'Peers disconnected and banned (over-rate, misbehaving)',
        labelNames: ['reason'] as const,
        registers: r,
      }),
    },
    evidence: {
      received: new Counter({
        name: 'arcade_evidence_received_total',
        help: 'Double-sign evidence offered to the pool, by source (self, peer) and verdict (added, known, invalid, ...)',
        labelNames: ['source', 'verdict'] as const,
        registers: r,
      }),
      pending: new Gauge({
        name: 'arcade_evidence_pending',
        help: 'Evidence in the pool, waiting for a block to include it',
        registers: r,
      }),
    },
    node: {
      commitSubscriberErrors: new Counter({
        name: 'arcade_node_commit_subscriber_errors_total',
        help: 'Errors thrown by work run after a commit (isolated from the commit), by step',
        labelNames: ['step'] as const,
        registers: r,
      }),
    },
    storage: {
      commitSeconds: new Histogram({
        name: 'arcade_storage_commit_seconds',
        help: 'Time to write one block batch',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        registers: r,
      }),
      executeSeconds: new Histogram({
        name: 'arcade_state_execute_seconds',
        help: 'Time to execute one block',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        registers: r,
      }),
    },
    sync: {
      blocksApplied: new Counter({
        name: 'arcade_sync_blocks_applied_total',
        help: 'Blocks applied by sync',
        registers: r,
      }),
      behindBlocks: new Gauge({
        name: 'arcade_sync_behind_blocks',
        help: 'Blocks between the head and the height validators with a third of the power claim',
        registers: r,
      }),
      rejected: new Counter({
        name: 'arcade_sync_blocks_rejected_total',
        help: 'Blocks from peers rejected by sync, by reason',
        labelNames: ['code'] as const,
        registers: r,
      }),
    },
  }
}

export type NodeMetrics = ReturnType<typeof createNodeMetrics>
