/**
 * The key-prefix table: every key in a node's database starts with one namespace byte from `Prefix`.
 * A prefix is never reused for another meaning, even after its namespace is dropped: add a new one.
 * Integers in keys are fixed-width big-endian, so the store's byte order is their numeric order.
 *
 * | prefix | namespace            | key after the prefix                          | value                        |
 * | ------ | -------------------- | --------------------------------------------- | ---------------------------- |
 * | 0x01   | meta                 | utf8 name (`MetaKey`)                         | bytes                        |
 * | 0x02   | head pointer         | (none)                                        | height u64 ‖ block hash      |
 * | 0x10   | state entries        | the state key as given by state/              | the state value              |
 * | 0x20   | blocks               | height u64                                    | block bytes                  |
 * | 0x21   | block hash → height  | block hash                                    | height u64                   |
 * | 0x22   | commit certificates  | height u64                                    | certificate bytes            |
 * | 0x30   | txs (and receipts)   | tx hash                                       | height u64 ‖ index u32 ‖ receipt |
 * | 0x32   | account history      | len u8 ‖ account ‖ ~height u64 ‖ ~index u32   | history value (below)        |
 * | 0x40   | consensus WAL        | seq u64 (append order)                        | height u64 ‖ entry bytes     |
 * | 0x50   | journal by point     | len u8 ‖ point ‖ height u64 ‖ tx u32 ‖ row u16 | journal row bytes            |
 * | 0x51   | journal by account   | len u8 ‖ account ‖ height u64 ‖ tx u32 ‖ row u16 | journal row bytes          |
 * | 0x52   | block time           | time ms u64 ‖ height u64                      | (empty)                      |
 * | 0x53   | sponsored txs        | len u8 ‖ point ‖ height u64 ‖ tx u32 ‖ 0 u16  | sponsored-tx record bytes    |
 *
 * `~x` is the bitwise complement, so ascending iteration of an account's history is newest first.
 * A history value is `hashLen u8 ‖ tx hash ‖ kindLen u8 ‖ kind ‖ error`, kind and error in ASCII
 * (an empty error: the tx applied), so a history page is one range read: no block and no receipt is
 * decoded per entry. Format 2 added the kind and error (format 1 held the hash alone); there is no
 * deployed network yet, so an older store is refused (STORE_UNSUPPORTED_FORMAT), not migrated.
 * A receipt lives in its tx's entry (not under its own key): one op per tx instead of two, and a tx
 * lookup is one read. LevelDB's cost per op (mostly building the native batch) dominates a commit.
 *
 * The journal (state/journal.ts rows, opaque here) is kept in ascending (height, tx, row) order under
 * its point and under every account a row names, each key holding a copy of the row, so a page or an
 * export of either is one range read. Block times are non-decreasing (state/ refuses a block whose
 * time goes back), so the block time index turns a time range into a height range with two seeks.
 * Format 3 added the journal and the block time index. Format 4 added the sponsored txs per point
 * (state/sponsor-usage.ts records, opaque here), in the journal's key layout with row 0. Format 5
 * (issue 15, point expiry): the state's point record gained its expiry fields (a longer tuple), and
 * the journal its block rows (tx index 0xffffffff, after the block's txs) and `expire` rows.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import { utf8 } from '../../protocol/bytes.ts'

export const Prefix = {
  meta: 0x01,
  head: 0x02,
  state: 0x10,
  block: 0x20,
  blockHash: 0x21,
  certificate: 0x22,
  tx: 0x30,
  accountHistory: 0x32,
  wal: 0x40,
  journalPoint: 0x50,
  journalAccount: 0x51,
  blockTime: 0x52,
  sponsoredTx: 0x53,
} as const
export type Prefix = (typeof Prefix)[keyof typeof Prefix]

/** Names under the meta prefix. */
export const MetaKey = {
  /** Layout version of this table; a store written by an unknown version is refused. */
  formatVersion: 'format-version',
  chainId: 'chain-id',
  genesisHash: 'genesis-hash',
} as const

export const FORMAT_VERSION = 7

const TWO_32 = 2 ** 32
const MAX_U32 = 0xffffffff

export function writeU64(out: Bytes, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_32)
  const lo = value >>> 0
  writeU32(out, offset, hi)
  writeU32(out, offset + 4, lo)
}

export function readU64(bytes: Bytes, offset: number): number {
  return readU32(bytes, offset) * TWO_32 + readU32(bytes, offset + 4)
}

export function writeU32(out: Bytes, offset: number, value: number): void {
  out[offset] = value >>> 24
  out[offset + 1] = (value >>> 16) & 0xff
  out[offset + 2] = (value >>> 8) & 0xff
  out[offset + 3] = value & 0xff
}

