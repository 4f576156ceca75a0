/**
 * Confirmed traffic, pseudonyms and claims (issue 16): the rules of traffic.record with attestations,
 * traffic.claim, and the attacks on them: a shop inventing confirmations, an attestation replayed at
 * another shop, on another day or twice, a claim of someone else's pseudonym, and a cap dodged by
 * spreading events over shops. After each, the point's books still hold.
 */
import { describe, expect, it } from 'vitest'
import type { Bytes } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair } from '../protocol/crypto.ts'
import { MAX_ATTESTATION_WINDOW_MS, signAttestation } from '../protocol/traffic-attestation.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { jstDayOf } from './amounts.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery } from './query.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TEST_CHAIN_ID, TestChain } from './test-kit.ts'

const SHOP_A = account(100)
const TERMINAL_A = account(101)
const SHOP_B = account(110)
const TERMINAL_B = account(111)
const ALICE = account(200)
const DAY = 86_400_000

type Event = TxBodyOf<'traffic.record'>['events'][number]
const NONE = { visit: 0, view: 0, click: 0, purchase: 0, purchasePerMille: 0 }

function world(cap = 100) {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, SHOP_A, 10_000, [TERMINAL_A])
  setupMerchant(chain, SHOP_B, 10_000, [TERMINAL_B])
  // Only confirmed visits earn; purchases earn on the shop's word too, less.
  const rules = chain.run(ISSUER, {
    kind: 'traffic.setRules',
    point: POINT,
    confirmed: { visit: 10, view: 0, click: 0, purchase: 5, purchasePerMille: 20 },
    unconfirmed: { ...NONE, purchasePerMille: 10 },
    dailyCapPerCustomer: cap,
  })
  expect(rules.error).toBeNull()
  const alice = generateKeyPair()
  const now = () => chain.state.meta.timeMs
  /** Alice's wallet confirms an event at `merchant`, valid around the next block's time. */
  const attested = (
    merchant: Bytes,
    e: { eventId: string; kind: Event['kind']; amount?: number },
    opts: { key?: KeyPair; notBeforeMs?: number; notAfterMs?: number } = {},
  ): Event => {
    const amount = e.amount ?? 0
    const window = {
      notBeforeMs: opts.notBeforeMs ?? now(),
      notAfterMs: opts.notAfterMs ?? now() + 3_600_000,
    }
    const attestation = signAttestation(
      TEST_CHAIN_ID,
      { point: POINT, merchant, pseudonym: alice.publicKey, eventId: e.eventId, kind: e.kind, amount },
      window,
      (opts.key ?? alice).secretKey,
    )
    return { eventId: e.eventId, kind: e.kind, pseudonym: alice.publicKey, amount, attestation }
  }
  const record = (terminal: Bytes, events: Event[]) =>
    chain.run(terminal, { kind: 'traffic.record', point: POINT, events })
  const q = () => createLedgerQuery(chain.state)
  const unclaimed = () => q().pseudonymTraffic(POINT, alice.publicKey).unclaimed
  /** Σ balances and the other terms of the point's books, read from the state. */
  const booksHold = () => {
    const p = q().point(POINT)
    if (p === null) throw new Error('no point')
    return (
      p.totalSupply - p.totalLiability ===
      p.cumRepaid - p.cumRedeemed - p.cumExpired + p.cumCampaignFunded - p.cumCampaignReturned
    )
  }
  return { chain, alice, attested, record, q, unclaimed, booksHold }
}

