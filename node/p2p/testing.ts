/** Helpers for this folder's tests: real hosts on 127.0.0.1 and an inbox that tests can await. */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { ipPortToMultiaddr } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import type { Bytes } from '../../protocol/bytes.ts'
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts'
import { createP2pHost, type P2pHost, type P2pHostDeps } from './host.ts'
import type { P2pLimits } from './limits.ts'
import { libp2pPeerId, libp2pPrivateKey } from './peer-id.ts'

export interface Received {
  readonly from: string
  readonly bytes: Bytes
}

/** Collects deliveries; `waitFor(n)` resolves once n have arrived (event-driven, no polling). */
export class Inbox {
  readonly items: Received[] = []
  #waiters: { n: number; resolve: () => void }[] = []

  push(from: string, bytes: Bytes): void {
    this.items.push({ from, bytes })
    this.#waiters = this.#waiters.filter((w) => {
      if (this.items.length < w.n) return true
      w.resolve()
      return false
    })
  }

  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.items.length >= n) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`inbox: ${this.items.length}/${n} after ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.#waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }

  from(peer: string): Bytes[] {
    return this.items.filter((r) => r.from === peer).map((r) => r.bytes)
  }
}

export interface TestNode {
  readonly key: KeyPair
  readonly host: P2pHost
  readonly consensus: Inbox
  readonly txs: Inbox
  readonly disconnects: Inbox
}

export interface TestNodeOptions {
  readonly key?: KeyPair
  readonly allowed: readonly Bytes[]
  readonly port?: number
  readonly limits?: Partial<P2pLimits>
  readonly sync?: P2pHostDeps['sync']
  readonly txFetch?: P2pHostDeps['txFetch']
  /** Called after each consensus delivery is recorded; a returned promise holds that peer's stream. */
  readonly onConsensus?: (from: string, bytes: Bytes) => void | Promise<void>
}

/** Fast reconnects so the restart test is quick. */
export const TEST_LIMITS: Partial<P2pLimits> = {
  reconnectBaseMs: 20,
  reconnectMaxMs: 200,
  dialTimeoutMs: 2_000,
}

export async function startNode(options: TestNodeOptions): Promise<TestNode> {
  const key = options.key ?? generateKeyPair()
  const consensus = new Inbox()
  const txs = new Inbox()
  const disconnects = new Inbox()
  const host = await createP2pHost(
    {
      listen: { host: '127.0.0.1', port: options.port ?? 0 },
      nodeKey: key,
      allowedPeers: options.allowed,
      limits: { ...TEST_LIMITS, ...options.limits },
    },
    {
      onConsensus: (from, bytes) => {
        consensus.push(from, bytes)
        return options.onConsensus?.(from, bytes)
      },
      onTxs: (from, batch) => {
        for (const tx of batch) txs.push(from, tx)
      },
      onPeerDisconnected: (peer) => disconnects.push(peer, new Uint8Array()),
      sync: options.sync,
      txFetch: options.txFetch,
    },
  )
  await host.start()
  return { key, host, consensus, txs, disconnects }
}

export function addressOf(node: TestNode): { nodeKey: Bytes; host: string; port: number } {
  return { nodeKey: node.key.publicKey, ...node.host.listenAddress() }
}

/** Every node keeps every other connected; resolves when all pairs see each other. */
export async function meshConnect(nodes: readonly TestNode[]): Promise<void> {
  for (const node of nodes) node.host.connectTo(nodes.filter((n) => n !== node).map(addressOf))
  const signal = AbortSignal.timeout(10_000)
  await Promise.all(
    nodes.flatMap((a) =>
      nodes.filter((b) => b !== a).map((b) => a.host.whenConnected(b.host.peerKey, signal)),
    ),
  )
}

export function keys(count: number): KeyPair[] {
  return Array.from({ length: count }, () => generateKeyPair())
}

export function text(bytes: Bytes): string {
  return new TextDecoder().decode(bytes)
}

export function bytesOf(value: string): Bytes {
  return new TextEncoder().encode(value)
}

// --- reports, bounds and raw peers (tests of the p2p bounds and of the Byzantine harness) ---

/** Anything a test wants to await: `waitFor(predicate)` resolves once a recorded item matches. */
export class EventLog<T> {
  readonly items: T[] = []
  #waiters: { match: (item: T) => boolean; resolve: (item: T) => void }[] = []

  push(item: T): void {
    this.items.push(item)
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(item)) return true
      w.resolve(item)
      return false
    })
  }

  waitFor(match: (item: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const found = this.items.find(match)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`event log: no match among ${this.items.length} after ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.#waiters.push({
        match,
        resolve: (item) => {
          clearTimeout(timer)
          resolve(item)
        },
      })
    })
  }

  count(match: (item: T) => boolean): number {
    return this.items.filter(match).length
  }
}

