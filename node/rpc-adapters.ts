/**
 * The node's side of the ports rpc/ declares (rpc/ports.ts): reads over the chain and the store,
 * submission through the mempool (accepted txs are gossiped to peers), and block/receipt events.
 */
import { type Block, blockHash, decodeStoredBlock } from '../protocol/block.ts'
import type { Bytes } from '../protocol/bytes.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { type CommitCertificate, certificateFromTuple, type Evidence } from '../protocol/vote.ts'
import type {
  ChainEvent,
  ChainEvents,
  ChainReader,
  DecodedTx,
  ForkEvidence,
  HistoryEntry,
  NodeHealth,
  TxSubmitter,
} from '../rpc/ports.ts'
import { createLedgerQuery, decodeReceipt, type LedgerQuery } from '../state/index.ts'
import type { Chain, CommittedBlock } from './chain.ts'
import { createJournalReader } from './journal-reader.ts'
import type { Mempool } from './mempool/mempool.ts'
import type { NodeMetrics } from './metrics.ts'
import type { P2pHost } from './p2p/index.ts'
import { createStatementReader } from './statement-reader.ts'
import type { ChainStore } from './store/index.ts'

/** Movements a history entry shows at most (a traffic batch may credit one account many times). */
const HISTORY_MOVEMENTS = 8

import type { BlockSync } from './sync/block-sync.ts'

export interface NodeEvents extends ChainEvents {
  /** Never throws, whatever a listener does; subscribers get the block's events after it returns. */
  emit(committed: CommittedBlock): void
  onCommitted(listener: (committed: CommittedBlock) => void): () => void
  /** Errors thrown by listeners so far (each was contained and reported). */
  readonly listenerErrors: number
}

export interface EventHubDeps {
  /** Told of every error a listener throws (the node logs it); the hub has already contained it. */
  readonly onListenerError?: (err: unknown) => void
  /** Runs the delivery of queued blocks to subscribers later. Default `setImmediate`. */
  readonly defer?: (run: () => void) => void
}

/**
 * The node's event hub, called from the commit effect: nothing a listener does may stop the driver
 * from going on. Each listener runs in its own try/catch; `onCommitted` listeners (node-internal and
 * cheap) run at once, while subscribers (rpc: streams, `?wait`) get each block's events later, in
 * commit order, so rendering receipts never runs inside the commit. Subscribers all receive the same
 * event objects, built once per block, so rpc can render each event once for every stream.
 */
export function createEventHub(deps: EventHubDeps = {}): NodeEvents {
  const defer = deps.defer ?? ((run: () => void) => void setImmediate(run))
  const committedListeners = new Set<(committed: CommittedBlock) => void>()
  const eventListeners = new Set<(event: ChainEvent) => void>()
  // Blocks waiting for delivery; only while someone is subscribed, and drained at the next turn.
  const queue: CommittedBlock[] = []
  let listenerErrors = 0

  const contained = (err: unknown) => {
    listenerErrors++
    try {
      deps.onListenerError?.(err)
    } catch {
      // A failing reporter is no reason to fail the commit either.
    }
  }

  const deliver = (committed: CommittedBlock) => {
    const listeners = [...eventListeners]
    // A listener may unsubscribe itself or another one mid-block: it then gets nothing more.
    const send = (event: ChainEvent) => {
      for (const l of listeners) {
        if (!eventListeners.has(l)) continue
        try {
          l(event)
        } catch (err) {
          contained(err)
        }
      }
    }
    const { header } = committed.block
    send({
      type: 'block',
      height: header.height,
      hash: committed.hash,
      timeMs: header.timeMs,
      txCount: committed.txs.length,
      events: committed.blockEvents,
    })
    for (const receipt of committed.receipts) send({ type: 'receipt', receipt })
  }

  const drain = () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) deliver(next)
  }

  return {
    get listenerErrors() {
      return listenerErrors
    },
    emit(committed) {
      for (const l of [...committedListeners]) {
        try {
          l(committed)
        } catch (err) {
          contained(err)
        }
      }
      if (eventListeners.size === 0) return
      queue.push(committed)
      if (queue.length === 1) defer(drain)
    },
    onCommitted(listener) {
      committedListeners.add(listener)
      return () => committedListeners.delete(listener)
    },
    subscribe(listener) {
      // Wrapped so that subscribing the same function twice gives two subscriptions, as before.
      const own = (event: ChainEvent) => listener(event)
      eventListeners.add(own)
      return () => eventListeners.delete(own)
    },
  }
}

export interface RpcAdapterDeps {
  readonly role: 'validator' | 'observer'
  readonly chain: Chain
  readonly store: ChainStore
  readonly mempool: Mempool
  readonly p2p: P2pHost
  readonly sync: BlockSync
  readonly events: NodeEvents
  readonly gossip: (txs: Bytes[]) => void
  readonly metrics: NodeMetrics
  /** The health verdict (node/health.ts); without it `/health` answers 200 while the node answers. */
  readonly health?: () => NodeHealth
  /** Fork evidence held (node/fork-watch.ts). */
  readonly forks?: { readonly records: readonly ForkEvidence[] }
}

/** How many recently committed blocks `blockByHeight` serves from memory. */
const RECENT_BLOCKS = 8

function decodeCertificate(bytes: Bytes): CommitCertificate {
  return certificateFromTuple(decodeRaw(bytes, 64 * 1024, 'certificate')) as CommitCertificate
}

