/** What each protocol file receives from the host: a narrow view of libp2p, in domain peer ids. */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { P2pError, P2pErrorCode } from './errors.ts'
import type { P2pLimits } from './limits.ts'
import type { P2pLogger } from './logger.ts'

export interface ProtocolContext {
  readonly libp2p: Libp2p
  readonly limits: P2pLimits
  readonly log: P2pLogger
  /** The domain id (hex node key) of a remote on the allow-list, else null. */
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

export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error)
    return { err: err.message, errName: err.name, code: (err as { code?: unknown }).code }
  return { err: String(err) }
}