/** What a host reported about its peers (P2pHostDeps.onRefused / onThrottled / onPenalized). */
export type P2pReport =
  | { readonly kind: 'refused'; readonly peer: string; readonly protocol: string; readonly reason: string }
  | { readonly kind: 'throttled'; readonly peer: string; readonly protocol: string; readonly waitMs: number }
  | { readonly kind: 'penalized'; readonly peer: string; readonly reason: string }

export interface ReportingNode extends TestNode {
  readonly reports: EventLog<P2pReport>
}

/**
 * `startNode` with the host's reports recorded, and the choice of the consensus peers (`consensusPeers`)
 * or of no consensus nor gossip handler at all (`observer: true`, as an observer node runs it).
 */
export async function startReportingNode(
  options: TestNodeOptions & { readonly consensusPeers?: readonly Bytes[]; readonly observer?: boolean },
): Promise<ReportingNode> {
  const key = options.key ?? generateKeyPair()
  const consensus = new Inbox()
  const txs = new Inbox()
  const disconnects = new Inbox()
  const reports = new EventLog<P2pReport>()
  const host = await createP2pHost(
    {
      listen: { host: '127.0.0.1', port: options.port ?? 0 },
      nodeKey: key,
      allowedPeers: options.allowed,
      ...(options.consensusPeers === undefined ? {} : { consensusPeers: options.consensusPeers }),
      limits: { ...TEST_LIMITS, ...options.limits },
    },
    {
      ...(options.observer === true
        ? {}
        : {
            onConsensus: (from: string, bytes: Bytes) => {
              consensus.push(from, bytes)
              return options.onConsensus?.(from, bytes)
            },
            onTxs: (from: string, batch: Bytes[]) => {
              for (const tx of batch) txs.push(from, tx)
            },
          }),
      onPeerDisconnected: (peer) => disconnects.push(peer, new Uint8Array()),
      onRefused: (peer, protocol, reason) => reports.push({ kind: 'refused', peer, protocol, reason }),
      onThrottled: (peer, protocol, waitMs) => reports.push({ kind: 'throttled', peer, protocol, waitMs }),
      onPenalized: (peer, reason) => reports.push({ kind: 'penalized', peer, reason }),
      sync: options.sync,
      txFetch: options.txFetch,
    },
  )
  await host.start()
  return { key, host, consensus, txs, disconnects, reports }
}

/**
 * A bare libp2p node holding a node key, speaking TCP + Noise + yamux like a host but with none of its
 * rules: it can open any stream, write any bytes and connect as often as it likes. Stop it when done.
 */
export interface RawPeer {
  readonly key: KeyPair
  readonly libp2p: Libp2p
  /** Dials `address`; with `force`, a new connection even if one is open. */
  connect(address: { nodeKey: Bytes; host: string; port: number }, force?: boolean): Promise<Connection>
  /** Opens a stream for `protocol` on a connection to `address` (connecting first if needed). */
  openStream(address: { nodeKey: Bytes; host: string; port: number }, protocol: string): Promise<Stream>
  stop(): Promise<void>
}

export async function startRawPeer(key: KeyPair = generateKeyPair()): Promise<RawPeer> {
  const node = await createLibp2p({
    privateKey: libp2pPrivateKey(key.secretKey, key.publicKey),
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { dialTimeout: 5_000 },
  })
  await node.start()
  const target = (address: { nodeKey: Bytes; host: string; port: number }) =>
    ipPortToMultiaddr(address.host, address.port).encapsulate(`/p2p/${libp2pPeerId(address.nodeKey)}`)
  const connect = (address: { nodeKey: Bytes; host: string; port: number }, force = false) =>
    node.dial(target(address), { force, signal: AbortSignal.timeout(5_000) })
  return {
    key,
    libp2p: node,
    connect,
    async openStream(address, protocol) {
      const connection = await connect(address)
      return connection.newStream(protocol, { signal: AbortSignal.timeout(5_000) })
    },
    async stop() {
      await node.stop()
    },
  }
}
