/**
 * The composition root: builds every part of one node from its config, starts them in order and stops
 * them in reverse. Nothing else in the repository constructs pino, libp2p, level or fastify. Several
 * nodes can run in one process (no globals): each call builds its own parts.
 *
 * Start order: store → chain (genesis or recover) → verify pool → mempool → p2p → sync (catch up) →
 * consensus (validators) → rpc. Stop order is the reverse: stop accepting txs, stop consensus after the
 * commit in progress, stop sync and p2p, then close the store.
 */
import { join } from 'node:path'
import { ConsensusDriver } from '../consensus/driver.ts'
import { consensusOptions } from '../consensus/options.ts'
import { genesisHash } from '../genesis/hash.ts'
import { loadGenesisFile } from '../genesis/load.ts'
import { toGenesisStateInput } from '../genesis/to-state-input.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { decodeConsensusMessage } from '../protocol/consensus-message.ts'
import { verify } from '../protocol/crypto.ts'
import { Limits } from '../protocol/limits.ts'
import { type CommitCertificate, certificateFromTuple } from '../protocol/vote.ts'
import { createRpcServer } from '../rpc/server.ts'
import { checkTx } from '../state/index.ts'
import { Chain, type CommittedBlock } from './chain.ts'
import type { NodeConfig } from './config.ts'
import { executorPort, networkPort, signaturePort, timerPort, walPort } from './consensus-ports.ts'
import { readKeyFile } from './keys.ts'
import type { Logger } from './logger.ts'
import { createMempool, defaultMempoolOptions } from './mempool/mempool.ts'
import { createVerifyPool, defaultVerifyPoolOptions } from './mempool/verify-pool.ts'
import { createNodeMetrics, type NodeMetrics } from './metrics.ts'
import { createP2pHost, type P2pHost } from './p2p/index.ts'
import { createEventHub, createRpcAdapters, type NodeEvents } from './rpc-adapters.ts'
import { createLevelChainStore } from './store/index.ts'
import { BlockSync, encodeSyncEntry } from './sync/block-sync.ts'

export interface NodeDeps {
  readonly logger: Logger
  readonly nowMs?: () => number
  /** Worker threads verifying signatures; default one per core, at most 8 (0 = on the main thread). */
  readonly verifyWorkers?: number
}

