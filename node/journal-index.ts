/**
 * The journal rows and the sponsored txs of a committed block, as the store keeps them
 * (state/journal.ts and state/sponsor-usage.ts derive them).
 */
import type { Bytes } from '../protocol/bytes.ts'
import type { SignedTx } from '../protocol/tx.ts'
import {
  blockJournalRowsOf,
  createLedgerQuery,
  encodeJournalRow,
  encodeSponsoredTx,
  type JournalRow,
  journalAccountsOf,
  journalRowsOf,
  type LedgerEvent,
  type LedgerState,
  type Receipt,
  sponsoredTxOf,
} from '../state/index.ts'
import type { JournalEntry, SponsoredEntry } from './store/chain-store.ts'

/**
 * The rows of the block's txs, then the block's own rows (its events outside any tx: the expiry
 * sweep's, at state/journal.ts BLOCK_ROWS_TX_INDEX), in journal order.
 */
export function journalEntriesOf(
  txs: readonly SignedTx[],
  receipts: readonly Receipt[],
  block: { readonly height: number; readonly timeMs: number },
  stateAfter: LedgerState,
  blockEvents: readonly LedgerEvent[] = [],
): JournalEntry[] {
  const out: JournalEntry[] = []
  let query: ReturnType<typeof createLedgerQuery> | null = null
  const managers = new Map<string, Bytes | null>()
  const managerOf = (point: string): Bytes | null => {
    let m = managers.get(point)
    if (m === undefined) {
      query ??= createLedgerQuery(stateAfter)
      m = query.point(point)?.manager ?? null
      managers.set(point, m)
    }
    return m
  }
  const push = (row: JournalRow) =>
    out.push({
      point: row.point,
      txIndex: row.txIndex,
      row: row.row,
      accounts: journalAccountsOf(row),
      bytes: encodeJournalRow(row),
    })
  for (let i = 0; i < txs.length; i++) {
    const receipt = receipts[i] as Receipt
    if (receipt.status !== 'ok') continue
    for (const row of journalRowsOf(txs[i] as SignedTx, receipt, { ...block, txIndex: i, managerOf }))
      push(row)
  }
  for (const row of blockJournalRowsOf(blockEvents, { ...block, managerOf })) push(row)
  return out
}

export function sponsoredEntriesOf(
  txs: readonly SignedTx[],
  receipts: readonly Receipt[],
  timeMs: number,
): SponsoredEntry[] {
  const out: SponsoredEntry[] = []
  for (let i = 0; i < txs.length; i++) {
    const record = sponsoredTxOf(txs[i] as SignedTx, receipts[i] as Receipt, timeMs)
    if (record !== null) out.push({ point: record.point, txIndex: i, bytes: encodeSponsoredTx(record) })
  }
  return out
}
