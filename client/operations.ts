/**
 * Named helpers for the daily operations of managers, shops, customers and devices. Each returns a
 * `TxRequest` (kind + fields) that `ArcadeClient.send` builds, signs and submits, or that `createTx`
 * signs offline. Amounts are integers in the point's smallest unit (see `parseAmount`).
 */
import type { Bytes } from '../protocol/bytes.ts'
import { type KeyPair, sign } from '../protocol/crypto.ts'
import type { Voucher } from '../protocol/purse.ts'
import { devicePossessionSignBytes, pursePossessionSignBytes } from '../protocol/sign-bytes.ts'
import {
  type CampaignTrigger,
  MAX_TRAFFIC_EVENTS,
  MAX_VOUCHERS_PER_SETTLE,
  type TRAFFIC_KINDS,
} from '../protocol/tx-body.ts'
import type { TxInput, TxRequest } from './build.ts'
import { invalidInput } from './errors.ts'
import { type AddressLike, toAccount, toCampaignId, toHash } from './keys.ts'
import { type VoucherJson, voucherFrom } from './purse.ts'

const req = <K extends TxRequest['kind']>(kind: K, fields: TxInput<K>): TxRequest<K> => ({ kind, fields })

/** Who signs, on which chain: what a helper needs beyond its own fields (bindDevice only). */
export interface OperationContext {
  readonly chainId: string
  readonly signer: Bytes
}

export type TrafficKind = (typeof TRAFFIC_KINDS)[number]

export interface TrafficEventInput {
  readonly eventId: string
  readonly kind: TrafficKind
  /**
   * The customer's pseudonym in the point, the address its wallet shows (client/traffic.ts
   * `pseudonymWallet`); earned points accrue to it. Omitted records the event only.
   */
  readonly pseudonym?: AddressLike | null
  /** Purchase amount (0 for other kinds). */
  readonly amount?: number
  /** The customer's confirmation (`attestTraffic`); omitted: the shop's word alone. */
  readonly attestation?: {
    readonly notBeforeMs: number
    readonly notAfterMs: number
    readonly signature: Bytes | string
  } | null
}

/** What each traffic kind earns (flat points, and per mille of a purchase's amount); omitted = 0. */
export interface TrafficRatesInput {
  readonly visit?: number
  readonly view?: number
  readonly click?: number
  readonly purchase?: number
  readonly purchasePerMille?: number
}
const ratesOf = (r: TrafficRatesInput = {}) => ({
  visit: r.visit ?? 0,
  view: r.view ?? 0,
  click: r.click ?? 0,
  purchase: r.purchase ?? 0,
  purchasePerMille: r.purchasePerMille ?? 0,
})

/** The device's signature proving it holds its key, for `device.bind` by `owner`. */
export function devicePossessionProof(chainId: string, owner: AddressLike, device: KeyPair): Bytes {
  return sign(
    devicePossessionSignBytes(chainId, toAccount(owner, 'owner'), device.publicKey),
    device.secretKey,
  )
}

/** The purse key's signature proving it holds its key, for `purse.open` by `owner`. */
export function pursePossessionProof(chainId: string, owner: AddressLike, purse: KeyPair): Bytes {
  return sign(pursePossessionSignBytes(chainId, toAccount(owner, 'owner'), purse.publicKey), purse.secretKey)
}

/** An expiry policy: `afterDays` days after each award, or the fixed date `atMs`; neither = none. */
export interface ExpiryPolicy {
  readonly afterDays?: number
  readonly atMs?: number
}
const expiryFields = (p: ExpiryPolicy) => ({ afterDays: p.afterDays ?? 0, atMs: p.atMs ?? 0 })

