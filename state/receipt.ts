/**
 * Receipts and their typed events. Every change of an amount is reported by exactly one event whose
 * numbers equal the state delta, so replaying the events from genesis reproduces balances, floats,
 * liabilities and supply (the Region Token contract failed this, domain-anchors §1.6.4).
 * Encoded as fixed-order msgpack tuples: [type, ...fields in the order of EVENT_FIELDS[type]].
 */
import type { Bytes } from '../protocol/bytes.ts'
import { decodeRaw, encode, type WireValue } from '../protocol/codec.ts'
import { invalidField } from '../protocol/errors.ts'
import { Limits } from '../protocol/limits.ts'

export const EVENT_FIELDS = {
  /** Customer → customer (`spender` set for transferFrom). */
  transfer: ['point', 'from', 'to', 'amount', 'spender'],
  approval: ['point', 'owner', 'spender', 'amount'],
  pointCreated: ['point', 'manager'],
  /** `fromFloat` left the merchant's float, `onCredit` was minted against its liability. */
  award: ['point', 'merchant', 'terminal', 'customer', 'amount', 'fromFloat', 'onCredit'],
  /** `liabilityCleared` was burned against liability, `toFloat` added to the float. `device` set for device.pay. */
  pay: ['point', 'merchant', 'payer', 'amount', 'liabilityCleared', 'toFloat', 'device'],
  repay: ['point', 'merchant', 'amount', 'liabilityCleared', 'toFloat', 'fiatRef'],
  redeem: ['point', 'merchant', 'amount', 'fiatRef'],
  merchantStatus: ['point', 'merchant', 'status', 'creditLimit'],
  terminal: ['point', 'merchant', 'terminal', 'active'],
  trafficRules: ['point'],
  /** A traffic.record batch: events `recorded` (of them `confirmed` by their customers) and `points` earned. */
  traffic: ['point', 'merchant', 'recorded', 'confirmed', 'duplicates', 'points'],
  /**
   * A rewarded traffic event's points accrued to the customer's pseudonym, unclaimed (point
   * trafficUnclaimed + amount), charged as an award is: `fromFloat` left the merchant's float,
   * `onCredit` was minted against its liability.
   */
  trafficEarned: ['point', 'merchant', 'terminal', 'pseudonym', 'amount', 'fromFloat', 'onCredit'],
  /** The pseudonym's key moved `amount` of its unclaimed points into `account` (trafficUnclaimed − amount). */
  trafficClaimed: ['point', 'pseudonym', 'account', 'amount'],
  anchor: ['point', 'merchant', 'root', 'count'],
  device: ['device', 'owner', 'point', 'active'],
  grant: ['point', 'grantee', 'active'],
  role: ['account', 'role', 'active'],
  association: ['association', 'nodeKey'],
  delegate: ['member', 'association', 'amount'],
  undelegate: ['member', 'association', 'amount', 'releaseEpoch'],
  unbonded: ['member', 'amount'],
  jailed: ['association', 'nodeKey'],
  unjailed: ['association', 'nodeKey'],
  associationUpdated: ['association', 'nodeKey'],
  associationRetired: ['association'],
  observerAdmitted: ['nodeKey', 'name'],
  observerRemoved: ['nodeKey'],
  /** A governed parameter change, effective from the block after the epoch's last. */
  paramScheduled: ['param', 'value'],
  paramApplied: ['param', 'value'],
  proposed: ['proposal', 'proposer', 'action', 'deadline'],
  /** `power` is the voter's power in the set in force when the vote was counted. */
  voted: ['proposal', 'association', 'yes', 'power'],
  /** The proposal reached its quorum and its action executed (its events follow). */
  proposalPassed: ['proposal', 'action'],
  /** The proposal reached its quorum but its action failed with `error`: nothing of it was written. */
  proposalFailed: ['proposal', 'action', 'error'],
  proposalExpired: ['proposal'],
  // --- point expiry (issue 15) ---
  /**
   * Expired points left a customer's balance: burned from totalSupply, added to the point's cumExpired
   * (breakage). In the receipt of the tx that touched the account, or in the block's events (the sweep).
   */
  expire: ['point', 'account', 'amount'],
  /** The policy for the point's future awards (afterDays, or atMs a 00:00 JST; both 0 = none). */
  expiryPolicy: ['point', 'afterDays', 'atMs'],
  // --- purses (state/purses.ts) ---
  /**
   * `amount` left the owner's balance into the purse (point totalLocked + amount), soonest expiry first;
   * `expiresAtMs` is the purse's: the one asked for, or its soonest lot's when that is earlier.
   */
  purseOpened: ['point', 'purse', 'owner', 'amount', 'expiresAtMs', 'settleUntilMs'],
  /**
   * A voucher settled: `fromPurse` of its `amount` left the purse for the merchant (`liabilityCleared`
   * burned against its liability, `toFloat` to its float); an overdraft beyond the purse follows as a
   * `pay` event from the owner's free balance, and what that could not cover is `shortfall`.
   */
  purseVoucher: [
    'point',
    'purse',
    'owner',
    'merchant',
    'payee',
    'counter',
    'amount',
    'fromPurse',
    'liabilityCleared',
    'toFloat',
    'shortfall',
  ],
  /** Evidence of a cloned key: `reason` is `counter` (two vouchers, one counter) or `overdraft`. */
  purseFrozen: ['point', 'purse', 'owner', 'counter', 'reason'],
  /**
   * The purse closed: `returned` went back to the owner's balance (point totalLocked − returned), with
   * the expiries it left with; an `expire` event follows for what had expired in the purse meanwhile.
   */
  purseClosed: ['point', 'purse', 'owner', 'returned'],
  // --- refunds (state/refunds.ts) ---
  /** How long after a payment or award the point's merchants may refund or cancel it (0 = never). */
  refundWindow: ['point', 'windowMs'],
  /**
   * `amount` of the payment `payment` (a tx hash) went back to the payer (`customer`), given as an
   * award is: `fromFloat` left the merchant's float, `onCredit` was minted against its liability.
   */
  refund: ['point', 'merchant', 'terminal', 'customer', 'payment', 'amount', 'fromFloat', 'onCredit'],
  /**
   * The award `award` (a tx hash) was cancelled: `amount` left the customer back to the merchant, as a
   * payment does (`liabilityCleared` burned against its liability, `toFloat` to its float).
   */
  awardCancelled: [
    'point',
    'merchant',
    'terminal',
    'customer',
    'award',
    'amount',
    'liabilityCleared',
    'toFloat',
  ],
  // --- campaigns (state/campaigns.ts) ---
  /** A campaign was created with `budget`; its funding follows as a `campaignFunded` event. */
  campaignCreated: ['point', 'campaign', 'owner', 'budget'],
  /**
   * `amount` went into the campaign's budget (point campaignBudgets + amount). From a merchant owner:
   * `fromFloat` left its float and `onCredit` was minted against its liability (they sum to amount).
   * From the manager both are 0: the amount was minted (point cumCampaignFunded + amount).
   */
  campaignFunded: ['point', 'campaign', 'owner', 'amount', 'fromFloat', 'onCredit', 'fiatRef'],
  /**
   * A bonus of `amount` left the campaign's budget for the customer, on an award or a rewarded traffic
   * event by `merchant`; `toPseudonym`: `customer` is a pseudonym, and the bonus accrued unclaimed.
   */
  campaignBonus: ['point', 'campaign', 'merchant', 'customer', 'amount', 'toPseudonym'],
  /**
   * The campaign closed; `returned` left the budget (campaignBudgets − returned): to a merchant owner
   * (`liabilityCleared` burned against its liability, `toFloat` to its float, summing to returned), or
   * burned for the manager (both 0; cumCampaignReturned + returned). 0 when its budget ran out.
   */
  campaignClosed: ['point', 'campaign', 'owner', 'returned', 'liabilityCleared', 'toFloat'],
} as const

