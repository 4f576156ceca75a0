/**
 * The journal: every movement of every point, one row each, derived from a committed tx's receipt
 * events (receipt.ts), never by re-running the rules. A row says who gave and who got points (and in
 * which role), the amount, and the effect on the merchant's float and liability, which the events
 * already carry as their state deltas. Statements and reconciliation are sums over these rows.
 *
 * Which events move points: award, pay (merchant.pay and device.pay), repay, redeem and transfer
 * (point.transfer and point.transferFrom). traffic.record awards through `award` events, one row per
 * rewarded customer. A failed tx has no events, so it has no rows. And expire (issue 15): expired
 * points leaving a customer (customer → manager, burned: breakage), in the rows of the tx that
 * touched the account, or in the block's own rows (`blockJournalRowsOf`: the expiry sweep's, at
 * txIndex BLOCK_ROWS_TX_INDEX, after the block's txs, with no tx hash, sponsor or memo).
 *
 * Offline purses (purses.ts) add three movements, with the purse (its key) in the role `purse`:
 * purseLock (customer → purse, purse.open), pursePay (purse → merchant, the part of a voucher the purse
 * paid; an overdraft charged to the owner is an ordinary `pay` row) and purseReturn (purse → customer,
 * purse.reclaim).
 *
 * Refunds (refunds.ts) add two: refund (merchant → customer, given as an award is) and cancelAward
 * (customer → merchant, taken back as a payment is).
 * Campaigns (campaigns.ts) add three more, with the campaign in the role `campaign` under its account
 * (protocol/campaign.ts `campaignAccount(point, id)`, a name no key signs for): campaignFund (manager →
 * campaign, minted against the manager's fiat; or merchant → campaign, charged float first, then
 * credit), campaignBonus (campaign → customer, on an award or rewarded event; no merchant's books move)
 * and campaignReturn (campaign → manager, burned; or campaign → merchant, liability first, then float).
 * Traffic (traffic.ts, pseudonyms.ts) adds two, with the customer's pseudonym in the role `pseudonym`:
 * trafficEarn (merchant → pseudonym, charged as an award is; the points wait unclaimed) and
 * trafficClaim (pseudonym → customer, the pseudonym's key moving them into an account). A campaign's
 * bonus on a traffic event goes campaign → pseudonym.
 *
 * Pure: the rows are a function of the tx, its receipt, the block time and each point's manager.
 * Encoded as a fixed-order msgpack tuple (JOURNAL_FIELDS), the value the node's store keeps.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { bytesEqual } from '../protocol/bytes.ts'
import { campaignAccount } from '../protocol/campaign.ts'
import { decodeRaw, encode, type WireValue } from '../protocol/codec.ts'
import { invalidField } from '../protocol/errors.ts'
import type { SignedTx } from '../protocol/tx.ts'
import type { LedgerEvent, Receipt } from './receipt.ts'

/** The events that move points, which name a row's `event`. */
export const JOURNAL_EVENTS = [
  'award',
  'pay',
  'repay',
  'redeem',
  'transfer',
  'expire',
  'purseLock',
  'pursePay',
  'purseReturn',
  'refund',
  'cancelAward',
  'campaignFund',
  'campaignBonus',
  'campaignReturn',
  'trafficEarn',
  'trafficClaim',
] as const
export type JournalEvent = (typeof JOURNAL_EVENTS)[number]

/** The role an account plays in a movement. */
export const JOURNAL_ROLES = ['customer', 'merchant', 'manager', 'purse', 'campaign', 'pseudonym'] as const
export type JournalRole = (typeof JOURNAL_ROLES)[number]

