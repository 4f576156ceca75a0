/**
 * The fold of reconcile.ts: each journal row into the sums it belongs to, in one pass and in any
 * order (a row's height says its bucket, so rows out of order still sum right; the order is checked
 * apart): the journal up to H, the point record's rows in (H, Hp], and per merchant the rows between
 * H and its own record's proof height. Rows of another point, above the height asked for, or
 * malformed are kept out of the sums and the first of each is noted for the sanity checks.
 */
import type { ProvenMerchant } from './records.ts'
import type { JournalRow } from './types.ts'

/** Distinct unlisted merchants remembered from the journal: past this the count is wrong anyway. */
const MAX_UNLISTED = 1_000
const JOURNAL_EVENTS = new Set([
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
])
/** Rows between customers, purses, campaigns and the manager's breakage: no merchant's books move. */
const NO_MERCHANT_EVENTS = new Set([
  'transfer',
  'expire',
  'purseLock',
  'purseReturn',
  'campaignBonus',
  'trafficClaim',
])
/** Rows between a campaign and its funder: a merchant's books move, the manager's funding mints or burns. */
const CAMPAIGN_FUNDER_EVENTS = new Set(['campaignFund', 'campaignReturn'])

/** What a row moves into (+) or out of (−) customer balances (state/statement.ts `customerDelta`). */
export function customerDelta(r: JournalRow): number {
  switch (r.event) {
    case 'campaignBonus':
      return r.toRole === 'customer' ? r.amount : 0
    case 'award':
    case 'purseReturn':
    case 'refund':
    case 'trafficClaim':
      return r.amount
    case 'pay':
    case 'expire':
    case 'purseLock':
    case 'cancelAward':
      return -r.amount
    default:
      return 0
  }
}

/** What a row moves into (+) or out of (−) campaign budgets (state/statement.ts `campaignDelta`). */
export function campaignDelta(r: JournalRow): number {
  if (r.event === 'campaignFund') return r.amount
  return r.event === 'campaignBonus' || r.event === 'campaignReturn' ? -r.amount : 0
}

/**
 * What a row moves into (+) or out of (−) points pseudonyms earned and have not claimed
 * (state/statement.ts `unclaimedDelta`).
 */
export function unclaimedDelta(r: JournalRow): number {
  if (r.event === 'trafficEarn') return r.amount
  if (r.event === 'trafficClaim') return -r.amount
  return r.event === 'campaignBonus' && r.toRole === 'pseudonym' ? r.amount : 0
}

/** The manager's campaign funding (minted) and returns (burned), by the row's roles. */
const campaignFundedOf = (r: JournalRow) =>
  r.event === 'campaignFund' && r.fromRole === 'manager' ? r.amount : 0
const campaignReturnedOf = (r: JournalRow) =>
  r.event === 'campaignReturn' && r.toRole === 'manager' ? r.amount : 0

/** What a row moves into (+) or out of (−) offline purses (state/statement.ts `purseDelta`). */
export function purseDelta(r: JournalRow): number {
  if (r.event === 'purseLock') return r.amount
  return r.event === 'pursePay' || r.event === 'purseReturn' ? -r.amount : 0
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v)
export const isCount = (v: unknown): v is number => isInt(v) && (v as number) >= 0
export const cursorOf = (r: JournalRow) => `${r.height}.${r.txIndex}.${r.row}`

export interface Proven<T> {
  readonly record: T
  readonly height: number
}
/** A merchant's running sums: up to H, and the rows between H and its record's proof height. */
export interface MerchantBooks {
  readonly address: string
  readonly proven: Proven<ProvenMerchant>
  float: number
  liability: number
  /** State at H = proven − tail (rows in (H, proof height]; negative for rows in (proof height, H]). */
  tailFloat: number
  tailLiability: number
}

export interface Fold {
  rows: number
  readonly journal: {
    customers: number
    purses: number
    floats: number
    liabilities: number
    repaid: number
    redeemed: number
    expired: number
    campaigns: number
    campaignFunded: number
    campaignReturned: number
    unclaimed: number
  }
  /** Rows in (H, Hp]: what the point record moved after H. */
  readonly tail: {
    supply: number
    liability: number
    locked: number
    repaid: number
    redeemed: number
    expired: number
    campaigns: number
    campaignFunded: number
    campaignReturned: number
    unclaimed: number
  }
  /** Distinct merchants named by rows up to Hp that the listing lacks. */
  readonly unlisted: Set<string>
  firstUnlisted: string | null
  disorder: JournalRow | null
  tooHigh: JournalRow | null
  otherPoint: JournalRow | null
  malformed: JournalRow | null
}

