/**
 * The catalogue of tx bodies: one schema per kind. The schema is the single source of the body's
 * TypeScript type, its canonical tuple and its stateless validation. What each kind *does* lives in
 * state/, one file per family. Adding a kind: add it here (never reuse or renumber a name), give it an
 * executor in state/, a builder in client/ and a golden vector in test/vectors/.
 */

import type { WireValue } from './codec.ts'
import { invalidField, ProtocolError, ProtocolErrorCode } from './errors.ts'
import { isRpcUrl, parseP2pAddress } from './net-address.ts'
import {
  address,
  appended,
  bool,
  checkedString,
  type Field,
  fromTuple,
  hash,
  type Infer,
  list,
  oneOf,
  optional,
  signature,
  string,
  struct,
  toTuple,
  uint,
  union,
} from './schema.ts'

/** A point's id is its symbol: upper-case letters and digits, starting with a letter. */
export const pointId = string(2, 12, /^[A-Z][A-Z0-9]{1,11}$/)
const label = string(0, 64)
const name = string(1, 64)
const reference = string(1, 64)

/** An association's (or observer's) p2p address: `host:port` or a TCP multiaddr. */
export const p2pAddress = checkedString(
  256,
  (t) => parseP2pAddress(t) !== null,
  'host:port or a TCP multiaddr',
)
/** An association's public RPC base URL. */
export const rpcUrl = checkedString(256, isRpcUrl, 'an http(s) URL without credentials, query or fragment')

export const ROLES = ['admin', 'issuer'] as const

/**
 * The parameters governance may change, each effective at the next epoch boundary (state/params.ts
 * holds their bounds): the ledger's, consensus's (block limits and timeouts, which the node reads from
 * the state at every height), and epochLength (a new length counts from the boundary that applies it,
 * with epoch numbers running on, so unbonding and jail releases stored as epoch numbers keep their
 * meaning).
 */
export const GOVERNABLE_PARAMS = [
  'maxValidators',
  'minValidatorStake',
  'unbondingEpochs',
  'maxTxValidityBlocks',
  'maxTerminalsPerMerchant',
  'maxDevicesPerOwner',
  'maxDelegationsPerMember',
  'jailEpochs',
  'epochLength',
  'maxBlockBytes',
  'maxBlockTxs',
  'viewTimeoutBaseMs',
  'viewTimeoutIncrementMs',
  'viewTimeoutCapMs',
  'emptyBlockIntervalMs',
] as const

/** Most blocks a proposal may stay open for. */
export const MAX_VOTING_PERIOD_BLOCKS = 100_000

/**
 * The governed actions: each is a tx kind of its own (an admin may sign it while the bootstrap admin
 * exists) and the action a `gov.propose` carries (executed with governance authority when it passes).
 */
export const GOVERNED_SCHEMAS = {
  'role.grant': struct({ account: address, role: oneOf(ROLES) }),
  'role.revoke': struct({ account: address, role: oneOf(ROLES) }),
  'staking.registerAssociation': struct({
    association: address,
    name,
    nodeKey: address,
    p2p: optional(p2pAddress),
    rpc: optional(rpcUrl),
  }),
  'association.update': struct({
    association: address,
    name,
    nodeKey: address,
    p2p: optional(p2pAddress),
    rpc: optional(rpcUrl),
  }),
  'association.retire': struct({ association: address }),
  'observer.admit': struct({ nodeKey: address, name }),
  'observer.remove': struct({ nodeKey: address }),
  'params.set': struct({
    changes: list(struct({ param: oneOf(GOVERNABLE_PARAMS), value: uint }), GOVERNABLE_PARAMS.length),
  }),
} as const satisfies Record<string, Field>
export type GovernedKind = keyof typeof GOVERNED_SCHEMAS
export const GOVERNED_KINDS = Object.keys(GOVERNED_SCHEMAS) as GovernedKind[]
/** A proposal's action: a governed body, nested as `[kind, ...fields]`. */
export const governedAction = union(GOVERNED_SCHEMAS)
export const TRAFFIC_KINDS = ['visit', 'view', 'click', 'purchase'] as const

/** What each traffic kind earns: flat points per kind, plus per mille of a purchase's amount. */
export const trafficRates = struct({
  visit: uint,
  view: uint,
  click: uint,
  purchase: uint,
  purchasePerMille: uint,
})

/**
 * A customer's confirmation of one traffic event (protocol/traffic-attestation.ts): its pseudonym key
 * signs the event, the shop and a window of time [notBeforeMs, notAfterMs] the event's block must
 * fall in (at most MAX_ATTESTATION_WINDOW_MS long).
 */
