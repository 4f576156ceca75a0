/**
 * Statements for the RPC: a point's settlement statement and its sponsor usage for a period, folded
 * from the store's journal and sponsored-tx records (state/statement.ts, state/sponsor-usage.ts).
 *
 * One ledger snapshot is taken first and every record is read from it synchronously (so the figures
 * all stand at one height H, whatever commits meanwhile); the store is then read only up to H. A
 * period is final once the head block's time is past its end: no later block can fall into it, so
 * the statement no longer depends on H and every node gives the same bytes.
 */
import {
  createSponsorUsageFold,
  createStatementFold,
  decodeJournalRow,
  decodeSponsoredTx,
  type LedgerQuery,
  type MerchantAtSnapshot,
  type Period,
  type SettlementStatement,
  type SponsorUsageStatement,
} from '../state/index.ts'
import type { ChainStore, JournalPosition, JournalScope } from './store/chain-store.ts'

/** Records per store read. */
const PAGE = 1_000
/** Merchants per snapshot read. */
const MERCHANT_PAGE = 1_000

export interface StatementReader {
  statement(point: string, period: Period): Promise<SettlementStatement>
  sponsorUsage(point: string, period: Period): Promise<SponsorUsageStatement | null>
}

export function createStatementReader(store: ChainStore, snapshot: () => LedgerQuery): StatementReader {
  /** The heights of the period's blocks up to `head`, or null when none of them is there yet. */
  async function periodHeights(period: Period, head: number): Promise<{ from: number; to: number } | null> {
    const from = await store.heightAtTime(period.startMs, 'from')
    if (from === null || from > head) return null
    const until = await store.heightAtTime(period.endMs - 1, 'until')
    const to = Math.min(until ?? -1, head)
    return to < from ? null : { from, to }
  }

  async function* records(scope: JournalScope, fromHeight: number, toHeight: number) {
    let after: JournalPosition | undefined
    for (;;) {
      const items = await store.journal(scope, {
        fromHeight,
        toHeight,
        limit: PAGE,
        ...(after === undefined ? {} : { after }),
      })
      for (const item of items) yield item
      const last = items.at(-1)
      if (items.length < PAGE || last === undefined) return
      after = { height: last.height, txIndex: last.txIndex, row: last.row }
    }
  }

  function takeSnapshot(point: string, period: Period) {
    const q = snapshot()
    const record = q.point(point)
    // The route checked both against an earlier snapshot; a later one cannot undo them.
    if (record === null) throw new Error(`no point ${point}`)
    if (q.timeMs < period.startMs) throw new Error(`the period ${period.label} has not begun`)
    return { q, record, final: q.timeMs >= period.endMs }
  }

  return {
    async statement(point, period) {
      const { q, record, final } = takeSnapshot(point, period)
      const merchants: MerchantAtSnapshot[] = []
      for (let offset = 0; offset < record.merchantCount; offset += MERCHANT_PAGE) {
        for (const m of q.merchants(point, { offset, limit: MERCHANT_PAGE })) {
          merchants.push({ address: m.address, name: m.name, float: m.float, liability: m.liability })
        }
      }
      const fold = createStatementFold(point, period, { height: q.height, point: record, merchants })
      const heights = await periodHeights(period, q.height)
      if (heights !== null) {
        // From the period's first block to the snapshot: the period's rows and those after it.
        for await (const item of records({ point }, heights.from, q.height))
          fold.add(decodeJournalRow(item.bytes))
      }
      return fold.finish({ fromHeight: heights?.from ?? null, toHeight: heights?.to ?? null, final })
    },

    async sponsorUsage(point, period) {
      const { q, record, final } = takeSnapshot(point, period)
      const fold = createSponsorUsageFold(point, period)
      const heights = await periodHeights(period, q.height)
      if (heights !== null) {
        for await (const item of records({ sponsoredIn: point }, heights.from, heights.to)) {
          if (!fold.add(decodeSponsoredTx(item.bytes))) return null
        }
      }
      return fold.finish({
        sponsor: record.manager,
        fromHeight: heights?.from ?? null,
        toHeight: heights?.to ?? null,
        final,
        asOfHeight: q.height,
      })
    },
  }
}