export interface ArcadeNode {
  readonly config: NodeConfig
  readonly rpcUrl: string
  readonly chain: Chain
  readonly metrics: NodeMetrics
  stop(): Promise<void>
}

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
        headState: () => chainRef?.state,
      },
    )
    stack.push(() => mempool.close())

    const chain = await Chain.open(
      {
        chainId: genesis.chainId,
        genesisHash: hash,
        genesisTimeMs: genesis.genesisTimeMs,
        genesisState: toGenesisStateInput(genesis),
        maxBlockTxs: genesis.params.consensus.maxBlockTxs,
        maxBlockBytes: genesis.params.consensus.maxBlockBytes,
        maxClockDriftMs: 10_000,
      },
      { store, verifier, knownTx: (h) => mempool.admittedByHash(h), nowMs },
      { certificate: decodeCertificate },
    )
    chainRef = chain
    metrics.consensus.height.set(chain.height)
    log.info({ chainId: genesis.chainId, height: chain.height, role: config.role }, 'chain opened')

    const events: NodeEvents = createEventHub()
    let lastCommitAt = nowMs()
    const onCommitted = (committed: CommittedBlock) => {
      const height = committed.block.header.height
      mempool.afterCommit(committed.txs.map((t) => t.hash))
      const now = nowMs()
      metrics.consensus.height.set(height)
      metrics.consensus.blockTxs.observe(committed.txs.length)
      metrics.consensus.txsCommitted.inc(committed.txs.length)
      metrics.consensus.commitLatency.observe((now - lastCommitAt) / 1000)
      metrics.mempool.size.set(mempool.size)
      metrics.mempool.bytes.set(mempool.bytes)
      lastCommitAt = now
      events.emit(committed)
      const level = committed.txs.length > 0 || height % 10 === 0 ? 'info' : 'debug'
      log[level](
        { height, txs: committed.txs.length, hash: toHex(committed.hash).slice(0, 16) },
        'committed block',
      )
    }

    // Peers: every genesis validator and observer may connect; the list follows the validator set.
    const allowed = () => {
      const keys = new Map<string, Uint8Array>()
      for (const v of genesis.validators) keys.set(toHex(v.nodeKey), v.nodeKey)
      for (const o of genesis.observers) keys.set(toHex(o.nodeKey), o.nodeKey)
      for (const v of chain.validatorSetFor(chain.height + 1).validators)
        keys.set(toHex(v.publicKey), v.publicKey)
      keys.delete(toHex(nodeKey.publicKey))
      return [...keys.values()]
    }
    let driver: ConsensusDriver | null = null
    const p2p: P2pHost = await createP2pHost(
      { listen: config.p2p, nodeKey, allowedPeers: allowed() },
      {
        onConsensus: (from, bytes) => {
          metrics.p2p.messagesIn.inc({ protocol: 'consensus' })
          if (driver === null) return
          try {
            return driver.receive(decodeConsensusMessage(bytes, genesis.chainId), from)
          } catch (err) {
            log.debug({ peer: from.slice(0, 16), err: String(err) }, 'dropped a malformed consensus message')
          }
        },
        onTxs: async (_from, txs) => {
          metrics.p2p.messagesIn.inc({ protocol: 'txs' })
          if (config.role === 'validator') await mempool.add(txs)
        },
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
        log: log.child({ module: 'p2p' }),
      },
    )
    await p2p.start()
    stack.push(() => p2p.stop())
    p2p.connectTo(config.peers.map((p) => ({ nodeKey: p.nodeKey, host: p.host, port: p.port })))

    const sync = new BlockSync(
      { batchSize: 64, pollIntervalMs: isValidator ? 1_000 : 200, requestTimeoutMs: 10_000 },
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
        log: log.child({ module: 'sync' }),
      },
    )
    stack.push(() => sync.stop())

    if (isValidator) {
      const c = genesis.params.consensus
      const options = consensusOptions({
        viewTimeoutBaseMs: c.viewTimeoutBaseMs,
        viewTimeoutIncrementMs: c.viewTimeoutIncrementMs,
        viewTimeoutCapMs: c.viewTimeoutCapMs,
        emptyBlockIntervalMs: config.emptyBlockIntervalMs ?? c.emptyBlockIntervalMs,
        maxBlockBytes: Math.min(c.maxBlockBytes, Limits.maxBlockBytes),
      })
      const consensusLog = log.child({ module: 'consensus' })
      const consensus = new ConsensusDriver(
        { chainId: genesis.chainId, consensus: options },
        {
          network: networkPort(p2p),
          signer: signaturePort(nodeKey),
          verify,
          wal: walPort(store.wal, genesis.chainId),
          executor: executorPort({
            chain,
            mempool,
            proposer: nodeKey.publicKey,
            maxBlockTxs: c.maxBlockTxs,
            maxBlockBytes: Math.min(c.maxBlockBytes, Limits.maxBlockBytes),
            onCommitted,
          }),
          sync: { request: async (_from, target) => void (await sync.catchUp(target)) },
          timers: timerPort,
          observer: {
            onViewChange: (height, view) => {
              metrics.consensus.viewChanges.inc()
              metrics.consensus.view.set(view)
              consensusLog.info({ height, view }, 'view change')
            },
            onEvidence: (evidence) =>
              consensusLog.warn(
                { validator: toHex(evidence.a.validator), height: evidence.a.height },
                'equivocation evidence',
              ),
            onWarning: (event, data) => consensusLog.warn(data, event),
            onCommit: () => metrics.consensus.view.set(0),
          },
        },
      )
      // Catch up with the peers that are already ahead before voting. Dials were only just started:
      // give them a moment to connect (else there is nobody to sync from and a restarted validator
      // would only catch up later, when consensus messages from a higher height ask for it).
      await waitForPeers(p2p, Math.min(config.peers.length, 1), PEER_WAIT_MS)
      await sync.catchUp().catch(() => 0)
      await consensus.start()
      // Only a started driver takes messages: one posted before start() finds no state, throws inside
      // the driver's drain loop and leaves it marked running, so it would never process anything again.
      driver = consensus
      stack.push(() => consensus.stop())
    } else {
      sync.start()
    }

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
    })
    const rpc = createRpcServer(
      { forwardTxsTo: config.role === 'observer' ? config.forwardTxsTo : null },
      {
        chain: adapters.reader,
        submitter: adapters.submitter,
        query: adapters.query,
        pointIds: adapters.pointIds,
        events,
        metrics: metrics.registry,
        logger: log.child({ module: 'rpc' }),
      },
    )
    const rpcUrl = await rpc.listen(config.rpc.host, config.rpc.port)
    stack.push(() => rpc.close())
    log.info({ rpc: rpcUrl, p2p: p2p.listenAddress(), peerKey: p2p.peerKey.slice(0, 16) }, 'node started')

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

/** How long a starting validator waits for its first peer before its initial catch-up. */
const PEER_WAIT_MS = 3_000

async function waitForPeers(p2p: P2pHost, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (p2p.peers().length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
