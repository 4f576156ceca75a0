/**
 * The p2p host: libp2p with TCP, Noise and yamux, its identity derived from the node's Ed25519 key,
 * admitting only allow-listed node keys. The rest of the node sees only this interface, in domain
 * terms: a peer is the 64-hex-char node key (see peer-id.ts for the mapping to libp2p PeerIds), and
 * messages are opaque bytes the node encodes with protocol/codec.ts (a sent buffer is written later,
 * from the queue: do not mutate it after sending).
 *
 * Sends are fire-and-forget by design: `sendConsensus` / `broadcastConsensus` / `gossipTxs` queue and
 * return at once, never reject, and report a drop (peer not connected, queue full) as false / a count.
 * Requests (`requestBlocks`, `requestStatus`, `fetchTxs`, `dial`) take an AbortSignal and reject with
 * P2P_* codes.
 *
 * Admission and budgets (limits.ts): connections are rate-limited per IP and per peer; every inbound
 * stream and frame spends from the sending peer's budgets (peer-budget.ts), over which its stream is
 * held; a peer far over its budget for long, or misbehaving, is disconnected, banned for `banMs` and
 * reported through `onPenalized`.
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { ipPortToMultiaddr } from '@libp2p/utils'
import type { Bytes } from '../../protocol/bytes.ts'
import { type ConsensusHandler, createConsensusProtocol } from './consensus.ts'
import {
  admitInbound,
  asError,
  errorFields,
  type P2pReports,
  type ProtocolContext,
  type RefusalReason,
} from './context.ts'
import { Dialer, type PeerAddress } from './dialer.ts'
import { P2pError, P2pErrorCode } from './errors.ts'
import { createEvidenceProtocol, type EvidenceHandler } from './evidence-gossip.ts'
import type { FramedProtocol } from './framed-protocol.ts'
import { AllowList, allowListGater } from './gater.ts'
import { DEFAULT_P2P_LIMITS, type P2pLimits, Protocols } from './limits.ts'
import { type P2pLogger, silentLogger } from './logger.ts'
import { type AbuseReason, PeerBudgets } from './peer-budget.ts'
import {
  libp2pPeerId,
  libp2pPrivateKey,
  nodeKeyFromPeerKey,
  nodeKeyHexFromPeerId,
  peerKeyOf,
} from './peer-id.ts'
import { BlockSync, type SyncServer, type SyncStatus } from './sync.ts'
import { createTransport } from './transport.ts'
import { TxFetch, type TxFetchServer } from './tx-fetch.ts'
import { type TxBatchHandler, TxGossip } from './tx-gossip.ts'

export type { RefusalReason } from './context.ts'
export type { PeerAddress } from './dialer.ts'
export type { AbuseReason } from './peer-budget.ts'
export type { SyncServer, SyncStatus } from './sync.ts'
export type { TxFetchServer } from './tx-fetch.ts'

export interface P2pHostOptions {
  /** Where to listen. Use 127.0.0.1 on a devnet; port 0 picks a free port (see `listenAddress()`). */
  readonly listen: { readonly host: string; readonly port: number }
  /** The node key: 32-byte Ed25519 seed and its public key (protocol/crypto.ts). */
  readonly nodeKey: { readonly secretKey: Bytes; readonly publicKey: Bytes }
  /** Node keys admitted at start (validators and observers); replace later with `setAllowedPeers`. */
  readonly allowedPeers: readonly Bytes[]
  /**
   * Node keys that may exchange consensus messages and tx gossip with us (the validators); replace
   * later with `setConsensusPeers`. Omitted: every allowed peer.
   */
  readonly consensusPeers?: readonly Bytes[]
  /** Overrides of `DEFAULT_P2P_LIMITS` (lower them in tests). */
  readonly limits?: Partial<P2pLimits>
}

