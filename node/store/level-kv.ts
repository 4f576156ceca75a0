/**
 * The only `level` user: a RawKv over one LevelDB database with binary keys and values. LevelDB's
 * own errors are mapped to StoreError codes here, so nothing above sees a LEVEL_* code.
 */
import { Level } from 'level'
import type { Bytes } from '../../protocol/bytes.ts'
import { StoreError, StoreErrorCode } from './errors.ts'
import type { RawKv, RawOp, RawRange } from './raw-kv.ts'

export interface LevelKvOptions {
  /** Directory of the database; created if missing. */
  readonly location: string
  /** LevelDB memtable size. Default 32 MiB: a 10,000-tx block's batch (~6 MB) fits without a stall. */
  readonly writeBufferBytes?: number
  /** LevelDB block cache size. Default 8 MiB (LevelDB's own default). */
  readonly cacheBytes?: number
}

const DEFAULT_WRITE_BUFFER_BYTES = 32 * 1024 * 1024
const DEFAULT_CACHE_BYTES = 8 * 1024 * 1024

function mapLevelError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code
  const cause = (error as { cause?: { message?: string } } | null)?.cause?.message ?? ''
  if (code === 'LEVEL_LOCKED' || (code === 'LEVEL_DATABASE_NOT_OPEN' && /lock/i.test(cause))) {
    return new StoreError(StoreErrorCode.locked, 'the database is locked by another process or handle', {
      cause: String(cause),
    })
  }
  if (code === 'LEVEL_CORRUPTION' || (code === 'LEVEL_DATABASE_NOT_OPEN' && /corrupt/i.test(cause))) {
    return new StoreError(StoreErrorCode.corrupt, 'LevelDB reports corruption', { cause: String(cause) })
  }
  return error
}

/**
 * classic-level hands back Buffers; callers get plain Uint8Arrays over the same memory (no copy), so
 * both twins return the same type and `slice()` copies as it does on any Uint8Array.
 */
function plain(bytes: Bytes): Bytes {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes
}

export class LevelKv implements RawKv {
  readonly #db: Level<Bytes, Bytes>

  constructor(options: LevelKvOptions) {
    this.#db = new Level<Bytes, Bytes>(options.location, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      createIfMissing: true,
      writeBufferSize: options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES,
      cacheSize: options.cacheBytes ?? DEFAULT_CACHE_BYTES,
    })
  }

  async open(): Promise<void> {
    try {
      await this.#db.open()
    } catch (error) {
      throw mapLevelError(error)
    }
  }

  async close(): Promise<void> {
    await this.#db.close()
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    try {
      const value = await this.#db.get(key)
      return value === undefined ? undefined : plain(value)
    } catch (error) {
      throw mapLevelError(error)
    }
  }

  async write(ops: readonly RawOp[], options: { readonly sync: boolean }): Promise<void> {
    // A chained batch is one LevelDB WriteBatch, so just as atomic as the array form, and measured
    // at half the main-thread CPU for a 60,000-op block (the array form clones every op and reads
    // its properties through N-API). No per-op await: puts are synchronous, only write() is async.
    const batch = this.#db.batch()
    try {
      for (const op of ops) {
        if (op.type === 'put') batch.put(op.key, op.value)
        else batch.del(op.key)
      }
    } catch (error) {
      await batch.close()
      throw mapLevelError(error)
    }
    try {
      await batch.write({ sync: options.sync })
    } catch (error) {
      throw mapLevelError(error)
    }
  }

  async *entries(range: RawRange): AsyncIterable<readonly [Bytes, Bytes]> {
    const iterator = this.#db.iterator({ ...range, limit: range.limit ?? -1 })
    try {
      // nextv() fetches entries in chunks: one promise per chunk, not per entry (start-up loads all
      // state). Small first chunk, since a paged query often wants only a few entries.
      let size = 16
      for (;;) {
        const chunk = await iterator.nextv(size)
        if (chunk.length === 0) return
        for (const [key, value] of chunk) yield [plain(key), plain(value)]
        size = Math.min(size * 4, 1024)
      }
    } catch (error) {
      throw mapLevelError(error)
    } finally {
      await iterator.close()
    }
  }
}
