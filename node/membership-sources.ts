/**
 * Adapters from what the chain and the state query return to the plain data membership.ts derives
 * from. They are the only code that knows the record shapes, so a change of a query's return type
 * (observers as records, associations carrying `p2p`) is a change here and nowhere else.
 */
import type { Genesis } from '../genesis/document.ts'
import type { Bytes } from '../protocol/bytes.ts'
import { createLedgerQuery } from '../state/index.ts'
import type { Chain } from './chain.ts'
import type { AddressHint, MembershipSources } from './membership.ts'
import type { PeerAddress } from './p2p/index.ts'

/** Observers as the query returns them: node keys today, `{ nodeKey, name }` records once governed. */
export function observerNodeKeys(observers: readonly (Bytes | { readonly nodeKey: Bytes })[]): Bytes[] {
  return observers.map((o) => (o instanceof Uint8Array ? o : o.nodeKey))
}

/** Associations' p2p addresses as recorded on chain (`p2p` where the record has one). */
export function chainAddressHints(
  associations: readonly { readonly nodeKey: Bytes; readonly p2p?: string | null }[],
): AddressHint[] {
  return associations.map((a) => ({ nodeKey: a.nodeKey, p2p: a.p2p ?? null }))
}

function setKeys(chain: Chain, height: number): Bytes[] {
  try {
    return chain.validatorSetFor(height).validators.map((v) => v.publicKey)
  } catch {
    return [] // not known (the head's set at genesis)
  }
}

/** Reads every source from the chain at its head; genesis gives only address hints. */
export function membershipSourcesOf(
  chain: Chain,
  genesis: Genesis,
  configPeers: readonly PeerAddress[],
): MembershipSources {
  const query = createLedgerQuery(chain.state)
  const genesisHints: AddressHint[] = [...genesis.validators, ...genesis.observers]
  return {
    validatorSets: [
      setKeys(chain, chain.height),
      setKeys(chain, chain.height + 1),
      query.nextEpochValidators().validators.map((v) => v.nodeKey),
    ],
    observers: observerNodeKeys(query.observers()),
    configPeers,
    addressHints: [
      chainAddressHints(query.associations()),
      configPeers.map((p) => ({ nodeKey: p.nodeKey, p2p: `${hostPortText(p)}` })),
      genesisHints,
    ],
  }
}

function hostPortText(p: PeerAddress): string {
  return p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`
}
