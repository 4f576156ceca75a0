import { afterAll, describe, expect, it } from 'vitest'
import { toHex } from '../../protocol/bytes.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { ArcadeError } from '../../protocol/errors.ts'
import { encodeTx, type SignedTx, signTx } from '../../protocol/tx.ts'
import { createMempool } from './mempool.ts'
import { createVerifyPool } from './verify-pool.ts'

const chainId = 'arcade-test'
const alice = generateKeyPair()
const bob = generateKeyPair()

function makeTx(
  nonce: number,
  opts: { chain?: string; amount?: number } = {},
): { tx: SignedTx; bytes: Uint8Array } {
  const tx = signTx(
    {
      chainId: opts.chain ?? chainId,
      signer: alice.publicKey,
      nonce,
      validUntil: 100,
      sponsor: alice.publicKey,
      body: { kind: 'point.transfer', point: 'SHOTEN', to: bob.publicKey, amount: opts.amount ?? 1 },
    },
    alice.secretKey,
  )
  return { tx, bytes: encodeTx(tx) }
}

const inline = createVerifyPool({ workers: 0, minBatchForWorkers: 1 })
const threaded = createVerifyPool({ workers: 2, minBatchForWorkers: 1 })
afterAll(async () => {
  await inline.stop()
  await threaded.stop()
})

function pool(maxTxs = 100, checkTx: (tx: SignedTx) => ArcadeError | null = () => null) {
  return createMempool({ chainId, maxTxs, maxBytes: 1 << 20, maxBatch: 1000 }, { verifier: inline, checkTx })
}

describe('mempool admission', () => {
  it('admits a valid tx once and refuses the duplicate', async () => {
    const m = pool()
    const { tx, bytes } = makeTx(1)
    const [first] = await m.add([bytes])
    expect(first?.accepted).toBe(true)
    expect(m.has(toHex(tx.hash))).toBe(true)
    const [again] = await m.add([bytes])
    expect(again?.accepted).toBe(false)
    expect(again?.accepted === false && again.error.code).toBe('MEMPOOL_DUPLICATE')
    const both = await m.add([makeTx(2).bytes, makeTx(2).bytes])
    expect(both.map((r) => r.accepted)).toEqual([true, false])
    expect(m.size).toBe(2)
  })

  it('rejects malformed bytes, wrong chain and bad signatures with typed codes and keeps nothing', async () => {
    const m = pool()
    const forged = makeTx(3).bytes.slice()
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1 // inside the signature
    const results = await m.add([
      Uint8Array.of(0x92, 0xc4),
      makeTx(4, { chain: 'other-chain' }).bytes,
      forged,
    ])
    expect(results.map((r) => (r.accepted ? 'ok' : r.error.code))).toEqual([
      'PROTOCOL_MALFORMED',
      'PROTOCOL_WRONG_CHAIN',
      'PROTOCOL_BAD_SIGNATURE',
    ])
    expect(m.size).toBe(0)
    expect(m.bytes).toBe(0)
  })

  it('passes on the stateful check error', async () => {
    const m = pool(100, () => new ArcadeError('STATE_TX_EXPIRED', 'expired'))
    const [r] = await m.add([makeTx(5).bytes])
    expect(r?.accepted === false && r.error.code).toBe('STATE_TX_EXPIRED')
    expect(m.size).toBe(0)
  })

  it('refuses with MEMPOOL_FULL when full instead of growing', async () => {
    const m = pool(3)
    const results = await m.add([1, 2, 3, 4, 5].map((n) => makeTx(10 + n).bytes))
    expect(results.map((r) => (r.accepted ? 'ok' : r.error.code))).toEqual([
      'ok',
      'ok',
      'ok',
      'MEMPOOL_FULL',
      'MEMPOOL_FULL',
    ])
    expect(m.size).toBe(3)
  })

  it('a tx refused by the stateful checks takes no room from later good ones', async () => {
    const refused = new Set<number>([1, 2, 3])
    const m = pool(2, (tx) =>
      refused.has(tx.nonce % 10) ? new ArcadeError('STATE_UNKNOWN_POINT', 'no point') : null,
    )
    const results = await m.add([201, 202, 203, 204, 205].map((n) => makeTx(n).bytes))
    expect(results.map((r) => (r.accepted ? 'ok' : r.error.code))).toEqual([
      'STATE_UNKNOWN_POINT',
      'STATE_UNKNOWN_POINT',
      'STATE_UNKNOWN_POINT',
      'ok',
      'ok',
    ])
    expect(m.size).toBe(2)
  })

  it('reaps oldest first within limits and drops committed txs, re-checking the rest', async () => {
    let expired = new Set<string>()
    const m = pool(100, (tx) =>
      expired.has(toHex(tx.hash)) ? new ArcadeError('STATE_TX_EXPIRED', 'expired') : null,
    )
    const txs = [1, 2, 3, 4].map((n) => makeTx(100 + n))
    await m.add(txs.map((t) => t.bytes))
    expect(m.reap(2, 1 << 20).map((e) => e.tx.nonce)).toEqual([101, 102])
    expect(m.reap(10, (txs[0]?.bytes.length ?? 0) * 3).length).toBe(3)
    expired = new Set([toHex(txs[3]?.tx.hash as Uint8Array)])
    const evicted = m.afterCommit([txs[0]?.tx.hash as Uint8Array])
    expect(evicted).toBe(1)
    expect(m.reap(10, 1 << 20).map((e) => e.tx.nonce)).toEqual([102, 103])
  })
})

describe('verify pool', () => {
  it('worker threads agree with inline verification', async () => {
    const items = Array.from({ length: 40 }, (_, i) => {
      const { tx } = makeTx(1000 + i)
      const sig = i % 3 === 0 ? tx.signature.map((b, j) => (j === 0 ? b ^ 1 : b)) : tx.signature
      return [sig, tx.payload, tx.signer] as const
    })
    const expected = items.map((_, i) => i % 3 !== 0)
    expect(await inline.verifyBatch(items)).toEqual(expected)
    expect(await threaded.verifyBatch(items)).toEqual(expected)
  })
})