export interface JournalRow {
  readonly txHash: Bytes
  readonly height: number
  /** The block's time (ms since the epoch). */
  readonly timeMs: number
  /** Position of the tx in its block. */
  readonly txIndex: number
  /** Position of the row among the tx's rows (its movements in event order). */
  readonly row: number
  /** The tx body kind, e.g. `merchant.award`. */
  readonly kind: string
  readonly event: JournalEvent
  readonly point: string
  /**
   * Who gave and who got the points. award: merchant → customer; pay: customer → merchant;
   * repay: manager → merchant (the manager records the merchant's fiat payment, the points are
   * minted); redeem: merchant → manager (burned, the manager pays fiat); transfer: customer → customer;
   * expire: customer → manager (expired points, burned: breakage, the manager's);
   * purseLock: customer → purse; pursePay: purse → merchant; purseReturn: purse → customer;
   * refund: merchant → customer; cancelAward: customer → merchant.
   * campaignFund: manager or merchant → campaign; campaignBonus: campaign → customer (or pseudonym);
   * campaignReturn: campaign → manager or merchant; trafficEarn: merchant → pseudonym; trafficClaim:
   * pseudonym → customer.
   */
  readonly from: Bytes
  readonly fromRole: JournalRole
  readonly to: Bytes
  readonly toRole: JournalRole
  /** Positive, in the point's smallest unit. */
  readonly amount: number
  /**
   * The merchant whose books move; null for a customer transfer, an expiry, a purse lock or return, a
   * campaign bonus, and the manager's campaign funding and return.
   */
  readonly merchant: Bytes | null
  /** The terminal that awarded, or was paid at; null when none (or the merchant's own key). */
  readonly terminal: Bytes | null
  /** The device that paid on the customer's behalf (device.pay). */
  readonly device: Bytes | null
  /** The spender of a transferFrom. */
  readonly spender: Bytes | null
  /** Signed change of the merchant's float and liability (0 for a customer transfer). */
  readonly floatDelta: number
  readonly liabilityDelta: number
  /** The account whose fee quota paid for the tx. */
  readonly sponsor: Bytes
  /** The fiat reference of a repay, redeem or campaign funding; null otherwise. */
  readonly fiatRef: string | null
  /** The tx's memo (award, pay, device pay); null when the kind has none or it is empty. */
  readonly memo: string | null
}

/** The tuple order of an encoded row. Append only. */
export const JOURNAL_FIELDS = [
  'txHash',
  'height',
  'timeMs',
  'txIndex',
  'row',
  'kind',
  'event',
  'point',
  'from',
  'fromRole',
  'to',
  'toRole',
  'amount',
  'merchant',
  'terminal',
  'device',
  'spender',
  'floatDelta',
  'liabilityDelta',
  'sponsor',
  'fiatRef',
  'memo',
] as const satisfies readonly (keyof JournalRow)[]

/** Most rows one tx can produce (a traffic.record of MAX_TRAFFIC_EVENTS rewarded events). */
export const MAX_JOURNAL_ROWS_PER_TX = 0xffff

/**
 * The txIndex of a block's own rows (events outside any tx: the expiry sweep's): past any tx index
 * (a block holds far fewer txs), so they sort after the block's txs, as they happened.
 */
export const BLOCK_ROWS_TX_INDEX = 0xffffffff
/** The `kind` of a block's own rows. */
export const BLOCK_ROWS_KIND = 'block'

export interface JournalContext {
  readonly height: number
  readonly timeMs: number
  readonly txIndex: number
  /** The manager of a point (the state after the block); null if unknown. */
  readonly managerOf: (point: string) => Bytes | null
}

type Movement = Omit<
  JournalRow,
  'txHash' | 'height' | 'timeMs' | 'txIndex' | 'row' | 'kind' | 'sponsor' | 'memo'
>

const NO_ONE = new Uint8Array(32)
/** −x without a −0 (which msgpack would write as a float). */
const neg = (x: number): number => (x === 0 ? 0 : -x)

function bodyField(tx: SignedTx | null, field: string): unknown {
  return tx === null ? undefined : (tx.body as unknown as Record<string, unknown>)[field]
}