export const trafficAttestation = struct({ notBeforeMs: uint, notAfterMs: uint, signature })

/** Most events a single traffic.record tx may carry. */
export const MAX_TRAFFIC_EVENTS = 500

/**
 * A point's expiry policy for the points it awards (state/expiry-policy.ts holds the rules): none
 * (both 0), `afterDays` days after each award, or a fixed instant `atMs` (ms since the epoch), at
 * most one of the two. Expiry instants are rounded up to 00:00 JST, never down.
 */
export const expiryPolicy = struct({ afterDays: uint, atMs: uint })

/** What a campaign pays a bonus on: an award (merchant.award) or a rewarded traffic kind. */
export const CAMPAIGN_TRIGGERS = ['award', ...TRAFFIC_KINDS] as const
export type CampaignTrigger = (typeof CAMPAIGN_TRIGGERS)[number]
/** A campaign's id: unique per point forever (lower-case letters, digits and dashes). */
export const campaignId = string(1, 32, /^[a-z0-9][a-z0-9-]{0,31}$/)
/** Most merchants a campaign may be limited to. */
export const MAX_CAMPAIGN_MERCHANTS = 16

/** Most vouchers a single purse.settle tx may carry (each costs the ledger one signature check). */
export const MAX_VOUCHERS_PER_SETTLE = 64

/**
 * A payment voucher of an offline purse (state/purses.ts, protocol/purse.ts): the purse key signs
 * `purseVoucherSignBytes(chainId, point, purse, payee, counter, amount, cumulative)`. `counter` numbers
 * the purse's vouchers from 1; `cumulative` is the running total the purse has signed for, this
 * voucher included, so an honest purse's vouchers have distinct counters and sum to its last
 * `cumulative`, which never passes the locked amount.
 */
export const voucher = struct({
  point: pointId,
  /** The purse: its key, which signs. */
  purse: address,
  /** The merchant or terminal paid. */
  payee: address,
  counter: uint,
  amount: uint,
  cumulative: uint,
  signature,
})

