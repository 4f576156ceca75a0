/**
 * Property tests over random tx sequences from random actors, with point expiry (policies set and
 * changed, lots expiring lazily and by the sweep) and offline purses among them (honest and cloned-key
 * vouchers, evidence, reclaims, time jumps past settlement windows). After every block: the merchant
 * identity per point with the purse and expiry terms (Σ balances + Σ locked + Σ (float − liability) =
 * repaid − redeemed − expired), supply = Σ balances + Σ floats + Σ locked in purses, no purse paying
 * out more than it locked (so no more paid for a purse's vouchers than locked + what was charged to
 * its owner), a purse's lots (its own expiries, Σ with its non-expiring part = what it holds, none
 * expiring before the purse does), no negative amount, min(float, liability) = 0, the lot bounds (at
 * most MAX_LOTS per balance and purse, sorted, on 00:00 JST, within the balance), no expired lot left
 * in a balance at the block's time (lazy expiry and the sweep), the effective balance a query shows,
 * liability ≤ limit, events reconcile with the state (a shadow ledger built from events alone must
 * equal the state), replays rejected (a block replaying any included tx, failed or not, is invalid),
 * hostile txs (poison growth, overflow amounts, any body from any signer) never make a block with
 * valid block-level fields invalid, and determinism (a second state fed the same blocks agrees on
 * every root; reloading all writes gives the same root).
 * With campaigns (issue 15) among them (the manager's and merchants', bonuses on awards and traffic,
 * top-ups, closes, budgets running out): the identity gains their terms (+ campaignBudgets on the
 * left, + cumCampaignFunded − cumCampaignReturned on the right), supply holds the budgets, and per
 * campaign remaining ≥ 0, funded = paid + remaining + returned, the live count and budgets summed.
 * With traffic by pseudonyms (issue 16: confirmed, unconfirmed and forged attestations, claims into
 * accounts, some refused): the identity and supply gain trafficUnclaimed, each pseudonym's unclaimed
 * points equal its events' (earned + bonuses − claimed) and are never negative, their sum is the
 * point's, and no pseudonym earns more base points in a JST day than the daily cap, across shops.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { MAX_LIVE_CAMPAIGNS } from '../protocol/campaign.ts'
import { generateKeyPair, type KeyPair, sign } from '../protocol/crypto.ts'
import { signVoucher, type Voucher } from '../protocol/purse.ts'
import { pursePossessionSignBytes } from '../protocol/sign-bytes.ts'
import { signAttestation } from '../protocol/traffic-attestation.ts'
import type { SignedTx } from '../protocol/tx.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import { jstDayOf } from './amounts.ts'
import { DAY_MS, expiredPrefix, jstDayStartMs, lotsTotal, MAX_LOTS } from './expiry-lots.ts'
import { Keys, keyId } from './keys.ts'
import { loadLedgerState } from './ledger.ts'
import { createLedgerQuery } from './query.ts'
import type { LedgerEvent } from './receipt.ts'
import { type Lots, lotsCodec, uintCodec } from './records.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TEST_CHAIN_ID, TestChain } from './test-kit.ts'
import { readRecord } from './working-set.ts'

const MERCHANTS = [account(100), account(101), account(102)]
const TERMINALS = [account(110), account(111), account(112)]
const CUSTOMERS = [account(200), account(201), account(202), account(203), account(204)]
const ALL = [...MERCHANTS, ...TERMINALS, ...CUSTOMERS, ISSUER]
/** Purse keys (each opens at most one purse per chain; the vouchers are really signed). */
const PURSES: KeyPair[] = Array.from({ length: 4 }, generateKeyPair)
/** Customers' traffic pseudonyms (keys their wallets derive: attestations and claims are really signed). */
const PSEUDONYMS: KeyPair[] = Array.from({ length: 3 }, generateKeyPair)
/** The rules' daily cap per pseudonym (world()). */
const TRAFFIC_CAP = 40
const HOUR = 3_600_000
/** A block with a `wait` op jumps this far: past any purse's settlement window. */
const WAIT_MS = 8 * 24 * HOUR

const OLD_KINDS = [
  'transfer',
  'approve',
  'transferFrom',
  'award',
  'award',
  'pay',
  'pay',
  'repay',
  'redeem',
  'setLimit',
  'suspend',
  'reinstate',
  'traffic',
  'replay',
  'setExpiry',
  'setExpiry',
  'earn',
  'earn',
  'spend',
] as const
/** Refunds: the window set now and then, refunds and cancellations of recent payments and awards. */
const REFUND_KINDS = ['refundWindow', 'refundWindow', 'refund', 'refund', 'refund', 'cancelAward'] as const
const PURSE_KINDS = [
  'purseOpen',
  'purseOpen',
  'voucher',
  'voucher',
  'voucher',
  'evidence',
  'reclaim',
  'wait',
] as const