export interface P2pHostDeps {
  /**
   * Each inbound consensus message from a consensus peer, in per-peer send order; a returned promise
   * pauses that peer's stream until it settles. Omit (an observer) to not speak the protocol at all.
   */
  readonly onConsensus?: ConsensusHandler
  /** Each inbound evidence item from a consensus peer; omit (an observer) to not speak the protocol. */
  readonly onEvidence?: EvidenceHandler
  /** Each inbound tx batch from a consensus peer; omit (an observer) to neither take nor send gossip. */
  readonly onTxs?: TxBatchHandler
  /** Answers block-sync requests; omit (or null) to serve none. */
  readonly sync?: SyncServer | null
  /**
   * Answers consensus peers' requests for the txs of this node's compact proposals; omit (or null,
   * an observer) to serve none.
   */
  readonly txFetch?: TxFetchServer | null
  readonly onPeerConnected?: (peer: string) => void
  readonly onPeerDisconnected?: (peer: string) => void
  /** An inbound stream or frame refused before anything decoded it (for metrics). */
  readonly onRefused?: (peer: string, protocol: string, reason: RefusalReason) => void
  /** A peer's stream held for `waitMs` because it is over its rate (for metrics). */
  readonly onThrottled?: (peer: string, protocol: string, waitMs: number) => void
  /** A peer disconnected and banned for `banMs`: far over its budget for long, or misbehaving. */
  readonly onPenalized?: (peer: string, reason: AbuseReason) => void
  readonly log?: P2pLogger
  /** Jitter for reconnect backoff, in [0, 1). Defaults to Math.random. */
  readonly random?: () => number
  /** Monotonic ms for budgets and bans. Defaults to performance.now. */
  readonly nowMs?: () => number
}

export interface P2pHost {
  /** This node's domain peer id: its node key as hex. */
  readonly peerKey: string
  /** This node's libp2p PeerId string. */
  readonly libp2pPeerId: string
  /** Listens, registers the protocols and starts dialling the `connectTo` targets. Once only. */
  start(): Promise<void>
  /** Stops reconnect timers, protocols and libp2p. Harmless twice. */
  stop(): Promise<void>
  /** The bound address once started (the real port when `listen.port` was 0). */
  listenAddress(): { host: string; port: number }
  /**
   * Replaces the allow-list; connections to peers no longer on it are aborted with their streams (they
   * cannot connect again while off the list), and targets now allowed are dialled.
   */
  setAllowedPeers(keys: readonly Bytes[]): void
  /** Replaces who may exchange consensus messages with us (see `P2pHostOptions.consensusPeers`). */
  setConsensusPeers(keys: readonly Bytes[]): void
  /** Replaces the set of peers to keep connected (dialled now, redialled with backoff when lost). */
  connectTo(peers: readonly PeerAddress[]): void
  /** One dial attempt. Rejects with `P2P_NOT_ALLOWED` or `P2P_DIAL_FAILED`. */
  dial(peer: PeerAddress, signal?: AbortSignal): Promise<void>
  /** Connected allow-listed peers. */
  peers(): string[]
  isConnected(peer: string): boolean
  /** Resolves when `peer` is connected; rejects with `P2P_ABORTED` on the signal. */
  whenConnected(peer: string, signal?: AbortSignal): Promise<void>
  /** Queues a consensus message for one consensus peer; false if not one, not connected or its queue is full. */
  sendConsensus(peer: string, bytes: Bytes): boolean
  /** Queues a consensus message for every connected consensus peer; returns how many accepted it. */
  broadcastConsensus(bytes: Bytes): number
  /** Queues one evidence item for every connected consensus peer but `except`; returns how many took it. */
  gossipEvidence(bytes: Bytes, except?: string): number
  /** Gossips txs to every connected consensus peer (split into batches as needed); returns peers reached. */
  gossipTxs(txs: readonly Bytes[]): number
  requestBlocks(peer: string, fromHeight: number, maxBlocks: number, signal?: AbortSignal): Promise<Bytes[]>
  requestStatus(peer: string, signal?: AbortSignal): Promise<SyncStatus>
  /**
   * The txs of `ids` (of a compact proposal at `height`) from the consensus peer `peer`, exactly one per
   * id in order; opaque bytes (the caller checks them against the ids). Rejects with P2P_* codes.
   */
  fetchTxs(peer: string, height: number, ids: readonly Bytes[], signal?: AbortSignal): Promise<Bytes[]>
  /** Resolves when every message queued so far has been handed to its stream (or dropped). */
  flush(): Promise<void>
}

