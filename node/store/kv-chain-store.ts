/**
 * The ChainStore over any RawKv: LevelDB in a node, MemoryKv in tests. All writes go through one
 * serial queue, so a block's height check, its batch and the cached head move together.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import { bytesEqual, toHex, utf8 } from '../../protocol/bytes.ts'
import type {
  AccountHistoryEntry,
  AccountHistoryQuery,
  BlockCommit,
  ChainHead,
  ChainIdentity,
  ChainStore,
  JournalItem,
  JournalQuery,
  JournalScope,
  StoredBlock,
  TxLocation,
} from './chain-store.ts'
import { invalidArgument, StoreError, StoreErrorCode } from './errors.ts'
import { journalSlabBytes, pushJournalOps, readHeightAtTime, readJournal } from './journal-kv.ts'
import {
  accountHistoryKey,
  accountHistoryKeyLength,
  accountPrefix,
  ByteSlab,
  blockHashKey,
  blockKey,
  certificateKey,
  encodeHead,
  encodeU64,
  FORMAT_VERSION,
  headKey,
  historyValueLength,
  isHistoryText,
  MAX_HISTORY_TEXT,
  MetaKey,
  metaKey,
  Prefix,
  parseAccountHistoryKey,
  parseHistoryValue,
  readU32,
  readU64,
  txKey,
} from './keys.ts'
import type { RawKv, RawOp } from './raw-kv.ts'
import { KvStateKv, pushStateOps, slabValueBytes } from './state-kv.ts'
import { KvWal } from './wal.ts'

export interface KvChainStoreOptions {
  /** Sync each block commit to disk before it resolves. Default true. WAL appends always sync. */
  readonly syncCommits?: boolean
  /** When set, `open()` binds a fresh store to this chain or refuses a store of another chain. */
  readonly chain?: ChainIdentity
}

export interface KvChainStoreDeps {
  readonly kv: RawKv
}

type Status = 'new' | 'open' | 'closed'

const decoder = new TextDecoder()

function checkHeight(height: number, argument: string): void {
  if (!Number.isSafeInteger(height) || height < 0)
    throw invalidArgument(argument, 'must be a safe integer ≥ 0')
}

function checkAccount(account: Bytes): void {
  if (account.length < 1 || account.length > 255) throw invalidArgument('account', 'must be 1 to 255 bytes')
}

function checkHistoryTexts(kind: string, error: string | null): void {
  if (kind.length === 0 || !isHistoryText(kind)) {
    throw invalidArgument('accountIndex.kind', `must be 1 to ${MAX_HISTORY_TEXT} printable ASCII chars`)
  }
  if (error !== null && (error.length === 0 || !isHistoryText(error))) {
    throw invalidArgument(
      'accountIndex.error',
      `must be null or 1 to ${MAX_HISTORY_TEXT} printable ASCII chars`,
    )
  }
}

/** Room for every small key and value `commitBlock` puts in its slab (an upper bound). */
function slabBytes(commit: BlockCommit): number {
  let n = 0
  for (const [key, value] of commit.stateWrites) n += 1 + key.length + slabValueBytes(value)
  for (const tx of commit.txs) n += 1 + tx.hash.length + 12 + tx.receiptBytes.length + tx.hash.length
  for (const { account, txIndex, kind, error } of commit.accountIndex) {
    const hash = commit.txs[txIndex]?.hash
    n += accountHistoryKeyLength(account) + (hash === undefined ? 0 : historyValueLength(hash, kind, error))
  }
  return n + journalSlabBytes(commit.journal ?? [], commit.sponsored ?? [])
}

function corrupt(what: string, details: Record<string, unknown> = {}): StoreError {
  return new StoreError(StoreErrorCode.corrupt, `corrupt store: ${what}`, details)
}

export class KvChainStore implements ChainStore {
  readonly state: KvStateKv
  readonly wal: KvWal
  readonly #kv: RawKv
  readonly #sync: boolean
  readonly #chain: ChainIdentity | undefined
  #status: Status = 'new'
  #head: ChainHead | null = null
  #queue: Promise<unknown> = Promise.resolve()
  #closing: Promise<void> | null = null
  #opening: Promise<void> | null = null