const CAMPAIGN_KINDS = ['campaignCreate', 'campaignCreate', 'campaignFund', 'campaignClose'] as const
/** Traffic by pseudonyms: batches (confirmed, unconfirmed, forged) and claims into accounts. */
const TRAFFIC_KINDS = ['traffic', 'traffic', 'traffic', 'claim', 'claim'] as const
/** More ids than live slots (MAX_LIVE_CAMPAIGNS), so the bound and the unique-id rule are hit. */
const CAMPAIGN_IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']
const TRIGGER_SETS = [
  ['award'],
  ['visit', 'purchase'],
  ['award', 'view', 'click'],
  ['award', 'visit', 'view', 'click', 'purchase'],
  [],
  ['award', 'award'],
] as const

type Kind =
  | (typeof OLD_KINDS)[number]
  | (typeof PURSE_KINDS)[number]
  | (typeof CAMPAIGN_KINDS)[number]
  | (typeof REFUND_KINDS)[number]
  | (typeof TRAFFIC_KINDS)[number]
const opOf = (types: readonly Kind[]) =>
  fc.record({
    type: fc.constantFrom(...types),
    a: fc.nat(20),
    b: fc.nat(20),
    amount: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 400 })),
  })
/** Every kind, the old ones weighing most. */
const op = opOf([...OLD_KINDS, ...PURSE_KINDS, ...CAMPAIGN_KINDS, ...REFUND_KINDS, 'claim'])
/** Traffic-heavy programs: batches and claims among campaigns (bonuses on traffic), awards and payments. */
const trafficOp = opOf([
  ...TRAFFIC_KINDS,
  ...TRAFFIC_KINDS,
  'campaignCreate',
  'campaignClose',
  'award',
  'spend',
  'repay',
  'suspend',
  'reinstate',
  'setExpiry',
  'wait',
])
/** Campaign-heavy programs: campaigns created, funded and closed among the awards they pay on. */
const campaignOp = opOf([
  ...CAMPAIGN_KINDS,
  'campaignCreate',
  'campaignFund',
  'award',
  'award',
  'earn',
  'earn',
  'earn',
  'traffic',
  'traffic',
  'pay',
  'spend',
  'repay',
  'redeem',
  'suspend',
  'reinstate',
  'setExpiry',
  'wait',
])
/** Purse-heavy programs: purses with many vouchers (honest, replayed, cloned), among a few old kinds. */
const purseOp = opOf([
  ...PURSE_KINDS,
  'voucher',
  'voucher',
  'voucher',
  'voucher',
  'voucher',
  'purseOpen',
  'award',
  'earn',
  'pay',
  'spend',
  'transfer',
  'repay',
  'suspend',
  'reinstate',
  'setExpiry',
])
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T

/**
 * Blocks are an hour apart, or up to three days (so lots expire, lazily and by the sweep); a block
 * with a `wait` op jumps WAIT_MS instead.
 */
const step = fc.oneof(
  fc.constant(HOUR),
  fc.integer({ min: 1, max: 3 * 24 }).map((h) => h * HOUR),
)

/** What each purse key has signed so far in a program: its last counter and running total, its vouchers. */
type Signed = Map<string, { counter: number; cumulative: number; vouchers: Voucher[] }>

/**
 * A voucher of purse `key`, and the model of what the key signed. As the numbers fall: the next
 * honest voucher (running total on, perhaps beyond the purse), a replay of one it signed, or a cloned
 * key's (an earlier counter with other content, or a next counter claiming nothing spent before).
 */
function voucherOf(key: KeyPair, o: Op, signed: Signed, payeeIndex: number): Voucher {
  const id = toHex(key.publicKey)
  const last = signed.get(id) ?? { counter: 0, cumulative: 0, vouchers: [] }
  const mode = o.b % 6
  const old = last.vouchers.length === 0 ? undefined : pick(last.vouchers, o.a)
  if (mode === 0 && old !== undefined) return old
  const amount = 1 + (o.amount % 25)
  const clone = mode === 1 && old !== undefined
  const counter = clone ? old.counter : last.counter + 1
  const cumulative = mode === 2 || clone ? amount : last.cumulative + amount
  const v = signVoucher(
    TEST_CHAIN_ID,
    {
      point: POINT,
      purse: key.publicKey,
      payee: o.a % 2 === 0 ? pick(TERMINALS, payeeIndex) : pick(MERCHANTS, payeeIndex),
      counter,
      amount,
      cumulative,
    },
    key.secretKey,
  )
  signed.set(id, {
    counter: Math.max(last.counter, counter),
    cumulative: clone ? last.cumulative : Math.max(last.cumulative, cumulative),
    vouchers: [...last.vouchers, v],
  })
  return v
}

