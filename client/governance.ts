/**
 * Governance and the association's own txs. `governed` builds each action a proposal can carry (the
 * same bodies an admin may send directly); `governance` turns them into `TxRequest`s that
 * `ArcadeClient.send` signs and submits: propose, vote, unjail, move the node's addresses, undelegate.
 * A proposal passes with yes votes of more than 2/3 of the current validator set's power, and its
 * action executes in the tx of the vote that passes it.
 */
import { GOVERNABLE_PARAMS, type GovernedKind, type ROLES } from '../protocol/tx-body.ts'
import type { TxInput, TxRequest } from './build.ts'
import { invalidInput } from './errors.ts'
import type { AddressLike } from './keys.ts'
import type { Committed } from './types.ts'

export type GovernableParam = (typeof GOVERNABLE_PARAMS)[number]
export type Role = (typeof ROLES)[number]
/** A proposal's action as a caller gives it: `{ kind, ...fields }` of one governed kind. */
export type GovernedInput = TxInput<'gov.propose'>['action']
export type GovernedInputOf<K extends GovernedKind> = Extract<GovernedInput, { readonly kind: K }>

/** Blocks a proposal stays open when no deadline is given (about 17 minutes at one block a second). */
export const DEFAULT_VOTING_BLOCKS = 1_000

interface AssociationInput {
  readonly association: AddressLike
  readonly name: string
  readonly nodeKey: AddressLike
  /** Where its validator node listens for peers: `host:port` or a TCP multiaddr. */
  readonly p2p?: string | null
  /** Its public RPC base URL. */
  readonly rpc?: string | null
}

const association = (a: AssociationInput) => ({
  association: a.association,
  name: a.name,
  nodeKey: a.nodeKey,
  p2p: a.p2p ?? null,
  rpc: a.rpc ?? null,
})

/** The governed actions, one builder per kind. */
export const governed = {
  registerAssociation: (a: AssociationInput): GovernedInputOf<'staking.registerAssociation'> => ({
    kind: 'staking.registerAssociation',
    ...association(a),
  }),
  /** Replaces name, node key and addresses (a validator's node key changes only while out of the set). */
  updateAssociation: (a: AssociationInput): GovernedInputOf<'association.update'> => ({
    kind: 'association.update',
    ...association(a),
  }),
  /** A retired association is never elected again; its delegators can still undelegate. */
  retireAssociation: (a: { association: AddressLike }): GovernedInputOf<'association.retire'> => ({
    kind: 'association.retire',
    association: a.association,
  }),
  admitObserver: (a: { nodeKey: AddressLike; name: string }): GovernedInputOf<'observer.admit'> => ({
    kind: 'observer.admit',
    nodeKey: a.nodeKey,
    name: a.name,
  }),
  removeObserver: (a: { nodeKey: AddressLike }): GovernedInputOf<'observer.remove'> => ({
    kind: 'observer.remove',
    nodeKey: a.nodeKey,
  }),
  grantRole: (a: { account: AddressLike; role: Role }): GovernedInputOf<'role.grant'> => ({
    kind: 'role.grant',
    account: a.account,
    role: a.role,
  }),
  revokeRole: (a: { account: AddressLike; role: Role }): GovernedInputOf<'role.revoke'> => ({
    kind: 'role.revoke',
    account: a.account,
    role: a.role,
  }),
  /** Parameter changes, effective from the block after the epoch's last. */
  setParams: (changes: Readonly<Partial<Record<GovernableParam, number>>>): GovernedInputOf<'params.set'> => {
    const list = Object.entries(changes).filter(([, v]) => v !== undefined)
    if (list.length === 0) throw invalidInput('changes', 'name at least one parameter')
    for (const [param, value] of list) {
      if (!(GOVERNABLE_PARAMS as readonly string[]).includes(param)) {
        throw invalidInput(`changes.${param}`, `governance may set ${GOVERNABLE_PARAMS.join(', ')}`)
      }
      if (!Number.isSafeInteger(value) || (value as number) < 0) {
        throw invalidInput(`changes.${param}`, 'must be a non-negative integer')
      }
    }
    return {
      kind: 'params.set',
      changes: list.map(([param, value]) => ({ param: param as GovernableParam, value: value as number })),
    }
  },
} as const

const req = <K extends TxRequest['kind']>(kind: K, fields: TxInput<K>): TxRequest<K> => ({ kind, fields })

/** The txs of an association's account (proposals and votes need its node in the current set). */
export const governance = {
  /** Proposes `action`, open for votes up to and including height `deadline`. */
  propose: (a: { action: GovernedInput; deadline: number }) => req('gov.propose', a),
  /** One vote per association; a later vote replaces its earlier one. */
  vote: (a: { proposal: number; yes: boolean }) => req('gov.vote', a),
  /** A jailed association frees itself once its jail period is over. */
  unjail: () => req('staking.unjail', {}),
  /** The association moved its server: its p2p address and public RPC URL (null withdraws one). */
  setAddresses: (a: { p2p?: string | null; rpc?: string | null }) =>
    req('association.setAddresses', { p2p: a.p2p ?? null, rpc: a.rpc ?? null }),
  /** A member takes stake back from an association; it is free after the unbonding epochs. */
  undelegate: (a: { association: AddressLike; amount: number }) => req('staking.undelegate', a),
} as const

/** The id of the proposal a committed gov.propose created, or null (not a proposal, or it failed). */
export function proposalIdOf(committed: Committed): number | null {
  const e = committed.receipt.events.find((x) => x.type === 'proposed')
  return typeof e?.proposal === 'number' ? e.proposal : null
}