export type EventType = keyof typeof EVENT_FIELDS
type EventValue = Bytes | number | string | boolean | null

type Fields<T extends EventType> = { readonly [K in (typeof EVENT_FIELDS)[T][number]]: FieldType<K> }
type FieldType<K> = K extends
  | 'point'
  | 'status'
  | 'fiatRef'
  | 'role'
  | 'name'
  | 'param'
  | 'action'
  | 'error'
  | 'reason'
  | 'campaign'
  ? string
  : K extends 'active' | 'yes' | 'toPseudonym'
    ? boolean
    : K extends 'spender' | 'device' | 'grantee'
      ? Bytes | null
      : K extends
            | 'from'
            | 'to'
            | 'owner'
            | 'merchant'
            | 'terminal'
            | 'customer'
            | 'payer'
            | 'manager'
            | 'root'
            | 'account'
            | 'association'
            | 'nodeKey'
            | 'member'
            | 'proposer'
            | 'purse'
            | 'payee'
            | 'payment'
            | 'award'
            | 'pseudonym'
        ? Bytes
        : number

export type EventOf<T extends EventType> = { readonly type: T } & Fields<T>
export type LedgerEvent = { [T in EventType]: EventOf<T> }[EventType]

export const ReceiptStatus = { ok: 'ok', failed: 'failed' } as const
export type ReceiptStatus = (typeof ReceiptStatus)[keyof typeof ReceiptStatus]