/** `opened`: the purse keys with a purse (vouchers, evidence and reclaims mostly go to those). */
function bodyOf(
  o: Op,
  eventSeq: number,
  timeMs: number,
  opened: readonly KeyPair[],
  signed: Signed,
  balanceOf: (account: Bytes) => number,
  recent: Recent = { payments: [], awards: [] },
): { signer: Bytes; body: TxBody } {
  const customer = pick(CUSTOMERS, o.a)
  const other = pick(CUSTOMERS, o.b)
  const merchant = pick(MERCHANTS, o.b)
  const key =
    o.type === 'purseOpen' || opened.length === 0 || o.amount % 11 === 0
      ? pick(PURSES, o.a + o.b)
      : pick(opened, o.a + o.b)
  const campaign = pick(CAMPAIGN_IDS, o.a + o.b)
  switch (o.type) {
    case 'refundWindow':
      return {
        signer: ISSUER,
        body: { kind: 'point.setRefundWindow', point: POINT, windowMs: o.amount % 5 === 0 ? 0 : HOUR },
      }
    case 'refund': {
      // A recent payment (or a random hash), by its merchant or another, within or above what is left.
      const paid = recent.payments.length > 0 && o.a % 5 !== 0 ? pick(recent.payments, o.b) : null
      return {
        signer: paid === null || o.a % 7 === 0 ? merchant : paid.merchant,
        body: {
          kind: 'merchant.refund',
          point: POINT,
          payment: paid?.hash ?? new Uint8Array(32),
          amount: o.amount % 50,
          memo: '',
        },
      }
    }
    case 'cancelAward': {
      const awarded = recent.awards.length > 0 ? pick(recent.awards, o.b) : null
      return {
        signer: awarded?.merchant ?? merchant,
        body: {
          kind: 'merchant.cancelAward',
          point: POINT,
          award: awarded?.hash ?? new Uint8Array(32),
          memo: '',
        },
      }
    }
    case 'campaignCreate': {
      // The manager's (for all merchants, or one) or a merchant's own; now and then bad terms, a
      // window already over (end at the block's time) or one that starts later.
      const byManager = o.b % 3 === 0
      return {
        signer: byManager ? ISSUER : pick(MERCHANTS, o.b),
        body: {
          kind: 'campaign.create',
          point: POINT,
          campaign: pick(CAMPAIGN_IDS, o.a),
          triggers: pick(TRIGGER_SETS, o.a + (o.amount % 3)),
          bonusPerMille: o.amount % 3 === 0 ? 0 : (o.amount % 7) * 250,
          flatBonus: o.b % 4,
          startMs: timeMs + (o.a % 4 === 3 ? 2 * HOUR : -HOUR),
          endMs: timeMs + (o.b % 5) * 6 * HOUR,
          merchants: byManager && o.a % 3 === 0 ? [merchant] : !byManager && o.a % 5 === 0 ? [other] : [],
          budget: o.amount % 13 === 0 ? 0 : 1 + (o.amount % 120),
          fiatRef: 'cp',
        },
      }
    }
    case 'campaignFund':
      return {
        signer: o.a % 2 === 0 ? ISSUER : merchant,
        body: { kind: 'campaign.fund', point: POINT, campaign, amount: o.amount % 90, fiatRef: '' },
      }
    case 'campaignClose':
      return {
        signer: o.a % 3 === 0 ? ISSUER : pick(ALL, o.b),
        body: { kind: 'campaign.close', point: POINT, campaign },
      }
    case 'purseOpen':
      return {
        signer: customer,
        body: {
          kind: 'purse.open',
          point: POINT,
          purse: key.publicKey,
          // Now and then all the owner holds: an overdraft then finds no free balance (shortfall).
          amount: o.amount % 3 === 0 ? balanceOf(customer) : 10 + (o.amount % 50),
          expiresAtMs: timeMs + (o.b % 3) * HOUR,
          possessionProof: sign(
            pursePossessionSignBytes(TEST_CHAIN_ID, customer, key.publicKey),
            key.secretKey,
          ),
        },
      }
    case 'voucher':
      // Mostly the payee's own merchant settles; sometimes someone else tries.
      return {
        signer: o.amount % 7 === 0 ? pick(ALL, o.a) : pick(MERCHANTS, o.a + o.b),
        body: { kind: 'purse.settle', point: POINT, vouchers: [voucherOf(key, o, signed, o.a + o.b)] },
      }
    case 'evidence': {
      // A terminal holding a voucher meets another of the same counter (or not quite: then it fails).
      const first = voucherOf(key, { ...o, b: 3 }, signed, o.a)
      const second = signVoucher(
        TEST_CHAIN_ID,
        { ...first, counter: first.counter + (o.b % 4 === 0 ? 1 : 0), amount: first.amount + 1 },
        key.secretKey,
      )
      return { signer: pick(ALL, o.b), body: { kind: 'purse.evidence', point: POINT, first, second } }
    }
    case 'reclaim':
      return { signer: pick(ALL, o.b), body: { kind: 'purse.reclaim', point: POINT, purse: key.publicKey } }
    case 'wait':
      return { signer: customer, body: { kind: 'point.approve', point: POINT, spender: other, amount: 0 } }
    // A customer earns from a merchant with credit, and spends: many lots, expiring and touched.
    case 'earn':
      return {
        signer: pick(MERCHANTS.slice(1), o.b),
        body: { kind: 'merchant.award', point: POINT, customer, amount: 1 + (o.amount % 40), memo: '' },
      }
    case 'spend':
      return {
        signer: customer,
        body: { kind: 'merchant.pay', point: POINT, payee: merchant, amount: 1 + (o.amount % 30), memo: '' },
      }
    case 'setExpiry': {
      // None, a few days after each award, or a fixed date a few days ahead (sometimes in the past: refused).
      const mode = o.a % 3
      const afterDays = mode === 1 ? 1 + (o.b % 4) : 0
      const atMs = mode === 2 ? timeMs + (o.b % 5) * DAY_MS - DAY_MS / 2 : 0
      return {
        signer: o.a % 5 === 4 ? customer : ISSUER,
        body: { kind: 'point.setExpiry', point: POINT, afterDays, atMs: Math.max(0, atMs) },
      }
    }
    case 'transfer':
      return {
        signer: customer,
        body: { kind: 'point.transfer', point: POINT, to: pick(ALL, o.b), amount: o.amount },
      }
    case 'approve':
      return {
        signer: customer,
        body: { kind: 'point.approve', point: POINT, spender: other, amount: o.amount },
      }
    case 'transferFrom':
      return {
        signer: other,
        body: {
          kind: 'point.transferFrom',
          point: POINT,
          from: customer,
          to: pick(CUSTOMERS, o.a + o.b),
          amount: o.amount,
        },
      }
    case 'award':
      return {
        signer: o.a % 2 === 0 ? pick(TERMINALS, o.b) : merchant,
        body: { kind: 'merchant.award', point: POINT, customer: pick(ALL, o.a), amount: o.amount, memo: '' },
      }
    case 'pay':
      return {
        signer: pick(ALL, o.a),
        body: {
          kind: 'merchant.pay',
          point: POINT,
          payee: o.a % 2 === 0 ? pick(TERMINALS, o.b) : merchant,
          amount: o.amount,
          memo: '',
        },
      }
    case 'repay':
      return {
        signer: ISSUER,
        body: { kind: 'merchant.repay', point: POINT, merchant, amount: o.amount, fiatRef: 'f' },
      }
    case 'redeem':
      return {
        signer: merchant,
        body: { kind: 'merchant.redeem', point: POINT, amount: o.amount, fiatRef: '' },
      }
    case 'setLimit':
      return {
        signer: ISSUER,
        body: { kind: 'merchant.setLimit', point: POINT, merchant, creditLimit: o.amount * 2 },
      }
    case 'suspend':
      return {
        signer: o.a % 3 === 0 ? customer : ISSUER,
        body: { kind: 'merchant.suspend', point: POINT, merchant },
      }
    case 'reinstate':
      return { signer: ISSUER, body: { kind: 'merchant.reinstate', point: POINT, merchant } }
    case 'claim': {
      // A pseudonym claims into an account (sometimes a merchant-side one: refused), up to what it
      // has or beyond (refused).
      const pseudonym = pick(PSEUDONYMS, o.a + o.b)
      return {
        signer: pseudonym.publicKey,
        body: { kind: 'traffic.claim', point: POINT, account: pick(ALL, o.a), amount: o.amount % 50 },
      }
    }
    default: {
      // One or two events by terminal i of merchant i: unconfirmed, confirmed by the pseudonym (for
      // this shop, in a window holding the block's time), or forged (another key, or another shop).
      const shop = o.b % TERMINALS.length
      const events = Array.from({ length: 1 + (o.amount % 2) }, (_, j) => {
        const pseudonym = o.a % 5 === 0 ? null : pick(PSEUDONYMS, o.a + j)
        const kind = pick(['visit', 'view', 'click', 'purchase'] as const, o.a + j)
        const eventId = `e${(eventSeq + j) % 7}`
        const amount = o.amount * 10
        const mode = (o.b + j) % 5
        if (pseudonym === null || mode < 2) {
          return { eventId, kind, pseudonym: pseudonym?.publicKey ?? null, amount, attestation: null }
        }
        const forged = mode === 4
        const attestation = signAttestation(
          TEST_CHAIN_ID,
          {
            point: POINT,
            merchant: pick(MERCHANTS, forged && o.a % 2 === 0 ? shop + 1 : shop),
            pseudonym: pseudonym.publicKey,
            eventId,
            kind,
            amount,
          },
          { notBeforeMs: timeMs - HOUR, notAfterMs: timeMs + HOUR },
          (forged && o.a % 2 === 1 ? pick(PSEUDONYMS, o.a + j + 1) : pseudonym).secretKey,
        )
        return { eventId, kind, pseudonym: pseudonym.publicKey, amount, attestation }
      })
      return {
        signer: pick(TERMINALS, shop),
        body: { kind: 'traffic.record', point: POINT, events },
      }
    }
  }
}

