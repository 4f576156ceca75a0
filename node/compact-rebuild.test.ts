import { describe, expect, it } from 'vitest'
import { txRootOf } from '../protocol/block.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { compactProposalOf } from '../protocol/compact-proposal.ts'
import { sha256 } from '../protocol/crypto.ts'
import { CompactErrorCode } from './compact-errors.ts'
import { assemble, completeByFetch, type FetchTxs, txsIfComplete } from './compact-rebuild.ts'
import { poolOf, proposalOf, resigned, signedTxs } from './compact-testing.ts'

const txs = signedTxs(6)
const blockOf = (p = proposalOf(txs)) => compactProposalOf(p).block

/** A sender answering from `source` (its own txs), recording what it was asked. */
function sender(source: readonly Bytes[], asked: string[][] = []): FetchTxs {
  const byId = new Map(blockOf(proposalOf(source)).txIds.map((id, i) => [toHex(id), source[i] as Bytes]))
  return async (ids) => {
    asked.push(ids.map(toHex))
    return ids.map((id) => byId.get(toHex(id)) as Bytes)
  }
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('rebuilding a compact proposal', () => {
  it('all txs pooled: the block is rebuilt with no fetch, its root checked', () => {
    const a = assemble(blockOf(), poolOf(txs).knownTx)
    expect([a.missing, a.pooled.length]).toEqual([[], 6])
    const rebuilt = txsIfComplete(a)
    expect(rebuilt).toEqual(txs)
    expect(Object.isFrozen(rebuilt)).toBe(true)
    expect(txRootOf(rebuilt as Bytes[])).toEqual(proposalOf(txs).block.header.txRoot)
  })

  it('some missing: fetches exactly those from the sender, then checks the root', async () => {
    const a = assemble(blockOf(), poolOf([txs[0], txs[2], txs[5]] as Bytes[]).knownTx)
    expect(a.missing).toEqual([1, 3, 4])
    expect(txsIfComplete(a)).toBeNull()
    const asked: string[][] = []
    const done = await completeByFetch(a, sender(txs, asked))
    expect(done.txs).toEqual(txs)
    expect(done.fetched).toBe(3)
    expect(asked).toEqual([[1, 3, 4].map((i) => toHex(blockOf().txIds[i] as Bytes))])
  })

  it('root mismatch (a pooled payload with another signature): fetches the pooled txs too', async () => {
    const pool = [txs[0], resigned(txs[1] as Bytes), txs[2], txs[3], txs[4], txs[5]] as Bytes[]
    const a = assemble(blockOf(), poolOf(pool).knownTx)
    expect(a.missing).toEqual([])
    expect(txsIfComplete(a)).toBeNull()
    const asked: string[][] = []
    const done = await completeByFetch(a, sender(txs, asked))
    expect(done.txs).toEqual(txs)
    expect(done.fetched).toBe(6)
    expect(asked).toHaveLength(1)
    // Missing and mismatched at once: two fetches, the missing first, never a third.
    const b = assemble(blockOf(), poolOf(pool.slice(1)).knownTx)
    const twice: string[][] = []
    expect((await completeByFetch(b, sender(txs, twice))).txs).toEqual(txs)
    expect(twice.map((ids) => ids.length)).toEqual([1, 5])
  })

  it('a lying answer is refused whole: another tx, bytes that are no tx, or the wrong count', async () => {
    const other = signedTxs(1, 100)[0] as Bytes
    const lies: FetchTxs[] = [
      async (ids) => ids.map(() => other),
      async (ids) => ids.map(() => new Uint8Array([1, 2, 3])),
      async (ids) => ids.slice(1).map(() => txs[0] as Bytes),
      // The right payload under another signature hashes to the id: the root check catches it.
      async (ids) =>
        ids.map((id) => resigned(txs[blockOf().txIds.findIndex((x) => toHex(x) === toHex(id))] as Bytes)),
    ]
    const codes: (string | undefined)[] = []
    for (const [i, lie] of lies.entries()) {
      const a = assemble(blockOf(), poolOf(txs.slice(0, 3)).knownTx)
      codes.push(await codeOf(completeByFetch(a, lie)))
      // Nothing of a refused answer is kept.
      if (i < 3) expect(a.bytes.slice(3)).toEqual([undefined, undefined, undefined])
    }
    expect(codes).toEqual([
      CompactErrorCode.wrongTx,
      CompactErrorCode.wrongTx,
      CompactErrorCode.wrongTx,
      CompactErrorCode.rootMismatch,
    ])
  })

  it('a leader whose header does not match its own txs: COMPACT_ROOT_MISMATCH after at most two fetches', async () => {
    const lying = proposalOf(txs, { txRoot: sha256(new Uint8Array([9])) })
    const asked: string[][] = []
    const a = assemble(blockOf(lying), poolOf(txs.slice(2)).knownTx)
    expect(await codeOf(completeByFetch(a, sender(txs, asked)))).toBe(CompactErrorCode.rootMismatch)
    expect(asked.map((ids) => ids.length)).toEqual([2, 4])
  })

  it('a failed fetch is COMPACT_FETCH_FAILED', async () => {
    const a = assemble(blockOf(), poolOf([]).knownTx)
    const failing: FetchTxs = () =>
      Promise.reject(Object.assign(new Error('reset'), { code: 'P2P_REQUEST_FAILED' }))
    expect(await codeOf(completeByFetch(a, failing))).toBe(CompactErrorCode.fetchFailed)
  })

  it('an empty block needs no tx and no fetch', () => {
    expect(txsIfComplete(assemble(blockOf(proposalOf([])), poolOf([]).knownTx))).toEqual([])
  })
})
