/** Helpers for this folder's tests: real hosts on 127.0.0.1 and an inbox that tests can await. */
import type { Bytes } from '../../protocol/bytes.ts'
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts'
import { createP2pHost, type P2pHost, type P2pHostDeps } from './host.ts'
import type { P2pLimits } from './limits.ts'

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