function movementOf(
  tx: SignedTx | null,
  event: LedgerEvent,
  managerOf: (point: string) => Bytes | null,
): Movement | null {
  const manager = (point: string) => managerOf(point) ?? NO_ONE
  const base = { terminal: null, device: null, spender: null, fiatRef: null }
  switch (event.type) {
    case 'award':
      return {
        ...base,
        event: 'award',
        point: event.point,
        from: event.merchant,
        fromRole: 'merchant',
        to: event.customer,
        toRole: 'customer',
        amount: event.amount,
        merchant: event.merchant,
        terminal: bytesEqual(event.terminal, event.merchant) ? null : event.terminal,
        floatDelta: neg(event.fromFloat),
        liabilityDelta: event.onCredit,
      }
    case 'pay': {
      // The event names the merchant; the body's payee says which of its terminals took the payment.
      const payee = bodyField(tx, 'payee')
      const terminal = payee instanceof Uint8Array && !bytesEqual(payee, event.merchant) ? payee : null
      return {
        ...base,
        event: 'pay',
        point: event.point,
        from: event.payer,
        fromRole: 'customer',
        to: event.merchant,
        toRole: 'merchant',
        amount: event.amount,
        merchant: event.merchant,
        terminal,
        device: event.device,
        floatDelta: event.toFloat,
        liabilityDelta: neg(event.liabilityCleared),
      }
    }
    case 'repay':
      return {
        ...base,
        event: 'repay',
        point: event.point,
        from: manager(event.point),
        fromRole: 'manager',
        to: event.merchant,
        toRole: 'merchant',
        amount: event.amount,
        merchant: event.merchant,
        floatDelta: event.toFloat,
        liabilityDelta: neg(event.liabilityCleared),
        fiatRef: event.fiatRef,
      }
    case 'redeem':
      return {
        ...base,
        event: 'redeem',
        point: event.point,
        from: event.merchant,
        fromRole: 'merchant',
        to: manager(event.point),
        toRole: 'manager',
        amount: event.amount,
        merchant: event.merchant,
        floatDelta: neg(event.amount),
        liabilityDelta: 0,
        fiatRef: event.fiatRef === '' ? null : event.fiatRef,
      }
    case 'purseOpened':
      return {
        ...base,
        event: 'purseLock',
        point: event.point,
        from: event.owner,
        fromRole: 'customer',
        to: event.purse,
        toRole: 'purse',
        amount: event.amount,
        merchant: null,
        floatDelta: 0,
        liabilityDelta: 0,
      }
    case 'purseVoucher':
      // Only the part the purse paid; an overdraft the owner's balance covered is its own `pay` event.
      if (event.fromPurse === 0) return null
      return {
        ...base,
        event: 'pursePay',
        point: event.point,
        from: event.purse,
        fromRole: 'purse',
        to: event.merchant,
        toRole: 'merchant',
        amount: event.fromPurse,
        merchant: event.merchant,
        terminal: bytesEqual(event.payee, event.merchant) ? null : event.payee,
        floatDelta: event.toFloat,
        liabilityDelta: neg(event.liabilityCleared),
      }
    case 'purseClosed':
      if (event.returned === 0) return null
      return {
        ...base,
        event: 'purseReturn',
        point: event.point,
        from: event.purse,
        fromRole: 'purse',
        to: event.owner,
        toRole: 'customer',
        amount: event.returned,
        merchant: null,
        floatDelta: 0,
        liabilityDelta: 0,
      }
    case 'refund':
      return {
        ...base,
        event: 'refund',
        point: event.point,
        from: event.merchant,
        fromRole: 'merchant',
        to: event.customer,
        toRole: 'customer',
        amount: event.amount,
        merchant: event.merchant,
        terminal: bytesEqual(event.terminal, event.merchant) ? null : event.terminal,
        floatDelta: neg(event.fromFloat),
        liabilityDelta: event.onCredit,
      }
    case 'awardCancelled':
      return {
        ...base,
        event: 'cancelAward',
        point: event.point,
        from: event.customer,
        fromRole: 'customer',
        to: event.merchant,
        toRole: 'merchant',
        amount: event.amount,
        merchant: event.merchant,
        terminal: bytesEqual(event.terminal, event.merchant) ? null : event.terminal,
        floatDelta: event.toFloat,
        liabilityDelta: neg(event.liabilityCleared),
      }
    case 'campaignFunded': {
      // The manager's funding is minted (no float or credit moves); a merchant's is charged.
      const byManager = event.fromFloat + event.onCredit === 0
      return {
        ...base,
        event: 'campaignFund',
        point: event.point,
        from: event.owner,
        fromRole: byManager ? 'manager' : 'merchant',
        to: campaignAccount(event.point, event.campaign),
        toRole: 'campaign',
        amount: event.amount,
        merchant: byManager ? null : event.owner,
        floatDelta: neg(event.fromFloat),
        liabilityDelta: event.onCredit,
        fiatRef: event.fiatRef === '' ? null : event.fiatRef,
      }
    }
    case 'campaignBonus':
      return {
        ...base,
        event: 'campaignBonus',
        point: event.point,
        from: campaignAccount(event.point, event.campaign),
        fromRole: 'campaign',
        to: event.customer,
        toRole: event.toPseudonym ? 'pseudonym' : 'customer',
        amount: event.amount,
        merchant: null,
        floatDelta: 0,
        liabilityDelta: 0,
      }
    case 'trafficEarned':
      return {
        ...base,
        event: 'trafficEarn',
        point: event.point,
        from: event.merchant,
        fromRole: 'merchant',
        to: event.pseudonym,
        toRole: 'pseudonym',
        amount: event.amount,
        merchant: event.merchant,
        terminal: bytesEqual(event.terminal, event.merchant) ? null : event.terminal,
        floatDelta: neg(event.fromFloat),
        liabilityDelta: event.onCredit,
      }
    case 'trafficClaimed':
      return {
        ...base,
        event: 'trafficClaim',
        point: event.point,
        from: event.pseudonym,
        fromRole: 'pseudonym',
        to: event.account,
        toRole: 'customer',
        amount: event.amount,
        merchant: null,
        floatDelta: 0,
        liabilityDelta: 0,
      }
    case 'campaignClosed': {
      if (event.returned === 0) return null
      // The manager's rest is burned; a merchant's is credited back to its books.
      const toManager = event.liabilityCleared + event.toFloat === 0
      return {
        ...base,
        event: 'campaignReturn',
        point: event.point,
        from: campaignAccount(event.point, event.campaign),
        fromRole: 'campaign',
        to: event.owner,
        toRole: toManager ? 'manager' : 'merchant',
        amount: event.returned,
        merchant: toManager ? null : event.owner,
        floatDelta: event.toFloat,
        liabilityDelta: neg(event.liabilityCleared),
      }
    }
    case 'transfer':
      return {
        ...base,
        event: 'transfer',
        point: event.point,
        from: event.from,
        fromRole: 'customer',
        to: event.to,
        toRole: 'customer',
        amount: event.amount,
        merchant: null,
        spender: event.spender,
        floatDelta: 0,
        liabilityDelta: 0,
      }
    case 'expire':
      return {
        ...base,
        event: 'expire',
        point: event.point,
        from: event.account,
        fromRole: 'customer',
        to: manager(event.point),
        toRole: 'manager',
        amount: event.amount,
        merchant: null,
        floatDelta: 0,
        liabilityDelta: 0,
      }
    default:
      return null
  }
}

