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
 * One catch-up round, abandoned after `deadlineMs`. `catchUp(target?, signal?)` as agreed with the sync
 * branch: the signal aborts the round there. On main `catchUp` takes no signal, so the deadline is also
 * raced here: at merge, call `sync.catchUp(0, signal)` directly and drop the race.
 */
export async function catchUpWithin(sync: BlockSync, deadlineMs: number, log: Logger): Promise<void> {
  const catchUp = sync.catchUp as (target?: number, signal?: AbortSignal) => Promise<number>
  const signal = AbortSignal.timeout(deadlineMs)
  const deadline = new Promise<'deadline'>((resolve) =>
    signal.addEventListener('abort', () => resolve('deadline'), { once: true }),
  )
  const outcome = await Promise.race([catchUp.call(sync, 0, signal).catch(() => 0), deadline])
  if (outcome === 'deadline') log.warn({ deadlineMs }, 'initial catch-up cut short: starting consensus')
}

/** The protocol's short name for metric labels (`/arcade/consensus/1.0.0` → `consensus`). */
export function shortName(protocol: string): string {
  return protocol.split('/')[2] ?? protocol
}
