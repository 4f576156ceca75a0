/**
 * The journal part of the ChainStore contract (chain-store-contract.ts holds the rest): rows by point
 * and by account in (height, tx, row) order, height ranges, cursors, the block time index, and the
 * journal written in the block's own batch or not at all. chain-store.test.ts runs it on both twins.
 */
import { describe, expect, it } from 'vitest'
import { utf8 } from '../../protocol/bytes.ts'
import type { ChainStore, JournalEntry, JournalItem } from './chain-store.ts'
import type { ChainStoreFixture } from './chain-store-contract.ts'
import { StoreErrorCode } from './errors.ts'
import { JOURNAL_BLOCK_ROWS } from './journal-kv.ts'
import { ALICE, BOB, sampleCommit, sampleJournal } from './sample-commit.ts'

const text = (items: readonly JournalItem[]) => items.map((i) => new TextDecoder().decode(i.bytes))

async function commitJournal(store: ChainStore, heights: number): Promise<void> {
  for (let h = 1; h <= heights; h++) {
    await store.commitBlock({ ...sampleCommit(h, 3), journal: sampleJournal(h, 3), timeMs: 1_000 * h })
  }
}

export function describeJournalStoreContract(
  name: string,
  makeFixture: () => Promise<ChainStoreFixture>,
): void {
  describe(`ChainStore journal contract: ${name}`, () => {
    async function withStore(body: (store: ChainStore, fixture: ChainStoreFixture) => Promise<void>) {
      const fixture = await makeFixture()
      const store = fixture.store()
      try {
        await store.open()
        await body(store, fixture)
      } finally {
        await store.close()
        await fixture.cleanup()
      }
    }
    const all = { fromHeight: 0, toHeight: Number.MAX_SAFE_INTEGER, limit: 1000 }

    it('keeps rows by point and by account, ascending by (height, tx, row)', () =>
      withStore(async (store) => {
        await commitJournal(store, 2)
        // tx 0: 1 row SHOP; tx 1: 2 rows CITY; tx 2: 3 rows SHOP.
        expect(text(await store.journal({ point: 'SHOP' }, all))).toEqual([
          'row 1/0/0',
          'row 1/2/0',
          'row 1/2/1',
          'row 1/2/2',
          'row 2/0/0',
          'row 2/2/0',
          'row 2/2/1',
          'row 2/2/2',
        ])
        expect(text(await store.journal({ point: 'CITY' }, all))).toEqual([
          'row 1/1/0',
          'row 1/1/1',
          'row 2/1/0',
          'row 2/1/1',
        ])
        expect(text(await store.journal({ account: BOB }, all))).toEqual([
          'row 1/1/1',
          'row 1/2/1',
          'row 2/1/1',
          'row 2/2/1',
        ])
        const alice = await store.journal({ account: ALICE }, all)
        expect(alice).toHaveLength(12)
        expect(alice[3]).toMatchObject({ height: 1, txIndex: 2, row: 0 })
        expect(await store.journal({ point: 'NONE' }, all)).toEqual([])
      }))

    it('pages with an `after` cursor and a height range, never repeating or skipping a row', () =>
      withStore(async (store) => {
        await commitJournal(store, 5)
        const seen: string[] = []
        let after: JournalItem | undefined
        for (;;) {
          const page = await store.journal(
            { account: ALICE },
            { fromHeight: 2, toHeight: 4, limit: 5, ...(after === undefined ? {} : { after }) },
          )
          seen.push(...text(page))
          if (page.length < 5) break
          after = page.at(-1)
        }
        const expected = text(await store.journal({ account: ALICE }, all)).filter((t) =>
          /^row [234]\//.test(t),
        )
        expect(seen).toEqual(expected)
        expect(seen).toHaveLength(18)
        // A cursor before the range starts at the range; one past it gives nothing.
        const early = await store.journal(
          { point: 'SHOP' },
          { fromHeight: 3, toHeight: 3, limit: 1, after: { height: 1, txIndex: 0, row: 0 } },
        )
        expect(text(early)).toEqual(['row 3/0/0'])
        const late = await store.journal(
          { point: 'SHOP' },
          { fromHeight: 3, toHeight: 3, limit: 9, after: { height: 3, txIndex: 2, row: 2 } },
        )
        expect(late).toEqual([])
        expect(await store.journal({ point: 'SHOP' }, { fromHeight: 4, toHeight: 3, limit: 9 })).toEqual([])
      }))

    it('turns times into heights with the block time index', () =>
      withStore(async (store) => {
        expect(await store.heightAtTime(0, 'from')).toBeNull()
        await commitJournal(store, 3)
        // Block h has time 1000·h.
        expect(await store.heightAtTime(0, 'from')).toBe(1)
        expect(await store.heightAtTime(1_500, 'from')).toBe(2)
        expect(await store.heightAtTime(3_000, 'from')).toBe(3)
        expect(await store.heightAtTime(3_001, 'from')).toBeNull()
        expect(await store.heightAtTime(999, 'until')).toBeNull()
        expect(await store.heightAtTime(2_999, 'until')).toBe(2)
        expect(await store.heightAtTime(Number.MAX_SAFE_INTEGER, 'until')).toBe(3)
      }))

    it('keeps a block’s own rows (tx index 0xffffffff) after its txs’ rows, even with no tx', () =>
      withStore(async (store) => {
        await commitJournal(store, 1)
        const own = (row: number): JournalEntry => ({
          point: 'SHOP',
          txIndex: JOURNAL_BLOCK_ROWS,
          row,
          accounts: [ALICE],
          bytes: utf8(`block row ${row}`),
        })
        await store.commitBlock({ ...sampleCommit(2, 3), journal: [...sampleJournal(2, 3), own(0), own(1)] })
        await store.commitBlock({ ...sampleCommit(3, 0), journal: [own(0)] })
        const rows = await store.journal({ point: 'SHOP' }, { fromHeight: 2, toHeight: 3, limit: 99 })
        expect(rows.slice(-3).map((r) => [r.height, r.txIndex, r.row])).toEqual([
          [2, JOURNAL_BLOCK_ROWS, 0],
          [2, JOURNAL_BLOCK_ROWS, 1],
          [3, JOURNAL_BLOCK_ROWS, 0],
        ])
        const after = { height: 2, txIndex: JOURNAL_BLOCK_ROWS, row: 0 }
        const next = await store.journal({ account: ALICE }, { fromHeight: 0, toHeight: 9, limit: 9, after })
        expect(text(next)).toEqual(['block row 1', 'block row 0'])
        // Before the txs' rows is out of order; any other index past the txs is refused.
        const early = { ...sampleCommit(4, 3), journal: [own(0), ...sampleJournal(4, 3)] }
        await expect(store.commitBlock(early)).rejects.toMatchObject({ code: StoreErrorCode.invalidArgument })
        const past = { ...sampleCommit(4, 3), journal: [{ ...own(0), txIndex: JOURNAL_BLOCK_ROWS - 1 }] }
        await expect(store.commitBlock(past)).rejects.toMatchObject({ code: StoreErrorCode.invalidArgument })
      }))

    it('writes the journal in the block’s batch: a refused commit leaves no row', () =>
      withStore(async (store) => {
        await commitJournal(store, 1)
        const badTx = {
          ...sampleCommit(2, 3),
          journal: [{ ...(sampleJournal(2, 3)[0] as JournalEntry), txIndex: 7 }],
        }
        await expect(store.commitBlock(badTx)).rejects.toMatchObject({ code: StoreErrorCode.invalidArgument })
        const unordered = { ...sampleCommit(2, 3), journal: [...sampleJournal(2, 3)].reverse() }
        await expect(store.commitBlock(unordered)).rejects.toMatchObject({
          code: StoreErrorCode.invalidArgument,
        })
        const badPoint = {
          ...sampleCommit(2, 3),
          journal: [{ ...(sampleJournal(2, 3)[0] as JournalEntry), point: 'é' }],
        }
        await expect(store.commitBlock(badPoint)).rejects.toMatchObject({
          code: StoreErrorCode.invalidArgument,
        })
        // A later entry that fails must not leave the earlier ones behind.
        const lateBad = {
          ...sampleCommit(2, 3),
          journal: [
            ...sampleJournal(2, 3),
            { point: 'SHOP', txIndex: 2, row: 9, accounts: [new Uint8Array(0)], bytes: utf8('x') },
          ],
        }
        await expect(store.commitBlock(lateBad)).rejects.toMatchObject({
          code: StoreErrorCode.invalidArgument,
        })
        expect((await store.head())?.height).toBe(1)
        expect(text(await store.journal({ account: ALICE }, all)).every((t) => t.startsWith('row 1/'))).toBe(
          true,
        )
        expect(await store.heightAtTime(2_000, 'from')).toBeNull()
        await store.commitBlock({ ...sampleCommit(2, 3), journal: sampleJournal(2, 3), timeMs: 2_000 })
        expect(text(await store.journal({ point: 'CITY' }, all))).toContain('row 2/1/1')
      }))

    it('keeps sponsored txs per point apart from the journal, in the same batch, one per tx', () =>
      withStore(async (store) => {
        const sponsored = (h: number) => [
          { point: 'SHOP', txIndex: 0, bytes: utf8(`sponsored ${h}/0`) },
          { point: 'CITY', txIndex: 2, bytes: utf8(`sponsored ${h}/2`) },
        ]
        for (let h = 1; h <= 3; h++) {
          await store.commitBlock({
            ...sampleCommit(h, 3),
            journal: sampleJournal(h, 3),
            sponsored: sponsored(h),
          })
        }
        expect(text(await store.journal({ sponsoredIn: 'SHOP' }, { ...all, fromHeight: 2 }))).toEqual([
          'sponsored 2/0',
          'sponsored 3/0',
        ])
        expect(text(await store.journal({ point: 'SHOP' }, all)).some((t) => t.startsWith('sponsored'))).toBe(
          false,
        )
        const twice = {
          ...sampleCommit(4, 3),
          sponsored: [...sponsored(4), { point: 'CITY', txIndex: 2, bytes: utf8('x') }],
        }
        await expect(store.commitBlock(twice)).rejects.toMatchObject({ code: StoreErrorCode.invalidArgument })
        const outside = {
          ...sampleCommit(4, 3),
          sponsored: [{ point: 'SHOP', txIndex: 3, bytes: utf8('x') }],
        }
        await expect(store.commitBlock(outside)).rejects.toMatchObject({
          code: StoreErrorCode.invalidArgument,
        })
        expect((await store.head())?.height).toBe(3)
        expect(await store.journal({ sponsoredIn: 'CITY' }, { ...all, fromHeight: 4 })).toEqual([])
      }))

    it('refuses bad query arguments with a typed error', () =>
      withStore(async (store) => {
        const bad = [
          store.journal({ point: '' }, all),
          store.journal({ account: new Uint8Array(0) }, all),
          store.journal({ sponsoredIn: 'é' }, all),
          store.journal({ point: 'SHOP' }, { ...all, limit: 0 }),
          store.journal({ point: 'SHOP' }, { ...all, fromHeight: -1 }),
          store.journal({ point: 'SHOP' }, { ...all, after: { height: 1, txIndex: 0, row: 70_000 } }),
          store.heightAtTime(-5, 'from'),
        ]
        for (const p of bad) await expect(p).rejects.toMatchObject({ code: StoreErrorCode.invalidArgument })
      }))
  })
}