/** The journal rows of one committed tx, in event order; none for a failed tx. */
export function journalRowsOf(tx: SignedTx, receipt: Receipt, ctx: JournalContext): JournalRow[] {
  if (receipt.status !== 'ok') return []
  const memo = bodyField(tx, 'memo')
  const rows: JournalRow[] = []
  for (const event of receipt.events) {
    const movement = movementOf(tx, event, ctx.managerOf)
    if (movement === null) continue
    rows.push({
      txHash: tx.hash,
      height: ctx.height,
      timeMs: ctx.timeMs,
      txIndex: ctx.txIndex,
      row: rows.length,
      kind: tx.body.kind,
      sponsor: tx.sponsor,
      memo: typeof memo === 'string' && memo !== '' ? memo : null,
      ...movement,
    })
  }
  if (rows.length > MAX_JOURNAL_ROWS_PER_TX) throw new RangeError('journal: too many rows in one tx')
  return rows
}

/** The journal rows of a block's own events (the expiry sweep's), after its txs; see the header. */
export function blockJournalRowsOf(
  events: readonly LedgerEvent[],
  ctx: Omit<JournalContext, 'txIndex'>,
): JournalRow[] {
  const rows: JournalRow[] = []
  for (const event of events) {
    const movement = movementOf(null, event, ctx.managerOf)
    if (movement === null) continue
    rows.push({
      txHash: NO_ONE,
      height: ctx.height,
      timeMs: ctx.timeMs,
      txIndex: BLOCK_ROWS_TX_INDEX,
      row: rows.length,
      kind: BLOCK_ROWS_KIND,
      sponsor: NO_ONE,
      memo: null,
      ...movement,
    })
  }
  if (rows.length > MAX_JOURNAL_ROWS_PER_TX) throw new RangeError('journal: too many rows in one block')
  return rows
}