interface Shadow {
  balances: Map<string, number>
  float: Map<string, number>
  liability: Map<string, number>
  /** Per purse: what it holds, what it paid merchants, and what its owner was charged beyond it. */
  locked: Map<string, number>
  fromPurse: Map<string, number>
  charged: Map<string, number>
  expired: number
  /** Per campaign id: what is left in its budget, from the events alone. */
  campaigns: Map<string, number>
  /** Per pseudonym: points earned (bonuses included) and not yet claimed. */
  unclaimed: Map<string, number>
  /** Per JST day and pseudonym: base points traffic earned (what the daily cap bounds). */
  earnedOnDay: Map<string, number>
}
const emptyShadow = (): Shadow => ({
  balances: new Map(),
  float: new Map(),
  liability: new Map(),
  locked: new Map(),
  fromPurse: new Map(),
  charged: new Map(),
  expired: 0,
  campaigns: new Map(),
  unclaimed: new Map(),
  earnedOnDay: new Map(),
})
const bump = (m: Map<string, number>, k: Bytes, d: number) => m.set(toHex(k), (m.get(toHex(k)) ?? 0) + d)

function applyEvents(s: Shadow, events: readonly LedgerEvent[], timeMs = 0): void {
  /** The purse whose voucher came last: a `pay` right after it is its owner's overdraft charge. */
  let voucherOf: Bytes | null = null
  for (const e of events) {
    const charging = voucherOf
    voucherOf = null
    if (e.type === 'purseOpened') {
      bump(s.balances, e.owner, -e.amount)
      bump(s.locked, e.purse, e.amount)
    } else if (e.type === 'purseVoucher') {
      expect(e.liabilityCleared + e.toFloat).toBe(e.fromPurse)
      expect(e.fromPurse + e.shortfall).toBeLessThanOrEqual(e.amount)
      bump(s.locked, e.purse, -e.fromPurse)
      bump(s.fromPurse, e.purse, e.fromPurse)
      bump(s.liability, e.merchant, -e.liabilityCleared)
      bump(s.float, e.merchant, e.toFloat)
      voucherOf = e.purse
    } else if (e.type === 'purseClosed') {
      bump(s.locked, e.purse, -e.returned)
      bump(s.balances, e.owner, e.returned)
    }
    if (e.type === 'pay' && charging !== null) bump(s.charged, charging, e.amount)
    const budget = (id: string, d: number) => s.campaigns.set(id, (s.campaigns.get(id) ?? 0) + d)
    if (e.type === 'campaignFunded') {
      expect([0, e.amount]).toContain(e.fromFloat + e.onCredit)
      budget(e.campaign, e.amount)
      bump(s.float, e.owner, -e.fromFloat)
      bump(s.liability, e.owner, e.onCredit)
    } else if (e.type === 'campaignBonus') {
      expect(e.amount).toBeGreaterThan(0)
      budget(e.campaign, -e.amount)
      bump(e.toPseudonym ? s.unclaimed : s.balances, e.customer, e.amount)
    } else if (e.type === 'campaignClosed') {
      expect([0, e.returned]).toContain(e.liabilityCleared + e.toFloat)
      budget(e.campaign, -e.returned)
      expect(s.campaigns.get(e.campaign)).toBe(0)
      bump(s.liability, e.owner, -e.liabilityCleared)
      bump(s.float, e.owner, e.toFloat)
    }
    if (e.type === 'trafficEarned') {
      expect(e.fromFloat + e.onCredit).toBe(e.amount)
      expect(e.amount).toBeGreaterThan(0)
      bump(s.unclaimed, e.pseudonym, e.amount)
      bump(s.float, e.merchant, -e.fromFloat)
      bump(s.liability, e.merchant, e.onCredit)
      const day = `${jstDayOf(timeMs)}:${toHex(e.pseudonym)}`
      s.earnedOnDay.set(day, (s.earnedOnDay.get(day) ?? 0) + e.amount)
    } else if (e.type === 'trafficClaimed') {
      bump(s.unclaimed, e.pseudonym, -e.amount)
      bump(s.balances, e.account, e.amount)
    }
    if (e.type === 'transfer') {
      bump(s.balances, e.from, -e.amount)
      bump(s.balances, e.to, e.amount)
    } else if (e.type === 'award') {
      expect(e.fromFloat + e.onCredit).toBe(e.amount)
      bump(s.balances, e.customer, e.amount)
      bump(s.float, e.merchant, -e.fromFloat)
      bump(s.liability, e.merchant, e.onCredit)
    } else if (e.type === 'pay') {
      expect(e.liabilityCleared + e.toFloat).toBe(e.amount)
      bump(s.balances, e.payer, -e.amount)
      bump(s.liability, e.merchant, -e.liabilityCleared)
      bump(s.float, e.merchant, e.toFloat)
    } else if (e.type === 'refund') {
      expect(e.fromFloat + e.onCredit).toBe(e.amount)
      bump(s.balances, e.customer, e.amount)
      bump(s.float, e.merchant, -e.fromFloat)
      bump(s.liability, e.merchant, e.onCredit)
    } else if (e.type === 'awardCancelled') {
      expect(e.liabilityCleared + e.toFloat).toBe(e.amount)
      bump(s.balances, e.customer, -e.amount)
      bump(s.liability, e.merchant, -e.liabilityCleared)
      bump(s.float, e.merchant, e.toFloat)
    } else if (e.type === 'repay') {
      bump(s.liability, e.merchant, -e.liabilityCleared)
      bump(s.float, e.merchant, e.toFloat)
    } else if (e.type === 'redeem') {
      bump(s.float, e.merchant, -e.amount)
    } else if (e.type === 'expire') {
      expect(e.amount).toBeGreaterThan(0)
      bump(s.balances, e.account, -e.amount)
      s.expired += e.amount
    }
  }
}

