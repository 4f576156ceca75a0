/**
 * One contract for every ChainStore (STYLE.md §12): chain-store.test.ts runs it against the LevelDB
 * store and the memory twin. A fixture hands out stores over the same underlying data, so a second
 * `store()` after closing the first is a restart.
 */
import { describe, expect, it } from 'vitest'
import type { Bytes } from '../../protocol/bytes.ts'
import { utf8 } from '../../protocol/bytes.ts'
import type { ChainStore } from './chain-store.ts'
import { StoreErrorCode } from './errors.ts'
import { encodeHead, encodeU64, FORMAT_VERSION, MetaKey } from './keys.ts'
import type { KvChainStoreOptions } from './kv-chain-store.ts'
import type { RawKv } from './raw-kv.ts'
import { ALICE, BOB, hashOf, sampleCommit, sampleError, sampleKind } from './sample-commit.ts'

export interface ChainStoreFixture {
  /** A new, unopened store over this fixture's data. */
  store(options?: KvChainStoreOptions): ChainStore
  /** A raw view of the same data, for planting damage; only while no store is open. */
  raw(): RawKv
  cleanup(): Promise<void>
}

const b = (...xs: number[]): Bytes => Uint8Array.from(xs)

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code })
}

export function describeChainStoreContract(
  name: string,
  makeFixture: () => Promise<ChainStoreFixture>,
): void {
  describe(`ChainStore contract: ${name}`, () => {
    async function withStore(
      body: (store: ChainStore, fixture: ChainStoreFixture) => Promise<void>,
      options?: KvChainStoreOptions,
    ): Promise<void> {
      const fixture = await makeFixture()
      const store = fixture.store(options)
      try {
        await store.open()
        await body(store, fixture)
      } finally {
        await store.close()
        await fixture.cleanup()
      }
    }

    it('an empty store has no head, blocks, txs, history, state or WAL', () =>
      withStore(async (store) => {
        expect(await store.head()).toBeNull()
        expect(await store.getBlock(1)).toBeNull()
        expect(await store.getBlockByHash(hashOf(0xbb, 1))).toBeNull()
        expect(await store.getCertificate(1)).toBeNull()
        expect(await store.getTx(hashOf(0x77, 1, 0))).toBeNull()
        expect(await store.accountHistory(ALICE, { limit: 10 })).toEqual([])
        expect(await store.blocksRange(1, 10)).toEqual([])
        expect(await collect(store.stateEntries())).toEqual([])
        expect(await store.wal.load()).toEqual([])
      }))

    it('commitBlock stores the block, certificate, hash index, txs, receipts, state and head', () =>
      withStore(async (store) => {
        await store.commitBlock(sampleCommit(1))
        const stateWrites = [
          [b(1, 1), null],
          [b(2), utf8('latest 2')],
          [b(0, 5), utf8('zero')],
        ] as const
        await store.commitBlock(sampleCommit(2, 2, { stateWrites }))
        expect(await store.head()).toEqual({ height: 2, blockHash: hashOf(0xbb, 2) })
        expect(await store.getBlock(1)).toEqual(utf8('block 1'))
        expect(await store.getBlockByHash(hashOf(0xbb, 2))).toEqual({
          height: 2,
          blockBytes: utf8('block 2'),
        })
        expect(await store.getCertificate(2)).toEqual(utf8('cert 2'))
        expect(await store.getTx(hashOf(0x77, 1, 1))).toEqual({
          height: 1,
          index: 1,
          receiptBytes: utf8('receipt 1/1'),
        })
        expect((await store.getTx(hashOf(0x77, 2, 1)))?.receiptBytes).toEqual(utf8('receipt 2/1'))
        expect(await store.getTx(hashOf(0x77, 2, 2))).toBeNull()
        // Height 2 deleted key [1,1] and overwrote [2]; entries come back in ascending key order.
        expect(await collect(store.stateEntries())).toEqual([
          [b(0, 5), utf8('zero')],
          [b(2), utf8('latest 2')],
        ])
        expect(await store.state.get(b(2))).toEqual(utf8('latest 2'))
        expect(await store.state.get(b(1, 1))).toBeUndefined()
      }))

    it('accountHistory is newest first and pages with a `before` cursor', () =>
      withStore(async (store) => {
        await store.commitBlock(sampleCommit(1, 3))
        await store.commitBlock(sampleCommit(2, 2))
        const all = await store.accountHistory(ALICE, { limit: 100 })
        expect(all.map((e) => [e.height, e.index])).toEqual([
          [2, 1],
          [2, 0],
          [1, 2],
          [1, 1],
          [1, 0],
        ])
        expect(all[0]?.txHash).toEqual(hashOf(0x77, 2, 1))
        // Each entry shows the tx's kind and outcome without reading its block or receipt.
        expect(all.map((e) => [e.kind, e.error])).toEqual([
          [sampleKind(1), null],
          [sampleKind(0), null],
          [sampleKind(2), sampleError(2)],
          [sampleKind(1), null],
          [sampleKind(0), null],
        ])
        expect(sampleError(2)).not.toBeNull()
        const page1 = await store.accountHistory(ALICE, { limit: 2 })
        const last = page1[1] as { height: number; index: number }
        const page2 = await store.accountHistory(ALICE, { limit: 2, before: last })
        expect([...page1, ...page2]).toEqual(all.slice(0, 4))
        const bob = await store.accountHistory(BOB, { limit: 10 })
        expect(bob.map((e) => [e.height, e.index])).toEqual([
          [2, 1],
          [1, 1],
        ])
        expect(
          await store.accountHistory(new Uint8Array(32).fill(0xa1).subarray(0, 31), { limit: 10 }),
        ).toEqual([])
        await expectCode(store.accountHistory(ALICE, { limit: 0 }), StoreErrorCode.invalidArgument)
      }))

    it('blocksRange returns [from, to] ascending with certificates, null where none is stored', () =>
      withStore(async (store) => {
        await store.commitBlock(sampleCommit(1))
        await store.commitBlock(sampleCommit(2, 1, { certificateBytes: null }))
        await store.commitBlock(sampleCommit(3))
        const range = await store.blocksRange(2, 5)
        expect(range).toEqual([
          { height: 2, blockBytes: utf8('block 2'), certificateBytes: null },
          { height: 3, blockBytes: utf8('block 3'), certificateBytes: utf8('cert 3') },
        ])
        expect(await store.blocksRange(3, 2)).toEqual([])
        // 'block 1' + 'cert 1' is 13 bytes: a 14-byte budget takes a second block, a 1-byte one only one.
        expect((await store.blocksRange(1, 3, { maxBytes: 14 })).map((x) => x.height)).toEqual([1, 2])
        expect((await store.blocksRange(1, 3, { maxBytes: 1 })).map((x) => x.height)).toEqual([1])
        await store.putCertificate(2, utf8('late cert 2'))
        expect(await store.getCertificate(2)).toEqual(utf8('late cert 2'))
        await expectCode(store.putCertificate(4, utf8('x')), StoreErrorCode.notFound)
      }))

    it('refuses a block that is not head + 1 and writes nothing of it', () =>
      withStore(async (store) => {
        await expectCode(store.commitBlock(sampleCommit(2)), StoreErrorCode.outOfOrder)
        await store.commitBlock(sampleCommit(1))
        await expectCode(store.commitBlock(sampleCommit(1)), StoreErrorCode.outOfOrder)
        await expectCode(store.commitBlock(sampleCommit(3)), StoreErrorCode.outOfOrder)
        expect(await store.getBlock(3)).toBeNull()
        expect(await store.getTx(hashOf(0x77, 3, 0))).toBeNull()
        expect((await store.head())?.height).toBe(1)
      }))

    it('a rejected commit (bad tx index) leaves no trace and the same height can commit after', () =>
      withStore(async (store) => {
        await store.commitBlock(sampleCommit(1))
        const bad = sampleCommit(2, 2, {
          accountIndex: [{ account: ALICE, txIndex: 2, kind: 'k', error: null }],
        })
        await expectCode(store.commitBlock(bad), StoreErrorCode.invalidArgument)
        expect(await store.head()).toEqual({ height: 1, blockHash: hashOf(0xbb, 1) })
        expect(await store.getBlock(2)).toBeNull()
        expect(await store.getTx(hashOf(0x77, 2, 0))).toBeNull()
        expect(await store.state.get(b(2))).toEqual(utf8('latest 1'))
        await store.commitBlock(sampleCommit(2))
        expect((await store.head())?.height).toBe(2)
      }))

    it('refuses a history entry whose kind or error is not short printable ASCII, writing nothing', () =>
      withStore(async (store) => {
        const entry = (kind: string, error: string | null) =>
          sampleCommit(1, 1, { accountIndex: [{ account: ALICE, txIndex: 0, kind, error }] })
        for (const bad of [entry('', null), entry('k'.repeat(256), null), entry('point.transfér', null)]) {
          await expectCode(store.commitBlock(bad), StoreErrorCode.invalidArgument)
        }
        await expectCode(store.commitBlock(entry('k', 'E'.repeat(256))), StoreErrorCode.invalidArgument)
        expect(await store.head()).toBeNull()
        await store.commitBlock(entry('k'.repeat(255), 'E'.repeat(255)))
        expect(await store.accountHistory(ALICE, { limit: 1 })).toMatchObject([
          { kind: 'k'.repeat(255), error: 'E'.repeat(255) },
        ])
      }))

    it('meta entries of a commit are written with the block, and not at all when it is refused', () =>
      withStore(async (store) => {
        await store.commitBlock({ ...sampleCommit(1), meta: [['evidence-heights', utf8('1')]] })
        expect(await store.getMeta('evidence-heights')).toEqual(utf8('1'))
        const bad = {
          ...sampleCommit(2, 2, { accountIndex: [{ account: ALICE, txIndex: 9, kind: 'k', error: null }] }),
          meta: [['evidence-heights', utf8('2')] as const],
        }
        await expectCode(store.commitBlock(bad), StoreErrorCode.invalidArgument)
        expect(await store.getMeta('evidence-heights')).toEqual(utf8('1'))
      }))

    it('overlapping open() calls share one opening', async () => {
      const fixture = await makeFixture()
      try {
        const store = fixture.store()
        await Promise.all([store.open(), store.open()])
        await store.commitBlock(sampleCommit(1))
        await store.close()
      } finally {
        await fixture.cleanup()
      }
    })

    it('serialises concurrent commits and close() waits for a commit under way', async () => {
      const fixture = await makeFixture()
      try {
        const store = fixture.store()
        await store.open()
        const commits = [store.commitBlock(sampleCommit(1)), store.commitBlock(sampleCommit(2))]
        const closed = store.close()
        await Promise.all([...commits, closed])
        const again = fixture.store()
        await again.open()
        expect((await again.head())?.height).toBe(2)
        await again.close()
      } finally {
        await fixture.cleanup()
      }
    })

    it('everything survives a restart and the chain continues from the head', async () => {
      const fixture = await makeFixture()
      try {
        const first = fixture.store()
        await first.open()
        await first.state.commit([[b(9), utf8('genesis')]])
        await first.commitBlock(sampleCommit(1))
        await first.setMeta('note', utf8('hello'))
        await first.close()
        const second = fixture.store()
        await second.open()
        expect(await second.head()).toEqual({ height: 1, blockHash: hashOf(0xbb, 1) })
        expect(await second.getMeta('note')).toEqual(utf8('hello'))
        expect(await collect(second.stateEntries())).toEqual([
          [b(1, 1), utf8('v1')],
          [b(2), utf8('latest 1')],
          [b(9), utf8('genesis')],
        ])
        await expectCode(second.commitBlock(sampleCommit(1)), StoreErrorCode.outOfOrder)
        await second.commitBlock(sampleCommit(2))
        expect((await second.getTx(hashOf(0x77, 2, 2)))?.height).toBe(2)
        await second.close()
      } finally {
        await fixture.cleanup()
      }
    })

    it('binds to one chain and refuses another chain id or genesis hash', async () => {
      const fixture = await makeFixture()
      const chain = { chainId: 'arcade-test', genesisHash: hashOf(0x9e, 0) }
      try {
        const first = fixture.store({ chain })
        await first.open()
        expect(await first.getMeta(MetaKey.chainId)).toEqual(utf8('arcade-test'))
        await first.ensureChain(chain)
        await expectCode(first.ensureChain({ ...chain, chainId: 'other' }), StoreErrorCode.wrongChain)
        await first.close()
        const wrongHash = fixture.store({ chain: { ...chain, genesisHash: hashOf(0x9e, 1) } })
        await expectCode(wrongHash.open(), StoreErrorCode.wrongChain)
        await expectCode(wrongHash.head(), StoreErrorCode.closed)
        const right = fixture.store({ chain })
        await right.open()
        await right.close()
      } finally {
        await fixture.cleanup()
      }
    })

    it('refuses every operation before open and after close; closing twice is harmless', async () => {
      const fixture = await makeFixture()
      try {
        const store = fixture.store()
        await expectCode(store.head(), StoreErrorCode.closed)
        await store.open()
        await store.close()
        await store.close()
        await expectCode(store.commitBlock(sampleCommit(1)), StoreErrorCode.closed)
        await expectCode(store.getBlock(1), StoreErrorCode.closed)
        await expectCode(store.state.get(b(1)), StoreErrorCode.closed)
        await expectCode(store.state.commit([]), StoreErrorCode.closed)
        await expectCode(store.wal.append(1, b(1)), StoreErrorCode.closed)
        await expectCode(store.wal.load(), StoreErrorCode.closed)
        await expectCode(collect(store.stateEntries()), StoreErrorCode.closed)
      } finally {
        await fixture.cleanup()
      }
    })

    it('refuses a store of an unknown format version or with a dangling head', async () => {
      const fixture = await makeFixture()
      try {
        const first = fixture.store()
        await first.open()
        await first.commitBlock(sampleCommit(1))
        await first.close()
        const raw = fixture.raw()
        await raw.open()
        await raw.write([{ type: 'put', key: Uint8Array.of(0x02), value: encodeHead(7, hashOf(0xbb, 7)) }], {
          sync: false,
        })
        await raw.close()
        await expectCode(fixture.store().open(), StoreErrorCode.corrupt)
        await raw.open()
        await raw.write([{ type: 'put', key: Uint8Array.of(0x02), value: encodeHead(1, hashOf(0xbb, 1)) }], {
          sync: false,
        })
        await raw.close()
        const repaired = fixture.store()
        await repaired.open()
        await repaired.setMeta(MetaKey.formatVersion, encodeU64(FORMAT_VERSION + 1))
        await repaired.close()
        await expectCode(fixture.store().open(), StoreErrorCode.unsupportedFormat)
      } finally {
        await fixture.cleanup()
      }
    })

    it('WAL: load in append order, prune by height, survive a restart, prune inside a commit', async () => {
      const fixture = await makeFixture()
      try {
        const first = fixture.store()
        await first.open()
        await first.wal.append(1, b(10))
        await first.wal.append(2, b(20))
        await first.wal.append(1, b(11))
        await first.wal.append(3, b(30))
        expect(await first.wal.load()).toEqual([
          { height: 1, entry: b(10) },
          { height: 2, entry: b(20) },
          { height: 1, entry: b(11) },
          { height: 3, entry: b(30) },
        ])
        await first.wal.pruneBelow(2)
        expect((await first.wal.load()).map((e) => e.height)).toEqual([2, 3])
        await first.close()
        const second = fixture.store()
        await second.open()
        await second.wal.append(2, b(21))
        expect((await second.wal.load()).map((e) => e.entry)).toEqual([b(20), b(30), b(21)])
        await second.commitBlock(sampleCommit(1))
        await second.commitBlock(sampleCommit(2, 1, { walPruneBelowHeight: 3 }))
        expect(await second.wal.load()).toEqual([{ height: 3, entry: b(30) }])
        await second.close()
      } finally {
        await fixture.cleanup()
      }
    })

    it('keeps its own copy of the head hash', () =>
      withStore(async (store) => {
        const commit = sampleCommit(1)
        await store.commitBlock(commit)
        ;(commit.blockHash as Uint8Array).fill(0)
        const head = await store.head()
        head?.blockHash.fill(1)
        expect((await store.head())?.blockHash).toEqual(hashOf(0xbb, 1))
      }))
  })
}
