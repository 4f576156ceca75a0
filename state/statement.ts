/**
 * Settlement statements: per merchant of a point, what happened over a period and where its books
 * stand at both ends, summed from journal rows (journal.ts). Pure and deterministic: the same chain
 * and period always give the same statement, whichever later height it is computed at.
 *
 * The state is read at one height H (a snapshot); the period starts at block time `startMs`. The
 * caller folds every journal row of the point from the period's first block up to H, in order:
 * - opening = the state at H minus every folded row (all of them are at or after the period's start);
 * - the period's own rows (time < endMs) give the movements, and closing = opening + them.
 * Only rows after the period's start are read, so a statement for last month costs last month's rows
 * and those since, never the whole chain.
 *
 * Yen between the manager and a merchant, per period (README, "Settlement"):
 * - owedToManager: the closing liability, points the merchant awarded on credit and has not cleared;
 * - owedToMerchant: the redemptions of the period, points the merchant burned for yen;
 * - net = owedToMerchant − owedToManager (positive: the manager pays the merchant).
 * Breakage (issue 15): points that expired in the period (`expired`, from `expire` rows) left the
 * customers' balances and belong to the manager; they move no merchant's books.
 * Campaigns (issue 15): points held in campaign budgets (`campaigns`) are a term of the books, the
 * manager's funding and its burned returns (cumCampaignFunded, cumCampaignReturned) two more; a
 * merchant's line shows what it put into its campaigns and got back (its float and liability move
 * with them), and the period's bonuses are the point's.
 * Traffic (issue 16): points traffic earned for pseudonyms and not yet claimed (`unclaimed`) are a
 * term of the books too; a merchant's line shows what its traffic earned customers (charged to its
 * float, then credit, as awards are), and the period's claims are the point's.
 */
import { type Bytes, bytesKey, compareBytes } from '../protocol/bytes.ts'
import type { JournalRow } from './journal.ts'
import type { Period } from './period.ts'
import type { PointRecord } from './records.ts'

/** A merchant's record at the snapshot height. */
export interface MerchantAtSnapshot {
  readonly address: Bytes
  readonly name: string
  readonly float: number
  readonly liability: number
}

export interface StatementSnapshot {
  readonly height: number
  readonly point: PointRecord
  /** Every merchant of the point at `height`. */
  readonly merchants: readonly MerchantAtSnapshot[]
}

export interface MerchantStatement {
  readonly merchant: Bytes
  readonly name: string
  readonly openingFloat: number
  readonly openingLiability: number
  readonly awardCount: number
  readonly awardedFromFloat: number
  readonly awardedOnCredit: number
  readonly paymentCount: number
  readonly paymentsReceived: number
  readonly paymentsToFloat: number
  readonly paymentsClearingLiability: number
  readonly repayments: number
  readonly repaymentsToFloat: number
  readonly repaymentsClearingLiability: number
  readonly redemptions: number
  /** Σ refunded to customers (merchant.refund), given as awards are: float first, then credit. */
  readonly refunds: number
  /** Σ of the awards cancelled (merchant.cancelAward), taken back as payments are. */
  readonly awardsCancelled: number
  /** Points the merchant put into its own campaigns' budgets in the period (float, then credit). */
  readonly campaignFunding: number
  /** What its closed campaigns gave back in the period (liability first, then float). */
  readonly campaignReturns: number
  /** Points its recorded traffic earned customers' pseudonyms (charged as awards are). */
  readonly trafficEarned: number
  readonly closingFloat: number
  readonly closingLiability: number
  readonly owedToManager: number
  readonly owedToMerchant: number
  readonly net: number
}

/**
 * The books of the point at one instant: Σ customers + purses + Σ (float − liability) + campaigns +
 * unclaimed =
 * repaid − redeemed − expired + campaignFunded − campaignReturned, where `purses` is what offline
 * purses hold (locked, not yet paid out or returned), `expired` the breakage so far (cumExpired),
 * `campaigns` what campaign budgets hold, `unclaimed` what pseudonyms earned and have not claimed,
 * and the last two the manager's campaign funding and returns.
 */
export interface BooksAt {
  readonly customers: number
  readonly purses: number
  readonly floats: number
  readonly liabilities: number
  readonly cumRepaid: number
  readonly cumRedeemed: number
  readonly holds: boolean
  /** Σ points expired out of customers' balances up to this instant (breakage). */
  readonly cumExpired: number
  /** Points held in campaign budgets (campaignBudgets). */
  readonly campaigns: number
  readonly cumCampaignFunded: number
  readonly cumCampaignReturned: number
  /** Points traffic earned for pseudonyms, not yet claimed (trafficUnclaimed). */
  readonly unclaimed: number
}