export const operations = {
  /**
   * An issuer creates a regional point and becomes its manager. `expiry`: its awards expire
   * `afterDays` after each award, or at the fixed date `atMs` (rounded up to 00:00 JST); default never.
   */
  createPoint: (a: {
    point: string
    name: string
    decimals?: number
    transferable?: boolean
    expiry?: ExpiryPolicy
  }) =>
    req('point.create', {
      point: a.point,
      name: a.name,
      decimals: a.decimals ?? 0,
      transferable: a.transferable ?? true,
      ...(a.expiry === undefined ? {} : { expiry: expiryFields(a.expiry) }),
    }),
  /**
   * The manager sets the expiry of the point's FUTURE awards (lots already held keep theirs): after N
   * days, at a fixed date (in the future; once it passes, awards never expire until a new policy), or
   * none. STATE_BAD_EXPIRY_POLICY or STATE_EXPIRY_DATE_PASSED when refused.
   */
  setExpiry: (a: { point: string } & ExpiryPolicy) =>
    req('point.setExpiry', { point: a.point, ...expiryFields(a) }),
  /** The manager admits a merchant that applied, with a credit limit. */
  admitMerchant: (a: { point: string; merchant: AddressLike; creditLimit: number }) =>
    req('merchant.admit', a),
  /** A shop applies to a point (the manager then admits it). */
  applyMerchant: (a: { point: string; name: string }) => req('merchant.apply', a),
  setCreditLimit: (a: { point: string; merchant: AddressLike; creditLimit: number }) =>
    req('merchant.setLimit', a),
  /** The merchant adds a cashier terminal key. */
  addTerminal: (a: { point: string; terminal: AddressLike }) => req('merchant.addTerminal', a),
  /** A terminal (or the merchant) awards points to a customer: float first, then credit. */
  award: (a: { point: string; customer: AddressLike; amount: number; memo?: string }) =>
    req('merchant.award', { ...a, memo: a.memo ?? '' }),
  /** A customer pays a merchant, named by its own or one of its terminals' address. */
  pay: (a: { point: string; payee: AddressLike; amount: number; memo?: string }) =>
    req('merchant.pay', { ...a, memo: a.memo ?? '' }),
  /** The manager records a merchant's fiat payment. */
  repay: (a: { point: string; merchant: AddressLike; amount: number; fiatRef: string }) =>
    req('merchant.repay', a),
  /** The merchant burns float; the manager pays fiat off the ledger. */
  redeem: (a: { point: string; amount: number; fiatRef?: string }) =>
    req('merchant.redeem', { ...a, fiatRef: a.fiatRef ?? '' }),
  /** A shop records up to MAX_TRAFFIC_EVENTS traffic events (see `trafficBatches` for more). */
  recordTraffic: (a: { point: string; events: readonly TrafficEventInput[] }) =>
    req('traffic.record', {
      point: a.point,
      events: a.events.map((e) => ({
        eventId: e.eventId,
        kind: e.kind,
        pseudonym: e.pseudonym ?? null,
        amount: e.amount ?? 0,
        attestation: e.attestation ?? null,
      })),
    }),
  /**
   * The manager sets what traffic earns, confirmed by the customer and not, and the daily cap per
   * customer across the point's shops (0 = no traffic rewards).
   */
  setTrafficRules: (a: {
    point: string
    confirmed?: TrafficRatesInput
    unconfirmed?: TrafficRatesInput
    dailyCapPerCustomer: number
  }) =>
    req('traffic.setRules', {
      point: a.point,
      confirmed: ratesOf(a.confirmed),
      unconfirmed: ratesOf(a.unconfirmed),
      dailyCapPerCustomer: a.dailyCapPerCustomer,
    }),
  /**
   * Signed by the pseudonym's wallet (`pseudonymWallet`): moves `amount` of its unclaimed traffic
   * points into `account`, linking the two on the ledger (and nothing else).
   */
  claimTraffic: (a: { point: string; account: AddressLike; amount: number }) => req('traffic.claim', a),
  /**
   * The owner binds a device key with spending limits. Give the device's key pair (the proof of
   * possession is made here) or, when the device signs elsewhere, its public key and proof.
   */
  bindDevice: (
    a: {
      point: string
      device: KeyPair | { publicKey: AddressLike; possessionProof: Bytes | string }
      maxPerTx: number
      maxPerPeriod: number
      periodMs: number
      merchants?: readonly AddressLike[]
    },
    ctx: OperationContext,
  ) => {
    const d = a.device
    const proof =
      'secretKey' in d
        ? devicePossessionProof(ctx.chainId, ctx.signer, d)
        : (d as { possessionProof: Bytes | string }).possessionProof
    return req('device.bind', {
      device: d.publicKey,
      point: a.point,
      maxPerTx: a.maxPerTx,
      maxPerPeriod: a.maxPerPeriod,
      periodMs: a.periodMs,
      merchants: a.merchants ?? [],
      possessionProof: proof,
    })
  },
  /** A device pays a merchant on its owner's behalf, within the owner's limits. */
  devicePay: (a: { owner: AddressLike; point: string; payee: AddressLike; amount: number; memo?: string }) =>
    req('device.pay', { ...a, memo: a.memo ?? '' }),
  /** The manager grants a tx quota (null grantee: every user of the point). */
  grantQuota: (a: {
    point: string
    grantee: AddressLike | null
    txsPerPeriod: number
    periodMs: number
    expiresAtHeight?: number
    kinds?: readonly string[]
  }) =>
    req('sponsor.grant', {
      point: a.point,
      grantee: a.grantee,
      txsPerPeriod: a.txsPerPeriod,
      periodMs: a.periodMs,
      expiresAtHeight: a.expiresAtHeight ?? 0,
      kinds: a.kinds ?? [],
    }),
  /** A member delegates stake to a validator association. */
  delegate: (a: { association: AddressLike; amount: number }) => req('staking.delegate', a),
  /** Customer-to-customer transfer (points marked transferable only). */
  transfer: (a: { point: string; to: AddressLike; amount: number }) => req('point.transfer', a),
  /**
   * The owner locks `amount` into an offline purse bound to a fresh purse key, spendable offline
   * until `expiresAtMs` (block time). The purse key pair signs its possession proof here, once.
   */
  openPurse: (
    a: { point: string; purse: KeyPair; amount: number; expiresAtMs: number },
    ctx: OperationContext,
  ) =>
    req('purse.open', {
      point: a.point,
      purse: a.purse.publicKey,
      amount: a.amount,
      expiresAtMs: a.expiresAtMs,
      possessionProof: pursePossessionProof(ctx.chainId, ctx.signer, a.purse),
    }),
  /** A merchant or its terminal settles vouchers payable to it (see `settleBatches` for many). */
  settleVouchers: (a: { point: string; vouchers: readonly (Voucher | VoucherJson)[] }) =>
    req('purse.settle', { point: a.point, vouchers: a.vouchers.map(voucherFrom) }),
  /** Anyone: two different vouchers of one purse with one counter (a cloned key) freeze it. */
  reportClonedPurse: (a: { point: string; first: Voucher | VoucherJson; second: Voucher | VoucherJson }) =>
    req('purse.evidence', { point: a.point, first: voucherFrom(a.first), second: voucherFrom(a.second) }),
  /** Anyone, once the purse's settlement window is over: what is left returns to its owner. */
  reclaimPurse: (a: { point: string; purse: AddressLike }) => req('purse.reclaim', a),
  /**
   * The manager sets how long after a payment or award its merchant may refund or cancel it (0 = never,
   * the default: no refund records are kept). Applies to payments and awards from then on.
   */
  setRefundWindow: (a: { point: string; windowMs: number }) => req('point.setRefundWindow', a),
  /**
   * The merchant paid, or one of its terminals, gives `amount` of a payment (its tx hash) back to the
   * payer, within the window; the refunds of one payment never sum above it.
   */
  refund: (a: { point: string; payment: Bytes | string; amount: number; memo?: string }) =>
    req('merchant.refund', {
      point: a.point,
      payment: toHash(a.payment, 'payment'),
      amount: a.amount,
      memo: a.memo ?? '',
    }),
  /** The merchant that awarded, or its terminal, cancels an award made in error (its tx hash). */
  cancelAward: (a: { point: string; award: Bytes | string; memo?: string }) =>
    req('merchant.cancelAward', { point: a.point, award: toHash(a.award, 'award'), memo: a.memo ?? '' }),
  /**
   * The manager, or an active merchant for its own shop, runs a campaign (state/campaigns.ts): on each
   * award or rewarded traffic event of `triggers` by the `merchants` (default every merchant; a
   * merchant's own campaign is its shop alone) at block times in [startMs, endMs), the customer gets
   * floor(amount × bonusPerMille / 1000) + flatBonus more, out of `budget`, until it runs out. The
   * manager's budget is minted against the fiat it set aside (`fiatRef`); a merchant's is charged to its
   * float, then its credit. Refusals: STATE_BAD_CAMPAIGN, STATE_CAMPAIGN_EXISTS,
   * STATE_TOO_MANY_CAMPAIGNS, STATE_CREDIT_LIMIT_EXCEEDED.
   */
  createCampaign: (a: {
    point: string
    campaign: string
    triggers: readonly CampaignTrigger[]
    bonusPerMille?: number
    flatBonus?: number
    startMs: number
    endMs: number
    merchants?: readonly AddressLike[]
    budget: number
    fiatRef?: string
  }) =>
    req('campaign.create', {
      point: a.point,
      campaign: toCampaignId(a.campaign),
      triggers: a.triggers,
      bonusPerMille: a.bonusPerMille ?? 0,
      flatBonus: a.flatBonus ?? 0,
      startMs: a.startMs,
      endMs: a.endMs,
      merchants: a.merchants ?? [],
      budget: a.budget,
      fiatRef: a.fiatRef ?? '',
    }),
  /** The campaign's owner tops up its budget, funded as at create (STATE_CAMPAIGN_ENDED once it has ended). */
  fundCampaign: (a: { point: string; campaign: string; amount: number; fiatRef?: string }) =>
    req('campaign.fund', { ...a, campaign: toCampaignId(a.campaign), fiatRef: a.fiatRef ?? '' }),
  /**
   * The owner or the manager closes a campaign (anyone, once it has ended): the rest goes back (the
   * manager's burned, a merchant's to its liability, then its float).
   */
  closeCampaign: (a: { point: string; campaign: string }) =>
    req('campaign.close', { ...a, campaign: toCampaignId(a.campaign) }),
  /**
   * A shop, or its terminal, anchors the Merkle root of a batch of off-ledger traffic instead of
   * recording every event (a TrafficBatch from client/anchors.ts `buildTrafficBatch` has every field).
   * Refusals: STATE_ANCHOR_EXISTS (the root is anchored in the point already), STATE_INVALID_PARAM
   * (count 0, or a period that starts after it ends), STATE_MERCHANT_NOT_ACTIVE.
   */
  anchorTraffic: (a: {
    point: string
    root: Bytes | string
    count: number
    periodStartMs: number
    periodEndMs: number
  }) =>
    req('traffic.anchor', {
      point: a.point,
      root: toHash(a.root, 'root'),
      count: a.count,
      periodStartMs: a.periodStartMs,
      periodEndMs: a.periodEndMs,
    }),
} as const

/** Splits any number of vouchers into `purse.settle` requests of at most MAX_VOUCHERS_PER_SETTLE each. */
export function settleBatches(
  point: string,
  vouchers: readonly (Voucher | VoucherJson)[],
): TxRequest<'purse.settle'>[] {
  if (vouchers.length === 0) throw invalidInput('vouchers', 'must not be empty')
  const out: TxRequest<'purse.settle'>[] = []
  for (let i = 0; i < vouchers.length; i += MAX_VOUCHERS_PER_SETTLE) {
    out.push(operations.settleVouchers({ point, vouchers: vouchers.slice(i, i + MAX_VOUCHERS_PER_SETTLE) }))
  }
  return out
}

/** Splits any number of traffic events into `traffic.record` requests of at most 500 events each. */
export function trafficBatches(
  point: string,
  events: readonly TrafficEventInput[],
): TxRequest<'traffic.record'>[] {
  if (events.length === 0) throw invalidInput('events', 'must not be empty')
  const out: TxRequest<'traffic.record'>[] = []
  for (let i = 0; i < events.length; i += MAX_TRAFFIC_EVENTS) {
    out.push(operations.recordTraffic({ point, events: events.slice(i, i + MAX_TRAFFIC_EVENTS) }))
  }
  return out
}