export function readU32(bytes: Bytes, offset: number): number {
  return (
    (bytes[offset] as number) * 0x1000000 +
    (((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number))
  )
}

/** `[prefix] ‖ body`. */
export function prefixed(prefix: Prefix, body: Bytes): Bytes {
  const key = new Uint8Array(1 + body.length)
  key[0] = prefix
  key.set(body, 1)
  return key
}

/** `[prefix] ‖ height u64`. */
export function heightKey(prefix: Prefix, height: number): Bytes {
  const key = new Uint8Array(9)
  key[0] = prefix
  writeU64(key, 1, height)
  return key
}

/** The smallest key above every key that starts with `prefix` (an exclusive upper bound). */
export function prefixEnd(prefix: Prefix): Bytes {
  return Uint8Array.of(prefix + 1)
}

export const headKey = (): Bytes => Uint8Array.of(Prefix.head)
export const metaKey = (name: string): Bytes => prefixed(Prefix.meta, utf8(name))
export const stateKey = (key: Bytes): Bytes => prefixed(Prefix.state, key)
export const blockKey = (height: number): Bytes => heightKey(Prefix.block, height)
export const blockHashKey = (hash: Bytes): Bytes => prefixed(Prefix.blockHash, hash)
export const certificateKey = (height: number): Bytes => heightKey(Prefix.certificate, height)
export const txKey = (hash: Bytes): Bytes => prefixed(Prefix.tx, hash)
export const walKey = (seq: number): Bytes => heightKey(Prefix.wal, seq)

/** `height u64 ‖ index u32 ‖ receipt`, the value under a tx hash. */
export function encodeTxEntry(height: number, index: number, receiptBytes: Bytes): Bytes {
  const value = new Uint8Array(12 + receiptBytes.length)
  writeU64(value, 0, height)
  writeU32(value, 8, index)
  value.set(receiptBytes, 12)
  return value
}

/** `height u64 ‖ hash`, the head pointer. */
export function encodeHead(height: number, blockHash: Bytes): Bytes {
  const value = new Uint8Array(8 + blockHash.length)
  writeU64(value, 0, height)
  value.set(blockHash, 8)
  return value
}

export function encodeU64(value: number): Bytes {
  const out = new Uint8Array(8)
  writeU64(out, 0, value)
  return out
}

/** `[0x32] ‖ len ‖ account`: the range of one account's history. */
export function accountPrefix(account: Bytes): Bytes {
  const key = new Uint8Array(2 + account.length)
  key[0] = Prefix.accountHistory
  key[1] = account.length
  key.set(account, 2)
  return key
}

/** One history entry; complemented height and index make ascending order newest first. */
export function accountHistoryKey(account: Bytes, height: number, index: number): Bytes {
  const key = new Uint8Array(accountHistoryKeyLength(account))
  writeAccountHistoryKey(key, 0, account, height, index)
  return key
}

export const accountHistoryKeyLength = (account: Bytes): number => 14 + account.length

function writeAccountHistoryKey(out: Bytes, at: number, account: Bytes, height: number, index: number): void {
  const n = at + 2 + account.length
  out[at] = Prefix.accountHistory
  out[at + 1] = account.length
  out.set(account, at + 2)
  writeU32(out, n, MAX_U32 - Math.floor(height / TWO_32))
  writeU32(out, n + 4, MAX_U32 - (height >>> 0))
  writeU32(out, n + 8, MAX_U32 - index)
}

/** Longest kind and error a history value holds (each is one length byte). */
export const MAX_HISTORY_TEXT = 255

/** Bytes of a history value; the caller has checked the texts with `isHistoryText`. */
export const historyValueLength = (hash: Bytes, kind: string, error: string | null): number =>
  2 + hash.length + kind.length + (error?.length ?? 0)

/** Printable ASCII of at most `MAX_HISTORY_TEXT` chars (one byte each, as written). */
export function isHistoryText(text: string): boolean {
  if (text.length > MAX_HISTORY_TEXT) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) return false
  }
  return true
}

function writeAscii(out: Bytes, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i)
}

function writeHistoryValue(out: Bytes, at: number, hash: Bytes, kind: string, error: string | null): void {
  out[at] = hash.length
  out.set(hash, at + 1)
  const k = at + 1 + hash.length
  out[k] = kind.length
  writeAscii(out, k + 1, kind)
  if (error !== null) writeAscii(out, k + 1 + kind.length, error)
}

export function encodeHistoryValue(hash: Bytes, kind: string, error: string | null): Bytes {
  const out = new Uint8Array(historyValueLength(hash, kind, error))
  writeHistoryValue(out, 0, hash, kind, error)
  return out
}

/** A history value back, or null when it is not one (a corrupt store). */
export function parseHistoryValue(
  value: Bytes,
): { txHash: Bytes; kind: string; error: string | null } | null {
  const hashLength = value[0]
  if (hashLength === undefined || value.length < 2 + hashLength) return null
  const k = 1 + hashLength
  const kindLength = value[k] as number
  if (value.length < k + 1 + kindLength) return null
  const ascii = (from: number, to: number) => String.fromCharCode(...value.subarray(from, to))
  const errorText = ascii(k + 1 + kindLength, value.length)
  return {
    txHash: value.slice(1, k),
    kind: ascii(k + 1, k + 1 + kindLength),
    error: errorText === '' ? null : errorText,
  }
}

