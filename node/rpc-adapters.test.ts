import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '../protocol/crypto.ts'
import { encodeTx, type SignedTx, signTx } from '../protocol/tx.ts'
import type { ChainEvent } from '../rpc/ports.ts'
import { encodeReceipt, type Receipt } from '../state/receipt.ts'
import type { CommittedBlock } from './chain.ts'
import { createNodeMetrics } from './metrics.ts'
import { createEventHub, createRpcAdapters } from './rpc-adapters.ts'
import { createMemoryChainStore } from './store/index.ts'
import { ALICE, hashOf, sampleCommit, sampleError, sampleKind } from './store/sample-commit.ts'

const receipt = (n: number): Receipt => ({
  txHash: new Uint8Array(32).fill(n),
  height: 4,
  index: n,
  status: 'ok',
  error: null,
  events: [],
})
const committed = (receipts: Receipt[]) =>
  ({
    block: { header: { height: 4, timeMs: 99 } },
    hash: new Uint8Array(32).fill(4),
    receipts,
    txs: receipts,
    blockEvents: [{ type: 'proposalExpired', proposal: 3 }],
  }) as unknown as CommittedBlock

describe('createEventHub', () => {
  it('hands every subscriber the same event objects, block first, and committed blocks as they are', () => {
    const hub = createEventHub({ defer: (run) => run() })
    const seen: ChainEvent[][] = [[], []]
    const blocks: CommittedBlock[] = []
    hub.subscribe((e) => seen[0]?.push(e))
    hub.subscribe((e) => seen[1]?.push(e))
    hub.onCommitted((c) => blocks.push(c))
    const block = committed([receipt(1), receipt(2)])
    hub.emit(block)
    expect(blocks).toEqual([block])
    expect(seen[0]?.map((e) => e.type)).toEqual(['block', 'receipt', 'receipt'])
    expect(seen[0]?.[0]).toMatchObject({
      type: 'block',
      height: 4,
      timeMs: 99,
      txCount: 2,
      events: [{ type: 'proposalExpired', proposal: 3 }],
    })
    expect(seen[0]?.[2]).toMatchObject({ type: 'receipt', receipt: { index: 2 } })
    seen[0]?.forEach((e, i) => {
      expect(seen[1]?.[i]).toBe(e)
    })
  })

  it('stops delivering to a listener unsubscribed mid-block, and subscribing one function twice counts twice', () => {
    const hub = createEventHub({ defer: (run) => run() })
    const got: string[] = []
    let unsubscribeB: () => void = () => {}
    hub.subscribe((e) => {
      got.push(`a:${e.type}`)
      unsubscribeB()
    })
    unsubscribeB = hub.subscribe((e) => got.push(`b:${e.type}`))
    const twice = (e: ChainEvent) => got.push(`t:${e.type}`)
    const off = hub.subscribe(twice)
    hub.subscribe(twice)
    off()
    hub.emit(committed([receipt(1)]))
    expect(got).toEqual(['a:block', 't:block', 'a:receipt', 't:receipt'])
  })
})

describe('createEventHub isolates its listeners', () => {
  it('a throwing subscriber never stops the emitter or the others, and its errors are reported', () => {
    const errors: unknown[] = []
    const hub = createEventHub({ onListenerError: (err) => errors.push(err), defer: (run) => run() })
    const seen: string[] = []
    const blocks: number[] = []
    hub.onCommitted(() => {
      throw new Error('committed listener failed')
    })
    hub.onCommitted((c) => blocks.push(c.block.header.height))
    hub.subscribe(() => {
      throw new Error('subscriber failed')
    })
    hub.subscribe((e) => seen.push(e.type === 'block' ? 'block' : `receipt ${e.receipt.index}`))
    expect(() => hub.emit(committed([receipt(1), receipt(2)]))).not.toThrow()
    expect(() => hub.emit(committed([receipt(3)]))).not.toThrow()
    expect(blocks).toEqual([4, 4])
    expect(seen).toEqual(['block', 'receipt 1', 'receipt 2', 'block', 'receipt 3'])
    // One per committed block from the first listener, one per event from the throwing subscriber.
    expect(errors).toHaveLength(2 + 5)
    expect(hub.listenerErrors).toBe(7)
  })

  it('delivers events to subscribers after emit returns, in commit order', () => {
    const queued: (() => void)[] = []
    const hub = createEventHub({ defer: (run) => queued.push(run) })
    const seen: string[] = []
    hub.subscribe((e) => seen.push(e.type === 'block' ? `block ${e.height}` : `receipt ${e.receipt.index}`))
    hub.emit(committed([receipt(1)]))
    hub.emit({ ...committed([receipt(2)]), block: { header: { height: 5, timeMs: 1 } } } as never)
    expect(seen).toEqual([])
    for (const run of queued.splice(0)) run()
    expect(seen).toEqual(['block 4', 'receipt 1', 'block 5', 'receipt 2'])
  })
})