/** Lots sorted by expiry, each positive and on 00:00 JST, at most MAX_LOTS. */
function checkLots(lots: Lots): void {
  expect(lots.length).toBeLessThanOrEqual(MAX_LOTS)
  for (let i = 0; i < lots.length; i++) {
    const [expiresAtMs, amount] = lots[i] as readonly [number, number]
    expect(amount).toBeGreaterThan(0)
    expect(expiresAtMs).toBeGreaterThan(0)
    if (i > 0) expect(expiresAtMs).toBeGreaterThan((lots[i - 1] as readonly [number, number])[0])
  }
}

function checkInvariants(chain: TestChain, shadow: Shadow): void {
  const q = createLedgerQuery(chain.state)
  const p = q.point(POINT)
  if (p === null) throw new Error('point missing')
  let balances = 0
  for (const a of ALL) {
    const b = readRecord(chain.state.map, Keys.balance(POINT, keyId(a)), uintCodec) ?? 0
    expect(b).toBeGreaterThanOrEqual(0)
    expect(b).toBe(shadow.balances.get(toHex(a)) ?? 0)
    balances += b
    // The lot bounds, and nothing expired left behind at the block's time.
    const lots = readRecord(chain.state.map, Keys.lots(POINT, keyId(a)), lotsCodec) ?? []
    checkLots(lots)
    if (lots.length > 0) expect(p.hasLots).toBe(true)
    expect(lotsTotal(lots)).toBeLessThanOrEqual(b)
    // Expired lots the sweep has reached are gone: those that expired by today's 00:00 JST (a lot that
    // expires mid-day waits for the next day's sweep or the account's next tx).
    const todayStart = jstDayStartMs(jstDayOf(chain.state.meta.timeMs))
    expect(expiredPrefix(lots, todayStart).count).toBe(0)
    // What a customer sees is what it may spend.
    expect(q.balance(POINT, a)).toBe(b - expiredPrefix(lots, chain.state.meta.timeMs).amount)
  }
  let floats = 0
  let liabilities = 0
  for (const m of q.merchants(POINT)) {
    expect(Math.min(m.float, m.liability)).toBe(0)
    expect(m.float).toBeGreaterThanOrEqual(0)
    expect(m.liability).toBeLessThanOrEqual(m.creditLimit)
    expect(m.float).toBe(shadow.float.get(toHex(m.address)) ?? 0)
    expect(m.liability).toBe(shadow.liability.get(toHex(m.address)) ?? 0)
    floats += m.float
    liabilities += m.liability
  }
  let locked = 0
  for (const key of PURSES) {
    const id = toHex(key.publicKey)
    const purse = q.purse(key.publicKey)
    if (purse === null) {
      expect(shadow.locked.get(id) ?? 0).toBe(0)
      continue
    }
    // A purse never pays out more than it locked; what its vouchers got beyond it was charged.
    expect(purse.spent).toBeLessThanOrEqual(purse.locked)
    expect(purse.spent).toBe(shadow.fromPurse.get(id) ?? 0)
    expect(purse.charged).toBe(shadow.charged.get(id) ?? 0)
    expect(purse.spent + purse.charged).toBeLessThanOrEqual(purse.locked + purse.charged)
    const holds = purse.status === 'closed' ? 0 : purse.locked - purse.spent
    if (purse.status === 'closed') expect(purse.returned).toBe(purse.locked - purse.spent)
    // Its lots: what it holds, with the owner's expiries; none expires before the purse (the cap).
    checkLots(purse.lots)
    expect(purse.nonExpiring).toBeGreaterThanOrEqual(0)
    expect(lotsTotal(purse.lots) + purse.nonExpiring).toBe(holds)
    if (purse.lots.length > 0)
      expect((purse.lots[0] as readonly [number, number])[0]).toBeGreaterThanOrEqual(purse.expiresAtMs)
    if (purse.status === 'frozen') expect(purse.frozenAtHeight).toBeGreaterThan(0)
    if (purse.shortfall > 0) expect(purse.status).not.toBe('open')
    expect(holds).toBe(shadow.locked.get(id) ?? 0)
    locked += holds
  }
  expect(p.totalLocked).toBe(locked)
  // Campaigns: each within its budget; the point's budgets and live count are their sums.
  let budgets = 0
  let live = 0
  for (const c of q.campaigns(POINT)) {
    expect(c.remaining).toBeGreaterThanOrEqual(0)
    expect(c.paid + c.remaining + c.returned).toBe(c.funded)
    expect(c.remaining).toBe(shadow.campaigns.get(c.id) ?? 0)
    if (c.status === 'open') live++
    else expect(c.remaining).toBe(0)
    if (c.funder === 'merchant') expect(c.merchants).toHaveLength(1)
    budgets += c.remaining
  }
  expect(live).toBeLessThanOrEqual(MAX_LIVE_CAMPAIGNS)
  expect(p.liveCampaigns).toBe(live)
  expect(p.campaignBudgets).toBe(budgets)
  // Traffic: each pseudonym's unclaimed points as its events say, never negative; the cap per day.
  let unclaimed = 0
  for (const key of PSEUDONYMS) {
    const t = q.pseudonymTraffic(POINT, key.publicKey)
    expect(t.unclaimed).toBeGreaterThanOrEqual(0)
    expect(t.unclaimed).toBe(shadow.unclaimed.get(toHex(key.publicKey)) ?? 0)
    expect(t.confirmed).toBeLessThanOrEqual(t.events)
    unclaimed += t.unclaimed
  }
  expect(p.trafficUnclaimed).toBe(unclaimed)
  for (const earned of shadow.earnedOnDay.values()) expect(earned).toBeLessThanOrEqual(TRAFFIC_CAP)
  expect(p.totalSupply).toBe(balances + floats + p.totalLocked + p.campaignBudgets + p.trafficUnclaimed)
  expect(p.totalLiability).toBe(liabilities)
  // The merchant identity: outstanding points (in hands, in purses, in campaign budgets) equal the
  // net fiat settled, less what expired, plus what the manager put into campaigns and took back.
  expect(p.cumExpired).toBe(shadow.expired)
  expect(balances + p.totalLocked + floats - liabilities + p.campaignBudgets + p.trafficUnclaimed).toBe(
    p.cumRepaid - p.cumRedeemed - p.cumExpired + p.cumCampaignFunded - p.cumCampaignReturned,
  )
}