export interface SettlementStatement {
  readonly point: string
  readonly pointName: string
  readonly decimals: number
  readonly period: Period
  /** The heights of the period's first and last blocks; null when no block fell in the period. */
  readonly fromHeight: number | null
  readonly toHeight: number | null
  /**
   * False while the period is still open (no block after it yet): the figures can still change, and
   * `asOfHeight` says which height they stand at. A final statement names no later height.
   */
  readonly final: boolean
  readonly asOfHeight: number | null
  readonly opening: BooksAt
  readonly closing: BooksAt
  /** Customer-to-customer transfers in the period. */
  readonly transferCount: number
  readonly transferred: number
  /** The point's totals, the sum of the merchants' lines. */
  readonly totals: Omit<MerchantStatement, 'merchant' | 'name'>
  /** Merchants with a balance at either end or a movement in the period, ascending by address. */
  readonly merchants: readonly MerchantStatement[]
  /** Breakage in the period: how many expiries (one per account and tx or block) and their sum. */
  readonly expiryCount: number
  readonly expired: number
  /** Campaigns in the period: points funded into budgets (by the manager and merchants), paid as bonuses, returned. */
  readonly campaignFunded: number
  readonly campaignBonusCount: number
  readonly campaignBonuses: number
  readonly campaignReturned: number
  /** Traffic in the period: points claimed from pseudonyms into accounts (what was earned is per merchant). */
  readonly trafficClaimCount: number
  readonly trafficClaimed: number
}

interface Flow {
  float: number
  liability: number
}

type PeriodCounts = {
  -readonly [K in Exclude<
    keyof MerchantStatement,
    'merchant' | 'name' | `opening${string}` | `closing${string}` | `owed${string}` | 'net'
  >]: number
}

interface MerchantTally {
  address: Bytes
  name: string
  snapshot: Flow
  /** Σ deltas of every folded row (since the period's start) and of the period's rows alone. */
  since: Flow
  inPeriod: Flow
  counts: PeriodCounts
}

const zeroCounts = (): PeriodCounts => ({
  awardCount: 0,
  awardedFromFloat: 0,
  awardedOnCredit: 0,
  paymentCount: 0,
  paymentsReceived: 0,
  paymentsToFloat: 0,
  paymentsClearingLiability: 0,
  repayments: 0,
  repaymentsToFloat: 0,
  repaymentsClearingLiability: 0,
  redemptions: 0,
  refunds: 0,
  awardsCancelled: 0,
  campaignFunding: 0,
  campaignReturns: 0,
  trafficEarned: 0,
})

export interface StatementFold {
  /** One journal row of the point, in journal order, at or after the period's first block. */
  add(row: JournalRow): void
  finish(heights: { fromHeight: number | null; toHeight: number | null; final: boolean }): SettlementStatement
}

