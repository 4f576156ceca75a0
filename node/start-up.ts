/** Small steps of a validator's start-up: waiting for a first peer and the bounded initial catch-up. */
import type { Logger } from './logger.ts'
import type { P2pHost } from './p2p/index.ts'
import type { BlockSync } from './sync/block-sync.ts'

/** How long a starting validator waits for its first peer before its initial catch-up. */
export const PEER_WAIT_MS = 3_000

/** How long a starting validator catches up before it starts consensus regardless. */
export const CATCH_UP_DEADLINE_MS = 30_000

/** Resolves once any of `peers` is connected, or after `timeoutMs` (at once when there are none). */
export async function whenAnyPeer(p2p: P2pHost, peers: readonly string[], timeoutMs: number): Promise<void> {
  if (peers.length === 0) return
  const signal = AbortSignal.timeout(timeoutMs)
  await Promise.any(peers.map((peer) => p2p.whenConnected(peer, signal))).catch(() => {})
}

/**
 * One catch-up round, abandoned after `deadlineMs`: the signal ends the round inside the sync, so a
 * peer that drips blocks cannot hold the start-up (the RPC already answers, reporting `syncing`).
 */
export async function catchUpWithin(sync: BlockSync, deadlineMs: number, log: Logger): Promise<void> {
  const signal = AbortSignal.timeout(deadlineMs)
  await sync.catchUp(0, { signal }).catch(() => 0)
  if (signal.aborted) log.warn({ deadlineMs }, 'initial catch-up cut short: starting consensus')
}

/** The protocol's short name for metric labels (`/arcade/consensus/1.0.0` → `consensus`). */
export function shortName(protocol: string): string {
  return protocol.split('/')[2] ?? protocol
}