/**
 * The setup; its only amounts are an award of 60 to each customer (so purses open), in `events`.
 * `afterDays` > 0: the point starts with that expiry policy (else none until a setExpiry op).
 */
function world(afterDays: number): { chain: TestChain; events: LedgerEvent[] } {
  const chain = new TestChain()
  setupPoint(chain)
  if (afterDays > 0) chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays, atMs: 0 })
  MERCHANTS.forEach((m, i) => {
    setupMerchant(chain, m, 200 * i, [TERMINALS[i] as Bytes])
  })
  chain.run(ISSUER, {
    kind: 'traffic.setRules',
    point: POINT,
    confirmed: { visit: 5, view: 2, click: 3, purchase: 4, purchasePerMille: 50 },
    unconfirmed: { visit: 0, view: 1, click: 1, purchase: 2, purchasePerMille: 20 },
    dailyCapPerCustomer: TRAFFIC_CAP,
  })
  const awards = chain.block(
    CUSTOMERS.map((customer) =>
      chain.tx(MERCHANTS[2] as Bytes, {
        kind: 'merchant.award',
        point: POINT,
        customer,
        amount: 60,
        memo: '',
      }),
    ),
  )
  return { chain, events: awards.receipts.flatMap((r) => r.events) }
}

/** Hashes of payments and awards included so far (what refunds and cancellations name). */
interface Recent {
  readonly payments: { hash: Bytes; merchant: Bytes }[]
  readonly awards: { hash: Bytes; merchant: Bytes }[]
}

