/**
 * `/arcade/consensus/1.0.0`: opaque consensus messages (the node encodes them with protocol/codec.ts),
 * one frame each, on one long-lived stream per peer, so per-peer order is the send order.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import type { ProtocolContext } from './context.ts'
import { FramedProtocol } from './framed-protocol.ts'
import { Protocols } from './limits.ts'

export type ConsensusHandler = (from: string, bytes: Bytes) => void | Promise<void>

export function createConsensusProtocol(ctx: ProtocolContext, onMessage: ConsensusHandler): FramedProtocol {
  return new FramedProtocol(
    { protocol: Protocols.consensus, maxFrameBytes: ctx.limits.maxConsensusMessageBytes },
    { ctx, onFrame: onMessage },
  )
}
