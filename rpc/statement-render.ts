/**
 * Statements as bytes: the settlement statement and the sponsor usage statement, each as JSON and as
 * CSV. The same statement always renders to the same bytes (fixed key and column order, addresses in
 * bech32m, no time of rendering, no node name), so its SHA-256, sent as `x-statement-sha256`, is the
 * same on every node: a manager and a merchant can compare hashes instead of documents.
 *
 * The CSV columns (SETTLEMENT_CSV_COLUMNS, USAGE_CSV_COLUMNS) are a stable contract: append only.
 * Every line repeats the point and the period so that lines from several statements can be pasted
 * into one sheet; the last line is the totals, with `TOTAL` for a merchant (or grantee). Breakage
 * (points that expired in the period, issue 15) is the point's, no merchant's: the last two
 * settlement columns are empty on merchant lines and carry it on the TOTAL line. Campaigns (issue 15)
 * append four: what a merchant funded its campaigns with and got back (on its line; the TOTAL line
 * sums them), and the period's bonuses (count and points, the point's: TOTAL line only).
 */

import { utf8 } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import type { Period } from '../state/period.ts'
import { formatZoned } from '../state/period.ts'
import type { SponsorUsageStatement } from '../state/sponsor-usage.ts'
import type { MerchantStatement, SettlementStatement } from '../state/statement.ts'
import { csvField, csvText } from './journal-render.ts'
import { address, hex } from './json.ts'

export const SETTLEMENT_FORMAT = 'arcade.settlement-statement/1'
export const USAGE_FORMAT = 'arcade.sponsor-usage/1'

export interface RenderedStatement {
  readonly body: Uint8Array
  readonly contentType: string
  /** Hex SHA-256 of `body`. */
  readonly sha256: string
  readonly filename: string
}

const renderPeriod = (p: Period) => ({
  label: p.label,
  kind: p.kind,
  timeZone: p.timeZone,
  from: formatZoned(p.startMs, p.timeZone),
  to: formatZoned(p.endMs, p.timeZone),
  startMs: p.startMs,
  endMs: p.endMs,
})

/** The numeric columns of a merchant's line, in order. */
export const STATEMENT_AMOUNTS = [
  'openingFloat',
  'openingLiability',
  'awardCount',
  'awardedFromFloat',
  'awardedOnCredit',
  'paymentCount',
  'paymentsReceived',
  'paymentsToFloat',
  'paymentsClearingLiability',
  'repayments',
  'repaymentsToFloat',
  'repaymentsClearingLiability',
  'redemptions',
  'refunds',
  'awardsCancelled',
  'closingFloat',
  'closingLiability',
  'owedToManager',
  'owedToMerchant',
  'net',
] as const satisfies readonly (keyof MerchantStatement)[]

/** A merchant line's campaign columns, after the breakage columns (append only). */
export const CAMPAIGN_AMOUNTS = [
  'campaignFunding',
  'campaignReturns',
] as const satisfies readonly (keyof MerchantStatement)[]
/** A merchant line's traffic column, after the campaign bonus columns (append only). */
export const TRAFFIC_AMOUNTS = ['trafficEarned'] as const satisfies readonly (keyof MerchantStatement)[]
type LineAmounts = Pick<
  MerchantStatement,
  (typeof STATEMENT_AMOUNTS)[number] | (typeof CAMPAIGN_AMOUNTS)[number] | (typeof TRAFFIC_AMOUNTS)[number]
>

const amounts = (line: LineAmounts) =>
  Object.fromEntries([...STATEMENT_AMOUNTS, ...CAMPAIGN_AMOUNTS, ...TRAFFIC_AMOUNTS].map((k) => [k, line[k]]))

/** The statement as a JSON document (the object `renderSettlementJson` serialises). */
export function settlementDocument(s: SettlementStatement): Record<string, unknown> {
  return {
    format: SETTLEMENT_FORMAT,
    point: s.point,
    pointName: s.pointName,
    decimals: s.decimals,
    period: renderPeriod(s.period),
    fromHeight: s.fromHeight,
    toHeight: s.toHeight,
    final: s.final,
    asOfHeight: s.asOfHeight,
    opening: s.opening,
    closing: s.closing,
    transferCount: s.transferCount,
    transferred: s.transferred,
    expiryCount: s.expiryCount,
    expired: s.expired,
    campaignFunded: s.campaignFunded,
    campaignBonusCount: s.campaignBonusCount,
    campaignBonuses: s.campaignBonuses,
    campaignReturned: s.campaignReturned,
    trafficClaimCount: s.trafficClaimCount,
    trafficClaimed: s.trafficClaimed,
    totals: amounts(s.totals),
    merchants: s.merchants.map((m) => ({ merchant: address(m.merchant), name: m.name, ...amounts(m) })),
  }
}

