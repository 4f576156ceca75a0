/**
 * The consensus write-ahead log, kept in the node's database under the WAL prefix. The consensus
 * driver appends each input (and each vote before it is sent) and awaits the append: it resolves only
 * once the entry is synced to disk. Entries are opaque bytes tagged with the height they belong to;
 * `load` returns them in append order, and whole heights are dropped once a block commits.
 * consensus/ports.ts `WalPort` (structured entries) is adapted in node/: encode the entry with the
 * protocol codec, tag it with its message's height, and map `prune` to `pruneBelow` (or pass
 * `walPruneBelowHeight` to `commitBlock` to drop the finished height in the block's own batch).
 */
import type { Bytes } from '../../protocol/bytes.ts'
import { invalidArgument, StoreError, StoreErrorCode } from './errors.ts'
import { Prefix, prefixEnd, readU64, walKey, writeU64 } from './keys.ts'
import type { RawKv, RawOp } from './raw-kv.ts'

export interface WalRecord {
  readonly height: number
  readonly entry: Bytes
}

export interface ConsensusWal {
  /** Durable before it resolves (a synced LevelDB write). */
  append(height: number, entry: Bytes): Promise<void>
  /** Every entry still stored, in append order. */
  load(): Promise<WalRecord[]>
  /** Drops every entry of a height below `height`. */
  pruneBelow(height: number): Promise<void>
}

export interface KvWalDeps {
  readonly kv: RawKv
  /** Throws STORE_CLOSED unless the owning store is open. */
  readonly assertOpen: () => void
}

function checkHeight(height: number, argument: string): void {
  if (!Number.isSafeInteger(height) || height < 0)
    throw invalidArgument(argument, 'must be a safe integer ≥ 0')
}

/** The WAL over a RawKv. Keys are `[0x40] ‖ seq`, so key order is append order. */
export class KvWal implements ConsensusWal {
  readonly #deps: KvWalDeps
  /** Height of every stored entry by seq, so a prune needs no read. Rebuilt by `init`. */
  #heights = new Map<number, number>()
  #nextSeq = 0

  constructor(_options: Record<string, never>, deps: KvWalDeps) {
    this.#deps = deps
  }

  /** Called by the store on open: rebuilds the seq counter and the height index. */
  async init(): Promise<void> {
    this.#heights = new Map()
    this.#nextSeq = 0
    for await (const [key, value] of this.#deps.kv.entries({
      gte: Uint8Array.of(Prefix.wal),
      lt: prefixEnd(Prefix.wal),
    })) {
      const { seq, height } = parseWal(key, value)
      this.#heights.set(seq, height)
      this.#nextSeq = seq + 1
    }
  }

  async append(height: number, entry: Bytes): Promise<void> {
    this.#deps.assertOpen()
    checkHeight(height, 'height')
    const seq = this.#nextSeq++
    const value = new Uint8Array(8 + entry.length)
    writeU64(value, 0, height)
    value.set(entry, 8)
    await this.#deps.kv.write([{ type: 'put', key: walKey(seq), value }], { sync: true })
    this.#heights.set(seq, height)
  }

  async load(): Promise<WalRecord[]> {
    this.#deps.assertOpen()
    const out: WalRecord[] = []
    for await (const [key, value] of this.#deps.kv.entries({
      gte: Uint8Array.of(Prefix.wal),
      lt: prefixEnd(Prefix.wal),
    })) {
      const { height } = parseWal(key, value)
      out.push({ height, entry: value.subarray(8) })
    }
    return out
  }

  async pruneBelow(height: number): Promise<void> {
    this.#deps.assertOpen()
    const ops = this.pruneOps(height)
    if (ops.length === 0) return
    await this.#deps.kv.write(ops, { sync: true })
    this.applyPrune(ops)
  }

  /** The deletes that drop heights below `height`, for the store to put in a block's batch. */
  pruneOps(height: number): RawOp[] {
    checkHeight(height, 'walPruneBelowHeight')
    const ops: RawOp[] = []
    for (const [seq, h] of this.#heights) if (h < height) ops.push({ type: 'del', key: walKey(seq) })
    return ops
  }

  /** Forgets entries whose deletes were written. */
  applyPrune(ops: readonly RawOp[]): void {
    for (const op of ops) this.#heights.delete(readU64(op.key, 1))
  }
}

function parseWal(key: Bytes, value: Bytes): { seq: number; height: number } {
  if (key.length !== 9 || value.length < 8) {
    throw new StoreError(StoreErrorCode.corrupt, 'malformed WAL entry', { keyLength: key.length })
  }
  return { seq: readU64(key, 1), height: readU64(value, 0) }
}
