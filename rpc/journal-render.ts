/**
 * The journal's two outward forms: a JSON object per row and a CSV line per row. The CSV columns
 * (JOURNAL_CSV_COLUMNS) are a stable contract: append only, never reorder or rename.
 *
 * CSV is RFC 4180: comma separated, CRLF line ends, a field quoted when it holds a comma, a quote,
 * CR or LF, with inner quotes doubled. Free text a tx author chose (memo, fiatRef) that starts with
 * `=`, `+`, `-`, `@`, a tab or CR is prefixed with `'`, so a spreadsheet shows it instead of running
 * it as a formula (OWASP "CSV injection").
 */
import type { JournalRow } from '../state/journal.ts'
import { address, hex } from './json.ts'

export const JOURNAL_CSV_COLUMNS = [
  'height',
  'time',
  'timeMs',
  'txIndex',
  'row',
  'txHash',
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
] as const

/** What each column holds, for the OpenAPI description and the README. */
export const JOURNAL_CSV_DOC =
  'height, time (block time, ISO 8601 UTC), timeMs, txIndex (4294967295 for the block’s own rows, after its txs), ' +
  'row (the row among the tx’s movements), ' +
  'txHash (hex; zeros for a block row), kind (tx body kind, or block), event (award | pay | repay | redeem | ' +
  'transfer | expire | purseLock | pursePay | purseReturn | refund | cancelAward | campaignFund | campaignBonus | campaignReturn), ' +
  'point, ' +
  'from, fromRole, to, toRole (customer | merchant | manager | purse | campaign; award: merchant → customer, pay: customer → ' +
  'merchant, repay: manager → merchant, redeem: merchant → manager, transfer: customer → customer, ' +
  'expire: customer → manager, expired points burned as breakage, purseLock: customer → purse, ' +
  'pursePay: purse → merchant, purseReturn: purse → customer, refund: merchant → customer, ' +
  'cancelAward: customer → merchant, campaignFund: manager (minted) or merchant → campaign, ' +
  'campaignBonus: campaign → customer, campaignReturn: campaign → manager (burned) or merchant; a campaign’s ' +
  'address is the SHA-256 of its tagged point and id), amount, ' +
  'merchant, terminal, device, spender (addresses, empty when none), floatDelta and liabilityDelta (signed change of ' +
  'the merchant’s float and liability), sponsor, fiatRef (repay/redeem/campaignFund), memo (award/pay)'

const or = (b: Uint8Array | null) => (b === null ? null : address(b))

export function renderJournalRow(row: JournalRow): Record<string, unknown> {
  return {
    height: row.height,
    time: new Date(row.timeMs).toISOString(),
    timeMs: row.timeMs,
    txIndex: row.txIndex,
    row: row.row,
    txHash: hex(row.txHash),
    kind: row.kind,
    event: row.event,
    point: row.point,
    from: address(row.from),
    fromRole: row.fromRole,
    to: address(row.to),
    toRole: row.toRole,
    amount: row.amount,
    merchant: or(row.merchant),
    terminal: or(row.terminal),
    device: or(row.device),
    spender: or(row.spender),
    floatDelta: row.floatDelta,
    liabilityDelta: row.liabilityDelta,
    sponsor: address(row.sponsor),
    fiatRef: row.fiatRef,
    memo: row.memo,
  }
}

const NEEDS_QUOTES = /[",\r\n]/
const FORMULA_START = /^[=+\-@\t\r]/

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/** Free text chosen by a tx's author: defused against spreadsheet formulas, then escaped. */
export function csvText(value: string | null): string {
  if (value === null) return ''
  return csvField(FORMULA_START.test(value) ? `'${value}` : value)
}

export const JOURNAL_CSV_HEADER = `${JOURNAL_CSV_COLUMNS.join(',')}\r\n`

export function journalCsvLine(row: JournalRow): string {
  const a = (b: Uint8Array | null) => (b === null ? '' : address(b))
  return `${[
    row.height,
    new Date(row.timeMs).toISOString(),
    row.timeMs,
    row.txIndex,
    row.row,
    hex(row.txHash),
    csvField(row.kind),
    row.event,
    row.point,
    address(row.from),
    row.fromRole,
    address(row.to),
    row.toRole,
    row.amount,
    a(row.merchant),
    a(row.terminal),
    a(row.device),
    a(row.spender),
    row.floatDelta,
    row.liabilityDelta,
    address(row.sponsor),
    csvText(row.fiatRef),
    csvText(row.memo),
  ].join(',')}\r\n`
}
