/**
 * Who the node talks to, following the chain: the allow-list and dial targets (membership.ts), the
 * consensus peers (see `consensusPeerKeys`), and the p2p limits that depend on genesis (the consensus
 * frame cap and the size of the connection table). `refresh` runs after each commit.
 */
import type { Genesis } from '../genesis/document.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { Limits } from '../protocol/limits.ts'
import { keysId, type Membership, type MembershipSources, membershipOf, targetsId } from './membership.ts'
import {
  consensusMessageBounds,
  DEFAULT_P2P_LIMITS,
  maxConnectionsFor,
  type P2pHost,
  type P2pLimits,
  type PeerAddress,
} from './p2p/index.ts'

/** Connection-table room for observers admitted by governance after genesis. */
const OBSERVER_HEADROOM = 32

/**
 * Limits derived from genesis (see node/p2p/limits.ts for how each bound is computed). The frame cap
 * is sized for the largest block governance may allow (Limits.maxBlockBytes), not genesis's
 * maxBlockBytes: a raise takes effect at an epoch boundary on every node at once, and a frame cap
 * fixed at start-up would make this node drop the first larger proposal.
 */
export function p2pLimitsFor(genesis: Genesis): Partial<P2pLimits> {
  // Elections cap a set at ledger.maxValidators; genesis may list more, so take the larger.
  const maxValidators = Math.max(genesis.params.ledger.maxValidators, genesis.validators.length)
  const bounds = consensusMessageBounds({ maxBlockBytes: Limits.maxBlockBytes, maxValidators })
  return {
    maxConsensusMessageBytes: bounds.frame,
    maxConnections: maxConnectionsFor(
      // The head's, the next and the projected set, and observers admitted after launch (headroom).
      2 * maxValidators + genesis.validators.length + genesis.observers.length + OBSERVER_HEADROOM,
      DEFAULT_P2P_LIMITS.maxConnectionsPerPeer,
    ),
  }
}

/** The p2p calls membership changes make. */
export type PeerTable = Pick<P2pHost, 'setAllowedPeers' | 'setConsensusPeers' | 'connectTo'>

export interface MembershipChange {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly allowed: number
  readonly dialTargets: number
}

export interface NodePeersDeps {
  /** The chain data at the head (node/membership-sources.ts in the node, plain data in tests). */
  readonly sources: () => MembershipSources
  /** The consensus peers at the head (`consensusPeerKeys` in the node). */
  readonly consensusKeys: () => Bytes[]
  /** The allow-list changed (the node logs it at info level and sets gauges). */
  readonly onChange?: (change: MembershipChange) => void
}

export class NodePeers {
  readonly #self: Bytes
  readonly #deps: NodePeersDeps
  #membership: Membership
  #consensus: Bytes[]

  constructor(self: Bytes, deps: NodePeersDeps) {
    this.#self = self
    this.#deps = deps
    this.#membership = membershipOf(deps.sources(), self)
    this.#consensus = deps.consensusKeys()
  }

  get allowed(): readonly Bytes[] {
    return this.#membership.allowed
  }

  get consensus(): readonly Bytes[] {
    return this.#consensus
  }

  get dialTargets(): readonly PeerAddress[] {
    return this.#membership.dialTargets
  }

  /**
   * After a commit: tells p2p about a changed allow-list, consensus set or dial targets, and nothing
   * when none changed (most blocks). Any block may change them: an epoch boundary, a delegation that
   * moves the next epoch's projection, an admission or removal.
   */
  refresh(p2p: PeerTable): void {
    const consensus = this.#deps.consensusKeys()
    if (keysId(consensus) !== keysId(this.#consensus)) {
      this.#consensus = consensus
      p2p.setConsensusPeers(consensus)
    }
    const before = this.#membership
    const next = membershipOf(this.#deps.sources(), this.#self)
    this.#membership = next
    if (keysId(next.allowed) !== keysId(before.allowed)) {
      // Allow first: a new target is dialled only once it is allowed.
      p2p.setAllowedPeers(next.allowed)
      const was = new Set(before.allowed.map(toHex))
      const now = new Set(next.allowed.map(toHex))
      this.#deps.onChange?.({
        added: [...now].filter((k) => !was.has(k)),
        removed: [...was].filter((k) => !now.has(k)),
        allowed: now.size,
        dialTargets: next.dialTargets.length,
      })
    }
    if (targetsId(next.dialTargets) !== targetsId(before.dialTargets)) p2p.connectTo(next.dialTargets)
  }
}