export const TX_BODY_SCHEMAS = {
  // --- roles (granted in genesis, by an admin or by governance) ---
  'role.grant': GOVERNED_SCHEMAS['role.grant'],
  'role.revoke': GOVERNED_SCHEMAS['role.revoke'],

  // --- points: ERC-20 parity ---
  /** `expiry` (appended; left out = no expiry) is the policy for the point's awards. */
  'point.create': struct({
    point: pointId,
    name,
    decimals: uint,
    transferable: bool,
    expiry: appended(expiryPolicy),
  }),
  'point.transfer': struct({ point: pointId, to: address, amount: uint }),
  'point.approve': struct({ point: pointId, spender: address, amount: uint }),
  'point.transferFrom': struct({ point: pointId, from: address, to: address, amount: uint }),

  // --- merchants (Region Token model) ---
  'merchant.apply': struct({ point: pointId, name }),
  'merchant.admit': struct({ point: pointId, merchant: address, creditLimit: uint }),
  'merchant.setLimit': struct({ point: pointId, merchant: address, creditLimit: uint }),
  'merchant.suspend': struct({ point: pointId, merchant: address }),
  'merchant.reinstate': struct({ point: pointId, merchant: address }),
  'merchant.revoke': struct({ point: pointId, merchant: address }),
  'merchant.addTerminal': struct({ point: pointId, terminal: address }),
  'merchant.removeTerminal': struct({ point: pointId, terminal: address }),
  /** Terminal (or the merchant itself) gives points to a customer: float first, then credit. */
  'merchant.award': struct({ point: pointId, customer: address, amount: uint, memo: label }),
  /** Customer pays a merchant, named by the merchant's or one of its terminals' address. */
  'merchant.pay': struct({ point: pointId, payee: address, amount: uint, memo: label }),
  /** The manager records a merchant's fiat payment: clears liability first, surplus prefunds the float. */
  'merchant.repay': struct({ point: pointId, merchant: address, amount: uint, fiatRef: reference }),
  /** The merchant burns float; the manager pays fiat off the ledger. */
  'merchant.redeem': struct({ point: pointId, amount: uint, fiatRef: label }),

  // --- traffic ---
  /**
   * What each traffic kind earns, confirmed by the customer (its pseudonym key signed the event) and
   * not (the shop's word alone), and the most points one customer earns from traffic per day across
   * every shop of the point (0 = no traffic rewards).
   */
  'traffic.setRules': struct({
    point: pointId,
    confirmed: trafficRates,
    unconfirmed: trafficRates,
    dailyCapPerCustomer: uint,
  }),
  'traffic.record': struct({
    point: pointId,
    events: list(
      struct({
        eventId: string(1, 64),
        kind: oneOf(TRAFFIC_KINDS),
        /**
         * The customer's pseudonym in this point (a key its wallet derives: client/pseudonym.ts), to
         * which earned points accrue until it claims them; null records the event only.
         */
        pseudonym: optional(address),
        amount: uint,
        /** The customer's confirmation: its pseudonym key signed this event at this shop. */
        attestation: optional(trafficAttestation),
      }),
      MAX_TRAFFIC_EVENTS,
    ),
  }),
  /**
   * Signed by a pseudonym key: moves `amount` of the points its traffic earned into `account`, the
   * one link between the pseudonym and an account that the ledger ever sees (the customer's choice).
   */
  'traffic.claim': struct({ point: pointId, account: address, amount: uint }),
  /** Merkle root of an off-ledger batch of events, instead of every event on the ledger. */
  'traffic.anchor': struct({
    point: pointId,
    root: hash,
    count: uint,
    periodStartMs: uint,
    periodEndMs: uint,
  }),

  // --- devices (M2M) ---
  'device.bind': struct({
    device: address,
    point: pointId,
    maxPerTx: uint,
    maxPerPeriod: uint,
    periodMs: uint,
    /** Merchants the device may pay; empty means any admitted merchant of the point. */
    merchants: list(address, 32),
    /** The device's signature over `devicePossessionSignBytes(chainId, owner, device)`. */
    possessionProof: signature,
  }),
  'device.pay': struct({ owner: address, point: pointId, payee: address, amount: uint, memo: label }),
  'device.revoke': struct({ device: address }),

  // --- sponsorship: nobody needs a coin; the manager's quota pays ---
  'sponsor.grant': struct({
    point: pointId,
    /** The account granted a quota; null grants it to every user of the point. */
    grantee: optional(address),
    txsPerPeriod: uint,
    periodMs: uint,
    /** Height after which the grant lapses; 0 = never. */
    expiresAtHeight: uint,
    /** Tx kinds the grant pays for; empty = every kind. */
    kinds: list(string(1, 40), 40),
  }),
  'sponsor.revoke': struct({ point: pointId, grantee: optional(address) }),

  // --- staking: the DS in DS-PBFT ---
  'staking.registerAssociation': GOVERNED_SCHEMAS['staking.registerAssociation'],
  'staking.delegate': struct({ association: address, amount: uint }),
  'staking.undelegate': struct({ association: address, amount: uint }),
  /** Signed by a jailed association's account once its jail period is over. */
  'staking.unjail': struct({}),

  // --- associations and observers (admin or governance; an association moves its own server) ---
  'association.update': GOVERNED_SCHEMAS['association.update'],
  'association.retire': GOVERNED_SCHEMAS['association.retire'],
  /** Signed by the association's own account: its new p2p address and RPC URL. */
  'association.setAddresses': struct({ p2p: optional(p2pAddress), rpc: optional(rpcUrl) }),
  'observer.admit': GOVERNED_SCHEMAS['observer.admit'],
  'observer.remove': GOVERNED_SCHEMAS['observer.remove'],
  'params.set': GOVERNED_SCHEMAS['params.set'],

  // --- governance: proposals and stake-weighted votes ---
  /** Signed by the account of an association in the current validator set. */
  'gov.propose': struct({ action: governedAction, deadline: uint }),
  'gov.vote': struct({ proposal: uint, yes: bool }),

  // --- point expiry (issue 15): the manager's policy for future awards ---
  /** The manager sets the expiry policy of the point's FUTURE awards; lots already held keep theirs. */
  'point.setExpiry': struct({ point: pointId, afterDays: uint, atMs: uint }),

  // --- purses: offline payment for phones and devices (state/purses.ts) ---
  /** The owner locks `amount` into a purse bound to the purse key, spendable offline until `expiresAtMs`. */
  'purse.open': struct({
    point: pointId,
    /** The purse key (single use: a key opens at most one purse, ever). */
    purse: address,
    amount: uint,
    /** Block time after which terminals stop accepting its vouchers. */
    expiresAtMs: uint,
    /** The purse key's signature over `pursePossessionSignBytes(chainId, owner, purse)`. */
    possessionProof: signature,
  }),
  /** A merchant or its terminal settles vouchers payable to the merchant or any of its terminals. */
  'purse.settle': struct({ point: pointId, vouchers: list(voucher, MAX_VOUCHERS_PER_SETTLE) }),
  /** Anyone: two different vouchers with one counter, both signed by the purse key, freeze the purse. */
  'purse.evidence': struct({ point: pointId, first: voucher, second: voucher }),
  /** Anyone, once the settlement window is over: what is left in the purse returns to its owner. */
  'purse.reclaim': struct({ point: pointId, purse: address }),

  // --- refunds (issue 15, state/refunds.ts) ---
  /** The manager sets how long after a payment or award it may be refunded or cancelled (0 = never). */
  'point.setRefundWindow': struct({ point: pointId, windowMs: uint }),
  /** The merchant paid, or its terminal, gives `amount` of a payment (named by its tx hash) back. */
  'merchant.refund': struct({ point: pointId, payment: hash, amount: uint, memo: label }),
  /** The merchant that awarded, or its terminal, cancels an award made in error (named by its tx hash). */
  'merchant.cancelAward': struct({ point: pointId, award: hash, memo: label }),
  // --- campaigns (issue 15) ---
  /**
   * The manager, or an active merchant for its own shop, runs a campaign (state/campaigns.ts): on each
   * award or rewarded traffic event of a trigger, within [startMs, endMs), at the merchants listed
   * (empty = all; a merchant's own campaign is its shop alone), the customer gets
   * floor(amount × bonusPerMille / 1000) + flatBonus more, out of the budget, until it runs out.
   */
  'campaign.create': struct({
    point: pointId,
    campaign: campaignId,
    triggers: list(oneOf(CAMPAIGN_TRIGGERS), CAMPAIGN_TRIGGERS.length),
    /** Extra points per 1,000 points of the base award (1000 = double points). */
    bonusPerMille: uint,
    /** Extra points per qualifying award or rewarded event. */
    flatBonus: uint,
    startMs: uint,
    endMs: uint,
    merchants: list(address, MAX_CAMPAIGN_MERCHANTS),
    budget: uint,
    /** The manager's note of the fiat it set aside for the budget (a merchant's may be empty). */
    fiatRef: label,
  }),
  /** The campaign's owner tops up an open campaign's budget, funded as at create. */
  'campaign.fund': struct({ point: pointId, campaign: campaignId, amount: uint, fiatRef: label }),
  /** The owner, or the manager (or anyone once it has ended), closes it: the rest goes back. */
  'campaign.close': struct({ point: pointId, campaign: campaignId }),
} as const satisfies Record<string, Field>

