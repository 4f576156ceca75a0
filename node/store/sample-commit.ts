/**
 * Deterministic block commits for the store's tests, its crash test and bench/store.ts. Content is a
 * function of (height, index) only, so a checker can recompute what any height must have written.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import { utf8 } from '../../protocol/bytes.ts'
import { encodeJournalRow, type JournalRow } from '../../state/journal.ts'
import type { AccountIndexEntry, BlockCommit, JournalEntry, SponsoredEntry } from './chain-store.ts'
import { writeU32 } from './keys.ts'

const b = (...xs: number[]): Bytes => Uint8Array.from(xs)

/** A 32-byte hash-like value: tag ‖ n (u32) ‖ filler. */
export function hashOf(tag: number, n: number, m = 0): Bytes {
  const out = new Uint8Array(32)
  out[0] = tag
  writeU32(out, 1, n)
  writeU32(out, 5, m)
  for (let i = 9; i < 32; i++) out[i] = (n * 31 + m * 17 + i * 7) & 0xff
  return out
}

export const ALICE: Bytes = new Uint8Array(32).fill(0xa1)
export const BOB: Bytes = new Uint8Array(32).fill(0xb0)

/** The kind `sampleCommit` records for tx i: transfers at even positions, awards at odd ones. */
export const sampleKind = (i: number): string => (i % 2 === 0 ? 'point.transfer' : 'merchant.award')
/** The error `sampleCommit` records for tx i: the third tx of a block failed. */
export const sampleError = (i: number): string | null => (i === 2 ? 'STATE_INSUFFICIENT_BALANCE' : null)

/**
 * A small block at `height` (≤ 255) with `txCount` txs; tx i touches ALICE, and BOB when i is odd;
 * its history entries carry `sampleKind(i)` and `sampleError(i)`.
 */
export function sampleCommit(height: number, txCount = 3, extra: Partial<BlockCommit> = {}): BlockCommit {
  const txs = Array.from({ length: txCount }, (_, i) => ({
    hash: hashOf(0x77, height, i),
    receiptBytes: utf8(`receipt ${height}/${i}`),
  }))
  return {
    height,
    blockHash: hashOf(0xbb, height),
    blockBytes: utf8(`block ${height}`),
    certificateBytes: utf8(`cert ${height}`),
    stateWrites: [
      [b(1, height), utf8(`v${height}`)],
      [b(2), utf8(`latest ${height}`)],
    ],
    txs,
    accountIndex: txs.flatMap((_, i) => {
      const shown = { kind: sampleKind(i), error: sampleError(i) }
      return [
        { account: ALICE, txIndex: i, ...shown },
        ...(i % 2 === 1 ? [{ account: BOB, txIndex: i, ...shown }] : []),
      ]
    }),
    ...extra,
  }
}

export interface BlockShape {
  readonly txCount: number
  /** Default 3. */
  readonly stateWritesPerTx?: number
  /** Default 100. */
  readonly receiptBytes?: number
  /** Default 2. */
  readonly accountsPerTx?: number
  /** Distinct accounts the txs spread over. Default 1000. */
  readonly accountCount?: number
  /** Journal rows per tx (default 0), each of `journalRowBytes` (default 200) under its point and `accountsPerTx` accounts. */
  readonly journalRowsPerTx?: number
  readonly journalRowBytes?: number
  /** With journal rows: every tx is also a sponsored tx of the point (a 60-byte record), as a customer's pay is. */
  readonly sponsored?: boolean
}

/** The key `syntheticCommit` writes last at every height: its value is the height (u32). */
export const LATEST_KEY: Bytes = b(0x02)

export function syntheticStateKey(height: number, tx: number, j: number): Bytes {
  return hashOf(0x50 + j, height, tx)
}

export function syntheticAccount(n: number): Bytes {
  return hashOf(0xac, n)
}

