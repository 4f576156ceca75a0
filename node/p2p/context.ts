/** What each protocol file receives from the host: a narrow view of libp2p, in domain peer ids. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { P2pError, P2pErrorCode } from './errors.ts'
import type { P2pLimits } from './limits.ts'
import type { P2pLogger } from './logger.ts'
import type { PeerBudgets } from './peer-budget.ts'

/** Why an inbound frame or stream was refused before anything decoded it. */
export type RefusalReason = 'not-a-validator' | 'oversize' | 'bad-frame' | 'stream-rate'

/** Counters the host reports to the node (metrics); each call is cheap and never throws. */
export interface P2pReports {
  refused(peer: string, protocol: string, reason: RefusalReason): void
  /** A peer's stream is held for `waitMs` because it is over its rate. */
  throttled(peer: string, protocol: string, waitMs: number): void
}

export interface ProtocolContext {
  readonly libp2p: Libp2p
  readonly limits: P2pLimits
  readonly log: P2pLogger
  readonly budgets: PeerBudgets
  readonly report: P2pReports
  /** The domain id (hex node key) of a remote on the allow-list and not banned, else null. */
  peerOf(peerId: PeerId): string | null
  /** An open connection to an allowed peer, or null. */
  connectionTo(peer: string): Connection | null
}

/** Opens a stream on the current connection to `peer`, bounded by `streamOpenTimeoutMs`. */
export async function openStream(
  ctx: ProtocolContext,
  peer: string,
  protocol: string,
  maxOutboundStreams: number,
  signal: AbortSignal,
): Promise<Stream> {
  const connection = ctx.connectionTo(peer)
  if (connection === null) throw new P2pError(P2pErrorCode.notConnected, 'not connected', { peer })
  return connection.newStream(protocol, {
    signal: AbortSignal.any([signal, AbortSignal.timeout(ctx.limits.streamOpenTimeoutMs)]),
    maxOutboundStreams,
  })
}

/**
 * The gate of every inbound stream, before it is read: the remote must be admitted (allowed, not
 * banned), within its stream-open rate, and within `maxConcurrent` inbound streams of this protocol on
 * this connection. libp2p is told a higher per-protocol limit (`maxStreamsPerConnection`) so that every
 * negotiated stream reaches this gate and spends from the peer's budget: a storm of streams libp2p
 * would reset on its own would otherwise never count. Returns the peer, or null after resetting.
 */
export function admitInbound(
  ctx: ProtocolContext,
  stream: Stream,
  connection: Connection,
  protocol: string,
  maxConcurrent: number,
): string | null {
  const peer = ctx.peerOf(connection.remotePeer)
  if (peer === null) {
    stream.abort(new P2pError(P2pErrorCode.notAllowed, 'peer not allowed'))
    return null
  }
  let open = 0
  for (const s of connection.streams) if (s.direction === 'inbound' && s.protocol === protocol) open++
  if (!ctx.budgets.streamOpened(peer) || open > maxConcurrent) {
    if (open > maxConcurrent) ctx.budgets.strike(peer)
    ctx.report.refused(peer, protocol, 'stream-rate')
    stream.abort(new P2pError(P2pErrorCode.notAllowed, 'too many streams'))
    return null
  }
  return peer
}

/**
 * Waits `ms` (a peer over its rate); resolves false instead of rejecting when the signal aborts first.
 * The timer does not keep the process alive.
 */
export function holdFor(ms: number, signal: AbortSignal): Promise<boolean> {
  return sleep(Math.min(ms, MAX_HOLD_MS), true, { signal, ref: false }).catch(() => false)
}

/** No single hold is longer (a bucket in deep debt holds again at the next frame). */
const MAX_HOLD_MS = 60_000

export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error)
    return { err: err.message, errName: err.name, code: (err as { code?: unknown }).code }
  return { err: String(err) }
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
