/**
 * The allow-list connection gater. Only node keys on the list (current validators and registered
 * observers) may connect: a stranger is refused right after the Noise handshake proves its key
 * (`deny*EncryptedConnection`), again after muxing as a second check, and we never dial it. The list is
 * replaced at runtime when the validator set changes; the host then hangs up on peers no longer on it.
 * A peer on the list is refused too while it is banned (it abused its budgets), and beyond
 * `maxConnectionsPerPeer` open connections (so one peer cannot fill the connection table).
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Bytes } from '../../protocol/bytes.ts'
import { nodeKeyHexFromPeerId, peerKeyOf } from './peer-id.ts'

export class AllowList {
  #allowed: ReadonlySet<string> = new Set()
  readonly #self: string
  /** Banned peers and when (monotonic ms) their ban ends. */
  readonly #bans = new Map<string, number>()

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
    for (const peer of removed) this.#bans.delete(peer)
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

  /** Refuses `peer` both ways until `untilMs`. False when it was banned already. */
  ban(peer: string, untilMs: number, nowMs: number): boolean {
    const wasBanned = this.isBanned(peer, nowMs)
    this.#bans.set(peer, untilMs)
    return !wasBanned
  }

  isBanned(peer: string, nowMs: number): boolean {
    const until = this.#bans.get(peer)
    if (until === undefined) return false
    if (until > nowMs) return true
    this.#bans.delete(peer)
    return false
  }
}

export interface GaterDeps {
  /** Monotonic ms, for bans. */
  readonly nowMs: () => number
  /** Open connections to this peer right now. */
  readonly connectionCount: (peerId: PeerId) => number
  readonly maxConnectionsPerPeer: number
}

/** A libp2p gater backed by the allow-list: every hook returns true ("deny") for a peer not admitted. */
export function allowListGater(list: AllowList, deps: GaterDeps): ConnectionGater {
  const deny = (peerId: PeerId): boolean => {
    const hex = nodeKeyHexFromPeerId(peerId)
    return hex === null || !list.has(hex) || list.isBanned(hex, deps.nowMs())
  }
  const denyInbound = (peerId: PeerId): boolean =>
    deny(peerId) || deps.connectionCount(peerId) >= deps.maxConnectionsPerPeer
  return {
    denyDialPeer: deny,
    denyOutboundConnection: deny,
    denyInboundEncryptedConnection: denyInbound,
    denyOutboundEncryptedConnection: deny,
    denyInboundUpgradedConnection: denyInbound,
    denyOutboundUpgradedConnection: deny,
    denyInboundRelayReservation: () => true,
    denyOutboundRelayedConnection: () => true,
    denyInboundRelayedConnection: () => true,
    filterMultiaddrForPeer: (peerId: PeerId) => !deny(peerId),
  }
}