describe('confirmed traffic', () => {
  it('pays the confirmed rate for an attested event and the unconfirmed rate for the shop’s word', () => {
    const { chain, alice, attested, record, q, unclaimed, booksHold } = world()
    const r = record(TERMINAL_A, [
      attested(SHOP_A, { eventId: 'v1', kind: 'visit' }),
      { eventId: 'v2', kind: 'visit', pseudonym: alice.publicKey, amount: 0, attestation: null },
      attested(SHOP_A, { eventId: 'p1', kind: 'purchase', amount: 1_000 }),
      { eventId: 'p2', kind: 'purchase', pseudonym: alice.publicKey, amount: 1_000, attestation: null },
    ])
    expect(r.error).toBeNull()
    // confirmed visit 10; unconfirmed visit 0; confirmed purchase 5 + 20 = 25; unconfirmed 10.
    expect(r.events.at(-1)).toMatchObject({ type: 'traffic', recorded: 4, confirmed: 2, points: 45 })
    expect(unclaimed()).toBe(45)
    const day = q().shopDay(POINT, SHOP_A, jstDayOf(chain.state.meta.timeMs))
    expect(day.confirmed).toEqual({ visit: 1, view: 0, click: 0, purchase: 1 })
    expect(day.unconfirmed).toEqual({ visit: 1, view: 0, click: 0, purchase: 1 })
    expect(q().pseudonymTraffic(POINT, alice.publicKey)).toMatchObject({ events: 4, confirmed: 2 })
    expect(booksHold()).toBe(true)
  })

  it('refuses a confirmation the shop invented: the whole batch fails and nothing is written', () => {
    const { chain, alice, attested, record, q, unclaimed } = world()
    const shopKey = generateKeyPair()
    const before = chain.writes.length
    const forged = attested(SHOP_A, { eventId: 'f1', kind: 'visit' }, { key: shopKey })
    const r = record(TERMINAL_A, [attested(SHOP_A, { eventId: 'ok', kind: 'visit' }), forged])
    expect(r.error).toBe(StateErrorCode.badAttestation)
    expect(unclaimed()).toBe(0)
    // Only the block's own bookkeeping and the tx's fee accounting moved, no traffic record.
    const keys = chain.writes.slice(before).map(([k]) => Buffer.from(k).toString('latin1'))
    expect(keys.some((k) => k.startsWith('te/') || k.startsWith('tps/') || k.startsWith('tcap/'))).toBe(false)
    // A signature of random bytes, and an attested event that names no pseudonym, fail alike.
    const garbage = {
      ...forged,
      eventId: 'f2',
      attestation: { ...forged.attestation!, signature: new Uint8Array(64) },
    }
    expect(record(TERMINAL_A, [garbage]).error).toBe(StateErrorCode.badAttestation)
    expect(record(TERMINAL_A, [{ ...forged, pseudonym: null }]).error).toBe(StateErrorCode.badAttestation)
    expect(q().pseudonymTraffic(POINT, alice.publicKey).events).toBe(0)
  })

  it('an attestation counts at its shop only, once, and only inside its window', () => {
    const { chain, attested, record, unclaimed } = world()
    const atA = attested(SHOP_A, { eventId: 'e1', kind: 'visit' })
    // Replayed at another shop: the merchant is signed.
    expect(record(TERMINAL_B, [atA]).error).toBe(StateErrorCode.badAttestation)
    expect(record(TERMINAL_A, [atA]).error).toBeNull()
    expect(unclaimed()).toBe(10)
    // Twice at its shop: a duplicate, earning nothing; under a new event id the signature fails.
    expect(record(SHOP_A, [atA]).events.at(-1)).toMatchObject({ recorded: 0, duplicates: 1 })
    expect(record(TERMINAL_A, [{ ...atA, eventId: 'e1-again' }]).error).toBe(StateErrorCode.badAttestation)
    expect(unclaimed()).toBe(10)
    // On another day: kept past its window.
    const late = attested(
      SHOP_A,
      { eventId: 'e2', kind: 'visit' },
      { notAfterMs: chain.state.meta.timeMs + 5_000 },
    )
    chain.block([], { timeMs: chain.state.meta.timeMs + DAY })
    expect(record(TERMINAL_A, [late]).error).toBe(StateErrorCode.badAttestation)
    // Before its window, or with a window longer than a day.
    const t = chain.state.meta.timeMs
    const early = attested(
      SHOP_A,
      { eventId: 'e3', kind: 'visit' },
      { notBeforeMs: t + 60_000, notAfterMs: t + 120_000 },
    )
    expect(record(TERMINAL_A, [early]).error).toBe(StateErrorCode.badAttestation)
    const long = attested(
      SHOP_A,
      { eventId: 'e4', kind: 'visit' },
      { notBeforeMs: t, notAfterMs: t + MAX_ATTESTATION_WINDOW_MS + 1 },
    )
    expect(record(TERMINAL_A, [long]).error).toBe(StateErrorCode.badAttestation)
    const edge = attested(
      SHOP_A,
      { eventId: 'e5', kind: 'visit' },
      { notBeforeMs: t, notAfterMs: t + MAX_ATTESTATION_WINDOW_MS },
    )
    expect(record(TERMINAL_A, [edge]).error).toBeNull()
    expect(unclaimed()).toBe(20)
  })

  it('a confirmed amount is signed: a shop cannot raise a purchase the customer confirmed', () => {
    const { attested, record, unclaimed } = world()
    const p = attested(SHOP_A, { eventId: 'p', kind: 'purchase', amount: 500 })
    expect(record(TERMINAL_A, [{ ...p, amount: 50_000 }]).error).toBe(StateErrorCode.badAttestation)
    expect(record(TERMINAL_A, [{ ...p, kind: 'visit' }]).error).toBe(StateErrorCode.badAttestation)
    expect(record(TERMINAL_A, [p]).error).toBeNull()
    expect(unclaimed()).toBe(15)
  })

  it('caps a pseudonym per day across every shop of the point', () => {
    const { attested, record, unclaimed, booksHold } = world(25)
    record(TERMINAL_A, [
      attested(SHOP_A, { eventId: 'a1', kind: 'visit' }),
      attested(SHOP_A, { eventId: 'a2', kind: 'visit' }),
    ])
    const r = record(TERMINAL_B, [
      attested(SHOP_B, { eventId: 'b1', kind: 'visit' }),
      attested(SHOP_B, { eventId: 'b2', kind: 'visit' }),
    ])
    // 10 + 10 at A; B's first pays the 5 left of the cap, its second nothing.
    expect(r.events.filter((e) => e.type === 'trafficEarned').map((e) => e.amount)).toEqual([5])
    expect(unclaimed()).toBe(25)
    expect(booksHold()).toBe(true)
  })
})