describe('the submitter', () => {
  it('passes the txs to the mempool, answers per tx in order and gossips the accepted ones', async () => {
    const key = generateKeyPair()
    const txs = [1, 2].map((nonce) => {
      const tx = signTx(
        {
          chainId: 'arcade-test',
          signer: key.publicKey,
          nonce,
          validUntil: 10,
          sponsor: key.publicKey,
          body: { kind: 'point.transfer', point: 'SHOTEN', to: key.publicKey, amount: 1 },
        },
        key.secretKey,
      )
      return { bytes: encodeTx(tx), tx }
    })
    const gossiped: Uint8Array[][] = []
    const mempool = {
      size: 1,
      addDecoded: async (items: readonly { bytes: Uint8Array; tx: SignedTx }[]) =>
        items.map(({ tx }, i) =>
          i === 0
            ? { accepted: true, hash: tx.hash }
            : {
                accepted: false,
                hash: tx.hash,
                error: { code: 'MEMPOOL_DUPLICATE', message: 'dup' },
              },
        ),
    }
    const { submitter } = createRpcAdapters({
      role: 'validator',
      chain: {} as never,
      store: {} as never,
      mempool: mempool as never,
      p2p: {} as never,
      sync: {} as never,
      events: createEventHub(),
      gossip: (bytes) => gossiped.push(bytes),
      metrics: createNodeMetrics(new Registry(), { defaultMetrics: false }),
    })
    const results = await submitter.submit(txs)
    expect(results).toEqual([
      { hash: txs[0]?.tx.hash, accepted: true },
      { hash: txs[1]?.tx.hash, accepted: false, code: 'MEMPOOL_DUPLICATE', message: 'dup' },
    ])
    expect(gossiped).toEqual([[txs[0]?.bytes]])
  })
})

describe('the reader', () => {
  it('serves recently committed blocks, with their tx hashes, without reading them back from the store', async () => {
    const events = createEventHub()
    const reads: string[] = []
    const store = {
      getBlock: async (h: number) => {
        reads.push(`block ${h}`)
        return null
      },
      getCertificate: async (h: number) => {
        reads.push(`certificate ${h}`)
        return null
      },
    }
    const { reader } = createRpcAdapters({
      role: 'validator',
      chain: { height: 12 } as never,
      store: store as never,
      mempool: {} as never,
      p2p: {} as never,
      sync: {} as never,
      events,
      gossip: () => {},
      metrics: createNodeMetrics(new Registry(), { defaultMetrics: false }),
    })
    const tx = { hash: new Uint8Array(32).fill(3) }
    for (let height = 1; height <= 12; height++) {
      events.emit({
        block: { header: { height, timeMs: height }, txs: [] },
        hash: new Uint8Array(32).fill(height),
        receipts: [],
        txs: [tx],
      } as unknown as CommittedBlock)
    }
    const head = await reader.blockByHeight('latest')
    expect(head).toMatchObject({ block: { header: { height: 12 } }, certificate: null, txHashes: [tx.hash] })
    expect(head?.hash).toEqual(new Uint8Array(32).fill(12))
    expect(reads).toEqual(['certificate 12'])
    // Only the last few are kept: an older one comes from the store.
    expect(await reader.blockByHeight(2)).toBeNull()
    expect(reads).toEqual(['certificate 12', 'block 2'])
  })

  it('serves a committed tx with its bytes, from a recent block or else from the stored block', async () => {
    const events = createEventHub()
    const reads: string[] = []
    const bytes = Uint8Array.of(1, 2, 3)
    const store = {
      getTx: async (hash: Uint8Array) => ({
        height: hash[0] as number,
        index: 0,
        receiptBytes: encodeReceipt(receipt(0)),
      }),
      getBlock: async (h: number) => {
        reads.push(`block ${h}`)
        return null
      },
    }
    const { reader } = createRpcAdapters({
      role: 'validator',
      chain: { height: 12 } as never,
      store: store as never,
      mempool: {} as never,
      p2p: {} as never,
      sync: {} as never,
      events,
      gossip: () => {},
      metrics: createNodeMetrics(new Registry(), { defaultMetrics: false }),
    })
    events.emit({
      block: { header: { height: 12, timeMs: 12 }, txs: [bytes] },
      hash: new Uint8Array(32).fill(12),
      receipts: [],
      txs: [{ hash: new Uint8Array(32).fill(12) }],
    } as unknown as CommittedBlock)
    expect(await reader.txByHash(new Uint8Array(32).fill(12))).toMatchObject({
      status: 'committed',
      tx: bytes,
    })
    expect(reads).toEqual([])
    // An older block is read from the store; one that is gone leaves the bytes out.
    const old = await reader.txByHash(new Uint8Array(32).fill(2))
    expect(old).toMatchObject({ status: 'committed', receipt: { index: 0 } })
    expect(old).not.toHaveProperty('tx')
    expect(reads).toEqual(['block 2'])
  })

  it('serves account history from the index and the journal: range reads only, no block or receipt per entry', async () => {
    const store = createMemoryChainStore()
    await store.open()
    await store.commitBlock(sampleCommit(1, 3))
    const reads: string[] = []
    const counted = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          reads.push(String(name))
          return value.apply(target, args)
        }
      },
    })
    const { reader } = createRpcAdapters({
      role: 'validator',
      chain: { height: 1 } as never,
      store: counted,
      mempool: {} as never,
      p2p: {} as never,
      sync: {} as never,
      events: createEventHub(),
      gossip: () => {},
      metrics: createNodeMetrics(new Registry(), { defaultMetrics: false }),
    })
    const entries = await reader.accountHistory(ALICE, { limit: 10 })
    expect(entries.map((e) => [e.height, e.index, e.kind, e.status, e.error])).toEqual([
      [1, 2, sampleKind(2), 'failed', sampleError(2)],
      [1, 1, sampleKind(1), 'ok', null],
      [1, 0, sampleKind(0), 'ok', null],
    ])
    expect(entries[0]?.txHash).toEqual(hashOf(0x77, 1, 2))
    // The history page, then the journal rows of each tx that applied (the failed one has none).
    expect(reads).toEqual(['accountHistory', 'journal', 'journal'])
    expect(entries.map((e) => e.movements)).toEqual([[], [], []])
    await store.close()
  })
})
