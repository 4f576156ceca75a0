/**
 * The composition root: builds every part of one node from its config, starts them in order and stops
 * them in reverse. Nothing else in the repository constructs pino, libp2p, level or fastify. Several
 * nodes can run in one process (no globals): each call builds its own parts.
 *
 * Start order: store → verify pool → mempool → chain (genesis or recover) → p2p → sync → rpc → catch up
 * (validators, within a deadline) → consensus (validators) → the sync loop (observers, and validators
 * while their key is outside the set). The RPC comes before catching up so that a slow or lying peer
 * cannot keep the node without its API. Stop order is the reverse: consensus (after the commit in
 * progress), rpc, sync, p2p, mempool, verify pool, store.
 */
import { join } from 'node:path'
import { ConsensusDriver } from '../consensus/driver.ts'
import { consensusOptions } from '../consensus/options.ts'
import { genesisHash } from '../genesis/hash.ts'
import { loadGenesisFile } from '../genesis/load.ts'
import { toGenesisStateInput } from '../genesis/to-state-input.ts'
import { type Block, blockHash } from '../protocol/block.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { MAX_COMPACT_TX_IDS } from '../protocol/compact-proposal.ts'
import { proposalSignBytes } from '../protocol/consensus-message.ts'
import { verify } from '../protocol/crypto.ts'
import { Limits } from '../protocol/limits.ts'
import { type CommitCertificate, certificateFromTuple, type Evidence } from '../protocol/vote.ts'
import { createRpcServer } from '../rpc/server.ts'
import { checkTx, sponsorSlots } from '../state/index.ts'
import { Chain } from './chain.ts'
import {
  CompactProposals,
  consensusEncoder,
  defaultCompactProposalsOptions,
  RecentProposals,
  serveTxs,
} from './compact-proposals.ts'
import { type NodeConfig, rpcOptionsOf } from './config.ts'
import {
  consensusFrameHandler,
  consensusObserver,
  consensusPeerKeys,
  inNextSet,
  type ReceiveFrom,
  receiveFrom,
} from './consensus-link.ts'
import { executorPort, networkPort, signaturePort, timerPort, walPort } from './consensus-ports.ts'
import { createEvidenceLink } from './evidence-link.ts'
import { createExplorerBundle } from './explorer-bundle.ts'
import { ForkSource, ForkWatch, forkWatchChainOf, forkWatchStoreOf } from './fork-watch.ts'
import { HealthMonitor } from './health.ts'
import { readKeyFile } from './keys.ts'
import type { Logger } from './logger.ts'
import { membershipSourcesOf } from './membership-sources.ts'
import { createMempool, defaultMempoolOptions } from './mempool/mempool.ts'
import { createVerifyPool, defaultVerifyPoolOptions } from './mempool/verify-pool.ts'
import { createNodeMetrics, type NodeMetrics } from './metrics.ts'
import { createCommitHandler } from './on-committed.ts'
import { createP2pHost, type P2pHost, peerKeyOf } from './p2p/index.ts'
import { NodePeers, p2pLimitsFor } from './peers.ts'
import { createEventHub, createRpcAdapters, type NodeEvents } from './rpc-adapters.ts'
import { CATCH_UP_DEADLINE_MS, catchUpWithin, PEER_WAIT_MS, shortName, whenAnyPeer } from './start-up.ts'
import { createLevelChainStore } from './store/index.ts'
import { BlockSync, encodeSyncEntry } from './sync/block-sync.ts'

export interface NodeDeps {
  readonly logger: Logger
  readonly nowMs?: () => number
  /** Worker threads verifying signatures; default one per core, at most 8 (0 = on the main thread). */
  readonly verifyWorkers?: number
  /** How long a starting validator waits for a first peer before catching up (default 3 s). */
  readonly peerWaitMs?: number
  /** How long a starting validator catches up before it starts consensus regardless (default 30 s). */
  readonly catchUpDeadlineMs?: number
}

export interface ArcadeNode {
  readonly config: NodeConfig
  readonly rpcUrl: string
  readonly chain: Chain
  readonly metrics: NodeMetrics
  stop(): Promise<void>
}