/** The distinct accounts a row names, each indexed once: from, to, terminal, device, spender. */
export function journalAccountsOf(row: JournalRow): Bytes[] {
  const out: Bytes[] = []
  for (const a of [row.from, row.to, row.merchant, row.terminal, row.device, row.spender]) {
    if (a !== null && !bytesEqual(a, NO_ONE) && !out.some((b) => bytesEqual(a, b))) out.push(a)
  }
  return out
}

export function encodeJournalRow(row: JournalRow): Bytes {
  const values = row as unknown as Record<string, WireValue>
  return encode(JOURNAL_FIELDS.map((f) => values[f] as WireValue))
}

const isBytes = (v: unknown, n = 32): v is Bytes => v instanceof Uint8Array && v.length === n
const isInt = (v: unknown): v is number => Number.isSafeInteger(v)
const isText = (v: unknown): v is string => typeof v === 'string'
const nullable =
  <T>(check: (v: unknown) => v is T) =>
  (v: unknown) =>
    v === null || check(v)

const CHECKS: Record<(typeof JOURNAL_FIELDS)[number], (v: unknown) => boolean> = {
  txHash: isBytes,
  height: isInt,
  timeMs: isInt,
  txIndex: isInt,
  row: isInt,
  kind: isText,
  event: (v) => (JOURNAL_EVENTS as readonly unknown[]).includes(v),
  point: isText,
  from: isBytes,
  fromRole: (v) => (JOURNAL_ROLES as readonly unknown[]).includes(v),
  to: isBytes,
  toRole: (v) => (JOURNAL_ROLES as readonly unknown[]).includes(v),
  amount: isInt,
  merchant: nullable(isBytes),
  terminal: nullable(isBytes),
  device: nullable(isBytes),
  spender: nullable(isBytes),
  floatDelta: isInt,
  liabilityDelta: isInt,
  sponsor: isBytes,
  fiatRef: nullable(isText),
  memo: nullable(isText),
}

export function decodeJournalRow(bytes: Bytes): JournalRow {
  const raw = decodeRaw(bytes, 4096, 'journal row')
  if (!Array.isArray(raw) || raw.length !== JOURNAL_FIELDS.length) {
    throw invalidField('journalRow', `must be a tuple of ${JOURNAL_FIELDS.length} fields`)
  }
  const out: Record<string, unknown> = {}
  JOURNAL_FIELDS.forEach((f, i) => {
    const v = raw[i]
    if (!CHECKS[f](v)) throw invalidField(`journalRow.${f}`, 'has the wrong type')
    out[f] = v
  })
  return out as unknown as JournalRow
}
