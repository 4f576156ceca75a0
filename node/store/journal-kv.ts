/**
 * The journal's part of the chain store (keys.ts prefixes 0x50 to 0x52): the ops a block's journal
 * rows and block time add to its batch, and the range reads by point, by account and by time.
 * The rows are opaque bytes here, as everything else in the store.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import type {
  BlockCommit,
  JournalEntry,
  JournalItem,
  JournalQuery,
  JournalScope,
  SponsoredEntry,
} from './chain-store.ts'
import { invalidArgument } from './errors.ts'
import {
  type ByteSlab,
  blockTimeKey,
  isHistoryText,
  type JournalPosition,
  type JournalPrefix,
  journalKey,
  journalKeyLength,
  MAX_HISTORY_TEXT,
  MAX_JOURNAL_ROW,
  Prefix,
  parseJournalKey,
  prefixEnd,
  readU64,
} from './keys.ts'
import type { RawKv, RawOp } from './raw-kv.ts'

const MAX_U32 = 0xffffffff
/** The txIndex of a block's own rows (state/journal.ts BLOCK_ROWS_TX_INDEX): after its txs. */
export const JOURNAL_BLOCK_ROWS = MAX_U32

function checkHeight(height: number, argument: string): void {
  if (!Number.isSafeInteger(height) || height < 0)
    throw invalidArgument(argument, 'must be a safe integer ≥ 0')
}

function checkAccount(account: Bytes): void {
  if (account.length < 1 || account.length > 255) throw invalidArgument('account', 'must be 1 to 255 bytes')
}

function checkU32(value: number, argument: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32)
    throw invalidArgument(argument, 'must be a u32')
}

/** Room the rows' (and sponsored txs') keys and values take in the commit's slab. */
export function journalSlabBytes(
  journal: readonly JournalEntry[],
  sponsored: readonly SponsoredEntry[] = [],
): number {
  let n = 0
  for (const entry of journal) {
    n += entry.bytes.length + 2 + entry.point.length + 14
    for (const account of entry.accounts) n += journalKeyLength(account)
  }
  for (const entry of sponsored) n += entry.bytes.length + 2 + entry.point.length + 14
  return n
}

const asciiBytes = (text: string): Bytes => Uint8Array.from(text, (c) => c.charCodeAt(0))

function checkJournalEntry(entry: JournalEntry, txCount: number): void {
  const ofBlock = entry.txIndex === JOURNAL_BLOCK_ROWS
  if (!ofBlock && (!Number.isInteger(entry.txIndex) || entry.txIndex < 0 || entry.txIndex >= txCount)) {
    throw invalidArgument('journal.txIndex', `must index txs (0..${txCount - 1}) or be the block's own`)
  }
  if (!Number.isInteger(entry.row) || entry.row < 0 || entry.row > MAX_JOURNAL_ROW) {
    throw invalidArgument('journal.row', `must be 0 to ${MAX_JOURNAL_ROW}`)
  }
  if (entry.point.length === 0 || !isHistoryText(entry.point)) {
    throw invalidArgument('journal.point', `must be 1 to ${MAX_HISTORY_TEXT} printable ASCII chars`)
  }
  for (const account of entry.accounts) checkAccount(account)
}

const comparePositions = (a: JournalPosition, b: JournalPosition): number =>
  a.height - b.height || a.txIndex - b.txIndex || a.row - b.row

