/**
 * Who the chain names, as a pure function of chain data: the allow-list (the sets of the head, of
 * head + 1 and of the next epoch's projection, the observers admitted in state, and the operator's
 * config peers) and the dial targets (every allowed validator whose p2p address is known, plus the
 * config peers). Genesis names nobody by itself: a genesis validator never elected, or one that left,
 * drops out as soon as the head moves past the sets it was in.
 *
 * A node that starts far behind still reaches someone to sync from: it allows the set of its own head
 * (the set that certified the blocks it holds, which signs the next ones too until the next boundary)
 * and its config peers, and as it syncs the list moves forward with its head.
 */
import { parseP2pAddress } from '../genesis/net-address.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import type { PeerAddress } from './p2p/index.ts'

/** The chain data membership derives from (node/membership-sources.ts reads it from the chain). */
export interface MembershipSources {
  /** Node keys of the validator sets in force: the head's, head + 1's and the next epoch's. */
  readonly validatorSets: readonly (readonly Bytes[])[]
  /** Node keys of the observers admitted in state. */
  readonly observers: readonly Bytes[]
  /** Node keys the operator configured (`peers`): always allowed and dialled. */
  readonly configPeers: readonly PeerAddress[]
  /**
   * Where a node key listens, best source first: the chain's association records, then the config
   * peers, then genesis hints; text as written.
   */
  readonly addressHints: readonly (readonly AddressHint[])[]
}

export interface AddressHint {
  readonly nodeKey: Bytes
  readonly p2p: string | null
}

export interface Membership {
  readonly allowed: readonly Bytes[]
  readonly dialTargets: readonly PeerAddress[]
}

/**
 * The one place a hint's text becomes a dialable address: the first source naming a parsable address
 * for a key wins (the chain before genesis); a malformed one is skipped, never thrown.
 */
export function addressBook(sources: readonly (readonly AddressHint[])[]): Map<string, PeerAddress> {
  const book = new Map<string, PeerAddress>()
  for (const hints of sources) {
    for (const hint of hints) {
      const hex = toHex(hint.nodeKey)
      if (hint.p2p === null || book.has(hex)) continue
      const parsed = parseP2pAddress(hint.p2p)
      if (parsed !== null) book.set(hex, { nodeKey: hint.nodeKey, host: parsed.host, port: parsed.port })
    }
  }
  return book
}

export function membershipOf(sources: MembershipSources, self: Bytes): Membership {
  const selfHex = toHex(self)
  const allowed = new Map<string, Bytes>()
  const validators = new Map<string, Bytes>()
  for (const set of sources.validatorSets) for (const key of set) validators.set(toHex(key), key)
  for (const [hex, key] of validators) allowed.set(hex, key)
  for (const key of sources.observers) allowed.set(toHex(key), key)
  for (const peer of sources.configPeers) allowed.set(toHex(peer.nodeKey), peer.nodeKey)
  allowed.delete(selfHex)

  // On-chain addresses win, for config peers too: an association that moved says so on chain.
  const book = addressBook(sources.addressHints)
  const targets = new Map<string, PeerAddress>()
  for (const peer of sources.configPeers) {
    const hex = toHex(peer.nodeKey)
    targets.set(hex, book.get(hex) ?? peer)
  }
  for (const hex of validators.keys()) {
    const address = book.get(hex)
    if (address !== undefined) targets.set(hex, address)
  }
  targets.delete(selfHex)
  return { allowed: [...allowed.values()], dialTargets: [...targets.values()] }
}

/** A stable id of a key list (order-free), to tell whether anything changed. */
export function keysId(keys: readonly Bytes[]): string {
  return keys.map(toHex).sort().join()
}

export function targetsId(targets: readonly PeerAddress[]): string {
  return targets
    .map((t) => `${toHex(t.nodeKey)}@${t.host}:${t.port}`)
    .sort()
    .join()
}
