/**
 * Reads of the journal for the RPC: a page of one point's rows, or of the rows naming an account (or
 * a merchant) in that point, over a height or time range, after a cursor. Bounded work per call: at
 * most `maxScan` stored rows are read for one page (rows of the account's other points are skipped),
 * and a page that stops there still returns a cursor to go on from.
 */
import { type Bytes, bytesEqual } from '../protocol/bytes.ts'
import { decodeJournalRow, type JournalRow } from '../state/index.ts'
import type { ChainStore, JournalPosition } from './store/chain-store.ts'

export interface JournalRequest {
  readonly point: string
  readonly account?: Bytes
  readonly merchant?: Bytes
  readonly fromHeight?: number
  readonly toHeight?: number
  readonly fromTimeMs?: number
  readonly toTimeMs?: number
  readonly after?: JournalPosition
  readonly limit: number
}

export interface JournalPage {
  readonly rows: JournalRow[]
  /** Where the next page starts (exclusive); null when the range is exhausted. */
  readonly next: JournalPosition | null
}

/** Stored rows one page may read, as a multiple of its limit (and at least MIN_SCAN). */
const SCAN_FACTOR = 8
const MIN_SCAN = 1_000

export interface JournalReader {
  page(request: JournalRequest): Promise<JournalPage>
  /** The rows of tx (height, txIndex) that name `account`, at most `max` (and whether there are more). */
  movementsOf(
    account: Bytes,
    height: number,
    txIndex: number,
    max: number,
  ): Promise<{ rows: JournalRow[]; more: boolean }>
}

export function createJournalReader(store: ChainStore): JournalReader {
  async function heights(request: JournalRequest): Promise<{ from: number; to: number } | null> {
    let from = request.fromHeight ?? 0
    let to = request.toHeight ?? Number.MAX_SAFE_INTEGER
    if (request.fromTimeMs !== undefined) {
      const h = await store.heightAtTime(request.fromTimeMs, 'from')
      if (h === null) return null
      from = Math.max(from, h)
    }
    if (request.toTimeMs !== undefined) {
      const h = await store.heightAtTime(request.toTimeMs, 'until')
      if (h === null) return null
      to = Math.min(to, h)
    }
    return from > to ? null : { from, to }
  }

  return {
    async page(request) {
      const range = await heights(request)
      if (range === null) return { rows: [], next: null }
      const who = request.account ?? request.merchant
      const scope = who === undefined ? { point: request.point } : { account: who }
      const keep = (row: JournalRow): boolean =>
        row.point === request.point &&
        (request.merchant === undefined ||
          (row.merchant !== null && bytesEqual(row.merchant, request.merchant)))
      const maxScan = Math.max(MIN_SCAN, request.limit * SCAN_FACTOR)
      const rows: JournalRow[] = []
      let after = request.after
      let scanned = 0
      for (;;) {
        const want =
          who === undefined ? request.limit - rows.length : Math.min(maxScan - scanned, request.limit)
        const items = await store.journal(scope, {
          fromHeight: range.from,
          toHeight: range.to,
          limit: want,
          ...(after === undefined ? {} : { after }),
        })
        scanned += items.length
        for (const item of items) {
          after = { height: item.height, txIndex: item.txIndex, row: item.row }
          const row = decodeJournalRow(item.bytes)
          if (keep(row)) {
            rows.push(row)
            if (rows.length === request.limit) return { rows, next: after }
          }
        }
        if (items.length < want) return { rows, next: null }
        if (scanned >= maxScan) return { rows, next: after ?? null }
      }
    },

    async movementsOf(account, height, txIndex, max) {
      const items = await store.journal(
        { account },
        { fromHeight: 0, toHeight: Number.MAX_SAFE_INTEGER, tx: { height, txIndex }, limit: max + 1 },
      )
      return { rows: items.slice(0, max).map((i) => decodeJournalRow(i.bytes)), more: items.length > max }
    },
  }
}
