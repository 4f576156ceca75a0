/**
 * Property tests over random tx sequences from random actors. After every block: the merchant
 * identity per point (with expiry: Σ balances + Σ (float − liability) = repaid − redeemed − expired),
 * supply = Σ balances + Σ floats, no negative amount, min(float, liability) = 0, the lot bounds (at
 * most MAX_LOTS per balance, sorted, on 00:00 JST, within the balance), no expired lot left at the
 * block's time (lazy expiry and the sweep), the effective balance a query shows,
 * liability ≤ limit, events reconcile with the state (a shadow ledger built from events alone must
 * equal the state), replays rejected (a block replaying any included tx, failed or not, is invalid),
 * hostile txs (poison growth, overflow amounts, any body from any signer) never make a block with
 * valid block-level fields invalid, and determinism (a second state fed the same blocks agrees on
 * every root; reloading all writes gives the same root).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import type { SignedTx } from '../protocol/tx.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import { jstDayOf } from './amounts.ts'
import { DAY_MS, expiredPrefix, jstDayStartMs, lotsTotal, MAX_LOTS } from './expiry-lots.ts'
import { Keys, keyId } from './keys.ts'
import { loadLedgerState } from './ledger.ts'
import { createLedgerQuery } from './query.ts'
import type { LedgerEvent } from './receipt.ts'
import { lotsCodec, uintCodec } from './records.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from './test-kit.ts'
import { readRecord } from './working-set.ts'

const MERCHANTS = [account(100), account(101), account(102)]
const TERMINALS = [account(110), account(111), account(112)]
const CUSTOMERS = [account(200), account(201), account(202), account(203), account(204)]
const ALL = [...MERCHANTS, ...TERMINALS, ...CUSTOMERS, ISSUER]

const op = fc.record({
  type: fc.constantFrom(
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
  ),
  a: fc.nat(20),
  b: fc.nat(20),
  amount: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 400 })),
})
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T

/** Blocks are an hour apart, or up to three days (so lots expire, lazily and by the sweep). */
const step = fc.oneof(
  fc.constant(3_600_000),
  fc.integer({ min: 1, max: 3 * 24 }).map((h) => h * 3_600_000),
)

function bodyOf(o: Op, eventSeq: number, timeMs: number): { signer: Bytes; body: TxBody } {
  const customer = pick(CUSTOMERS, o.a)
  const other = pick(CUSTOMERS, o.b)
  const merchant = pick(MERCHANTS, o.b)
  switch (o.type) {
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
    default:
      return {
        signer: pick(TERMINALS, o.b),
        body: {
          kind: 'traffic.record',
          point: POINT,
          events: [
            {
              eventId: `e${eventSeq % 7}`,
              kind: pick(['visit', 'view', 'click', 'purchase'] as const, o.a),
              customerHash: sha256(customer),
              account: o.a % 4 === 0 ? null : pick(ALL, o.a),
              amount: o.amount * 10,
            },
          ],
        },
      }
  }
}

interface Shadow {
  balances: Map<string, number>
  float: Map<string, number>
  liability: Map<string, number>
  expired: number
}
const bump = (m: Map<string, number>, k: Bytes, d: number) => m.set(toHex(k), (m.get(toHex(k)) ?? 0) + d)

function applyEvents(s: Shadow, events: readonly LedgerEvent[]): void {
  for (const e of events) {
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
    expect(lots.length).toBeLessThanOrEqual(MAX_LOTS)
    if (lots.length > 0) expect(p.hasLots).toBe(true)
    for (let i = 0; i < lots.length; i++) {
      const [expiresAtMs, amount] = lots[i] as readonly [number, number]
      expect(amount).toBeGreaterThan(0)
      expect(expiresAtMs).toBeGreaterThan(0)
      if (i > 0) expect(expiresAtMs).toBeGreaterThan((lots[i - 1] as readonly [number, number])[0])
    }
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
  expect(p.totalSupply).toBe(balances + floats)
  expect(p.totalLiability).toBe(liabilities)
  // The merchant identity: outstanding points equal the net fiat settled, less what expired.
  expect(p.cumExpired).toBe(shadow.expired)
  expect(balances + floats - liabilities).toBe(p.cumRepaid - p.cumRedeemed - p.cumExpired)
}

/** `afterDays` > 0: the point starts with that expiry policy (else none until a setExpiry op). */
function world(afterDays: number): TestChain {
  const chain = new TestChain()
  setupPoint(chain)
  if (afterDays > 0) chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays, atMs: 0 })
  MERCHANTS.forEach((m, i) => {
    setupMerchant(chain, m, 200 * i, [TERMINALS[i] as Bytes])
  })
  chain.run(ISSUER, {
    kind: 'traffic.setRules',
    point: POINT,
    visit: 1,
    view: 2,
    click: 3,
    purchase: 4,
    purchasePerMille: 50,
    dailyCapPerCustomer: 40,
  })
  return chain
}

describe('ledger properties', () => {
  it('invariants hold after every block of random txs; replay rejected; deterministic', () => {
    const seen = { lazy: 0, swept: 0 }
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(op, { maxLength: 8, size: 'max' }), step), {
          minLength: 1,
          maxLength: 25,
          size: 'max',
        }),
        fc.constantFrom(0, 1, 2),
        (blocks, afterDays) => {
          const chain = world(afterDays)
          const twin = world(afterDays)
          const shadow: Shadow = { balances: new Map(), float: new Map(), liability: new Map(), expired: 0 }
          // Account for setup (no amounts moved in setup).
          checkInvariants(chain, shadow)
          const included: SignedTx[] = []
          let seq = 0
          for (const [ops, stepMs] of blocks) {
            const timeMs = chain.state.meta.timeMs + stepMs
            const txs: SignedTx[] = []
            const replays = new Set<SignedTx>()
            for (const o of ops) {
              if (o.type === 'replay' && included.length > 0) {
                const old = pick(included, o.a + o.b)
                replays.add(old)
                txs.push(old)
                continue
              }
              const { signer, body } = bodyOf(o, seq++, timeMs)
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
                applyEvents(shadow, r.events)
              } else {
                expect(r.events).toEqual([])
              }
            })
            // The sweep's expiries are the block's own events.
            applyEvents(shadow, result.blockEvents)
            for (const r of result.receipts) for (const e of r.events) if (e.type === 'expire') seen.lazy++
            for (const e of result.blockEvents) if (e.type === 'expire') seen.swept++
            checkInvariants(chain, shadow)
          }
          // Writes are replayed in order, later ones winning, as StateKv does.
          const latest = new Map<string, readonly [Bytes, Bytes | null]>()
          for (const w of chain.writes) latest.set(toHex(w[0]), w)
          const entries = [...latest.values()].filter((w): w is readonly [Bytes, Bytes] => w[1] !== null)
          expect(toHex(loadLedgerState(entries).map.root)).toBe(toHex(chain.state.map.root))
        },
      ),
      { numRuns: 60 },
    )
    // The runs did exercise expiry, both lazily in txs and by the sweep.
    expect(seen.lazy).toBeGreaterThan(0)
    expect(seen.swept).toBeGreaterThan(0)
  })
})