export const SETTLEMENT_CSV_COLUMNS = [
  'point',
  'period',
  'timeZone',
  'final',
  'merchant',
  'name',
  ...STATEMENT_AMOUNTS,
  'expiryCount',
  'expired',
  ...CAMPAIGN_AMOUNTS,
  'campaignBonusCount',
  'campaignBonuses',
  ...TRAFFIC_AMOUNTS,
  'trafficClaimCount',
  'trafficClaimed',
] as const

function finish(text: string, contentType: string, filename: string): RenderedStatement {
  const body = utf8(text)
  return { body, contentType, sha256: hex(sha256(body)), filename }
}

const baseName = (kind: string, point: string, p: Period) =>
  `${kind}-${point}-${p.label}-${p.timeZone.replaceAll('/', '_')}`

export function renderSettlement(s: SettlementStatement, format: 'json' | 'csv'): RenderedStatement {
  const name = baseName('statement', s.point, s.period)
  if (format === 'json') {
    const text = `${JSON.stringify(settlementDocument(s), null, 2)}\n`
    return finish(text, 'application/json; charset=utf-8', `${name}.json`)
  }
  const head = [s.point, s.period.label, s.period.timeZone, String(s.final)].map(csvField)
  const line = (
    who: string,
    name: string,
    row: LineAmounts,
    breakage: readonly string[],
    bonuses: readonly string[],
    claims: readonly string[],
  ) =>
    `${[
      ...head,
      who,
      csvText(name),
      ...STATEMENT_AMOUNTS.map((k) => String(row[k])),
      ...breakage,
      ...CAMPAIGN_AMOUNTS.map((k) => String(row[k])),
      ...bonuses,
      ...TRAFFIC_AMOUNTS.map((k) => String(row[k])),
      ...claims,
    ].join(',')}\r\n`
  let text = `${SETTLEMENT_CSV_COLUMNS.join(',')}\r\n`
  for (const m of s.merchants) text += line(address(m.merchant), m.name, m, ['', ''], ['', ''], ['', ''])
  text += line(
    'TOTAL',
    '',
    s.totals,
    [String(s.expiryCount), String(s.expired)],
    [String(s.campaignBonusCount), String(s.campaignBonuses)],
    [String(s.trafficClaimCount), String(s.trafficClaimed)],
  )
  return finish(text, 'text/csv; charset=utf-8', `${name}.csv`)
}

export function usageDocument(s: SponsorUsageStatement): Record<string, unknown> {
  return {
    format: USAGE_FORMAT,
    point: s.point,
    sponsor: address(s.sponsor),
    period: renderPeriod(s.period),
    fromHeight: s.fromHeight,
    toHeight: s.toHeight,
    final: s.final,
    asOfHeight: s.asOfHeight,
    total: s.total,
    byKind: s.byKind.map((k) => ({ kind: k.kind, txs: k.txs, failed: k.failed })),
    byGrantee: s.byGrantee.map((g) => ({ grantee: address(g.grantee), txs: g.txs, failed: g.failed })),
  }
}

/** One line per kind, then one per grantee, then the total: `table` says which. */
export const USAGE_CSV_COLUMNS = [
  'point',
  'period',
  'timeZone',
  'final',
  'sponsor',
  'table',
  'kind',
  'grantee',
  'txs',
  'failed',
] as const

export function renderUsage(s: SponsorUsageStatement, format: 'json' | 'csv'): RenderedStatement {
  const name = baseName('sponsor-usage', s.point, s.period)
  if (format === 'json') {
    const text = `${JSON.stringify(usageDocument(s), null, 2)}\n`
    return finish(text, 'application/json; charset=utf-8', `${name}.json`)
  }
  const head = [s.point, s.period.label, s.period.timeZone, String(s.final), address(s.sponsor)].map(csvField)
  const line = (table: string, kind: string, grantee: string, c: { txs: number; failed: number }) =>
    `${[...head, table, csvField(kind), grantee, c.txs, c.failed].join(',')}\r\n`
  let text = `${USAGE_CSV_COLUMNS.join(',')}\r\n`
  for (const k of s.byKind) text += line('kind', k.kind, '', k)
  for (const g of s.byGrantee) text += line('grantee', '', address(g.grantee), g)
  text += line('total', '', 'TOTAL', s.total)
  return finish(text, 'text/csv; charset=utf-8', `${name}.csv`)
}