export function createRpcAdapters(deps: RpcAdapterDeps) {
  const { chain, store, mempool, metrics } = deps
  const journal = createJournalReader(store)
  const statements = createStatementReader(store, () => query())

  // The last few committed blocks with their tx hashes: block readers (explorers, the bench) ask for
  // each new block right after it commits, and would otherwise re-read, re-decode and re-hash it.
  const recent = new Map<number, { block: Block; hash: Bytes; txHashes: readonly Bytes[] }>()
  deps.events.onCommitted(({ block, hash, txs }) => {
    recent.set(block.header.height, { block, hash, txHashes: txs.map((t) => t.hash) })
    for (const height of recent.keys()) {
      if (recent.size <= RECENT_BLOCKS) break
      recent.delete(height)
    }
  })

  // One query object per committed height: it is a snapshot, and building it is cheap but not free.
  let cachedQuery: { height: number; query: LedgerQuery } | null = null
  const query = (): LedgerQuery => {
    if (cachedQuery === null || cachedQuery.height !== chain.height) {
      cachedQuery = { height: chain.height, query: createLedgerQuery(chain.state) }
    }
    return cachedQuery.query
  }

  /** The encoded tx at a block position, from the recent blocks or the store; null if gone. */
  const txBytesAt = async (height: number, index: number): Promise<Bytes | null> => {
    const cached = recent.get(height)
    if (cached !== undefined) return cached.block.txs[index] ?? null
    const bytes = await store.getBlock(height)
    return bytes === null ? null : (decodeStoredBlock(bytes).txs[index] ?? null)
  }

  const reader: ChainReader = {
    status: () => ({
      chainId: chain.chainId,
      height: chain.height,
      role: deps.role,
      peers: deps.p2p.peers().length,
      syncing: deps.sync.syncing,
      mempoolSize: mempool.size,
      headHash: chain.height === 0 ? null : chain.headHash,
      latestBlockTimeMs: chain.headHeader?.timeMs ?? null,
    }),
    async blockByHeight(height) {
      const h = height === 'latest' ? chain.height : height
      if (h < 1 || h > chain.height) return null
      const cached = recent.get(h)
      let found: { block: Block; hash: Bytes; txHashes?: readonly Bytes[] }
      if (cached !== undefined) found = cached
      else {
        const bytes = await store.getBlock(h)
        if (bytes === null) return null
        // Our own store: its commitments were checked before commit, so not again per read.
        const block = decodeStoredBlock(bytes)
        found = { block, hash: blockHash(block.header) }
      }
      // The certificate a later block carried, as stored (not the one this node committed with).
      const certBytes = await store.getCertificate(h)
      return { ...found, certificate: certBytes === null ? null : decodeCertificate(certBytes) }
    },
    async txByHash(hash) {
      const location = await store.getTx(hash)
      if (location !== null) {
        const receipt = decodeReceipt(location.receiptBytes)
        const tx = await txBytesAt(location.height, location.index)
        return { status: 'committed', receipt, ...(tx === null ? {} : { tx }) }
      }
      if (mempool.hasHash(hash)) return { status: 'pending' }
      return null
    },
    async evidence(page) {
      const out: { height: number; evidence: Evidence }[] = []
      const heights = (await chain.evidenceHeights()).reverse()
      for (const height of heights) {
        const bytes = await store.getBlock(height)
        if (bytes === null) continue
        for (const evidence of decodeStoredBlock(bytes).evidence) {
          if (out.length >= page.limit) return out
          out.push({ height, evidence })
        }
      }
      return out
    },
    validatorSets: (page) => chain.validatorSets(page.fromHeight, page.limit),
    ...(deps.health === undefined ? {} : { health: deps.health }),
    ...(deps.forks === undefined
      ? {}
      : {
          forks: (page) => (deps.forks as { records: readonly ForkEvidence[] }).records.slice(0, page.limit),
        }),
    async accountHistory(address, page) {
      // The index entry holds all an entry shows (store/keys.ts): no block or receipt read per entry.
      const entries = await store.accountHistory(address, {
        limit: page.limit,
        ...(page.before === undefined ? {} : { before: page.before }),
      })
      // Amounts and counterparties from the journal: one short range read per entry, of the rows of
      // that tx naming this account (a failed tx has none, so no read).
      return Promise.all(
        entries.map(async (e): Promise<HistoryEntry> => {
          const moved =
            e.error === null
              ? await journal.movementsOf(address, e.height, e.index, HISTORY_MOVEMENTS)
              : { rows: [], more: false }
          return {
            height: e.height,
            index: e.index,
            txHash: e.txHash,
            kind: e.kind,
            status: e.error === null ? 'ok' : 'failed',
            error: e.error,
            movements: moved.rows,
            moreMovements: moved.more,
          }
        }),
      )
    },
    journal: (request) => journal.page(request),
    statement: (point, period) => statements.statement(point, period),
    sponsorUsage: (point, period) => statements.sponsorUsage(point, period),
  }

  const submitter: TxSubmitter = {
    async submit(txs) {
      const results = await mempool.addDecoded(txs)
      const accepted: Bytes[] = []
      const out = results.map((r, i) => {
        if (r.accepted) {
          accepted.push((txs[i] as DecodedTx).bytes)
          metrics.mempool.admitted.inc()
          return { hash: r.hash, accepted: true }
        }
        metrics.mempool.rejected.inc({ code: r.error.code })
        return { hash: r.hash, accepted: false, code: r.error.code, message: r.error.message }
      })
      metrics.mempool.size.set(mempool.size)
      if (accepted.length > 0) deps.gossip(accepted)
      return out
    },
  }

  return { reader, submitter, query, pointIds: () => query().points() }
}