describe('traffic.claim', () => {
  it("moves the pseudonym's points into the account it names, and no one else can claim them", () => {
    const { chain, alice, attested, record, q, unclaimed, booksHold } = world()
    record(TERMINAL_A, [
      attested(SHOP_A, { eventId: 'v', kind: 'visit' }),
      attested(SHOP_A, { eventId: 'p', kind: 'purchase', amount: 1_000 }),
    ])
    expect(unclaimed()).toBe(35)
    // Someone else (the shop, or anyone who saw the pseudonym) signs for it: its own pseudonym has nothing.
    const thief = chain.run(SHOP_A, {
      kind: 'traffic.claim',
      point: POINT,
      account: account(999),
      amount: 35,
    })
    expect(thief.error).toBe(StateErrorCode.claimExceedsUnclaimed)
    const other = chain.run(ALICE, { kind: 'traffic.claim', point: POINT, account: ALICE, amount: 1 })
    expect(other.error).toBe(StateErrorCode.claimExceedsUnclaimed)
    // Into a merchant-side account: refused (traffic never ends up on the shop's side).
    expect(
      chain.run(alice.publicKey, { kind: 'traffic.claim', point: POINT, account: TERMINAL_A, amount: 5 })
        .error,
    ).toBe(StateErrorCode.roleConflict)
    // More than unclaimed, or nothing: refused.
    expect(
      chain.run(alice.publicKey, { kind: 'traffic.claim', point: POINT, account: ALICE, amount: 36 }).error,
    ).toBe(StateErrorCode.claimExceedsUnclaimed)
    expect(
      chain.run(alice.publicKey, { kind: 'traffic.claim', point: POINT, account: ALICE, amount: 0 }).error,
    ).not.toBeNull()
    const claim = chain.run(alice.publicKey, {
      kind: 'traffic.claim',
      point: POINT,
      account: ALICE,
      amount: 30,
    })
    expect(claim.error).toBeNull()
    expect(claim.events).toContainEqual({
      type: 'trafficClaimed',
      point: POINT,
      pseudonym: alice.publicKey,
      account: ALICE,
      amount: 30,
    })
    expect(q().balance(POINT, ALICE)).toBe(30)
    expect(unclaimed()).toBe(5)
    expect(q().point(POINT)).toMatchObject({ trafficUnclaimed: 5 })
    expect(booksHold()).toBe(true)
  })

  it('a claimed lot follows the point’s expiry policy at the claim', () => {
    const { chain, alice, attested, record, q } = world()
    chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 30, atMs: 0 })
    record(TERMINAL_A, [attested(SHOP_A, { eventId: 'v', kind: 'visit' })])
    chain.run(alice.publicKey, { kind: 'traffic.claim', point: POINT, account: ALICE, amount: 10 })
    const lots = q().lots(POINT, ALICE)
    expect(lots.lots.map((l) => l.amount)).toEqual([10])
  })

  it("a campaign's bonus on traffic accrues to the pseudonym, unclaimed, and the books hold", () => {
    const { chain, alice, attested, record, unclaimed, booksHold } = world()
    const t = chain.state.meta.timeMs
    const c = chain.run(ISSUER, {
      kind: 'campaign.create',
      point: POINT,
      campaign: 'visits',
      triggers: ['visit'],
      bonusPerMille: 0,
      flatBonus: 4,
      startMs: t,
      endMs: t + DAY,
      merchants: [],
      budget: 100,
      fiatRef: 'budget',
    })
    expect(c.error).toBeNull()
    const r = record(TERMINAL_A, [attested(SHOP_A, { eventId: 'v', kind: 'visit' })])
    expect(r.events).toContainEqual(
      expect.objectContaining({
        type: 'campaignBonus',
        customer: alice.publicKey,
        amount: 4,
        toPseudonym: true,
      }),
    )
    expect(unclaimed()).toBe(14)
    expect(booksHold()).toBe(true)
  })
})