export type TxKind = keyof typeof TX_BODY_SCHEMAS
export const TX_KINDS = Object.keys(TX_BODY_SCHEMAS) as TxKind[]

/** A body of one kind: `{ kind: 'point.transfer', point, to, amount }`. */
export type TxBodyOf<K extends TxKind> = { readonly kind: K } & Infer<(typeof TX_BODY_SCHEMAS)[K]>
export type TxBody = { [K in TxKind]: TxBodyOf<K> }[TxKind]

export function isTxKind(value: unknown): value is TxKind {
  return typeof value === 'string' && Object.hasOwn(TX_BODY_SCHEMAS, value)
}

/** The canonical tuple of a body: `[kind, ...fields in schema order]`. */
export function txBodyToTuple(body: TxBody): WireValue {
  const schema = TX_BODY_SCHEMAS[body.kind] as Field
  return [body.kind, ...(toTuple(schema, body) as WireValue[])]
}

/** Stateless validation of a decoded body tuple; the error names the field (`body.amount`). */
export function txBodyFromTuple(raw: unknown): TxBody {
  if (!Array.isArray(raw) || raw.length === 0) throw invalidField('body', 'must be a tuple [kind, ...fields]')
  const [kind, ...fields] = raw
  if (!isTxKind(kind)) {
    // Never String() a decoded value: a msgpack map {toString: 1} would make that throw a TypeError.
    const shown = typeof kind === 'string' ? kind.slice(0, 64) : `(${typeof kind})`
    throw new ProtocolError(
      ProtocolErrorCode.unknownKind,
      `body.kind: unknown tx kind ${JSON.stringify(shown)}`,
      {
        field: 'body.kind',
        kind: shown,
      },
    )
  }
  const value = fromTuple(TX_BODY_SCHEMAS[kind] as Field, fields, 'body') as Record<string, unknown>
  return { kind, ...value } as TxBody
}