export function wellFormed(r: JournalRow): boolean {
  if (typeof r !== 'object' || r === null) return false
  if (!isCount(r.height) || !isCount(r.txIndex) || !isCount(r.row)) return false
  if (!JOURNAL_EVENTS.has(r.event) || !isCount(r.amount)) return false
  if (!isInt(r.floatDelta) || !isInt(r.liabilityDelta)) return false
  if (NO_MERCHANT_EVENTS.has(r.event)) return r.floatDelta === 0 && r.liabilityDelta === 0
  // The manager's campaign funding and returns name no merchant and move no merchant's books.
  if (CAMPAIGN_FUNDER_EVENTS.has(r.event) && r.merchant === null)
    return r.floatDelta === 0 && r.liabilityDelta === 0
  return typeof r.merchant === 'string'
}

/** Folds one row into the sums it belongs to, and notes the first row breaking each sanity rule. */
export function foldRow(
  f: Fold,
  r: JournalRow,
  previous: JournalRow | null,
  at: { point: string; height: number; provenHeight: number; toHeight: number },
  merchants: ReadonlyMap<string, MerchantBooks>,
): void {
  if (!wellFormed(r)) {
    f.malformed ??= r
    return
  }
  if (previous !== null && compareRows(previous, r) >= 0) f.disorder ??= r
  if (r.height > at.toHeight) {
    f.tooHigh ??= r
    return
  }
  if (r.point !== at.point) {
    f.otherPoint ??= r
    return
  }
  const customers = customerDelta(r)
  const purses = purseDelta(r)
  const repaid = r.event === 'repay' ? r.amount : 0
  const redeemed = r.event === 'redeem' ? r.amount : 0
  const expired = r.event === 'expire' ? r.amount : 0
  const campaigns = campaignDelta(r)
  const campaignFunded = campaignFundedOf(r)
  const campaignReturned = campaignReturnedOf(r)
  const unclaimed = unclaimedDelta(r)
  if (r.height <= at.height) {
    const j = f.journal
    j.customers += customers
    j.purses += purses
    j.floats += r.floatDelta
    j.liabilities += r.liabilityDelta
    j.repaid += repaid
    j.redeemed += redeemed
    j.expired += expired
    j.campaigns += campaigns
    j.campaignFunded += campaignFunded
    j.campaignReturned += campaignReturned
    j.unclaimed += unclaimed
  } else if (r.height <= at.provenHeight) {
    f.tail.supply += customers + purses + campaigns + unclaimed + r.floatDelta
    f.tail.unclaimed += unclaimed
    f.tail.campaigns += campaigns
    f.tail.campaignFunded += campaignFunded
    f.tail.campaignReturned += campaignReturned
    f.tail.liability += r.liabilityDelta
    f.tail.locked += purses
    f.tail.repaid += repaid
    f.tail.redeemed += redeemed
    f.tail.expired += expired
  }
  if (r.merchant === null) return
  const m = merchants.get(r.merchant)
  if (m === undefined) {
    if (r.height <= at.provenHeight) {
      f.firstUnlisted ??= r.merchant
      if (f.unlisted.size < MAX_UNLISTED) f.unlisted.add(r.merchant)
    }
    return
  }
  if (r.height <= at.height) {
    m.float += r.floatDelta
    m.liability += r.liabilityDelta
  }
  // The proven record is at its own height: undo the rows after H it includes, add those it lacks.
  const afterH = r.height > at.height
  const inRecord = r.height <= m.proven.height
  if (afterH === inRecord) {
    const sign = afterH ? 1 : -1
    m.tailFloat += sign * r.floatDelta
    m.tailLiability += sign * r.liabilityDelta
  }
}

function compareRows(a: JournalRow, b: JournalRow): number {
  return a.height - b.height || a.txIndex - b.txIndex || a.row - b.row
}

export function createFold(): Fold {
  return {
    rows: 0,
    journal: {
      customers: 0,
      purses: 0,
      floats: 0,
      liabilities: 0,
      repaid: 0,
      redeemed: 0,
      expired: 0,
      campaigns: 0,
      campaignFunded: 0,
      campaignReturned: 0,
      unclaimed: 0,
    },
    tail: {
      supply: 0,
      liability: 0,
      locked: 0,
      repaid: 0,
      redeemed: 0,
      expired: 0,
      campaigns: 0,
      campaignFunded: 0,
      campaignReturned: 0,
      unclaimed: 0,
    },
    unlisted: new Set(),
    firstUnlisted: null,
    disorder: null,
    tooHigh: null,
    otherPoint: null,
    malformed: null,
  }
}