  constructor(options: KvChainStoreOptions, deps: KvChainStoreDeps) {
    this.#kv = deps.kv
    this.#sync = options.syncCommits ?? true
    this.#chain = options.chain
    const assertOpen = (): void => this.#assertOpen()
    this.state = new KvStateKv({}, { kv: deps.kv, assertOpen, write: (ops) => this.#serialWrite(ops) })
    this.wal = new KvWal({}, { kv: deps.kv, assertOpen })
  }

  open(): Promise<void> {
    if (this.#status === 'open') return Promise.resolve()
    // Two overlapping open() calls share one opening.
    this.#opening ??= this.#open().finally(() => {
      this.#opening = null
    })
    return this.#opening
  }

  async #open(): Promise<void> {
    if (this.#closing !== null) await this.#closing
    await this.#kv.open()
    try {
      await this.#checkFormat()
      this.#head = await this.#loadHead()
      await this.wal.init()
      this.#status = 'open'
      this.#closing = null
      if (this.#chain !== undefined) await this.ensureChain(this.#chain)
    } catch (error) {
      this.#status = 'closed'
      await this.#kv.close()
      throw error
    }
  }

  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing
    if (this.#status !== 'open') {
      this.#status = 'closed'
      return Promise.resolve()
    }
    this.#status = 'closed'
    // Writes already accepted finish first; new calls are refused from here on.
    this.#closing = this.#queue.then(() => this.#kv.close())
    return this.#closing
  }

  async ensureChain(chain: ChainIdentity): Promise<void> {
    this.#assertOpen()
    await this.#enqueue(async () => {
      const storedId = await this.#kv.get(metaKey(MetaKey.chainId))
      const storedHash = await this.#kv.get(metaKey(MetaKey.genesisHash))
      if (storedId === undefined && storedHash === undefined) {
        const ops: RawOp[] = [
          { type: 'put', key: metaKey(MetaKey.chainId), value: utf8(chain.chainId) },
          { type: 'put', key: metaKey(MetaKey.genesisHash), value: chain.genesisHash.slice() },
        ]
        await this.#kv.write(ops, { sync: true })
        return
      }
      if (storedId === undefined || storedHash === undefined) throw corrupt('chain id without genesis hash')
      const id = decoder.decode(storedId)
      if (id !== chain.chainId || !bytesEqual(storedHash, chain.genesisHash)) {
        throw new StoreError(StoreErrorCode.wrongChain, 'the store belongs to another chain', {
          expectedChainId: chain.chainId,
          storedChainId: id,
          expectedGenesisHash: toHex(chain.genesisHash),
          storedGenesisHash: toHex(storedHash),
        })
      }
    })
  }

  async getMeta(name: string): Promise<Bytes | null> {
    this.#assertOpen()
    return (await this.#kv.get(metaKey(name))) ?? null
  }

  async setMeta(name: string, value: Bytes): Promise<void> {
    this.#assertOpen()
    await this.#serialWrite([{ type: 'put', key: metaKey(name), value: value.slice() }])
  }

  async commitBlock(commit: BlockCommit): Promise<void> {
    this.#assertOpen()
    await this.#enqueue(async () => {
      const { height, blockHash, txs } = commit
      const expected = (this.#head?.height ?? 0) + 1
      if (height !== expected) {
        throw new StoreError(StoreErrorCode.outOfOrder, 'block height is not head + 1', { height, expected })
      }
      const ops: RawOp[] = [
        { type: 'put', key: blockKey(height), value: commit.blockBytes },
        { type: 'put', key: blockHashKey(blockHash), value: encodeU64(height) },
      ]
      if (commit.certificateBytes !== null) {
        ops.push({ type: 'put', key: certificateKey(height), value: commit.certificateBytes })
      }
      const slab = new ByteSlab(slabBytes(commit))
      pushStateOps(ops, commit.stateWrites, slab)
      for (let i = 0; i < txs.length; i++) {
        const tx = txs[i] as (typeof txs)[number]
        const value = slab.txEntry(height, i, tx.receiptBytes)
        ops.push({ type: 'put', key: slab.prefixed(Prefix.tx, tx.hash), value })
      }
      // Each tx's history value written once into the slab, for all the entries that show it.
      const values: ({ kind: string; error: string | null; bytes: Bytes } | undefined)[] = new Array(
        txs.length,
      )
      for (const { account, txIndex, kind, error } of commit.accountIndex) {
        const tx = txs[txIndex]
        if (tx === undefined || !Number.isInteger(txIndex)) {
          throw invalidArgument('accountIndex.txIndex', `must index txs (0..${txs.length - 1})`)
        }
        checkAccount(account)
        let value = values[txIndex]
        if (value === undefined || value.kind !== kind || value.error !== error) {
          checkHistoryTexts(kind, error)
          value = { kind, error, bytes: slab.historyValue(tx.hash, kind, error) }
          values[txIndex] = value
        }
        ops.push({ type: 'put', key: slab.accountHistoryKey(account, height, txIndex), value: value.bytes })
      }
      pushJournalOps(ops, slab, commit, height)
      for (const [name, value] of commit.meta ?? [])
        ops.push({ type: 'put', key: metaKey(name), value: value.slice() })
      const walOps =
        commit.walPruneBelowHeight === undefined ? [] : this.wal.pruneOps(commit.walPruneBelowHeight)
      for (const op of walOps) ops.push(op)
      const hash = blockHash.slice()
      ops.push({ type: 'put', key: headKey(), value: encodeHead(height, hash) })
      try {
        await this.#kv.write(ops, { sync: this.#sync })
      } catch (error) {
        // The batch is all or nothing, but a failed sync may still have applied it: take the head
        // from the disk so the next commit's height check matches what is really stored.
        this.#head = await this.#loadHead().catch(() => this.#head)
        throw error
      }
      this.#head = { height, blockHash: hash }
      this.wal.applyPrune(walOps)
    })
  }

  async putCertificate(height: number, certificateBytes: Bytes): Promise<void> {
    this.#assertOpen()
    checkHeight(height, 'height')
    await this.#enqueue(async () => {
      if ((await this.#kv.get(blockKey(height))) === undefined) {
        throw new StoreError(StoreErrorCode.notFound, 'no block stored at this height', { height })
      }
      await this.#kv.write([{ type: 'put', key: certificateKey(height), value: certificateBytes }], {
        sync: this.#sync,
      })
    })
  }

  async head(): Promise<ChainHead | null> {
    this.#assertOpen()
    return this.#head === null ? null : { height: this.#head.height, blockHash: this.#head.blockHash.slice() }
  }

  async getBlock(height: number): Promise<Bytes | null> {
    this.#assertOpen()
    checkHeight(height, 'height')
    return (await this.#kv.get(blockKey(height))) ?? null
  }

  async getBlockByHash(hash: Bytes): Promise<{ height: number; blockBytes: Bytes } | null> {
    this.#assertOpen()
    const value = await this.#kv.get(blockHashKey(hash))
    if (value === undefined) return null
    if (value.length !== 8) throw corrupt('block hash index entry', { length: value.length })
    const height = readU64(value, 0)
    const blockBytes = await this.#kv.get(blockKey(height))
    if (blockBytes === undefined) throw corrupt('block hash points at a missing block', { height })
    return { height, blockBytes }
  }

  async getCertificate(height: number): Promise<Bytes | null> {
    this.#assertOpen()
    checkHeight(height, 'height')
    return (await this.#kv.get(certificateKey(height))) ?? null
  }

  async getTx(hash: Bytes): Promise<TxLocation | null> {
    this.#assertOpen()
    const value = await this.#kv.get(txKey(hash))
    if (value === undefined) return null
    if (value.length < 12) throw corrupt('tx entry', { length: value.length })
    return { height: readU64(value, 0), index: readU32(value, 8), receiptBytes: value.subarray(12) }
  }

  async accountHistory(account: Bytes, query: AccountHistoryQuery): Promise<AccountHistoryEntry[]> {
    this.#assertOpen()
    checkAccount(account)
    if (!Number.isSafeInteger(query.limit) || query.limit < 1)
      throw invalidArgument('limit', 'must be an integer ≥ 1')
    const { before } = query
    if (before !== undefined) checkHeight(before.height, 'before.height')
    const range = {
      ...(before === undefined
        ? { gte: accountPrefix(account) }
        : { gt: accountHistoryKey(account, before.height, before.index) }),
      // Height 0, index 0 complements to all-ones: the largest key of this account.
      lte: accountHistoryKey(account, 0, 0),
      limit: query.limit,
    }
    const out: AccountHistoryEntry[] = []
    for await (const [key, value] of this.#kv.entries(range)) {
      const shown = parseHistoryValue(value)
      if (shown === null) throw corrupt('account history entry', { length: value.length })
      out.push({ ...parseAccountHistoryKey(key), ...shown })
    }
    return out
  }

  async journal(scope: JournalScope, query: JournalQuery): Promise<JournalItem[]> {
    this.#assertOpen()
    return readJournal(this.#kv, scope, query)
  }

  async heightAtTime(timeMs: number, side: 'from' | 'until'): Promise<number | null> {
    this.#assertOpen()
    return readHeightAtTime(this.#kv, timeMs, side)
  }

  async blocksRange(from: number, to: number, limits: { maxBytes?: number } = {}): Promise<StoredBlock[]> {
    this.#assertOpen()
    checkHeight(from, 'from')
    checkHeight(to, 'to')
    const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY
    if (!(maxBytes > 0)) throw invalidArgument('maxBytes', 'must be positive')
    if (from > to) return []
    const out: { height: number; blockBytes: Bytes; certificateBytes: Bytes | null }[] = []
    let bytes = 0
    for await (const [key, blockBytes] of this.#kv.entries({ gte: blockKey(from), lte: blockKey(to) })) {
      const height = readU64(key, 1)
      const certificateBytes = (await this.#kv.get(certificateKey(height))) ?? null
      out.push({ height, blockBytes, certificateBytes })
      bytes += blockBytes.length + (certificateBytes?.length ?? 0)
      if (bytes >= maxBytes) break
    }
    return out
  }

  stateEntries(): AsyncIterable<readonly [Bytes, Bytes]> {
    return this.state.entries()
  }

  #assertOpen(): void {
    if (this.#status !== 'open') {
      throw new StoreError(
        StoreErrorCode.closed,
        this.#status === 'new' ? 'store not opened' : 'store closed',
      )
    }
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task)
    this.#queue = run.catch(() => undefined)
    return run
  }

  #serialWrite(ops: RawOp[]): Promise<void> {
    return this.#enqueue(() => this.#kv.write(ops, { sync: this.#sync }))
  }

  async #checkFormat(): Promise<void> {
    const stored = await this.#kv.get(metaKey(MetaKey.formatVersion))
    if (stored === undefined) {
      const value = encodeU64(FORMAT_VERSION)
      await this.#kv.write([{ type: 'put', key: metaKey(MetaKey.formatVersion), value }], { sync: true })
      return
    }
    if (stored.length !== 8) throw corrupt('format version', { length: stored.length })
    const version = readU64(stored, 0)
    if (version !== FORMAT_VERSION) {
      throw new StoreError(StoreErrorCode.unsupportedFormat, 'store written by an unknown layout version', {
        version,
        supported: FORMAT_VERSION,
      })
    }
  }

  async #loadHead(): Promise<ChainHead | null> {
    const value = await this.#kv.get(headKey())
    if (value === undefined) return null
    if (value.length < 9) throw corrupt('head pointer', { length: value.length })
    const head = { height: readU64(value, 0), blockHash: value.slice(8) }
    const indexed = await this.#kv.get(blockHashKey(head.blockHash))
    if ((await this.#kv.get(blockKey(head.height))) === undefined || indexed === undefined) {
      throw corrupt('head points at a missing block', { height: head.height })
    }
    if (indexed.length !== 8 || readU64(indexed, 0) !== head.height) {
      throw corrupt('head hash indexes another height', { height: head.height })
    }
    return head
  }
}
