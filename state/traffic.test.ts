import { describe, expect, it } from 'vitest'
import { merkleProof, merkleRoot } from '../protocol/merkle.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { jstDayOf } from './amounts.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery } from './query.ts'
import { account, GENESIS_TIME_MS, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const ALICE = account(200)
/** Alice's and Bob's pseudonyms in the point (keys their wallets derive; here just addresses). */
const alicePseudonym = account(300)
const bobPseudonym = account(301)

type Event = TxBodyOf<'traffic.record'>['events'][number]
const ev = (
  eventId: string,
  kind: Event['kind'],
  amount = 0,
  pseudonym: Uint8Array | null = alicePseudonym,
): Event => ({ eventId, kind, pseudonym, amount, attestation: null })
const rates = { visit: 1, view: 2, click: 3, purchase: 5, purchasePerMille: 10 }

function shop(cap = 50) {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000, [TERMINAL])
  chain.run(ISSUER, {
    kind: 'traffic.setRules',
    point: POINT,
    confirmed: rates,
    unconfirmed: rates,
    dailyCapPerCustomer: cap,
  })
  const record = (events: Event[]) => chain.run(TERMINAL, { kind: 'traffic.record', point: POINT, events })
  return { chain, record, q: () => createLedgerQuery(chain.state) }
}