function portOf(libp2p: Libp2p): number {
  for (const ma of libp2p.getMultiaddrs()) {
    const tcpPart = ma.getComponents().find((c) => c.name === 'tcp')
    if (tcpPart?.value !== undefined) return Number(tcpPart.value)
  }
  throw new P2pError(P2pErrorCode.notRunning, 'host is not listening')
}

export async function createP2pHost(options: P2pHostOptions, deps: P2pHostDeps): Promise<P2pHost> {
  const limits: P2pLimits = { ...DEFAULT_P2P_LIMITS, ...options.limits }
  const log = deps.log ?? silentLogger
  const nowMs = deps.nowMs ?? (() => performance.now())
  const self = peerKeyOf(options.nodeKey.publicKey)
  const privateKey = libp2pPrivateKey(options.nodeKey.secretKey, options.nodeKey.publicKey)
  const allowList = new AllowList(options.nodeKey.publicKey, options.allowedPeers)
  const keySet = (keys: readonly Bytes[]): ReadonlySet<string> => new Set(keys.map(peerKeyOf))
  let consensusPeers: ReadonlySet<string> | null =
    options.consensusPeers === undefined ? null : keySet(options.consensusPeers)
  const peerIds = new Map<string, PeerId>()
  const peerIdOf = (peer: string): PeerId => {
    let id = peerIds.get(peer)
    if (id === undefined) {
      id = libp2pPeerId(nodeKeyFromPeerKey(peer))
      peerIds.set(peer, id)
    }
    return id
  }
  // The gater is built before libp2p exists; it counts connections through this late binding.
  let connectionsOf: (peerId: PeerId) => number = () => 0

  const libp2p = await createTransport({
    listen: options.listen,
    privateKey,
    limits,
    gater: allowListGater(allowList, {
      nowMs,
      connectionCount: (peerId) => connectionsOf(peerId),
      maxConnectionsPerPeer: limits.maxConnectionsPerPeer,
    }),
  })
  connectionsOf = (peerId) => libp2p.getConnections(peerId).filter((c) => c.status === 'open').length

  const admitted = (peer: string): boolean => allowList.has(peer) && !allowList.isBanned(peer, nowMs())
  const connectionTo = (peer: string): Connection | null => {
    if (!admitted(peer)) return null
    return libp2p.getConnections(peerIdOf(peer)).find((c) => c.status === 'open') ?? null
  }
  const isConnected = (peer: string): boolean => connectionTo(peer) !== null
  const report: P2pReports = {
    refused: (peer, protocol, reason) => deps.onRefused?.(peer, protocol, reason),
    throttled: (peer, protocol, waitMs) => deps.onThrottled?.(peer, protocol, waitMs),
  }
  // Set once the protocols exist: penalising drops their queues.
  let penalize: (peer: string, reason: AbuseReason) => void = () => {}
  const budgets = new PeerBudgets(limits, { nowMs, onAbuse: (peer, reason) => penalize(peer, reason) })
  const ctx: ProtocolContext = {
    libp2p,
    limits,
    log,
    budgets,
    report,
    peerOf: (peerId) => {
      const hex = nodeKeyHexFromPeerId(peerId)
      return hex !== null && admitted(hex) ? hex : null
    },
    connectionTo,
  }
  const isConsensusPeer = (peer: string): boolean => consensusPeers?.has(peer) ?? true
  const consensus: FramedProtocol | null =
    deps.onConsensus === undefined ? null : createConsensusProtocol(ctx, deps.onConsensus, isConsensusPeer)
  // Tx gossip feeds the mempools that proposals are built from: it runs among the consensus peers too.
  const txs: TxGossip | null =
    deps.onTxs === undefined ? null : new TxGossip(ctx, deps.onTxs, isConsensusPeer)
  const evidence: FramedProtocol | null =
    deps.onEvidence === undefined ? null : createEvidenceProtocol(ctx, deps.onEvidence, isConsensusPeer)
  const sync = new BlockSync(ctx, deps.sync ?? null)
  const txFetch = new TxFetch(ctx, deps.txFetch ?? null, isConsensusPeer)

  const dial = async (address: PeerAddress, signal?: AbortSignal): Promise<void> => {
    const peer = peerKeyOf(address.nodeKey)
    if (!admitted(peer)) throw new P2pError(P2pErrorCode.notAllowed, 'peer not allowed', { peer })
    const target = ipPortToMultiaddr(address.host, address.port).encapsulate(`/p2p/${peerIdOf(peer)}`)
    const timeout = AbortSignal.timeout(limits.dialTimeoutMs)
    const dialSignal = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    try {
      const connection = await libp2p.dial(target, { signal: dialSignal })
      // Our side of the upgrade can finish before the remote's gater has ruled (Noise carries the muxer
      // choice in its handshake), so admission is proven by the remote answering a protocol negotiation.
      const probe = await connection.newStream(Protocols.admit, { signal: dialSignal, maxOutboundStreams: 1 })
      await probe.close({ signal: dialSignal })
    } catch (err) {
      throw new P2pError(P2pErrorCode.dialFailed, 'dial failed', { peer, ...errorFields(err) })
    }
  }
  const dialer = new Dialer(limits, {
    dial,
    isConnected,
    isAllowed: admitted,
    log,
    random: deps.random ?? Math.random,
  })

  const peers = (): string[] => {
    const out: string[] = []
    for (const peerId of libp2p.getPeers()) {
      const hex = ctx.peerOf(peerId)
      if (hex !== null && isConnected(hex)) out.push(hex)
    }
    return out
  }

  const onConnect = (event: CustomEvent<PeerId>): void => {
    const peer = ctx.peerOf(event.detail)
    if (peer === null) return
    log.info({ peer }, 'p2p peer connected')
    deps.onPeerConnected?.(peer)
  }
  const dropQueues = (peer: string): void => {
    consensus?.peerDisconnected(peer)
    txs?.peerDisconnected(peer)
    evidence?.peerDisconnected(peer)
  }
  const onDisconnect = (event: CustomEvent<PeerId>): void => {
    const peer = nodeKeyHexFromPeerId(event.detail)
    if (peer === null) return
    dropQueues(peer)
    dialer.peerDisconnected(peer)
    if (allowList.has(peer)) {
      log.info({ peer }, 'p2p peer disconnected')
      deps.onPeerDisconnected?.(peer)
    }
  }
  const hangUp = (peer: string): void => {
    libp2p.hangUp(peerIdOf(peer)).catch((err: unknown) => {
      log.debug({ peer, ...errorFields(err) }, 'p2p hang up failed')
    })
  }
  // A key that lost admission is cut off at once: every connection aborted with its streams in
  // progress (a graceful close would let it finish what it is sending); the gater refuses it after.
  const cutOff = (peer: string): void => {
    for (const connection of libp2p.getConnections(peerIdOf(peer))) {
      connection.abort(new P2pError(P2pErrorCode.notAllowed, 'peer no longer admitted', { peer }))
    }
  }
  // The admission probe: answering it is all a dialler needs (see `dial`).
  const onAdmitProbe = (stream: Stream, connection: Connection): void => {
    if (admitInbound(ctx, stream, connection, Protocols.admit, 1) === null) return
    stream.close().catch((err: unknown) => stream.abort(asError(err)))
  }

  const banTimers = new Set<ReturnType<typeof setTimeout>>()
  let state: 'new' | 'running' | 'stopped' = 'new'
  const requireRunning = (): void => {
    if (state !== 'running') throw new P2pError(P2pErrorCode.notRunning, 'host not running')
  }
  penalize = (peer, reason) => {
    if (state !== 'running' || !allowList.ban(peer, nowMs() + limits.banMs, nowMs())) return
    log.warn({ peer, reason, banMs: limits.banMs }, 'p2p peer penalized')
    deps.onPenalized?.(peer, reason)
    dropQueues(peer)
    hangUp(peer)
    // Once the ban ends, the dialer may reach the peer again (if it is one of our targets).
    const timer = setTimeout(() => {
      banTimers.delete(timer)
      dialer.refresh()
    }, limits.banMs)
    banTimers.add(timer)
  }

  return {
    peerKey: self,
    libp2pPeerId: libp2p.peerId.toString(),
    async start() {
      if (state === 'running') return
      if (state === 'stopped') throw new P2pError(P2pErrorCode.notRunning, 'a stopped host cannot restart')
      libp2p.addEventListener('peer:connect', onConnect)
      libp2p.addEventListener('peer:disconnect', onDisconnect)
      await libp2p.start()
      await libp2p.handle(Protocols.admit, onAdmitProbe, {
        maxInboundStreams: limits.maxStreamsPerConnection,
        maxOutboundStreams: 1,
      })
      await consensus?.start()
      await txs?.start()
      await evidence?.start()
      await sync.start()
      await txFetch.start()
      state = 'running'
      dialer.start()
      log.info({ peer: self, port: portOf(libp2p) }, 'p2p host started')
    },
    async stop() {
      if (state !== 'running') {
        state = 'stopped'
        return
      }
      state = 'stopped'
      dialer.stop()
      for (const timer of banTimers) clearTimeout(timer)
      banTimers.clear()
      await txFetch.stop()
      await sync.stop()
      await evidence?.stop()
      await txs?.stop()
      await consensus?.stop()
      await libp2p.unhandle(Protocols.admit)
      await libp2p.stop()
      libp2p.removeEventListener('peer:connect', onConnect)
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
      log.info({ peer: self }, 'p2p host stopped')
    },
    listenAddress() {
      requireRunning()
      return { host: options.listen.host, port: portOf(libp2p) }
    },
    setAllowedPeers(keys) {
      const removed = allowList.set(keys)
      budgets.retain((peer) => allowList.has(peer))
      dialer.refresh()
      for (const peer of removed) {
        dropQueues(peer)
        if (state === 'running') cutOff(peer)
      }
      if (removed.length > 0) log.info({ removed, allowed: allowList.list().length }, 'p2p peers cut off')
    },
    setConsensusPeers(keys) {
      consensusPeers = keySet(keys)
      for (const peer of peers()) {
        if (!isConsensusPeer(peer)) {
          consensus?.peerDisconnected(peer)
          txs?.peerDisconnected(peer)
          evidence?.peerDisconnected(peer)
        }
      }
    },
    connectTo(addresses) {
      dialer.setTargets(addresses.filter((a) => peerKeyOf(a.nodeKey) !== self))
    },
    dial(address, signal) {
      requireRunning()
      return dial(address, signal)
    },
    peers,
    isConnected,
    whenConnected(peer, signal) {
      if (isConnected(peer)) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const onEvent = (): void => {
          if (!isConnected(peer)) return
          cleanup()
          resolve()
        }
        const onAbort = (): void => {
          cleanup()
          reject(new P2pError(P2pErrorCode.aborted, 'stopped waiting for peer', { peer }))
        }
        const cleanup = (): void => {
          libp2p.removeEventListener('peer:connect', onEvent)
          signal?.removeEventListener('abort', onAbort)
        }
        if (signal?.aborted === true) return onAbort()
        libp2p.addEventListener('peer:connect', onEvent)
        signal?.addEventListener('abort', onAbort)
      })
    },
    sendConsensus: (peer, bytes) => consensus?.send(peer, bytes) ?? false,
    broadcastConsensus: (bytes) => {
      if (consensus === null) return 0
      return consensus.broadcast(
        peers().filter((peer) => consensus.admits(peer)),
        bytes,
      )
    },
    gossipEvidence: (bytes, except) => {
      if (evidence === null) return 0
      return evidence.broadcast(
        peers().filter((peer) => peer !== except && evidence.admits(peer)),
        bytes,
      )
    },
    gossipTxs: (batch) => txs?.gossip(peers(), batch) ?? 0,
    requestBlocks: (peer, fromHeight, maxBlocks, signal) =>
      sync.requestBlocks(peer, fromHeight, maxBlocks, signal),
    requestStatus: (peer, signal) => sync.requestStatus(peer, signal),
    fetchTxs: (peer, height, ids, signal) => txFetch.fetchTxs(peer, height, ids, signal),
    async flush() {
      await Promise.all([consensus?.flush(), txs?.flush(), evidence?.flush()])
    },
  }
}
