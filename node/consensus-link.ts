/**
 * The node's links between p2p, the chain and the consensus driver: which peers may speak consensus
 * (the validators of the heights the driver can act on), how a frame reaches the driver (with the peer
 * that delivered it), and what the driver reports (logs and metrics).
 *
 * Two calls here are written against contracts agreed with other branches and adapted in one place
 * each until they land (the lead swaps the adaptation at merge):
 * - `ConsensusDriver.receive(message, from)`, returning `void | Promise<void>` (a promise means that
 *   sender has too much queued: its stream stays paused until it settles): see `receiveFrom`;
 * - `ConsensusObserver.onSigned(message)`, called after a signed message is durable in the WAL and
 *   before it is sent: see `consensusObserver`.
 */
import type { ConsensusDriver } from '../consensus/driver.ts'
import type { ConsensusObserver } from '../consensus/ports.ts'
import type { Bytes } from '../protocol/bytes.ts'
import { toHex } from '../protocol/bytes.ts'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import type { Chain } from './chain.ts'
import type { Logger } from './logger.ts'
import type { NodeMetrics } from './metrics.ts'

/** `receive` as agreed with the consensus branch. */
export type ReceiveFrom = (message: ConsensusMessage, from: string) => void | Promise<void>

/**
 * The driver's `receive`, called with the delivering peer. On main `receive` takes the message only
 * (the extra argument is ignored and nothing is returned); on the consensus branch it is exactly
 * `ReceiveFrom`, and this cast becomes `(m, from) => driver.receive(m, from)`.
 */
export function receiveFrom(driver: ConsensusDriver): ReceiveFrom {
  const receive = driver.receive as ReceiveFrom
  return (message, from) => receive.call(driver, message, from)
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

/** The fields of the 'signed' debug line (an end-to-end test tails it to kill a validator right after). */
export function signedFields(message: ConsensusMessage): Record<string, unknown> {
  if (message.type === 'vote') {
    const { kind, height, view } = message.vote
    return { type: message.type, kind, height, view }
  }
  // Read loosely: the consensus branch may add message types (a commit certificate carries its slot in
  // `certificate`).
  const m = message as {
    type: string
    height?: number
    view?: number
    certificate?: { height: number; view: number }
  }
  return { type: m.type, height: m.height ?? m.certificate?.height, view: m.view ?? m.certificate?.view }
}

/** `ConsensusObserver` with the consensus branch's `onSigned` (an extra member until it lands). */
export type NodeConsensusObserver = ConsensusObserver & { onSigned?(message: ConsensusMessage): void }

export function consensusObserver(log: Logger, metrics: NodeMetrics): NodeConsensusObserver {
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
