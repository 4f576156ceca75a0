import { afterAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { signTx } from '../../protocol/tx.ts'
import { packBatch, verifyPacked } from './signature-batch.ts'
import { createVerifyPool } from './verify-pool.ts'

const alice = generateKeyPair()

function makeTx(nonce: number, amount = 1) {
  return signTx(
    {
      chainId: 'arcade-test',
      signer: alice.publicKey,
      nonce,
      validUntil: 100,
      sponsor: alice.publicKey,
      body: { kind: 'point.transfer', point: 'SHOTEN', to: alice.publicKey, amount },
    },
    alice.secretKey,
  )
}

const inline = createVerifyPool({ workers: 0, minBatchForWorkers: 1 })
const threaded = createVerifyPool({ workers: 2, minBatchForWorkers: 1 })
afterAll(async () => {
  await inline.stop()
  await threaded.stop()
})

describe('verify pool', () => {
  it('worker threads agree with inline verification', async () => {
    const items = Array.from({ length: 40 }, (_, i) => {
      const tx = makeTx(1000 + i)
      const sig = i % 3 === 0 ? tx.signature.map((b, j) => (j === 0 ? b ^ 1 : b)) : tx.signature
      return [sig, tx.payload, tx.signer] as const
    })
    const expected = items.map((_, i) => i % 3 !== 0)
    expect(await inline.verifyBatch(items)).toEqual(expected)
    expect(await threaded.verifyBatch(items)).toEqual(expected)
  })
})

describe('packed verify protocol', () => {
  // 40 items: two workers get a chunk of 20 each.
  const items = Array.from({ length: 40 }, (_, i) => {
    const tx = makeTx(600 + i, i + 1)
    return { signature: tx.signature, payload: tx.payload, signer: tx.signer }
  })
  const bad = items.map((it, i) =>
    i === 21 ? { ...it, signature: it.signature.map((b, j) => (j === 0 ? b ^ 1 : b)) } : it,
  )
  const expected = Uint8Array.from(items, (_, i) => (i === 21 ? 0 : 1))

  it('a bad signature in the middle of a batch is refused and the rest accepted', () => {
    const packed = packBatch(bad, 0, bad.length)
    expect(packed.count).toBe(40)
    expect(verifyPacked(packed.buffer)).toEqual(expected)
    // A sub-range packs only its own items.
    expect(verifyPacked(packBatch(bad, 20, 23).buffer)).toEqual(Uint8Array.of(1, 0, 1))
  })

  it('an item with a wrong-length signature or key is refused without being verified', () => {
    const short = [items[0], { ...items[1], signature: new Uint8Array(63) }, items[2]] as typeof items
    const longKey = [{ ...items[0], signer: new Uint8Array(33) }, items[1]] as typeof items
    expect(verifyPacked(packBatch(short, 0, 3).buffer)).toEqual(Uint8Array.of(1, 0, 1))
    expect(verifyPacked(packBatch(longKey, 0, 2).buffer)).toEqual(Uint8Array.of(0, 1))
  })

  it('inline and threaded pools agree, chunks come back in order', async () => {
    expect(await inline.verify(bad)).toEqual(expected)
    expect(await threaded.verify(bad)).toEqual(expected)
    const uneven = createVerifyPool({ workers: 2, minBatchForWorkers: 4 })
    try {
      // Several batches in flight at once over two workers: each still answers in its own order.
      const answers = await Promise.all([
        uneven.verify(bad),
        uneven.verify(items),
        uneven.verify(bad.slice(2)),
      ])
      expect(answers[0]).toEqual(expected)
      expect(answers[1]).toEqual(new Uint8Array(40).fill(1))
      expect(answers[2]).toEqual(expected.slice(2))
      expect(await uneven.verifyBatch(bad.map((b) => [b.signature, b.payload, b.signer] as const))).toEqual(
        Array.from(expected, (v) => v === 1),
      )
    } finally {
      await uneven.stop()
    }
  })

  it('an empty batch answers at once, on workers too', async () => {
    const p = createVerifyPool({ workers: 1, minBatchForWorkers: 0 })
    expect(await p.verify([])).toEqual(new Uint8Array(0))
    await p.stop()
  })

  it('a stopping pool gives no verdict: batches still out and later calls reject with VERIFY_POOL_STOPPED', async () => {
    const p = createVerifyPool({ workers: 1, minBatchForWorkers: 1 })
    // Every signature here is good: a verdict of 0 for any of them would be a lie.
    const out = p.verify(items).then(
      (verdicts) => ({ verdicts }),
      (err: unknown) => ({ code: (err as { code?: string }).code }),
    )
    await p.stop()
    expect(await out).toEqual({ code: 'VERIFY_POOL_STOPPED' })
    await expect(p.verify(items)).rejects.toMatchObject({ code: 'VERIFY_POOL_STOPPED' })
    await expect(
      p.verifyBatch([[items[0]?.signature, items[0]?.payload, items[0]?.signer] as never]),
    ).rejects.toMatchObject({
      code: 'VERIFY_POOL_STOPPED',
    })
    // An inline pool too: stopped means stopped.
    const inlinePool = createVerifyPool({ workers: 0, minBatchForWorkers: 1 })
    await inlinePool.stop()
    await expect(inlinePool.verify(items)).rejects.toMatchObject({ code: 'VERIFY_POOL_STOPPED' })
    await p.stop()
  })
})
