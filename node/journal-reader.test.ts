import { describe, expect, it } from 'vitest'
import { encodeJournalRow, journalAccountsOf } from '../state/journal.ts'
import { createJournalReader } from './journal-reader.ts'
import { createMemoryChainStore } from './store/index.ts'
import { sampleCommit, syntheticAccount, syntheticJournalRow } from './store/sample-commit.ts'

const A = syntheticAccount(7)

/** Heights 1..`cityBlocks` hold 3 CITY rows naming A (and its merchant and terminal) each; the next block holds 3 SHOP rows. */
async function store(cityBlocks: number) {
  const s = createMemoryChainStore()
  await s.open()
  for (let h = 1; h <= cityBlocks + 1; h++) {
    const point = h <= cityBlocks ? 'CITY' : 'SHOP'
    const journal = [0, 1, 2].map((i) => {
      const row = syntheticJournalRow(h, i, 7, point)
      return { point, txIndex: i, row: 0, accounts: journalAccountsOf(row), bytes: encodeJournalRow(row) }
    })
    await s.commitBlock({ ...sampleCommit(h, 3), journal, timeMs: h * 1_000 })
  }
  return s
}

describe('journal reader', () => {
  it('bounds the rows one page reads: an account busy in another point gets short pages with a cursor', async () => {
    const s = await store(1_000)
    let reads = 0
    const counted = new Proxy(s, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver)
        if (name !== 'journal' || typeof value !== 'function') return value
        return (...args: unknown[]) => {
          reads++
          return value.apply(target, args)
        }
      },
    })
    const reader = createJournalReader(counted)
    const seen: number[] = []
    let after: { height: number; txIndex: number; row: number } | undefined
    let pages = 0
    for (;;) {
      const page = await reader.page({
        point: 'SHOP',
        account: A,
        limit: 10,
        ...(after === undefined ? {} : { after }),
      })
      pages++
      seen.push(...page.rows.map((r) => r.height * 10 + r.txIndex))
      // At most max(1000, 8 × limit) stored rows a page: 10 store reads of 10 rows (or fewer) each.
      expect(reads).toBeLessThanOrEqual(pages * 100)
      if (page.next === null) break
      after = page.next
    }
    expect(seen).toEqual([10_010, 10_011, 10_012])
    expect(pages).toBe(4)
    await s.close()
  })

  it('a merchant page keeps only the rows moving that merchant; time bounds map to heights', async () => {
    const s = await store(4)
    const reader = createJournalReader(s)
    const merchant = syntheticJournalRow(1, 0, 7).merchant as Uint8Array
    const city = await reader.page({ point: 'CITY', merchant, limit: 100 })
    expect(city.rows).toHaveLength(12)
    expect(city.next).toBeNull()
    expect((await reader.page({ point: 'CITY', merchant: A, limit: 100 })).rows).toEqual([])
    const timed = await reader.page({ point: 'CITY', fromTimeMs: 1_500, toTimeMs: 3_000, limit: 100 })
    expect(timed.rows.map((r) => r.height)).toEqual([2, 2, 2, 3, 3, 3])
    expect((await reader.page({ point: 'CITY', fromTimeMs: 9_000, limit: 100 })).rows).toEqual([])
    expect((await reader.page({ point: 'CITY', toTimeMs: 500, limit: 100 })).rows).toEqual([])
    const moved = await reader.movementsOf(A, 2, 1, 8)
    expect(moved.rows.map((r) => [r.height, r.txIndex])).toEqual([[2, 1]])
    expect(moved.more).toBe(false)
    await s.close()
  })
})
