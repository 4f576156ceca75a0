/**
 * The node's links between p2p, the chain and the consensus driver: which peers may speak consensus
 * (the validators of the heights the driver can act on), how a frame reaches the driver (with the peer
 * that delivered it; a compact proposal by way of compact-proposals.ts), and what the driver reports
 * (logs and metrics).
 */
import type { ConsensusDriver } from '../consensus/driver.ts'
import type { ConsensusObserver } from '../consensus/ports.ts'
import type { Bytes } from '../protocol/bytes.ts'
import { toHex } from '../protocol/bytes.ts'
import { type ConsensusFrame, decodeConsensusFrame } from '../protocol/compact-proposal.ts'
import { type ConsensusMessage, heightOf, viewOf } from '../protocol/consensus-message.ts'
import type { Chain } from './chain.ts'
import type { CompactProposals } from './compact-proposals.ts'
import type { Logger } from './logger.ts'
import type { NodeMetrics } from './metrics.ts'
import type { ConsensusHandler } from './p2p/index.ts'

/** How a frame reaches the driver: with the delivering peer; a promise holds that peer's stream. */
export type ReceiveFrom = (message: ConsensusMessage, from: string) => void | Promise<void>

export function receiveFrom(driver: ConsensusDriver): ReceiveFrom {
  return (message, from) => driver.receive(message, from)
}

export interface ConsensusFrameDeps {
  readonly chainId: string
  /** The driver's receive once consensus has started; null before (frames are dropped). */
  readonly receive: () => ReceiveFrom | null
  /** Where a compact proposal goes to be rebuilt before the driver sees it. */
  readonly compact: Pick<CompactProposals, 'receive'>
  readonly metrics: NodeMetrics
  readonly log: Pick<Logger, 'debug'>
}

/**
 * Each inbound consensus frame (p2p `onConsensus`): decoded with its stateless checks, then to the
 * driver, or, for a compact proposal, to be completed first. A returned promise holds the sender's
 * stream (the driver's back-pressure); a fetch never does.
 */
export function consensusFrameHandler(deps: ConsensusFrameDeps): ConsensusHandler {
  return (from, bytes) => {
    const receive = deps.receive()
    if (receive === null) return
    let frame: ConsensusFrame
    try {
      frame = decodeConsensusFrame(bytes, deps.chainId)
    } catch (err) {
      deps.metrics.p2p.refused.inc({ protocol: 'consensus', reason: 'malformed' })
      deps.log.debug({ peer: from.slice(0, 16), err: String(err) }, 'dropped a malformed consensus message')
      return
    }
    deps.metrics.p2p.messagesIn.inc({ protocol: 'consensus' })
    if (frame.type === 'compact-proposal') return deps.compact.receive(frame, from)
    return receive(frame, from)
  }
}

/**
 * Node keys that may send us consensus messages: the validators of the height consensus is deciding
 * (head + 1) and, when the chain already knows it, of the next one (head + 2). The machine checks each
 * message against these sets; a frame from anyone else is refused by p2p before it is decoded.
 */
export function consensusPeerKeys(chain: Chain): Bytes[] {
  const keys = new Map<string, Bytes>()
  for (const height of [chain.height + 1, chain.height + 2]) {
    let validators: readonly { readonly publicKey: Bytes }[]
    try {
      validators = chain.validatorSetFor(height).validators
    } catch {
      continue // not known yet (the next set is known once the current height commits)
    }
    for (const v of validators) keys.set(toHex(v.publicKey), v.publicKey)
  }
  return [...keys.values()]
}

/**
 * Whether `key` is in the validator set of the height consensus decides next (head + 1). Outside it, a
 * validator hears no consensus and follows the chain by sync instead (node.ts).
 */
export function inNextSet(chain: Chain, key: Bytes): boolean {
  try {
    return chain.validatorSetFor(chain.height + 1).byKey.has(toHex(key))
  } catch {
    return false // not known (cannot happen for head + 1 of an open chain)
  }
}

/** The fields of the 'signed' debug line (an end-to-end test tails it to kill a validator right after). */
export function signedFields(message: ConsensusMessage): Record<string, unknown> {
  if (message.type === 'vote') {
    const { kind, height, view } = message.vote
    return { type: message.type, kind, height, view }
  }
  return { type: message.type, height: heightOf(message), view: viewOf(message) }
}

export function consensusObserver(log: Logger, metrics: NodeMetrics): ConsensusObserver {
  return {
    onViewChange: (height, view) => {
      metrics.consensus.viewChanges.inc()
      metrics.consensus.view.set(view)
      log.info({ height, view }, 'view change')
    },
    onEvidence: (evidence) =>
      log.warn(
        { validator: toHex(evidence.a.validator), height: evidence.a.height },
        'equivocation evidence',
      ),
    onWarning: (event, data) => log.warn(data, event),
    onCommit: () => metrics.consensus.view.set(0),
    onSigned: (message) => {
      if (message.type === 'vote') metrics.consensus.votesSent.inc({ kind: message.vote.kind })
      log.debug(signedFields(message), 'signed')
    },
  }
}
