/**
 * Who the node talks to, from genesis and the chain: the allow-list (every genesis validator and
 * observer, and the current validator set), the consensus peers (see `consensusPeerKeys`), and the p2p
 * limits that depend on genesis (the consensus frame cap and the size of the connection table).
 * `refresh` follows the validator set after each commit.
 */
import type { Genesis } from '../genesis/document.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import type { Chain } from './chain.ts'
import { consensusPeerKeys } from './consensus-link.ts'
import {
  consensusMessageBounds,
  DEFAULT_P2P_LIMITS,
  maxConnectionsFor,
  type P2pHost,
  type P2pLimits,
} from './p2p/index.ts'

/** Limits derived from genesis (see node/p2p/limits.ts for how each bound is computed). */
export function p2pLimitsFor(genesis: Genesis): Partial<P2pLimits> {
  // Elections cap a set at ledger.maxValidators; genesis may list more, so take the larger.
  const maxValidators = Math.max(genesis.params.ledger.maxValidators, genesis.validators.length)
  const bounds = consensusMessageBounds({
    maxBlockBytes: genesis.params.consensus.maxBlockBytes,
    maxValidators,
  })
  return {
    maxConsensusMessageBytes: bounds.frame,
    maxConnections: maxConnectionsFor(
      maxValidators + genesis.validators.length + genesis.observers.length,
      DEFAULT_P2P_LIMITS.maxConnectionsPerPeer,
    ),
  }
}

function keysId(keys: readonly Bytes[]): string {
  return keys.map(toHex).sort().join()
}

export class NodePeers {
  readonly #genesis: Genesis
  readonly #chain: Chain
  readonly #self: string
  #allowed: Bytes[]
  #consensus: Bytes[]

  constructor(genesis: Genesis, chain: Chain, self: Bytes) {
    this.#genesis = genesis
    this.#chain = chain
    this.#self = toHex(self)
    this.#allowed = this.#computeAllowed()
    this.#consensus = consensusPeerKeys(chain)
  }

  get allowed(): readonly Bytes[] {
    return this.#allowed
  }

  get consensus(): readonly Bytes[] {
    return this.#consensus
  }

  /** After a commit: tells p2p about a changed allow-list or consensus set (cheap when unchanged). */
  refresh(p2p: Pick<P2pHost, 'setAllowedPeers' | 'setConsensusPeers'>): void {
    const consensus = consensusPeerKeys(this.#chain)
    if (keysId(consensus) !== keysId(this.#consensus)) {
      this.#consensus = consensus
      p2p.setConsensusPeers(consensus)
    }
    const allowed = this.#computeAllowed()
    if (keysId(allowed) !== keysId(this.#allowed)) {
      this.#allowed = allowed
      p2p.setAllowedPeers(allowed)
    }
  }

  #computeAllowed(): Bytes[] {
    const keys = new Map<string, Bytes>()
    for (const v of this.#genesis.validators) keys.set(toHex(v.nodeKey), v.nodeKey)
    for (const o of this.#genesis.observers) keys.set(toHex(o.nodeKey), o.nodeKey)
    for (const v of this.#chain.validatorSetFor(this.#chain.height + 1).validators)
      keys.set(toHex(v.publicKey), v.publicKey)
    keys.delete(this.#self)
    return [...keys.values()]
  }
}
