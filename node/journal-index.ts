/**
 * The journal rows and the sponsored txs of a committed block, as the store keeps them
 * (state/journal.ts and state/sponsor-usage.ts derive them).
 */
import type { Bytes } from '../protocol/bytes.ts'
import type { SignedTx } from '../protocol/tx.ts'
import {
  createLedgerQuery,
  encodeJournalRow,
  encodeSponsoredTx,
  journalAccountsOf,
  journalRowsOf,
  type LedgerState,
  type Receipt,
  sponsoredTxOf,
} from '../state/index.ts'
import type { JournalEntry, SponsoredEntry } from './store/chain-store.ts'

export function journalEntriesOf(
  txs: readonly SignedTx[],
  receipts: readonly Receipt[],
  block: { readonly height: number; readonly timeMs: number },
  stateAfter: LedgerState,
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
  for (let i = 0; i < txs.length; i++) {
    const receipt = receipts[i] as Receipt
    if (receipt.status !== 'ok') continue
    const rows = journalRowsOf(txs[i] as SignedTx, receipt, { ...block, txIndex: i, managerOf })
    for (const row of rows) {
      out.push({
        point: row.point,
        txIndex: i,
        row: row.row,
        accounts: journalAccountsOf(row),
        bytes: encodeJournalRow(row),
      })
    }
  }
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