/** Pushes the ops of a block's journal rows (in (tx, row) order) and its block time onto `ops`. */
export function pushJournalOps(ops: RawOp[], slab: ByteSlab, commit: BlockCommit, height: number): void {
  // Journal rows in (tx, row) order, each under its point and its accounts (one copy in the slab).
  let previous: JournalPosition | null = null
  for (const entry of commit.journal ?? []) {
    checkJournalEntry(entry, commit.txs.length)
    const position = { height, txIndex: entry.txIndex, row: entry.row }
    if (previous !== null && comparePositions(previous, position) >= 0) {
      throw invalidArgument('journal', 'entries must be in ascending (txIndex, row) order')
    }
    previous = position
    const value = slab.copy(entry.bytes)
    const point = asciiBytes(entry.point)
    ops.push({ type: 'put', key: slab.journalKey(Prefix.journalPoint, point, position), value })
    for (const account of entry.accounts) {
      ops.push({ type: 'put', key: slab.journalKey(Prefix.journalAccount, account, position), value })
    }
  }
  let previousTx = -1
  for (const entry of commit.sponsored ?? []) {
    if (
      !Number.isInteger(entry.txIndex) ||
      entry.txIndex <= previousTx ||
      entry.txIndex >= commit.txs.length
    ) {
      throw invalidArgument('sponsored.txIndex', 'must index txs, ascending, at most one per tx')
    }
    previousTx = entry.txIndex
    if (entry.point.length === 0 || !isHistoryText(entry.point)) {
      throw invalidArgument('sponsored.point', `must be 1 to ${MAX_HISTORY_TEXT} printable ASCII chars`)
    }
    const position = { height, txIndex: entry.txIndex, row: 0 }
    const key = slab.journalKey(Prefix.sponsoredTx, asciiBytes(entry.point), position)
    ops.push({ type: 'put', key, value: slab.copy(entry.bytes) })
  }
  if (commit.timeMs !== undefined) {
    checkHeight(commit.timeMs, 'timeMs')
    ops.push({ type: 'put', key: blockTimeKey(commit.timeMs, height), value: new Uint8Array(0) })
  }
}

export async function readJournal(
  kv: RawKv,
  scope: JournalScope,
  query: JournalQuery,
): Promise<JournalItem[]> {
  let prefix: JournalPrefix
  let scopeBytes: Bytes
  if ('point' in scope || 'sponsoredIn' in scope) {
    const point = 'point' in scope ? scope.point : scope.sponsoredIn
    if (point.length === 0 || !isHistoryText(point)) throw invalidArgument('point', 'must be printable ASCII')
    prefix = 'point' in scope ? Prefix.journalPoint : Prefix.sponsoredTx
    scopeBytes = asciiBytes(point)
  } else {
    checkAccount(scope.account)
    prefix = Prefix.journalAccount
    scopeBytes = scope.account
  }
  checkHeight(query.fromHeight, 'fromHeight')
  checkHeight(query.toHeight, 'toHeight')
  if (!Number.isSafeInteger(query.limit) || query.limit < 1)
    throw invalidArgument('limit', 'must be an integer ≥ 1')
  const { after } = query
  if (after !== undefined) {
    checkHeight(after.height, 'after.height')
    checkU32(after.txIndex, 'after.txIndex')
    if (!Number.isInteger(after.row) || after.row < 0 || after.row > MAX_JOURNAL_ROW)
      throw invalidArgument('after.row', `must be 0 to ${MAX_JOURNAL_ROW}`)
  }
  if (query.fromHeight > query.toHeight) return []
  const { tx } = query
  if (tx !== undefined) {
    checkHeight(tx.height, 'tx.height')
    checkU32(tx.txIndex, 'tx.txIndex')
  }
  const start =
    tx === undefined
      ? { height: query.fromHeight, txIndex: 0, row: 0 }
      : { height: tx.height, txIndex: tx.txIndex, row: 0 }
  const end =
    tx === undefined
      ? { height: query.toHeight, txIndex: 0xffffffff, row: MAX_JOURNAL_ROW }
      : { height: tx.height, txIndex: tx.txIndex, row: MAX_JOURNAL_ROW }
  const lower =
    after !== undefined && comparePositions(after, start) >= 0
      ? { gt: journalKey(prefix, scopeBytes, after) }
      : { gte: journalKey(prefix, scopeBytes, start) }
  const range = {
    ...lower,
    lte: journalKey(prefix, scopeBytes, end),
    limit: query.limit,
  }
  const out: JournalItem[] = []
  for await (const [key, bytes] of kv.entries(range)) out.push({ ...parseJournalKey(key), bytes })
  return out
}

export async function readHeightAtTime(
  kv: RawKv,
  timeMs: number,
  side: 'from' | 'until',
): Promise<number | null> {
  checkHeight(timeMs, 'timeMs')
  const range =
    side === 'from'
      ? { gte: blockTimeKey(timeMs, 0), lt: prefixEnd(Prefix.blockTime), limit: 1 }
      : {
          gte: blockTimeKey(0, 0),
          lte: blockTimeKey(timeMs, Number.MAX_SAFE_INTEGER),
          limit: 1,
          reverse: true,
        }
  for await (const [key] of kv.entries(range)) return readU64(key, 9)
  return null
}
