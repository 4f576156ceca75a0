/**
 * The expiry sweep: at the end of every block, a bounded walk over the expiry days' queues (Keys
 * expiryQueueLength / expiryQueueEntry, filled by customer-balance.ts), so expired points leave the
 * balances of accounts no tx touches. Lazy expiry (customer-balance.ts) already keeps every tx and
 * every query right; the sweep is what moves the breakage into the books (cumExpired) without
 * waiting for the customer to come back.
 *
 * Rule (bounded sweep): at most MAX_SWEEP_STEPS_PER_BLOCK steps per block, a step being one queue
 * entry (one account's lazy expiry) or one day passed over (empty or finished), so a long idle gap
 * costs one step per idle day, spread over as many blocks as it takes. The cursor (Keys.expirySweep)
 * only walks days whose 00:00 JST has come (day ≤ the block's JST day); queues only ever grow for
 * later days (a new lot expires after the block's time), so a day behind the cursor never changes.
 * Never a scan of accounts: the state map has no range reads, and none is needed.
 *
 * Why at the end of the block: its `expire` events are block events, and their journal rows sit
 * after the block's txs (state/journal.ts BLOCK_ROWS_TX_INDEX), so the journal's order is the order
 * things happened in. The block's txs already see the expiry through lazy expiry.
 */
import { jstDayOf } from './amounts.ts'
import { expireDue } from './customer-balance.ts'
import { Keys, keyId } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import { expiryQueueEntryCodec, expirySweepCodec, uintCodec } from './records.ts'
import type { WorkingSet } from './working-set.ts'

/**
 * Most sweep steps per block (entries or days). Measured in memory at about 40 µs of CPU per expired
 * lot, map update included (20 µs at best): about 10 ms for a full sweep block, a few per cent of a
 * full 10,000-tx block, and 22 million expiring accounts a day at one block a second.
 */
export const MAX_SWEEP_STEPS_PER_BLOCK = 256

/** Runs the sweep for a block at `timeMs`; its `expire` events go to `events`. Returns the steps taken. */
export function sweepExpiries(ws: WorkingSet, timeMs: number, events: LedgerEvent[]): number {
  const cursor = ws.get(Keys.expirySweep, expirySweepCodec)
  if (cursor === undefined) return 0
  const today = jstDayOf(timeMs)
  let { day, seq } = cursor
  let steps = 0
  const ctx = { ws, timeMs, events }
  while (steps < MAX_SWEEP_STEPS_PER_BLOCK && day <= today) {
    steps++
    const lengthKey = Keys.expiryQueueLength(day)
    const length = ws.get(lengthKey, uintCodec) ?? 0
    if (seq >= length) {
      if (length > 0) ws.delete(lengthKey, uintCodec)
      day++
      seq = 0
      continue
    }
    const entryKey = Keys.expiryQueueEntry(day, seq)
    const entry = ws.get(entryKey, expiryQueueEntryCodec)
    ws.delete(entryKey, expiryQueueEntryCodec)
    seq++
    if (entry === undefined) continue
    // One account's failure (a bug: nothing here should throw) must not make every block invalid:
    // its writes are undone and the sweep goes on, the same on every node.
    const mark = events.length
    try {
      ws.attempt(() => expireDue(ctx, entry.point, keyId(entry.account)))
    } catch {
      // Skipped: lazy expiry still applies when the account is next touched.
      events.length = mark
    }
  }
  if (steps > 0) ws.put(Keys.expirySweep, expirySweepCodec, { day, seq })
  return steps
}
