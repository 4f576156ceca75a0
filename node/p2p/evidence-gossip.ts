/**
 * `/arcade/evidence/1.0.0`: double-sign evidence, one opaque item per frame (the node encodes and
 * checks it), on one long-lived stream per peer, among the consensus peers only. Frames are tiny and
 * spend from the sender's consensus budgets; the node's evidence pool bounds what it keeps.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import type { ProtocolContext } from './context.ts'
import { FramedProtocol } from './framed-protocol.ts'
import { Protocols } from './limits.ts'

/** `from` is the hex node key of the peer whose connection delivered the item. */
export type EvidenceHandler = (from: string, bytes: Bytes) => void

export function createEvidenceProtocol(
  ctx: ProtocolContext,
  onEvidence: EvidenceHandler,
  admits: (peer: string) => boolean,
): FramedProtocol {
  return new FramedProtocol(
    { protocol: Protocols.evidence, budget: 'consensus', maxFrameBytes: ctx.limits.maxEvidenceBytes },
    { ctx, onFrame: onEvidence, admits },
  )
}