/**
 * One off-heap buffer holding a batch's many small keys and values, handed out as views. LevelDB's
 * binding copies every key and value it is given, but a small fresh Uint8Array lives on V8's heap and
 * must first be moved off it (an allocation and a copy per op): views into one buffer skip that, which
 * measured at a third to half of the native cost of a block's batch. Sized exactly by the caller.
 */
export class ByteSlab {
  readonly #bytes: Uint8Array
  #at = 0

  constructor(byteLength: number) {
    this.#bytes = new Uint8Array(byteLength)
  }

  #take(length: number): number {
    const at = this.#at
    if (at + length > this.#bytes.length) throw new RangeError('ByteSlab: sized too small')
    this.#at = at + length
    return at
  }

  #view(at: number): Bytes {
    return this.#bytes.subarray(at, this.#at)
  }

  /** A copy of `bytes`. */
  copy(bytes: Bytes): Bytes {
    const at = this.#take(bytes.length)
    this.#bytes.set(bytes, at)
    return this.#view(at)
  }

  /** `[prefix] ‖ body`, as `prefixed`. */
  prefixed(prefix: Prefix, body: Bytes): Bytes {
    const at = this.#take(1 + body.length)
    this.#bytes[at] = prefix
    this.#bytes.set(body, at + 1)
    return this.#view(at)
  }

  /** As `encodeTxEntry`. */
  txEntry(height: number, index: number, receiptBytes: Bytes): Bytes {
    const at = this.#take(12 + receiptBytes.length)
    writeU64(this.#bytes, at, height)
    writeU32(this.#bytes, at + 8, index)
    this.#bytes.set(receiptBytes, at + 12)
    return this.#view(at)
  }

  /** As `encodeHistoryValue`. */
  historyValue(hash: Bytes, kind: string, error: string | null): Bytes {
    const at = this.#take(historyValueLength(hash, kind, error))
    writeHistoryValue(this.#bytes, at, hash, kind, error)
    return this.#view(at)
  }

  /** As `journalKey`. */
  journalKey(prefix: JournalPrefix, scope: Bytes, position: JournalPosition): Bytes {
    const at = this.#take(journalKeyLength(scope))
    writeJournalKey(this.#bytes, at, prefix, scope, position)
    return this.#view(at)
  }

  /** As `accountHistoryKey`. */
  accountHistoryKey(account: Bytes, height: number, index: number): Bytes {
    const at = this.#take(accountHistoryKeyLength(account))
    writeAccountHistoryKey(this.#bytes, at, account, height, index)
    return this.#view(at)
  }
}

/** Height and index back out of an account history key. */
export function parseAccountHistoryKey(key: Bytes): { height: number; index: number } {
  const n = key.length - 12
  const hi = MAX_U32 - readU32(key, n)
  const lo = MAX_U32 - readU32(key, n + 4)
  return { height: hi * TWO_32 + lo, index: MAX_U32 - readU32(key, n + 8) }
}

/** Where a journal row sits: ascending (height, tx index, row index). */
export interface JournalPosition {
  readonly height: number
  readonly txIndex: number
  readonly row: number
}

export type JournalPrefix =
  | typeof Prefix.journalPoint
  | typeof Prefix.journalAccount
  | typeof Prefix.sponsoredTx
export const MAX_JOURNAL_ROW = 0xffff
export const journalKeyLength = (scope: Bytes): number => 2 + scope.length + 14

function writeJournalKey(
  out: Bytes,
  at: number,
  prefix: JournalPrefix,
  scope: Bytes,
  p: JournalPosition,
): void {
  out[at] = prefix
  out[at + 1] = scope.length
  out.set(scope, at + 2)
  const n = at + 2 + scope.length
  writeU64(out, n, p.height)
  writeU32(out, n + 8, p.txIndex)
  out[n + 12] = p.row >>> 8
  out[n + 13] = p.row & 0xff
}

/** `[prefix] ‖ len ‖ scope ‖ height ‖ tx ‖ row`: a journal row under a point (ASCII id) or an account. */
export function journalKey(prefix: JournalPrefix, scope: Bytes, position: JournalPosition): Bytes {
  const key = new Uint8Array(journalKeyLength(scope))
  writeJournalKey(key, 0, prefix, scope, position)
  return key
}

export function parseJournalKey(key: Bytes): JournalPosition {
  const n = key.length - 14
  return {
    height: readU64(key, n),
    txIndex: readU32(key, n + 8),
    row: ((key[n + 12] as number) << 8) | (key[n + 13] as number),
  }
}

/** `[0x52] ‖ time u64 ‖ height u64`. */
export function blockTimeKey(timeMs: number, height: number): Bytes {
  const key = new Uint8Array(17)
  key[0] = Prefix.blockTime
  writeU64(key, 1, timeMs)
  writeU64(key, 9, height)
  return key
}