/** What the runs exercised, checked once all runs are done. */
interface Seen {
  lazy: number
  swept: number
  purseLots: number
  bonuses: number
  exhausted: number
  returned: number
  refunds: number
  confirmed: number
  claims: number
}

/** One random program: every block applied to the chain and a twin, the invariants after each. */
function program(blocks: readonly (readonly [readonly Op[], number])[], afterDays: number, seen: Seen): void {
  const { chain, events } = world(afterDays)
  const { chain: twin } = world(afterDays)
  const shadow = emptyShadow()
  // Account for setup (its awards).
  applyEvents(shadow, events)
  checkInvariants(chain, shadow)
  const included: SignedTx[] = []
  const signed: Signed = new Map()
  let seq = 0
  const recent: Recent = { payments: [], awards: [] }
  for (const [ops, stepMs] of blocks) {
    const txs: SignedTx[] = []
    const replays = new Set<SignedTx>()
    const timeMs = chain.state.meta.timeMs + (ops.some((o) => o.type === 'wait') ? WAIT_MS : stepMs)
    const q = createLedgerQuery(chain.state)
    const opened = PURSES.filter((k) => q.purse(k.publicKey) !== null)
    for (const o of ops) {
      if (o.type === 'replay' && included.length > 0) {
        const old = pick(included, o.a + o.b)
        replays.add(old)
        txs.push(old)
        continue
      }
      const { signer, body } = bodyOf(o, seq++, timeMs, opened, signed, (a) => q.balance(POINT, a), recent)
      txs.push(chain.tx(signer, body))
    }
    if (replays.size > 0) {
      // A tx is included at most once: a block replaying one is invalid and changes nothing.
      const root = toHex(chain.state.map.root)
      expect(() => chain.block(txs, { timeMs })).toThrow(
        expect.objectContaining({ code: expect.stringMatching(/^STATE_TX_(DUPLICATE|EXPIRED)$/) }),
      )
      expect(toHex(chain.state.map.root)).toBe(root)
    }
    const fresh = txs.filter((tx) => !replays.has(tx))
    const result = chain.block(fresh, { timeMs })
    const twinResult = twin.block(fresh, { timeMs })
    expect(toHex(twinResult.stateRoot)).toBe(toHex(result.stateRoot))
    result.receipts.forEach((r, i) => {
      const tx = fresh[i] as SignedTx
      included.push(tx)
      if (r.status === 'ok') {
        applyEvents(shadow, r.events, timeMs)
        for (const e of r.events) {
          if (e.type === 'pay' && tx.body.kind === 'merchant.pay')
            recent.payments.push({ hash: tx.hash, merchant: e.merchant })
          if (e.type === 'award' && tx.body.kind === 'merchant.award')
            recent.awards.push({ hash: tx.hash, merchant: e.merchant })
        }
      } else {
        expect(r.events).toEqual([])
      }
    })
    // The sweep's expiries are the block's own events.
    applyEvents(shadow, result.blockEvents, timeMs)
    for (const r of result.receipts) for (const e of r.events) if (e.type === 'expire') seen.lazy++
    for (const e of result.blockEvents) if (e.type === 'expire') seen.swept++
    for (const r of result.receipts) {
      for (const e of r.events) {
        if (e.type === 'campaignBonus') seen.bonuses++
        if (e.type === 'traffic' && e.confirmed > 0) seen.confirmed++
        if (e.type === 'trafficClaimed') seen.claims++
        if (e.type === 'campaignClosed') {
          if (e.returned === 0) seen.exhausted++
          else seen.returned++
        }
      }
    }
    checkInvariants(chain, shadow)
    const after = createLedgerQuery(chain.state)
    // Refund bound: a payment's refunds never pass it, and what it holds for refunds is the rest.
    for (const { hash } of recent.payments) {
      const r = after.refundablePayment(POINT, hash)
      if (r === null) continue
      expect(r.refunded).toBeLessThanOrEqual(r.amount)
      expect(r.nonExpiring + r.lots.reduce((t, [, x]) => t + x, 0)).toBe(r.amount - r.refunded)
      if (r.refunded > 0) seen.refunds++
    }
    for (const k of PURSES) if ((after.purse(k.publicKey)?.lots.length ?? 0) > 0) seen.purseLots++
  }
  // Writes are replayed in order, later ones winning, as StateKv does.
  const latest = new Map<string, readonly [Bytes, Bytes | null]>()
  for (const w of chain.writes) latest.set(toHex(w[0]), w)
  const entries = [...latest.values()].filter((w): w is readonly [Bytes, Bytes] => w[1] !== null)
  expect(toHex(loadLedgerState(entries).map.root)).toBe(toHex(chain.state.map.root))
}