/** Proposals this node built whose txs it keeps to serve validators completing them. */
const RECENT_PROPOSALS = 4

function decodeCertificate(bytes: Uint8Array): CommitCertificate {
  return certificateFromTuple(decodeRaw(bytes, 64 * 1024, 'certificate')) as CommitCertificate
}

export async function startNode(config: NodeConfig, deps: NodeDeps): Promise<ArcadeNode> {
  const log = deps.logger
  const nowMs = deps.nowMs ?? Date.now
  const genesis = await loadGenesisFile(config.genesisPath)
  const hash = genesisHash(genesis)
  const nodeKey = await readKeyFile(config.nodeKeyPath)
  const isValidator = config.role === 'validator'
  if (isValidator && !genesis.validators.some((v) => bytesEqual(v.nodeKey, nodeKey.publicKey))) {
    log.warn(
      { nodeKey: toHex(nodeKey.publicKey) },
      'this node key is not a genesis validator: it will vote only if elected',
    )
  }
  const metrics = createNodeMetrics()
  const stack: (() => Promise<void> | void)[] = []
  const stopAll = async () => {
    while (stack.length > 0) {
      const stop = stack.pop() as () => Promise<void> | void
      try {
        await stop()
      } catch (err) {
        log.error({ err: String(err) }, 'error while stopping')
      }
    }
  }

  try {
    const store = createLevelChainStore({
      location: join(config.dataDir, 'chain'),
      chain: { chainId: genesis.chainId, genesisHash: hash },
    })
    await store.open()
    stack.push(() => store.close())

    const verifier = createVerifyPool({
      ...defaultVerifyPoolOptions,
      workers: deps.verifyWorkers ?? defaultVerifyPoolOptions.workers,
    })
    stack.push(() => verifier.stop())

    // The mempool and the chain refer to each other (known txs, stateful checks): wire through a holder.
    let chainRef: Chain | null = null
    const mempool = createMempool(
      {
        chainId: genesis.chainId,
        ...defaultMempoolOptions,
        maxTxs: config.mempool.maxTxs,
        maxBytes: config.mempool.maxBytes,
      },
      {
        verifier,
        checkTx: (tx) => {
          const chain = chainRef
          if (chain === null) return null
          return checkTx(chain.state, tx, { chainId: genesis.chainId, height: chain.height + 1 })
        },
        sponsorSlots: (tx) => {
          const chain = chainRef
          return chain === null ? [] : sponsorSlots(chain.state, tx, { height: chain.height + 1 })
        },
        headState: () => chainRef?.state,
        admissionSeconds: metrics.mempool.admissionSeconds,
      },
    )
    stack.push(() => mempool.close())

    const chain = await Chain.open(
      {
        chainId: genesis.chainId,
        genesisHash: hash,
        genesisTimeMs: genesis.genesisTimeMs,
        genesisState: toGenesisStateInput(genesis),
        maxClockDriftMs: 10_000,
      },
      { store, verifier, knownTx: (h) => mempool.admittedByHash(h), nowMs, timings: metrics.storage },
      { certificate: decodeCertificate },
    )
    chainRef = chain
    metrics.consensus.height.set(chain.height)
    log.info({ chainId: genesis.chainId, height: chain.height, role: config.role }, 'chain opened')

    // Fork evidence: conflicting commit certificates, verified in full, kept across restarts.
    const forks = new ForkWatch(
      {},
      {
        chain: forkWatchChainOf(chain, store),
        store: forkWatchStoreOf(store),
        nowMs,
        log: log.child({ module: 'forks' }),
        onFork: (record) => {
          metrics.chain.forksDetected.inc({ source: record.source })
          metrics.chain.forkEvidence.set(forks.count)
        },
        onRejected: (source) => metrics.chain.forkCertificatesRefused.inc({ source }),
      },
    )
    await forks.open()
    metrics.chain.forkEvidence.set(forks.count)

    const events: NodeEvents = createEventHub({
      onListenerError: (err) => log.warn({ err: String(err) }, 'event listener failed'),
    })

    // Peers: the validator sets and observers the chain names at the head, and the config peers; the
    // list and the dial targets follow each commit (membership.ts). Consensus is spoken only with the
    // validators of the heights consensus can act on.
    const configPeers = config.peers.map((p) => ({ nodeKey: p.nodeKey, host: p.host, port: p.port }))
    const peers = new NodePeers(nodeKey.publicKey, {
      sources: () => membershipSourcesOf(chain, genesis, configPeers),
      consensusKeys: () => consensusPeerKeys(chain),
      onChange: (change) => {
        metrics.p2p.allowed.set(change.allowed)
        metrics.p2p.dialTargets.set(change.dialTargets)
        metrics.p2p.allowListChanges.inc()
        log.info(
          {
            height: chain.height,
            added: change.added.map((k) => k.slice(0, 16)),
            removed: change.removed.map((k) => k.slice(0, 16)),
            allowed: change.allowed,
            dialTargets: change.dialTargets,
          },
          'p2p allow-list changed',
        )
      },
    })
    metrics.p2p.allowed.set(peers.allowed.length)
    metrics.p2p.dialTargets.set(peers.dialTargets.length)
    // Evidence this node detects or a validator gossips, for the next proposal (validators only).
    const evidence = createEvidenceLink({
      chain,
      gossip: (bytes, except) => p2p.gossipEvidence(bytes, except),
      metrics,
      log: log.child({ module: 'evidence' }),
    })
    let receive: ReceiveFrom | null = null
    // Proposals travel compact (tx ids for txs): a leader serves the txs of its last few proposals, a
    // validator rebuilds each proposal from its mempool and fetches from the leader what it lacks.
    const recentProposals = new RecentProposals({ maxBlocks: RECENT_PROPOSALS })
    const compact = new CompactProposals(defaultCompactProposalsOptions, {
      knownTx: (id) => mempool.admittedByHash(id),
      onTxsAdded: (wake) => mempool.onPendingTxs(wake),
      fetchTxs: (peer, height, ids, signal) => p2p.fetchTxs(peer, height, ids, signal),
      verifySignature: (p) =>
        verify(
          p.signature,
          proposalSignBytes(genesis.chainId, p.height, p.view, blockHash(p.block.header)),
          p.proposer,
        ),
      maxBlockTxs: (height) =>
        height === chain.height + 1 ? chain.blockLimits.maxBlockTxs : MAX_COMPACT_TX_IDS,
      headHeight: () => chain.height,
      deliver: (proposal, from) => receive?.(proposal, from),
      metrics: metrics.consensus,
      log: log.child({ module: 'compact' }),
    })
    const p2pLog = log.child({ module: 'p2p' })
    const p2p: P2pHost = await createP2pHost(
      {
        listen: config.p2p,
        nodeKey,
        allowedPeers: peers.allowed,
        consensusPeers: peers.consensus,
        limits: p2pLimitsFor(genesis),
      },
      {
        // Observers do not speak consensus nor take gossip (they forward txs over RPC).
        ...(isValidator
          ? {
              // A promise: this sender has too much queued; its stream stays paused until it settles.
              onConsensus: consensusFrameHandler({
                chainId: genesis.chainId,
                receive: () => receive,
                compact,
                metrics,
                log,
              }),
              txFetch: {
                serveTxs: (_height: number, ids: readonly Uint8Array[]) => {
                  const txs = serveTxs(ids, recentProposals, (id) => mempool.admittedByHash(id))
                  metrics.consensus.compactTxsServed.inc(txs.length)
                  return txs
                },
              },
              onEvidence: (from: string, bytes: Uint8Array) => evidence.received(from, bytes),
              onTxs: async (_from: string, txs: Uint8Array[]) => {
                metrics.p2p.messagesIn.inc({ protocol: 'txs' })
                await mempool.add(txs)
              },
            }
          : {}),
        sync: {
          async serveBlocks(from, max) {
            const blocks = await store.blocksRange(from, from + max - 1, { maxBytes: 8 * 1024 * 1024 })
            return blocks
              .filter((b) => b.certificateBytes !== null)
              .map((b) => encodeSyncEntry(b.blockBytes, b.certificateBytes as Uint8Array))
          },
          serveStatus: () => ({ height: chain.height }),
        },
        onPeerConnected: (peer) => {
          metrics.p2p.peers.set(p2p.peers().length)
          log.debug({ peer: peer.slice(0, 16) }, 'peer connected')
        },
        onPeerDisconnected: (peer) => {
          metrics.p2p.peers.set(p2p.peers().length)
          log.debug({ peer: peer.slice(0, 16) }, 'peer disconnected')
        },
        onRefused: (_peer, protocol, reason) =>
          metrics.p2p.refused.inc({ protocol: shortName(protocol), reason }),
        onThrottled: (_peer, protocol) => metrics.p2p.throttled.inc({ protocol: shortName(protocol) }),
        onPenalized: (_peer, reason) => metrics.p2p.penalized.inc({ reason }),
        log: p2pLog,
      },
    )

    const onCommitted = createCommitHandler({
      mempool,
      metrics,
      events,
      log,
      nowMs,
      // After a block that changed who the chain names, new members may connect; gone ones are cut.
      after: (committed) => {
        evidence.afterCommit(committed)
        compact.afterCommit(committed.block.header.height)
        peers.refresh(p2p)
      },
    })
    await p2p.start()
    stack.push(() => p2p.stop())
    stack.push(() => compact.stop())
    p2p.connectTo(peers.dialTargets)

    // A validator whose key is not in the set for its next height hears no consensus (peers speak it
    // with the set only): a registered association's node awaiting its election, or one that left. It
    // follows by sync meanwhile, as an observer does, and hands consensus each new head.
    let following: ConsensusDriver | null = null
    const sync = new BlockSync(
      { batchSize: 64, pollIntervalMs: 200, requestTimeoutMs: 10_000 },
      {
        chain,
        peers: () => p2p.peers(),
        requestStatus: (peer, signal) => p2p.requestStatus(peer, signal),
        requestBlocks: (peer, from, max, signal) => p2p.requestBlocks(peer, from, max, signal),
        onCommitted: (committed) => {
          metrics.sync.blocksApplied.inc()
          onCommitted(committed)
        },
        onRejected: (_peer, code) => metrics.sync.rejected.inc({ code }),
        onCertificate: (peer, certificate, where) =>
          forks.offer(certificate, {
            source: where === 'entry' ? ForkSource.sync : ForkSource.syncLastCommit,
            peer,
          }),
        log: log.child({ module: 'sync' }),
        ...(isValidator
          ? {
              following: () => !inNextSet(chain, nodeKey.publicKey),
              onFollowed: () => following?.post({ type: 'sync-done', context: following.context() }),
            }
          : {}),
      },
    )
    stack.push(() => sync.stop())

    // The health verdict for the RPC, and its gauges kept current for scrapers.
    const health = new HealthMonitor(config.health, {
      sample: () => ({
        nowMs: nowMs(),
        height: chain.height,
        headTimeMs: chain.headHeader?.timeMs ?? null,
        genesisTimeMs: genesis.genesisTimeMs,
        emptyBlockIntervalMs:
          config.emptyBlockIntervalMs ?? chain.paramsFor(chain.height + 1).emptyBlockIntervalMs,
        peers: p2p.peers().length,
        bestKnownHeight: sync.bestKnownHeight,
        syncing: sync.syncing,
        forks: forks.count,
      }),
      gauges: {
        headAgeSeconds: metrics.chain.headAgeSeconds,
        behindBlocks: metrics.sync.behindBlocks,
        healthy: metrics.chain.healthy,
      },
    })
    health.start()
    stack.push(() => health.stop())

    // The API is up before any catching up: a peer dripping blocks cannot keep the node without one
    // (status reports `syncing` meanwhile).
    const adapters = createRpcAdapters({
      role: config.role,
      chain,
      store,
      mempool,
      p2p,
      sync,
      events,
      gossip: (txs) => {
        metrics.p2p.messagesOut.inc({ protocol: 'txs' })
        p2p.gossipTxs(txs)
      },
      metrics,
      health: () => health.check(),
      forks,
    })
    const rpc = createRpcServer(
      { ...rpcOptionsOf(config) },
      {
        chain: adapters.reader,
        submitter: adapters.submitter,
        query: adapters.query,
        pointIds: adapters.pointIds,
        events,
        metrics: metrics.registry,
        logger: log.child({ module: 'rpc' }),
        // Built at the first request to /explorer, then kept (see explorer-bundle.ts).
        explorer: createExplorerBundle(),
      },
    )
    const rpcUrl = await rpc.listen(config.rpc.host, config.rpc.port)
    stack.push(() => rpc.close())
    log.info({ rpc: rpcUrl, p2p: p2p.listenAddress(), peerKey: p2p.peerKey.slice(0, 16) }, 'node started')

    if (isValidator) {
      // The chain's parameters come from the state, never from genesis: governance may have changed
      // them, and the executor hands the driver each height's timeouts (these are the head's, for the
      // driver's own retries). The byte bounds of what peers may queue are sized for the largest block
      // governance can allow (Limits.maxBlockBytes), so a raise at a boundary never strands a proposal.
      const head = chain.paramsFor(chain.height + 1)
      const options = consensusOptions({
        viewTimeoutBaseMs: head.viewTimeoutBaseMs,
        viewTimeoutIncrementMs: head.viewTimeoutIncrementMs,
        viewTimeoutCapMs: head.viewTimeoutCapMs,
        emptyBlockIntervalMs: config.emptyBlockIntervalMs ?? head.emptyBlockIntervalMs,
        maxBlockBytes: Limits.maxBlockBytes,
      })
      const consensusLog = log.child({ module: 'consensus' })
      const logged = consensusObserver(consensusLog, metrics)
      const observer = {
        ...logged,
        onEvidence: (e: Evidence) => {
          logged.onEvidence?.(e)
          evidence.detected(e)
        },
        // Decided a block at a height sync committed to another: the fork watch verifies and keeps it.
        onConflictingDecision: (_block: Block, certificate: CommitCertificate) =>
          void forks.offer(certificate, { source: ForkSource.consensus, peer: null }),
      }
      const consensus = new ConsensusDriver(
        { chainId: genesis.chainId, consensus: options },
        {
          network: networkPort(p2p, consensusEncoder(recentProposals, metrics.consensus)),
          signer: signaturePort(nodeKey),
          verify,
          wal: walPort(store.wal, genesis.chainId),
          executor: executorPort({
            chain,
            mempool,
            proposer: nodeKey.publicKey,
            emptyBlockIntervalMs: config.emptyBlockIntervalMs,
            onCommitted,
            pendingEvidence: (max) => evidence.pending(max),
            buildSeconds: metrics.consensus.buildSeconds,
          }),
          sync: { request: async (_from, target) => void (await sync.catchUp(target)) },
          timers: timerPort,
          observer,
        },
      )
      // Catch up with the peers already ahead before voting, within a deadline: past it, consensus
      // starts anyway and asks for a sync itself once a third of the power is seen ahead. Dials were
      // only just started: give them a moment to connect first (else there is nobody to sync from).
      await whenAnyPeer(
        p2p,
        config.peers.map((peer) => peerKeyOf(peer.nodeKey)),
        deps.peerWaitMs ?? PEER_WAIT_MS,
      )
      await catchUpWithin(sync, deps.catchUpDeadlineMs ?? CATCH_UP_DEADLINE_MS, log)
      stack.push(() => consensus.stop())
      await consensus.start()
      // Only a started driver takes messages: one posted before start() finds no state, throws inside
      // the driver's drain loop and leaves it marked running, so it would never process anything again.
      receive = receiveFrom(consensus)
      following = consensus
      // Outside the set it votes only once elected; until then the sync loop below keeps it at the head.
      log.info({ height: chain.height, inSet: inNextSet(chain, nodeKey.publicKey) }, 'consensus started')
    }
    sync.start()

    let stopped = false
    return {
      config,
      rpcUrl,
      chain,
      metrics,
      async stop() {
        if (stopped) return
        stopped = true
        await stopAll()
        log.info({}, 'node stopped')
      },
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