export function createStatementFold(
  pointId: string,
  period: Period,
  snapshot: StatementSnapshot,
): StatementFold {
  const tallies = new Map<string, MerchantTally>()
  const tallyOf = (address: Bytes): MerchantTally => {
    const key = bytesKey(address)
    let t = tallies.get(key)
    if (t === undefined) {
      t = {
        address,
        name: '',
        snapshot: { float: 0, liability: 0 },
        since: { float: 0, liability: 0 },
        inPeriod: { float: 0, liability: 0 },
        counts: zeroCounts(),
      }
      tallies.set(key, t)
    }
    return t
  }
  let snapshotFloats = 0
  for (const m of snapshot.merchants) {
    const t = tallyOf(m.address)
    t.name = m.name
    t.snapshot = { float: m.float, liability: m.liability }
    snapshotFloats += m.float
  }
  // Point-wide: customers' balances and the cumulative fiat figures, since the start and in the period.
  const since = {
    customers: 0,
    purses: 0,
    repaid: 0,
    redeemed: 0,
    expired: 0,
    campaigns: 0,
    campaignFunded: 0,
    campaignReturned: 0,
    unclaimed: 0,
  }
  const inPeriod = {
    customers: 0,
    purses: 0,
    transferCount: 0,
    transferred: 0,
    expiryCount: 0,
    expired: 0,
    campaigns: 0,
    campaignFunded: 0,
    campaignReturned: 0,
    campaignFunding: 0,
    campaignBonusCount: 0,
    campaignBonuses: 0,
    campaignReturns: 0,
    unclaimed: 0,
    trafficClaimCount: 0,
    trafficClaimed: 0,
  }

  function add(row: JournalRow): void {
    // Rows before the period are already in the opening (the snapshot holds them); rows after the
    // snapshot are not in it, so neither may be folded.
    if (row.point !== pointId || row.timeMs < period.startMs || row.height > snapshot.height) return
    const within = row.timeMs < period.endMs
    const customers = customerDelta(row)
    const purses = purseDelta(row)
    const campaigns = campaignDelta(row)
    const unclaimed = unclaimedDelta(row)
    // The manager's side of campaigns: minted into budgets, burned out of them.
    const minted = row.event === 'campaignFund' && row.fromRole === 'manager' ? row.amount : 0
    const burned = row.event === 'campaignReturn' && row.toRole === 'manager' ? row.amount : 0
    since.customers += customers
    since.purses += purses
    since.campaigns += campaigns
    since.campaignFunded += minted
    since.campaignReturned += burned
    since.unclaimed += unclaimed
    if (row.event === 'repay') since.repaid += row.amount
    if (row.event === 'redeem') since.redeemed += row.amount
    if (within) {
      inPeriod.customers += customers
      inPeriod.purses += purses
      inPeriod.campaigns += campaigns
      inPeriod.campaignFunded += minted
      inPeriod.campaignReturned += burned
      inPeriod.unclaimed += unclaimed
      if (row.event === 'trafficClaim') {
        inPeriod.trafficClaimCount++
        inPeriod.trafficClaimed += row.amount
      }
      if (row.event === 'campaignFund') inPeriod.campaignFunding += row.amount
      if (row.event === 'campaignReturn') inPeriod.campaignReturns += row.amount
      if (row.event === 'campaignBonus') {
        inPeriod.campaignBonusCount++
        inPeriod.campaignBonuses += row.amount
      }
    }
    if (row.event === 'expire') {
      since.expired += row.amount
      if (within) {
        inPeriod.expiryCount++
        inPeriod.expired += row.amount
      }
      return
    }
    if (row.event === 'transfer') {
      if (within) {
        inPeriod.transferCount++
        inPeriod.transferred += row.amount
      }
      return
    }
    if (row.merchant === null) return
    const t = tallyOf(row.merchant)
    t.since.float += row.floatDelta
    t.since.liability += row.liabilityDelta
    if (!within) return
    t.inPeriod.float += row.floatDelta
    t.inPeriod.liability += row.liabilityDelta
    const c = t.counts
    switch (row.event) {
      case 'award':
        c.awardCount++
        c.awardedFromFloat -= row.floatDelta
        c.awardedOnCredit += row.liabilityDelta
        break
      case 'pay':
      case 'pursePay':
        c.paymentCount++
        c.paymentsReceived += row.amount
        c.paymentsToFloat += row.floatDelta
        c.paymentsClearingLiability -= row.liabilityDelta
        break
      case 'repay':
        c.repayments += row.amount
        c.repaymentsToFloat += row.floatDelta
        c.repaymentsClearingLiability -= row.liabilityDelta
        break
      case 'redeem':
        c.redemptions += row.amount
        break
      case 'refund':
        c.refunds += row.amount
        break
      case 'cancelAward':
        c.awardsCancelled += row.amount
        break
      case 'campaignFund':
        c.campaignFunding += row.amount
        break
      case 'campaignReturn':
        c.campaignReturns += row.amount
        break
      case 'trafficEarn':
        c.trafficEarned += row.amount
        break
    }
  }

  function finish(heights: {
    fromHeight: number | null
    toHeight: number | null
    final: boolean
  }): SettlementStatement {
    const lines: MerchantStatement[] = []
    for (const t of [...tallies.values()].sort((a, b) => compareBytes(a.address, b.address))) {
      const openingFloat = t.snapshot.float - t.since.float
      const openingLiability = t.snapshot.liability - t.since.liability
      const closingFloat = openingFloat + t.inPeriod.float
      const closingLiability = openingLiability + t.inPeriod.liability
      const c = t.counts
      const active =
        c.awardCount +
          c.paymentCount +
          c.repayments +
          c.redemptions +
          c.refunds +
          c.awardsCancelled +
          c.campaignFunding +
          c.campaignReturns +
          c.trafficEarned >
        0
      const balances =
        openingFloat !== 0 || openingLiability !== 0 || closingFloat !== 0 || closingLiability !== 0
      if (!active && !balances) continue
      lines.push({
        merchant: t.address,
        name: t.name,
        openingFloat,
        openingLiability,
        ...c,
        closingFloat,
        closingLiability,
        owedToManager: closingLiability,
        owedToMerchant: c.redemptions,
        net: c.redemptions - closingLiability,
      })
    }
    const totals = sumLines(lines)
    const p = snapshot.point
    const opening = books({
      customers:
        p.totalSupply -
        snapshotFloats -
        p.totalLocked -
        p.campaignBudgets -
        p.trafficUnclaimed -
        since.customers,
      purses: p.totalLocked - since.purses,
      floats: totals.openingFloat,
      liabilities: totals.openingLiability,
      cumRepaid: p.cumRepaid - since.repaid,
      cumRedeemed: p.cumRedeemed - since.redeemed,
      cumExpired: p.cumExpired - since.expired,
      campaigns: p.campaignBudgets - since.campaigns,
      cumCampaignFunded: p.cumCampaignFunded - since.campaignFunded,
      cumCampaignReturned: p.cumCampaignReturned - since.campaignReturned,
      unclaimed: p.trafficUnclaimed - since.unclaimed,
    })
    const closing = books({
      customers: opening.customers + inPeriod.customers,
      purses: opening.purses + inPeriod.purses,
      floats: totals.closingFloat,
      liabilities: totals.closingLiability,
      cumRepaid: opening.cumRepaid + totals.repayments,
      cumRedeemed: opening.cumRedeemed + totals.redemptions,
      cumExpired: opening.cumExpired + inPeriod.expired,
      campaigns: opening.campaigns + inPeriod.campaigns,
      cumCampaignFunded: opening.cumCampaignFunded + inPeriod.campaignFunded,
      cumCampaignReturned: opening.cumCampaignReturned + inPeriod.campaignReturned,
      unclaimed: opening.unclaimed + inPeriod.unclaimed,
    })
    return {
      point: pointId,
      pointName: p.name,
      decimals: p.decimals,
      period,
      fromHeight: heights.fromHeight,
      toHeight: heights.toHeight,
      final: heights.final,
      asOfHeight: heights.final ? null : snapshot.height,
      opening,
      closing,
      transferCount: inPeriod.transferCount,
      transferred: inPeriod.transferred,
      totals,
      merchants: lines,
      expiryCount: inPeriod.expiryCount,
      expired: inPeriod.expired,
      campaignFunded: inPeriod.campaignFunding,
      campaignBonusCount: inPeriod.campaignBonusCount,
      campaignBonuses: inPeriod.campaignBonuses,
      campaignReturned: inPeriod.campaignReturns,
      trafficClaimCount: inPeriod.trafficClaimCount,
      trafficClaimed: inPeriod.trafficClaimed,
    }
  }

  return { add, finish }
}

