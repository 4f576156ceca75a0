import { afterAll, describe, expect, it } from 'vitest'
import { toHex } from '../../protocol/bytes.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { ArcadeError } from '../../protocol/errors.ts'
import { Limits } from '../../protocol/limits.ts'
import { decodeTx, encodeTx, type SignedTx, signTx } from '../../protocol/tx.ts'
import { checkTx, sponsorSlots } from '../../state/admission.ts'
import { ISSUER, POINT, setupPoint, TEST_CHAIN_ID, TestChain } from '../../state/test-kit.ts'
import { type Admission, createMempool, type QuotaSlot } from './mempool.ts'
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

function pool(
  maxTxs = 100,
  checkTx: (tx: SignedTx) => ArcadeError | null = () => null,
  sponsorSlots: (tx: SignedTx) => readonly QuotaSlot[] = () => [],
) {
  return createMempool(
    { chainId, maxTxs, maxBytes: 1 << 20, maxBatch: 1000 },
    { verifier: inline, checkTx, sponsorSlots },
  )
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

describe('admission timing', () => {
  it('observes each admission call once, whatever the batch size or verdicts', async () => {
    const seen: number[] = []
    const m = createMempool(
      { chainId, maxTxs: 100, maxBytes: 1 << 20, maxBatch: 1000 },
      {
        verifier: inline,
        checkTx: () => null,
        sponsorSlots: () => [],
        admissionSeconds: { observe: (s) => void seen.push(s) },
      },
    )
    await m.add([makeTx(1).bytes, makeTx(2).bytes, makeTx(3).bytes])
    await m.add([makeTx(1).bytes]) // a duplicate: refused before verification, still one call
    await m.addDecoded([makeTx(4)])
    expect(seen).toHaveLength(3)
    expect(seen.every((s) => s >= 0 && s < 60)).toBe(true)
  })
})

describe('addDecoded', () => {
  const codes = (rs: readonly { accepted: boolean; error?: { code: string } }[]) =>
    rs.map((r) => (r.accepted ? 'ok' : (r.error?.code ?? '?')))
  const decoded = (bytes: Uint8Array) => ({ bytes, tx: decodeTx(bytes) })

  it('gives the same answers as add for the same txs', async () => {
    const forged = makeTx(303).bytes.slice()
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1 // inside the signature
    const batch = [
      makeTx(301).bytes,
      makeTx(302, { chain: 'other-chain' }).bytes,
      forged,
      makeTx(301).bytes,
      makeTx(304, { amount: 7 }).bytes,
      makeTx(305).bytes,
      makeTx(306).bytes,
    ]
    const refused = (tx: SignedTx) =>
      tx.nonce === 304 ? new ArcadeError('STATE_UNKNOWN_POINT', 'no point') : null
    const viaBytes = await pool(3, refused).add(batch)
    const viaDecoded = await pool(3, refused).addDecoded(batch.map(decoded))
    const expected = [
      'ok',
      'PROTOCOL_WRONG_CHAIN',
      'PROTOCOL_BAD_SIGNATURE',
      'MEMPOOL_DUPLICATE',
      'STATE_UNKNOWN_POINT',
      'ok',
      'MEMPOOL_FULL',
    ]
    expect(codes(viaBytes)).toEqual(expected)
    expect(codes(viaDecoded)).toEqual(expected)
    expect(viaDecoded.map((r) => r.hash && toHex(r.hash))).toEqual(
      viaBytes.map((r) => r.hash && toHex(r.hash)),
    )
  })

  it('refuses a tampered signature even though the tx is already decoded', async () => {
    const m = pool()
    const { tx, bytes } = makeTx(310)
    const tampered = { ...tx, signature: tx.signature.map((b, i) => (i === 10 ? b ^ 0x40 : b)) }
    const [r] = await m.addDecoded([{ bytes, tx: tampered }])
    expect(r?.accepted === false && r.error.code).toBe('PROTOCOL_BAD_SIGNATURE')
    expect(m.size).toBe(0)
  })

  it('refuses pooled duplicates, oversize, too large batches and a closed pool', async () => {
    const m = createMempool(
      { chainId, maxTxs: 100, maxBytes: 1 << 20, maxBatch: 2 },
      { verifier: threaded, checkTx: () => null, sponsorSlots: () => [] },
    )
    const a = makeTx(320)
    expect((await m.addDecoded([decoded(a.bytes)]))[0]?.accepted).toBe(true)
    expect(m.hasHash(a.tx.hash)).toBe(true)
    expect(m.getByHash(a.tx.hash)?.nonce).toBe(320)
    expect(m.get(toHex(a.tx.hash))?.nonce).toBe(320)
    const huge = { bytes: new Uint8Array(Limits.maxTxBytes + 1), tx: makeTx(321).tx }
    expect(codes(await m.addDecoded([decoded(a.bytes), huge]))).toEqual([
      'MEMPOOL_DUPLICATE',
      'PROTOCOL_TOO_LARGE',
    ])
    const three = [322, 323, 324].map((n) => decoded(makeTx(n).bytes))
    expect(codes(await m.addDecoded(three))).toEqual(Array(3).fill('MEMPOOL_BATCH_TOO_LARGE'))
    m.close()
    expect(codes(await m.addDecoded([three[0] as never]))).toEqual(['MEMPOOL_CLOSED'])
    expect(m.size).toBe(1)
  })
})

describe('second stateful check', () => {
  it('is skipped while the head state stays the same, and runs when a block committed meanwhile', async () => {
    let head = {}
    let checks = 0
    let expireAfterVerify = false
    const verifier = {
      async verify(items: readonly unknown[]) {
        if (expireAfterVerify) head = {} // a block commits while the signatures are verified
        return new Uint8Array(items.length).fill(1)
      },
      verifyBatch: async () => [],
      stop: async () => {},
    }
    const m = createMempool(
      { chainId, maxTxs: 100, maxBytes: 1 << 20, maxBatch: 100 },
      {
        verifier,
        sponsorSlots: () => [],
        headState: () => head,
        checkTx: () => {
          checks++
          return expireAfterVerify && checks > 2 ? new ArcadeError('STATE_TX_EXPIRED', 'expired') : null
        },
      },
    )
    const r1 = await m.add([makeTx(400).bytes, makeTx(401).bytes])
    expect(r1.every((r) => r.accepted)).toBe(true)
    expect(checks).toBe(2)
    checks = 0
    expireAfterVerify = true
    const r2 = await m.add([makeTx(402).bytes, makeTx(403).bytes])
    expect(checks).toBe(4)
    expect(r2.map((r) => (r.accepted ? 'ok' : r.error.code))).toEqual([
      'STATE_TX_EXPIRED',
      'STATE_TX_EXPIRED',
    ])
    expect(m.size).toBe(2)
  })
})

describe('reap', () => {
  it('re-checks what it reaps when the head moved without afterCommit, so a block never carries a stale tx', async () => {
    let head = {}
    let included = new Set<string>()
    const m = createMempool(
      { chainId, maxTxs: 100, maxBytes: 1 << 20, maxBatch: 100 },
      {
        verifier: inline,
        sponsorSlots: () => [],
        headState: () => head,
        checkTx: (tx) =>
          included.has(toHex(tx.hash)) ? new ArcadeError('STATE_TX_DUPLICATE', 'already included') : null,
      },
    )
    const txs = [700, 701, 702].map((n) => makeTx(n))
    await m.add(txs.map((t) => t.bytes))
    expect(m.reap(10, 1 << 20).map((e) => e.tx.nonce)).toEqual([700, 701, 702])
    // A block including 701 commits; the leader reaps before the pool heard of it.
    head = {}
    included = new Set([toHex(txs[1]?.tx.hash as Uint8Array)])
    expect(m.reap(10, 1 << 20).map((e) => e.tx.nonce)).toEqual([700, 702])
    m.afterCommit([txs[1]?.tx.hash as Uint8Array])
    expect(m.reap(10, 1 << 20).map((e) => e.tx.nonce)).toEqual([700, 702])
  })
})

describe('reap under a lowered block limit', () => {
  it('skips a tx that alone exceeds the room instead of stalling the txs behind it', async () => {
    const m = pool(100)
    const big = makeTx(800, { amount: 2 ** 40 })
    const small = [801, 802].map((n) => makeTx(n))
    await m.add([big.bytes, ...small.map((t) => t.bytes)])
    const room = (small[0]?.bytes.length ?? 0) + 1
    expect(big.bytes.length).toBeGreaterThan(room)
    expect(m.reap(10, room).map((e) => e.tx.nonce)).toEqual([801])
    expect(m.reap(10, 1 << 20).map((e) => e.tx.nonce)).toEqual([800, 801, 802])
  })
})

describe('mempool lookups', () => {
  it('finds a tx by hash bytes or hex, and nothing for malformed hex', async () => {
    const m = pool()
    const { tx, bytes } = makeTx(500)
    await m.add([bytes])
    const hex = toHex(tx.hash)
    expect([m.has(hex), m.hasHash(tx.hash), m.get(hex)?.nonce]).toEqual([true, true, 500])
    expect(m.has(`${hex}0`)).toBe(false)
    expect(m.has(hex.slice(0, 62))).toBe(false)
    expect(m.has('zz')).toBe(false)
    m.afterCommit([tx.hash])
    expect([m.has(hex), m.hasHash(tx.hash), m.size, m.bytes]).toEqual([false, false, 0, 0])
  })
})

describe('pending-txs wake-up', () => {
  it('wakes listeners after an add that leaves txs in the pool, by either add', async () => {
    const m = pool()
    let wakes = 0
    const unsubscribe = m.onPendingTxs(() => wakes++)
    await m.add([makeTx(1).bytes])
    const second = makeTx(2)
    await m.addDecoded([{ bytes: second.bytes, tx: second.tx }])
    expect(wakes).toBe(2)
    expect(m.size).toBe(2)
    unsubscribe()
    await m.add([makeTx(3).bytes])
    expect(wakes).toBe(2)
  })

  it('does not wake when the pool is still empty (every tx refused)', async () => {
    const m = pool(100, () => new ArcadeError('STATE_TX_EXPIRED', 'expired'))
    let wakes = 0
    m.onPendingTxs(() => wakes++)
    await m.add([makeTx(1).bytes])
    expect(wakes).toBe(0)
  })
})

describe('sponsor quota reservation', () => {
  const codes = (rs: readonly Admission[]) => rs.map((r) => (r.accepted ? 'ok' : r.error.code))
  const slot = (key: string, remaining: number): QuotaSlot => ({ key, remaining })

  it('refuses txs beyond what is left in their slot, counting the txs already pooled', async () => {
    const m = pool(
      100,
      () => null,
      () => [slot('alice', 2)],
    )
    expect(codes(await m.add([600, 601, 602].map((n) => makeTx(n).bytes)))).toEqual([
      'ok',
      'ok',
      'STATE_NO_QUOTA',
    ])
    expect(codes(await m.add([makeTx(603).bytes]))).toEqual(['STATE_NO_QUOTA'])
    expect(m.size).toBe(2)
  })

  it('falls back to the next slot the tx may charge, as the state does', async () => {
    const m = pool(
      100,
      () => null,
      () => [slot('own', 1), slot('everyone', 2)],
    )
    expect(codes(await m.add([610, 611, 612, 613].map((n) => makeTx(n).bytes)))).toEqual([
      'ok',
      'ok',
      'ok',
      'STATE_NO_QUOTA',
    ])
  })

  it('frees the reservation when a tx leaves: committed, evicted, or refused after the signature check', async () => {
    const left = new Map([['alice', 1]])
    const m = pool(
      100,
      () => null,
      () => [slot('alice', left.get('alice') ?? 0)],
    )
    const forged = makeTx(620).bytes.slice()
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1
    expect(codes(await m.add([forged]))).toEqual(['PROTOCOL_BAD_SIGNATURE'])
    const first = makeTx(621)
    expect(codes(await m.add([first.bytes, makeTx(622).bytes]))).toEqual(['ok', 'STATE_NO_QUOTA'])
    // The block spends the quota: nothing is left in this period.
    left.set('alice', 0)
    m.afterCommit([first.tx.hash])
    expect(codes(await m.add([makeTx(623).bytes]))).toEqual(['STATE_NO_QUOTA'])
    // A new period: two left, and the pool counts from zero again.
    left.set('alice', 2)
    m.afterCommit([])
    expect(codes(await m.add([624, 625, 626].map((n) => makeTx(n).bytes)))).toEqual([
      'ok',
      'ok',
      'STATE_NO_QUOTA',
    ])
    // The head now has less left than the pool holds (txs from another node's pool committed):
    // the re-check after the block keeps the oldest that fit and evicts the rest.
    left.set('alice', 1)
    expect(m.afterCommit([])).toBe(1)
    expect(m.reap(10, 1 << 20).map((e) => e.tx.nonce)).toEqual([624])
  })

  it('counts reservations of batches whose signatures are still being verified', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const verifier = {
      async verify(items: readonly unknown[]) {
        await gate
        return new Uint8Array(items.length).fill(1)
      },
      verifyBatch: async () => [],
      stop: async () => {},
    }
    let head = {}
    const m = createMempool(
      { chainId, maxTxs: 100, maxBytes: 1 << 20, maxBatch: 100 },
      { verifier, checkTx: () => null, sponsorSlots: () => [slot('alice', 3)], headState: () => head },
    )
    const a = m.add([630, 631].map((n) => makeTx(n).bytes))
    const b = m.add([632, 633].map((n) => makeTx(n).bytes))
    // A block commits while both batches wait: the pool recounts, and the batches re-check.
    head = {}
    m.afterCommit([])
    release()
    expect([...codes(await a), ...codes(await b)]).toEqual(['ok', 'ok', 'ok', 'STATE_NO_QUOTA'])
    expect(m.size).toBe(3)
  })

  it('with the state: a grantee with a quota of 1 tx a day gets 1 tx admitted, not 2,000', async () => {
    const chain = new TestChain()
    setupPoint(chain)
    chain.run(ISSUER, {
      kind: 'sponsor.grant',
      point: POINT,
      grantee: alice.publicKey,
      txsPerPeriod: 1,
      periodMs: 86_400_000,
      expiresAtHeight: 0,
      kinds: [],
    })
    // The grant to everyone does not pay for approvals: only alice's own grant does.
    chain.run(ISSUER, {
      kind: 'sponsor.grant',
      point: POINT,
      grantee: null,
      txsPerPeriod: 1_000_000,
      periodMs: 86_400_000,
      expiresAtHeight: 0,
      kinds: ['point.transfer'],
    })
    const ctx = () => ({ chainId: TEST_CHAIN_ID, height: chain.height + 1 })
    const m = createMempool(
      { chainId: TEST_CHAIN_ID, maxTxs: 5_000, maxBytes: 64 << 20, maxBatch: 5_000 },
      {
        verifier: inline,
        checkTx: (tx) => checkTx(chain.state, tx, ctx()),
        sponsorSlots: (tx) => sponsorSlots(chain.state, tx, ctx()),
        headState: () => chain.state,
      },
    )
    const approvals = Array.from({ length: 2_000 }, (_, n) =>
      encodeTx(
        signTx(
          {
            chainId: TEST_CHAIN_ID,
            signer: alice.publicKey,
            nonce: n,
            validUntil: chain.height + 50,
            sponsor: ISSUER,
            body: { kind: 'point.approve', point: POINT, spender: bob.publicKey, amount: n + 1 },
          },
          alice.secretKey,
        ),
      ),
    )
    const results = await m.add(approvals)
    expect(results.filter((r) => r.accepted).length).toBe(1)
    expect(new Set(codes(results).slice(1))).toEqual(new Set(['STATE_NO_QUOTA']))
    const block = chain.block(m.reap(5_000, 64 << 20).map((e) => e.tx))
    expect(block.receipts.map((r) => r.error)).toEqual([null])
    m.afterCommit(block.receipts.map((r) => r.txHash))
    expect(m.size).toBe(0)
    expect(codes(await m.add([approvals[1] as Uint8Array]))).toEqual(['STATE_NO_QUOTA'])
  })
})