describe('traffic', () => {
  it('turns events into points charged like an award, accrued to the pseudonym, each event id once', () => {
    const { chain, record, q } = shop()
    const r = record([ev('e1', 'visit'), ev('e2', 'purchase', 1_000), ev('e1', 'visit')])
    expect(r.error).toBeNull()
    // visit 1 + purchase (5 + 1000·10/1000 = 15) = 16; e1 repeated is a duplicate.
    expect(r.events.at(-1)).toMatchObject({
      type: 'traffic',
      recorded: 2,
      confirmed: 0,
      duplicates: 1,
      points: 16,
    })
    expect(r.events.filter((e) => e.type === 'trafficEarned').map((e) => e.amount)).toEqual([1, 15])
    expect(q().merchant(POINT, MERCHANT)).toMatchObject({ liability: 16 })
    expect(q().point(POINT)).toMatchObject({ trafficUnclaimed: 16 })
    const day = jstDayOf(chain.state.meta.timeMs)
    expect(q().shopDay(POINT, MERCHANT, day)).toEqual({
      confirmed: { visit: 0, view: 0, click: 0, purchase: 0 },
      unconfirmed: { visit: 1, view: 0, click: 0, purchase: 1 },
      amount: 1_000,
      points: 16,
      duplicates: 1,
    })
    expect(q().pseudonymTraffic(POINT, alicePseudonym)).toEqual({
      events: 2,
      confirmed: 0,
      amount: 1_000,
      points: 16,
      unclaimed: 16,
    })
    // Retrying the same batch earns nothing.
    expect(record([ev('e1', 'visit'), ev('e2', 'purchase', 1_000)]).events.at(-1)).toMatchObject({
      recorded: 0,
      points: 0,
    })
    expect(q().pseudonymTraffic(POINT, alicePseudonym).unclaimed).toBe(16)
  })

  it('caps points per customer per JST day, at the boundary exactly', () => {
    const { chain, record, q } = shop(10)
    record([ev('a', 'click'), ev('b', 'click'), ev('c', 'click')]) // 3 + 3 + 3 = 9
    record([ev('d', 'view')]) // 2, capped to 1
    const unclaimed = () => q().pseudonymTraffic(POINT, alicePseudonym).unclaimed
    expect(unclaimed()).toBe(10)
    record([ev('e', 'visit')])
    expect(unclaimed()).toBe(10)
    // Another pseudonym has its own cap; an event without a pseudonym earns nothing.
    record([ev('f', 'visit', 0, bobPseudonym), ev('g', 'visit', 0, null)])
    expect(q().pseudonymTraffic(POINT, bobPseudonym)).toMatchObject({ events: 1, points: 1 })
    expect(q().point(POINT)).toMatchObject({ trafficUnclaimed: 11 })
    // The JST day turns at 15:00 UTC. Genesis is 00:00 UTC; move to 14:59:59.999 UTC, then 15:00.
    const dayStartUtc = GENESIS_TIME_MS + 15 * 3_600_000
    chain.block([chain.tx(TERMINAL, { kind: 'traffic.record', point: POINT, events: [ev('h', 'visit')] })], {
      timeMs: dayStartUtc - 1,
    })
    expect(unclaimed()).toBe(10)
    chain.block([chain.tx(TERMINAL, { kind: 'traffic.record', point: POINT, events: [ev('i', 'visit')] })], {
      timeMs: dayStartUtc,
    })
    expect(unclaimed()).toBe(11)
  })

  it('a batch exceeding the credit limit fails as a whole', () => {
    const { chain, record, q } = shop(1_000_000)
    chain.run(ISSUER, { kind: 'merchant.setLimit', point: POINT, merchant: MERCHANT, creditLimit: 20 })
    const r = record([ev('x', 'purchase', 1_000), ev('y', 'purchase', 1_000)]) // 15 + 15 > 20
    expect(r.error).toBe(StateErrorCode.creditLimitExceeded)
    expect(q().pseudonymTraffic(POINT, alicePseudonym).unclaimed).toBe(0)
    expect(record([ev('x', 'purchase', 1_000)]).error).toBeNull()
  })

  it('only merchants and terminals of an active merchant record traffic', () => {
    const { chain, record } = shop()
    expect(chain.run(ALICE, { kind: 'traffic.record', point: POINT, events: [ev('z', 'visit')] }).error).toBe(
      StateErrorCode.notTerminal,
    )
    chain.run(ISSUER, { kind: 'merchant.suspend', point: POINT, merchant: MERCHANT })
    expect(record([ev('z', 'visit')]).error).toBe(StateErrorCode.merchantNotActive)
  })

  it('anchors a batch root once and checks inclusion proofs against it', () => {
    const { chain, q } = shop()
    const leaves = ['a', 'b', 'c', 'd', 'e'].map((s) => new TextEncoder().encode(s))
    const root = merkleRoot(leaves)
    const anchor = {
      kind: 'traffic.anchor',
      point: POINT,
      root,
      count: 5,
      periodStartMs: 1,
      periodEndMs: 2,
    } as const
    expect(chain.run(TERMINAL, anchor).error).toBeNull()
    expect(chain.run(MERCHANT, anchor).error).toBe(StateErrorCode.anchorExists)
    expect(q().anchors(POINT, MERCHANT)).toHaveLength(1)
    const proof = merkleProof(leaves, 2)
    expect(q().verifyAnchoredEvent(POINT, root, leaves[2] as Uint8Array, proof)).toBe(true)
    expect(q().verifyAnchoredEvent(POINT, root, leaves[3] as Uint8Array, proof)).toBe(false)
    const other = merkleRoot(leaves.slice(0, 4))
    expect(
      q().verifyAnchoredEvent(POINT, other, leaves[2] as Uint8Array, merkleProof(leaves.slice(0, 4), 2)),
    ).toBe(false)
  })

  it('non-ASCII event ids count once too', () => {
    const { record } = shop()
    expect(
      record([ev('来店-1', 'visit'), ev('来店-2', 'visit'), ev('来店-1', 'visit')]).events.at(-1),
    ).toMatchObject({
      recorded: 2,
      duplicates: 1,
    })
  })

  it('traffic names no customer account: the state holds the pseudonym only', () => {
    const { chain, record } = shop()
    record([ev('k', 'visit')])
    const dump = chain.writes.map(([k, v]) => Buffer.concat([Buffer.from(k), Buffer.from(v ?? [])]))
    expect(dump.some((b) => b.includes(Buffer.from(ALICE)))).toBe(false)
    expect(dump.some((b) => b.includes(Buffer.from(alicePseudonym)))).toBe(true)
  })
})
