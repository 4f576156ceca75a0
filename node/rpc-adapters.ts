/**
 * The node's side of the ports rpc/ declares (rpc/ports.ts): reads over the chain and the store,
 * submission through the mempool (accepted txs are gossiped to peers), and block/receipt events.
 */
import { blockHash, decodeBlock } from '../protocol/block.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { decodeTx } from '../protocol/tx.ts'
import { type CommitCertificate, certificateFromTuple, type Evidence } from '../protocol/vote.ts'
import type { ChainEvents, ChainReader, HistoryEntry, TxSubmitter } from '../rpc/ports.ts'
import { createLedgerQuery, decodeReceipt, type LedgerQuery, type Receipt } from '../state/index.ts'
import type { Chain, CommittedBlock } from './chain.ts'
import type { Mempool } from './mempool/mempool.ts'
import type { NodeMetrics } from './metrics.ts'
import type { P2pHost } from './p2p/index.ts'
import type { ChainStore } from './store/index.ts'
import type { BlockSync } from './sync/block-sync.ts'

export interface NodeEvents extends ChainEvents {
  emit(committed: CommittedBlock): void
  onCommitted(listener: (committed: CommittedBlock) => void): () => void
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
}

function decodeCertificate(bytes: Bytes): CommitCertificate {
  return certificateFromTuple(decodeRaw(bytes, 64 * 1024, 'certificate')) as CommitCertificate
}

export function createRpcAdapters(deps: RpcAdapterDeps) {
  const { chain, store, mempool, events, metrics } = deps

  // One query object per committed height: it is a snapshot, and building it is cheap but not free.
  let cachedQuery: { height: number; query: LedgerQuery } | null = null
  const query = (): LedgerQuery => {
    if (cachedQuery === null || cachedQuery.height !== chain.height) {
      cachedQuery = { height: chain.height, query: createLedgerQuery(chain.state) }
    }
    return cachedQuery.query
  }

  const reader: ChainReader = {
    status: () => ({
      chainId: chain.chainId,
      height: chain.height,
      role: deps.role,
      peers: deps.p2p.peers().length,
      syncing: deps.sync.syncing && deps.sync.bestKnownHeight > chain.height + 1,
      mempoolSize: mempool.size,
      headHash: chain.height === 0 ? null : chain.headHash,
      latestBlockTimeMs: chain.headHeader?.timeMs ?? null,
    }),
    async blockByHeight(height) {
      const h = height === 'latest' ? chain.height : height
      if (h < 1 || h > chain.height) return null
      const bytes = await store.getBlock(h)
      if (bytes === null) return null
      const block = decodeBlock(bytes)
      const certBytes = await store.getCertificate(h)
      return {
        block,
        hash: blockHash(block.header),
        certificate: certBytes === null ? null : decodeCertificate(certBytes),
      }
    },
    async txByHash(hash) {
      const location = await store.getTx(hash)
      if (location !== null) return { status: 'committed', receipt: decodeReceipt(location.receiptBytes) }
      if (mempool.has(toHex(hash))) return { status: 'pending' }
      return null
    },
    async evidence(page) {
      const out: { height: number; evidence: Evidence }[] = []
      const heights = (await chain.evidenceHeights()).reverse()
      for (const height of heights) {
        const bytes = await store.getBlock(height)
        if (bytes === null) continue
        for (const evidence of decodeBlock(bytes).evidence) {
          if (out.length >= page.limit) return out
          out.push({ height, evidence })
        }
      }
      return out
    },
    async accountHistory(address, page) {
      const entries = await store.accountHistory(address, {
        limit: page.limit,
        ...(page.before === undefined ? {} : { before: page.before }),
      })
      const out: HistoryEntry[] = []
      for (const e of entries) {
        const location = await store.getTx(e.txHash)
        const receipt = location === null ? null : decodeReceipt(location.receiptBytes)
        const blockBytes = await store.getBlock(e.height)
        let kind = 'unknown'
        if (blockBytes !== null) {
          const txBytes = decodeBlock(blockBytes).txs[e.index]
          if (txBytes !== undefined) kind = decodeTx(txBytes).body.kind
        }
        out.push({
          height: e.height,
          index: e.index,
          txHash: e.txHash,
          kind,
          status: receipt?.status ?? 'failed',
          error: receipt?.error ?? null,
        })
      }
      return out
    },
  }

  const submitter: TxSubmitter = {
    async submit(encodedTxs) {
      const results = await mempool.add(encodedTxs)
      const accepted: Bytes[] = []
      const out = results.map((r, i) => {
        if (r.accepted) {
          accepted.push(encodedTxs[i] as Bytes)
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
    waitForCommit(hashes, timeoutMs) {
      const wanted = new Map<string, number>(hashes.map((h, i) => [toHex(h), i]))
      const results: (Receipt | null)[] = hashes.map(() => null)
      let remaining = wanted.size
      return new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer)
          unsubscribe()
          resolve(results)
        }
        const unsubscribe = events.onCommitted((committed) => {
          for (const receipt of committed.receipts) {
            const i = wanted.get(toHex(receipt.txHash))
            if (i !== undefined && results[i] === null) {
              results[i] = receipt
              remaining--
            }
          }
          if (remaining === 0) finish()
        })
        const timer = setTimeout(finish, timeoutMs)
        // Some may have committed before we subscribed.
        void Promise.all(
          hashes.map(async (h, i) => {
            const location = await store.getTx(h)
            if (location !== null && results[i] === null) {
              results[i] = decodeReceipt(location.receiptBytes)
              remaining--
            }
          }),
        ).then(() => {
          if (remaining === 0) finish()
        })
      })
    },
  }

  return { reader, submitter, query, pointIds: () => query().points() }
}