function books(b: Omit<BooksAt, 'holds'>): BooksAt {
  const left = b.customers + b.purses + b.floats - b.liabilities + b.campaigns + b.unclaimed
  const right = b.cumRepaid - b.cumRedeemed - b.cumExpired + b.cumCampaignFunded - b.cumCampaignReturned
  return {
    customers: b.customers,
    purses: b.purses,
    floats: b.floats,
    liabilities: b.liabilities,
    cumRepaid: b.cumRepaid,
    cumRedeemed: b.cumRedeemed,
    holds: left === right,
    cumExpired: b.cumExpired,
    campaigns: b.campaigns,
    cumCampaignFunded: b.cumCampaignFunded,
    cumCampaignReturned: b.cumCampaignReturned,
    unclaimed: b.unclaimed,
  }
}

/** What a row moves into (+) or out of (−) customer balances. */
export function customerDelta(row: Pick<JournalRow, 'event' | 'amount' | 'toRole'>): number {
  switch (row.event) {
    case 'campaignBonus':
      return row.toRole === 'customer' ? row.amount : 0
    case 'award':
    case 'purseReturn':
    case 'refund':
    case 'trafficClaim':
      return row.amount
    case 'pay':
    case 'expire':
    case 'purseLock':
    case 'cancelAward':
      return -row.amount
    default:
      return 0
  }
}

/** What a row moves into (+) or out of (−) offline purses. */
export function purseDelta(row: Pick<JournalRow, 'event' | 'amount'>): number {
  if (row.event === 'purseLock') return row.amount
  return row.event === 'pursePay' || row.event === 'purseReturn' ? -row.amount : 0
}

/** What a row moves into (+) or out of (−) campaign budgets. */
export function campaignDelta(row: Pick<JournalRow, 'event' | 'amount'>): number {
  if (row.event === 'campaignFund') return row.amount
  return row.event === 'campaignBonus' || row.event === 'campaignReturn' ? -row.amount : 0
}

/** What a row moves into (+) or out of (−) the points pseudonyms have earned and not claimed. */
export function unclaimedDelta(row: Pick<JournalRow, 'event' | 'amount' | 'toRole'>): number {
  if (row.event === 'trafficEarn') return row.amount
  if (row.event === 'trafficClaim') return -row.amount
  return row.event === 'campaignBonus' && row.toRole === 'pseudonym' ? row.amount : 0
}

/** The column sums of the merchants' lines (every numeric field). */
export function sumLines(lines: readonly MerchantStatement[]): SettlementStatement['totals'] {
  const total = {
    openingFloat: 0,
    openingLiability: 0,
    ...zeroCounts(),
    closingFloat: 0,
    closingLiability: 0,
    owedToManager: 0,
    owedToMerchant: 0,
    net: 0,
  }
  const sums = total as Record<string, number>
  for (const line of lines) {
    for (const k of Object.keys(total))
      sums[k] = (sums[k] as number) + (line as unknown as Record<string, number>)[k]!
  }
  return total
}