/** Programs of up to 25 blocks of up to 8 ops, under no expiry policy or a 1- or 2-day one. */
const programs = (ops: fc.Arbitrary<Op>) =>
  fc.tuple(
    fc.array(fc.tuple(fc.array(ops, { maxLength: 8, size: 'max' }), step), {
      minLength: 1,
      maxLength: 25,
      size: 'max',
    }),
    fc.constantFrom(0, 1, 2),
  )

const noneSeen = (): Seen => ({
  lazy: 0,
  swept: 0,
  purseLots: 0,
  bonuses: 0,
  exhausted: 0,
  returned: 0,
  refunds: 0,
  confirmed: 0,
  claims: 0,
})

describe('ledger properties', () => {
  it('invariants hold after every block of random txs; replay rejected; deterministic', () => {
    const seen = noneSeen()
    fc.assert(
      fc.property(programs(op), ([blocks, afterDays]) => program(blocks, afterDays, seen)),
      { numRuns: 60 },
    )
    // The runs did exercise expiry, both lazily in txs and by the sweep.
    expect(seen.lazy).toBeGreaterThan(0)
    expect(seen.swept).toBeGreaterThan(0)
  })

  it('the same with offline purses in most txs: vouchers honest, replayed and cloned; purses of lots', () => {
    const seen = noneSeen()
    fc.assert(
      fc.property(programs(purseOp), ([blocks, afterDays]) => program(blocks, afterDays, seen)),
      { numRuns: 40 },
    )
    // Purses did lock expiring points.
    expect(seen.purseLots).toBeGreaterThan(0)
  })

  it('the same with campaigns in most txs: bonuses on awards and traffic, top-ups, closes, budgets spent', () => {
    const seen = noneSeen()
    fc.assert(
      fc.property(programs(campaignOp), ([blocks, afterDays]) => program(blocks, afterDays, seen)),
      { numRuns: 40 },
    )
    // Campaigns did pay, run out and give back.
    expect(seen.bonuses).toBeGreaterThan(0)
    expect(seen.exhausted).toBeGreaterThan(0)
    expect(seen.returned).toBeGreaterThan(0)
  })

  it('the same with traffic by pseudonyms in most txs: confirmed, unconfirmed and forged; claims', () => {
    const seen = noneSeen()
    fc.assert(
      fc.property(programs(trafficOp), ([blocks, afterDays]) => program(blocks, afterDays, seen)),
      { numRuns: 40 },
    )
    // Confirmed events did count, and pseudonyms did claim.
    expect(seen.confirmed).toBeGreaterThan(0)
    expect(seen.claims).toBeGreaterThan(0)
  })
})
