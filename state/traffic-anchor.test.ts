/**
 * traffic.anchor at its boundaries: what it stores (the batch's merchant, count, period, height and
 * the anchoring tx's hash) and every refusal, each of which changes nothing.
 */
import { describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery, recordKey } from './query.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const OTHER = account(102)
const STRANGER = account(200)

const rootOf = (n: number): Bytes => sha256(Uint8Array.of(n))

function world() {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000, [TERMINAL])
  setupMerchant(chain, OTHER, 1_000)
  const q = () => createLedgerQuery(chain.state)
  const anchor = (
    signer: Bytes,
    over: Partial<TxBodyOf<'traffic.anchor'>> = {},
  ): { error: string | null; txHash: Bytes } =>
    chain.run(signer, {
      kind: 'traffic.anchor',
      point: POINT,
      root: rootOf(1),
      count: 3,
      periodStartMs: 1_000,
      periodEndMs: 2_000,
      ...over,
    })
  return { chain, q, anchor }
}

describe('traffic.anchor', () => {
  it("keeps the batch's merchant, count, period, height and tx hash; lists it under the merchant", () => {
    const { chain, q, anchor } = world()
    const first = anchor(TERMINAL)
    expect(first.error).toBeNull()
    const atHeight = chain.height
    const second = anchor(MERCHANT, { root: rootOf(2), count: 1, periodStartMs: 5, periodEndMs: 5 })
    expect(second.error).toBeNull()
    const record = q().anchor(POINT, rootOf(1))
    // A terminal anchors for its merchant.
    expect(record && { ...record, merchant: toHex(record.merchant), txHash: toHex(record.txHash) }).toEqual({
      merchant: toHex(MERCHANT),
      count: 3,
      periodStartMs: 1_000,
      periodEndMs: 2_000,
      height: atHeight,
      txHash: toHex(first.txHash),
    })
    expect(toHex(q().anchor(POINT, rootOf(2))?.txHash as Bytes)).toBe(toHex(second.txHash))
    expect(
      q()
        .anchors(POINT, MERCHANT)
        .map((a) => toHex(a.root)),
    ).toEqual([rootOf(1), rootOf(2)].map(toHex))
    expect(q().merchant(POINT, MERCHANT)?.anchorCount).toBe(2)
    expect(
      q()
        .anchors(POINT, MERCHANT, { offset: 1, limit: 5 })
        .map((a) => a.count),
    ).toEqual([1])
    expect(q().anchors(POINT, OTHER)).toEqual([])
    expect(q().anchor(POINT, rootOf(3))).toBeNull()
  })

  it('refuses a root already anchored in the point, by the same or another merchant', () => {
    const { q, anchor } = world()
    expect(anchor(MERCHANT).error).toBeNull()
    const stored = () => toHex(q().prove(recordKey.anchor(POINT, rootOf(1))).value as Bytes)
    const before = stored()
    expect(anchor(TERMINAL, { count: 9 }).error).toBe(StateErrorCode.anchorExists)
    expect(anchor(OTHER).error).toBe(StateErrorCode.anchorExists)
    expect(stored()).toBe(before)
    expect(q().anchor(POINT, rootOf(1))?.count).toBe(3)
    expect(q().merchant(POINT, MERCHANT)?.anchorCount).toBe(1)
    expect(q().merchant(POINT, OTHER)?.anchorCount).toBe(0)
    expect(q().anchors(POINT, OTHER)).toEqual([])
  })

  it('refuses count 0 and a period that starts after it ends; start = end is one instant', () => {
    const { q, anchor } = world()
    expect(anchor(MERCHANT, { count: 0 }).error).toBe(StateErrorCode.invalidParam)
    expect(anchor(MERCHANT, { periodStartMs: 2_001, periodEndMs: 2_000 }).error).toBe(
      StateErrorCode.invalidParam,
    )
    expect(q().anchor(POINT, rootOf(1))).toBeNull()
    expect(q().merchant(POINT, MERCHANT)?.anchorCount).toBe(0)
    expect(anchor(MERCHANT, { count: 1, periodStartMs: 7, periodEndMs: 7 }).error).toBeNull()
  })

  it('refuses a suspended merchant and its terminals, and anchors again once it is reinstated', () => {
    const { chain, q, anchor } = world()
    expect(chain.run(ISSUER, { kind: 'merchant.suspend', point: POINT, merchant: MERCHANT }).error).toBeNull()
    expect(anchor(MERCHANT).error).toBe(StateErrorCode.merchantNotActive)
    expect(anchor(TERMINAL).error).toBe(StateErrorCode.merchantNotActive)
    expect(q().anchor(POINT, rootOf(1))).toBeNull()
    expect(
      chain.run(ISSUER, { kind: 'merchant.reinstate', point: POINT, merchant: MERCHANT }).error,
    ).toBeNull()
    expect(anchor(TERMINAL).error).toBeNull()
  })

  it('refuses a signer that is no merchant or terminal of the point', () => {
    const { q, anchor } = world()
    expect(anchor(STRANGER).error).toBe(StateErrorCode.notTerminal)
    expect(q().anchor(POINT, rootOf(1))).toBeNull()
  })

  it('a root is per point: the same root anchors in another point', () => {
    const { chain, q, anchor } = world()
    setupPoint(chain, 'MALL')
    setupMerchant(chain, MERCHANT, 10, [], 'MALL')
    expect(anchor(MERCHANT).error).toBeNull()
    expect(anchor(MERCHANT, { point: 'MALL', count: 4 }).error).toBeNull()
    expect(q().anchor('MALL', rootOf(1))?.count).toBe(4)
    expect(q().anchor(POINT, rootOf(1))?.count).toBe(3)
  })
})