/** A block of realistic size: 32-byte keys spread over the key space, fixed-size receipts. */
export function syntheticCommit(height: number, shape: BlockShape): BlockCommit {
  const writesPerTx = shape.stateWritesPerTx ?? 3
  const receiptSize = shape.receiptBytes ?? 100
  const accountsPerTx = shape.accountsPerTx ?? 2
  const accountCount = shape.accountCount ?? 1000
  const txs: { hash: Bytes; receiptBytes: Bytes }[] = []
  const stateWrites: (readonly [Bytes, Bytes])[] = []
  const accountIndex: AccountIndexEntry[] = []
  for (let i = 0; i < shape.txCount; i++) {
    const receiptBytes = new Uint8Array(receiptSize)
    writeU32(receiptBytes, 0, height)
    writeU32(receiptBytes, 4, i)
    txs.push({ hash: hashOf(0x77, height, i), receiptBytes })
    for (let j = 0; j < writesPerTx; j++) {
      stateWrites.push([syntheticStateKey(height, i, j), receiptBytes.subarray(0, 8 + j)])
    }
    for (let a = 0; a < accountsPerTx; a++) {
      const account = syntheticAccount((i * accountsPerTx + a) % accountCount)
      accountIndex.push({ account, txIndex: i, kind: 'point.transfer', error: null })
    }
  }
  const journal: JournalEntry[] = []
  const sponsored: SponsoredEntry[] = []
  const rowsPerTx = shape.journalRowsPerTx ?? 0
  const rowBytes = shape.journalRowBytes ?? 200
  for (let i = 0; i < shape.txCount; i++) {
    for (let r = 0; r < rowsPerTx; r++) {
      const bytes = new Uint8Array(rowBytes)
      writeU32(bytes, 0, height)
      writeU32(bytes, 4, i)
      const accounts = Array.from({ length: accountsPerTx }, (_, a) =>
        syntheticAccount((i * accountsPerTx + a) % accountCount),
      )
      journal.push({ point: 'SHOP', txIndex: i, row: r, accounts, bytes })
    }
    if (shape.sponsored === true && rowsPerTx > 0) {
      const bytes = new Uint8Array(60)
      writeU32(bytes, 0, i)
      sponsored.push({ point: 'SHOP', txIndex: i, bytes })
    }
  }
  const latest = new Uint8Array(4)
  writeU32(latest, 0, height)
  stateWrites.push([LATEST_KEY, latest])
  return {
    ...(journal.length > 0 ? { journal, timeMs: height * 1000 } : {}),
    ...(sponsored.length > 0 ? { sponsored } : {}),
    height,
    blockHash: hashOf(0xbb, height),
    blockBytes: utf8(`block ${height} with ${shape.txCount} txs`),
    certificateBytes: utf8(`cert ${height}`),
    stateWrites,
    txs,
    accountIndex,
  }
}

/**
 * Journal entries for `sampleCommit(height, txCount)`: tx i has i % 3 + 1 rows, under point `SHOP`
 * for even i and `CITY` for odd i, each naming ALICE, and BOB on odd rows. The bytes say where they
 * sit: `row h/i/r`.
 */
export function sampleJournal(height: number, txCount = 3): JournalEntry[] {
  const out: JournalEntry[] = []
  for (let i = 0; i < txCount; i++) {
    for (let r = 0; r < (i % 3) + 1; r++) {
      out.push({
        point: i % 2 === 0 ? 'SHOP' : 'CITY',
        txIndex: i,
        row: r,
        accounts: r % 2 === 1 ? [ALICE, BOB] : [ALICE],
        bytes: utf8(`row ${height}/${i}/${r}`),
      })
    }
  }
  return out
}

/**
 * A decodable journal row (state/journal.ts) for benches and export tests: an award of `amount` by
 * a merchant to customer `n % 100`, with a memo that needs CSV quoting every tenth row.
 */
export function syntheticJournalRow(height: number, txIndex: number, n: number, point = 'SHOP'): JournalRow {
  return {
    txHash: hashOf(0x77, height, txIndex),
    height,
    timeMs: 1_767_225_600_000 + height * 1_000,
    txIndex,
    row: 0,
    kind: 'merchant.award',
    event: 'award',
    point,
    from: hashOf(0xe0, 1),
    fromRole: 'merchant',
    to: syntheticAccount(n % 100),
    toRole: 'customer',
    amount: 100 + (n % 900),
    merchant: hashOf(0xe0, 1),
    terminal: hashOf(0xe1, n % 8),
    device: null,
    spender: null,
    floatDelta: -(n % 50),
    liabilityDelta: 100 + (n % 900) - (n % 50),
    sponsor: hashOf(0xe2, 1),
    fiatRef: null,
    memo: n % 10 === 0 ? `receipt ${n}, "coffee"` : `receipt ${n}`,
  }
}

/** `rowsPerBlock` synthetic rows at `height`, one per tx, under `point`, each naming its customer. */
export function syntheticJournalCommit(height: number, rowsPerBlock: number, point = 'SHOP'): BlockCommit {
  const txs = Array.from({ length: rowsPerBlock }, (_, i) => ({
    hash: hashOf(0x77, height, i),
    receiptBytes: Uint8Array.of(0),
  }))
  const journal = txs.map((_, i): JournalEntry => {
    const row = syntheticJournalRow(height, i, height * rowsPerBlock + i, point)
    return { point, txIndex: i, row: 0, accounts: [row.to], bytes: encodeJournalRow(row) }
  })
  return {
    height,
    blockHash: hashOf(0xbb, height),
    blockBytes: utf8(`block ${height}`),
    certificateBytes: null,
    stateWrites: [],
    txs,
    accountIndex: [],
    journal,
    timeMs: 1_767_225_600_000 + height * 1_000,
  }
}
