/**
 * The genesis hash: SHA-256 over the canonical bytes of the validated document, a fixed-order tuple
 * under the genesis domain tag. JSON key order and whitespace never matter; the values do (including
 * list order). RPC and p2p addresses are hints for reaching nodes, not part of the chain's identity,
 * so they are left out: an operator can move a node without changing the hash.
 */
import type { Bytes } from '../protocol/bytes.ts'
import type { WireValue } from '../protocol/codec.ts'
import { sha256 } from '../protocol/crypto.ts'
import { Domain, taggedBytes } from '../protocol/sign-bytes.ts'
import { CONSENSUS_PARAM_KEYS, type Genesis, LEDGER_PARAM_KEYS } from './document.ts'

export function genesisTuple(g: Genesis): WireValue[] {
  return [
    g.chainId,
    g.genesisTimeMs,
    CONSENSUS_PARAM_KEYS.map((k) => g.params.consensus[k]),
    LEDGER_PARAM_KEYS.map((k) => g.params.ledger[k]),
    g.validators.map((v) => [v.name, v.account, v.nodeKey, v.stake]),
    g.accounts.map((a) => [a.address, [...a.roles], a.stake]),
    g.observers.map((o) => [o.name, o.nodeKey]),
  ]
}

/** The canonical bytes that are hashed. */
export function genesisBytes(g: Genesis): Bytes {
  return taggedBytes(Domain.genesis, genesisTuple(g))
}

export function genesisHash(g: Genesis): Bytes {
  return sha256(genesisBytes(g))
}
