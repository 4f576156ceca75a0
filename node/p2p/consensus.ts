/**
 * `/arcade/consensus/1.0.0`: opaque consensus messages (the node encodes them with protocol/codec.ts),
 * one frame each, on one long-lived stream per peer, so per-peer order is the send order. Only the
 * peers `admits` names (the validators) may use it: anyone else's stream is reset when it opens and a
 * frame from a peer that has left the set is dropped, both before anything decodes it. A host without
 * a handler (an observer) does not speak this protocol at all.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import type { ProtocolContext } from './context.ts'
import { FramedProtocol } from './framed-protocol.ts'
import { Protocols } from './limits.ts'

/** `from` is the hex node key of the peer whose connection delivered the frame. */
export type ConsensusHandler = (from: string, bytes: Bytes) => void | Promise<void>

export function createConsensusProtocol(
  ctx: ProtocolContext,
  onMessage: ConsensusHandler,
  admits: (peer: string) => boolean,
): FramedProtocol {
  return new FramedProtocol(
    {
      protocol: Protocols.consensus,
      budget: 'consensus',
      maxFrameBytes: ctx.limits.maxConsensusMessageBytes,
    },
    { ctx, onFrame: onMessage, admits },
  )
}
