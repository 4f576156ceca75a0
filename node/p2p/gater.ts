/**
 * The allow-list connection gater. Only node keys on the list (current validators and registered
 * observers) may connect: a stranger is refused right after the Noise handshake proves its key
 * (`deny*EncryptedConnection`), again after muxing as a second check, and we never dial it. The list is
 * replaced at runtime when the validator set changes; the host then hangs up on peers no longer on it.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Bytes } from '../../protocol/bytes.ts'
import { nodeKeyHexFromPeerId, peerKeyOf } from './peer-id.ts'

export class AllowList {
  #allowed: ReadonlySet<string> = new Set()
  readonly #self: string

  /** `self` is this node's key: never on the list (we do not dial ourselves). */
  constructor(self: Bytes, keys: readonly Bytes[] = []) {
    this.#self = peerKeyOf(self)
    this.set(keys)
  }

  /** Replaces the list; returns the domain ids that were allowed before and are not any more. */
  set(keys: readonly Bytes[]): string[] {
    const next = new Set<string>()
    for (const key of keys) {
      const hex = peerKeyOf(key)
      if (hex !== this.#self) next.add(hex)
    }
    const removed = [...this.#allowed].filter((p) => !next.has(p))
    this.#allowed = next
    return removed
  }

  has(peer: string): boolean {
    return this.#allowed.has(peer)
  }

  hasPeerId(peerId: PeerId): boolean {
    const hex = nodeKeyHexFromPeerId(peerId)
    return hex !== null && this.#allowed.has(hex)
  }

  list(): string[] {
    return [...this.#allowed]
  }
}

/** A libp2p gater backed by the allow-list: every hook returns true ("deny") for a peer not on it. */
export function allowListGater(list: AllowList): ConnectionGater {
  const deny = (peerId: PeerId): boolean => !list.hasPeerId(peerId)
  return {
    denyDialPeer: deny,
    denyOutboundConnection: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
    denyInboundUpgradedConnection: deny,
    denyOutboundUpgradedConnection: deny,
    denyInboundRelayReservation: () => true,
    denyOutboundRelayedConnection: () => true,
    denyInboundRelayedConnection: () => true,
    filterMultiaddrForPeer: (peerId: PeerId) => list.hasPeerId(peerId),
  }
}