export interface Receipt {
  readonly txHash: Bytes
  readonly height: number
  /** Position of the tx in its block. */
  readonly index: number
  readonly status: ReceiptStatus
  /** A StateErrorCode when failed, else null. */
  readonly error: string | null
  /** Empty when failed. */
  readonly events: readonly LedgerEvent[]
}

export function eventToTuple(event: LedgerEvent): WireValue {
  const values = event as unknown as Record<string, EventValue>
  return [event.type, ...EVENT_FIELDS[event.type].map((f) => values[f] as WireValue)]
}

export function eventFromTuple(raw: unknown, field = 'event'): LedgerEvent {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string' || !Object.hasOwn(EVENT_FIELDS, raw[0])) {
    throw invalidField(field, 'must be [type, ...fields] of a known event type')
  }
  const type = raw[0] as EventType
  const fields = EVENT_FIELDS[type] as readonly string[]
  if (raw.length !== fields.length + 1) throw invalidField(field, `${type} must have ${fields.length} fields`)
  const out: Record<string, unknown> = { type }
  fields.forEach((f, i) => {
    out[f] = raw[i + 1]
  })
  return out as LedgerEvent
}

export function encodeReceipt(r: Receipt): Bytes {
  return encode([r.txHash, r.height, r.index, r.status, r.error, r.events.map(eventToTuple)])
}

export function decodeReceipt(bytes: Bytes): Receipt {
  const raw = decodeRaw(bytes, Limits.maxTxBytes * 4, 'receipt')
  if (!Array.isArray(raw) || raw.length !== 6) throw invalidField('receipt', 'must be a tuple of 6 fields')
  const [txHash, height, index, status, error, events] = raw as unknown[]
  if (!(txHash instanceof Uint8Array) || txHash.length !== 32)
    throw invalidField('receipt.txHash', 'must be 32 bytes')
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(index)) {
    throw invalidField('receipt.height', 'height and index must be integers')
  }
  if (status !== ReceiptStatus.ok && status !== ReceiptStatus.failed)
    throw invalidField('receipt.status', 'ok or failed')
  if (error !== null && typeof error !== 'string')
    throw invalidField('receipt.error', 'must be a code or null')
  if (!Array.isArray(events)) throw invalidField('receipt.events', 'must be a list')
  return {
    txHash,
    height: height as number,
    index: index as number,
    status,
    error,
    events: events.map((e, i) => eventFromTuple(e, `receipt.events[${i}]`)),
  }
}
