/**
 * Offline purses (purses.ts): every rule and its boundary. Vouchers are really signed by their purse
 * keys (the ledger verifies them), txs are not (applyBlock trusts its caller for those).
 */
import { describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair, sign } from '../protocol/crypto.ts'
import {
  MAX_PURSE_LIFETIME_MS,
  PURSE_SETTLEMENT_GRACE_MS,
  signVoucher,
  type Voucher,
  voucherDigest,
} from '../protocol/purse.ts'
import { pursePossessionSignBytes } from '../protocol/sign-bytes.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { StateErrorCode } from './errors.ts'
import { DAY_MS, expiryAfterDays } from './expiry-lots.ts'
import { createLedgerQuery } from './query.ts'
import type { EventOf, LedgerEvent, Receipt } from './receipt.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TEST_CHAIN_ID, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const OTHER = account(110)
const OWNER = account(200)
const STRANGER = account(201)
const HOUR = 3_600_000
const LOCKED = 300

interface World {
  chain: TestChain
  key: KeyPair
  open: TxBodyOf<'purse.open'>
  q: () => ReturnType<typeof createLedgerQuery>
  /** A voucher of the purse (signed by its key) for `payee`. */
  voucher(counter: number, amount: number, cumulative: number, payee?: Bytes, chainId?: string): Voucher
  settle(vouchers: readonly Voucher[], signer?: Bytes, timeMs?: number): Receipt
  /** Runs one tx in a block at `timeMs` (default one second on). */
  at(timeMs: number, signer: Bytes, body: TxBodyOf<'purse.reclaim'> | TxBodyOf<'purse.settle'>): Receipt
}

function possession(key: KeyPair, owner = OWNER, chainId = TEST_CHAIN_ID): Bytes {
  return sign(pursePossessionSignBytes(chainId, owner, key.publicKey), key.secretKey)
}

/**
 * MERCHANT (with TERMINAL) awarded OWNER 1,000 on credit (its liability 1,000); OTHER is a second
 * merchant. The purse body locks LOCKED for a day; it is not opened yet.
 */
function world(): World {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 10_000, [TERMINAL])
  setupMerchant(chain, OTHER, 10_000)
  const award = chain.run(MERCHANT, {
    kind: 'merchant.award',
    point: POINT,
    customer: OWNER,
    amount: 1_000,
    memo: '',
  })
  if (award.status !== 'ok') throw new Error(String(award.error))
  const key = generateKeyPair()
  const open: TxBodyOf<'purse.open'> = {
    kind: 'purse.open',
    point: POINT,
    purse: key.publicKey,
    amount: LOCKED,
    expiresAtMs: chain.state.meta.timeMs + 24 * HOUR,
    possessionProof: possession(key),
  }
  const voucher = (
    counter: number,
    amount: number,
    cumulative: number,
    payee: Bytes = TERMINAL,
    chainId = TEST_CHAIN_ID,
  ) =>
    signVoucher(
      chainId,
      { point: POINT, purse: key.publicKey, payee, counter, amount, cumulative },
      key.secretKey,
    )
  const at = (timeMs: number, signer: Bytes, body: TxBodyOf<'purse.reclaim'> | TxBodyOf<'purse.settle'>) =>
    chain.block([chain.tx(signer, body)], { timeMs }).receipts[0] as Receipt
  const settle = (vouchers: readonly Voucher[], signer: Bytes = TERMINAL, timeMs?: number) =>
    at(timeMs ?? chain.state.meta.timeMs + 1_000, signer, { kind: 'purse.settle', point: POINT, vouchers })
  return { chain, key, open, q: () => createLedgerQuery(chain.state), voucher, settle, at }
}

/** The books identity and supply (the stored balances: expiry burns lazily), over these tests' accounts. */
function expectBooks(chain: TestChain): void {
  const q = createLedgerQuery(chain.state)
  const p = q.point(POINT)
  if (p === null) throw new Error('no point')
  const balances = [OWNER, STRANGER, MERCHANT, TERMINAL, OTHER].reduce(
    (s, a) => s + q.lots(POINT, a).stored,
    0,
  )
  const merchants = q.merchants(POINT)
  const floats = merchants.reduce((s, m) => s + m.float, 0)
  const liabilities = merchants.reduce((s, m) => s + m.liability, 0)
  expect(p.totalSupply).toBe(balances + floats + p.totalLocked)
  expect(balances + p.totalLocked + floats - liabilities).toBe(p.cumRepaid - p.cumRedeemed - p.cumExpired)
}

const eventsOf = <T extends LedgerEvent['type']>(r: Receipt, type: T): EventOf<T>[] =>
  r.events.filter((e) => e.type === type) as unknown as EventOf<T>[]

describe('purse.open', () => {
  it('locks the amount out of the owner’s balance into the purse, still in the supply', () => {
    const { chain, open, q, key } = world()
    const r = chain.run(OWNER, open)
    expect(r.error).toBeNull()
    expect(q().balance(POINT, OWNER)).toBe(1_000 - LOCKED)
    expect(q().point(POINT)?.totalLocked).toBe(LOCKED)
    expect(q().point(POINT)?.totalSupply).toBe(1_000)
    expect(q().purse(key.publicKey)).toMatchObject({
      point: POINT,
      locked: LOCKED,
      spent: 0,
      status: 'open',
      expiresAtMs: open.expiresAtMs,
      settleUntilMs: open.expiresAtMs + PURSE_SETTLEMENT_GRACE_MS,
      openedAtHeight: chain.height,
      frozenAtHeight: 0,
    })
    expect(r.events).toEqual([
      {
        type: 'purseOpened',
        point: POINT,
        purse: key.publicKey,
        owner: OWNER,
        amount: LOCKED,
        expiresAtMs: open.expiresAtMs,
        settleUntilMs: open.expiresAtMs + PURSE_SETTLEMENT_GRACE_MS,
      },
    ])
    expectBooks(chain)
  })

  it('needs a positive amount within the owner’s balance (all of it is fine)', () => {
    const { chain, open, q } = world()
    expect(chain.run(OWNER, { ...open, amount: 0 }).error).toBe(StateErrorCode.zeroAmount)
    expect(chain.run(OWNER, { ...open, amount: 1_001 }).error).toBe(StateErrorCode.insufficientBalance)
    expect(chain.run(OWNER, { ...open, amount: 1_000 }).error).toBeNull()
    expect(q().balance(POINT, OWNER)).toBe(0)
  })

  it('an expiry after the block time and within the lifetime, both bounds exact', () => {
    const { chain, open } = world()
    const next = chain.state.meta.timeMs + 1_000
    const run = (expiresAtMs: number) =>
      (chain.block([chain.tx(OWNER, { ...open, expiresAtMs })], { timeMs: next }).receipts[0] as Receipt)
        .error
    expect(run(next)).toBe(StateErrorCode.badPurseExpiry)
    expect(run(next + MAX_PURSE_LIFETIME_MS + 1)).toBe(StateErrorCode.badPurseExpiry)
    expect(run(next + MAX_PURSE_LIFETIME_MS)).toBeNull()
  })

  it('the purse key proves possession for this owner and chain, and opens one purse ever', () => {
    const { chain, open, key } = world()
    expect(chain.run(OWNER, { ...open, possessionProof: possession(key, STRANGER) }).error).toBe(
      StateErrorCode.badPossessionProof,
    )
    expect(chain.run(OWNER, { ...open, possessionProof: possession(key, OWNER, 'other-chain') }).error).toBe(
      StateErrorCode.badPossessionProof,
    )
    expect(chain.run(OWNER, open).error).toBeNull()
    expect(chain.run(OWNER, open).error).toBe(StateErrorCode.purseExists)
  })

  it('merchant-side keys open no purse', () => {
    const { chain, key } = world()
    const body = {
      kind: 'purse.open',
      point: POINT,
      purse: key.publicKey,
      amount: 1,
      expiresAtMs: chain.state.meta.timeMs + HOUR,
      possessionProof: possession(key, TERMINAL),
    } as const
    expect(chain.run(TERMINAL, body).error).toBe(StateErrorCode.roleConflict)
  })
})

describe('purse.settle', () => {
  it('pays a voucher to the payee’s merchant as a payment: liability first, then float', () => {
    const { chain, open, voucher, settle, q, key } = world()
    chain.run(OWNER, open)
    const r = settle([voucher(1, 120, 120)])
    expect(r.error).toBeNull()
    expect(r.events).toEqual([
      {
        type: 'purseVoucher',
        point: POINT,
        purse: key.publicKey,
        owner: OWNER,
        merchant: MERCHANT,
        payee: TERMINAL,
        counter: 1,
        amount: 120,
        fromPurse: 120,
        liabilityCleared: 120,
        toFloat: 0,
        shortfall: 0,
      },
    ])
    expect(q().merchant(POINT, MERCHANT)).toMatchObject({ liability: 880, float: 0 })
    expect(q().purse(key.publicKey)).toMatchObject({ spent: 120, vouchers: 1, maxCounter: 1, status: 'open' })
    expect(q().point(POINT)).toMatchObject({
      totalLocked: LOCKED - 120,
      totalSupply: 880,
      totalLiability: 880,
    })
    const digest = q().purseCounter(key.publicKey, 1)
    expect(toHex(digest as Bytes)).toBe(toHex(voucherDigest(TEST_CHAIN_ID, voucher(1, 120, 120))))
    expectBooks(chain)
    // To OTHER (no liability) a voucher goes to the float, whoever of its keys settles it.
    const v = voucher(2, 30, 150, OTHER)
    expect(settle([v], OTHER).error).toBeNull()
    expect(q().merchant(POINT, OTHER)).toMatchObject({ liability: 0, float: 30 })
    expectBooks(chain)
  })

  it('settles in any order across batches, gaps included, and in counter order within a batch', () => {
    const { chain, open, voucher, settle, q, key } = world()
    chain.run(OWNER, open)
    expect(settle([voucher(3, 50, 200)]).error).toBeNull() // 1 and 2 still at other terminals
    const batch = settle([voucher(5, 10, 260), voucher(1, 100, 100), voucher(4, 50, 250)])
    expect(batch.error).toBeNull()
    expect(eventsOf(batch, 'purseVoucher').map((e) => e.counter)).toEqual([1, 4, 5])
    expect(settle([voucher(2, 50, 150)]).error).toBeNull()
    expect(q().purse(key.publicKey)).toMatchObject({
      spent: 260,
      vouchers: 5,
      maxCounter: 5,
      status: 'open',
      charged: 0,
      shortfall: 0,
    })
    expectBooks(chain)
  })

  it('refuses a voucher the purse key did not sign for this chain', () => {
    const { chain, open, voucher, settle } = world()
    chain.run(OWNER, open)
    const good = voucher(1, 10, 10)
    expect(settle([{ ...good, amount: 11, cumulative: 11 }]).error).toBe(StateErrorCode.voucherBadSignature)
    expect(settle([voucher(1, 10, 10, TERMINAL, 'other-chain')]).error).toBe(
      StateErrorCode.voucherBadSignature,
    )
    const stranger = generateKeyPair()
    const forged = signVoucher(TEST_CHAIN_ID, { ...good }, stranger.secretKey)
    expect(settle([forged]).error).toBe(StateErrorCode.voucherBadSignature)
    expect(settle([good]).error).toBeNull()
  })

  it('refuses a replayed voucher (in another batch or the same one) and writes nothing', () => {
    const { chain, open, voucher, settle, q, key } = world()
    chain.run(OWNER, open)
    const v = voucher(1, 10, 10)
    expect(settle([v]).error).toBeNull()
    expect(settle([v]).error).toBe(StateErrorCode.voucherReplayed)
    const r = settle([voucher(2, 10, 20), voucher(2, 10, 20)])
    expect(r.error).toBe(StateErrorCode.voucherReplayed)
    expect(q().purse(key.publicKey)).toMatchObject({ spent: 10, vouchers: 1 })
    expect(q().purseCounter(key.publicKey, 2)).toBeNull()
  })

  it('refuses a running total beyond the purse (the locked amount itself is fine)', () => {
    const { chain, open, voucher, settle } = world()
    chain.run(OWNER, open)
    expect(settle([voucher(1, 10, LOCKED + 1)]).error).toBe(StateErrorCode.voucherBeyondPurse)
    expect(settle([voucher(1, LOCKED, LOCKED)]).error).toBeNull()
    expectBooks(chain)
  })

  it('refuses a voucher of the wrong shape or point', () => {
    const { chain, open, voucher, settle, key } = world()
    chain.run(OWNER, open)
    expect(settle([voucher(0, 10, 10)]).error).toBe(StateErrorCode.voucherInvalid)
    expect(settle([voucher(1, 0, 10)]).error).toBe(StateErrorCode.voucherInvalid)
    expect(settle([voucher(1, 11, 10)]).error).toBe(StateErrorCode.voucherInvalid)
    const elsewhere = signVoucher(
      TEST_CHAIN_ID,
      { point: 'ELSE', purse: key.publicKey, payee: TERMINAL, counter: 1, amount: 1, cumulative: 1 },
      key.secretKey,
    )
    expect(settle([elsewhere]).error).toBe(StateErrorCode.voucherInvalid)
    expect(chain.run(TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [] }).error).toBe(
      StateErrorCode.invalidParam,
    )
  })

  it('only the payee’s merchant or its terminals settle; the merchant must be active', () => {
    const { chain, open, voucher, settle } = world()
    chain.run(OWNER, open)
    expect(settle([voucher(1, 10, 10)], OTHER).error).toBe(StateErrorCode.voucherNotPayee)
    expect(settle([voucher(1, 10, 10, OWNER)]).error).toBe(StateErrorCode.voucherNotPayee)
    expect(settle([voucher(1, 10, 10)], STRANGER).error).toBe(StateErrorCode.notTerminal)
    chain.run(ISSUER, { kind: 'merchant.suspend', point: POINT, merchant: MERCHANT })
    expect(settle([voucher(1, 10, 10)]).error).toBe(StateErrorCode.merchantNotActive)
    chain.run(ISSUER, { kind: 'merchant.reinstate', point: POINT, merchant: MERCHANT })
    expect(settle([voucher(1, 10, 10)], MERCHANT).error).toBeNull()
  })

  it('refuses vouchers of an unknown purse', () => {
    const { chain, voucher, settle } = world()
    void chain
    expect(settle([voucher(1, 10, 10)]).error).toBe(StateErrorCode.unknownPurse)
  })
})

describe('expiry, grace and reclaim', () => {
  it('vouchers settle until expiry + grace (inclusive); then the remainder returns to the owner', () => {
    const { chain, open, voucher, settle, at, q, key } = world()
    chain.run(OWNER, open)
    const until = open.expiresAtMs + PURSE_SETTLEMENT_GRACE_MS
    const reclaim = { kind: 'purse.reclaim', point: POINT, purse: key.publicKey } as const
    // After expiry, within the grace period: still settled (a terminal coming back online).
    expect(settle([voucher(1, 100, 100)], TERMINAL, open.expiresAtMs + HOUR).error).toBeNull()
    expect(at(until - 1, OWNER, reclaim).error).toBe(StateErrorCode.purseNotOver)
    expect(settle([voucher(2, 50, 150)], TERMINAL, until).error).toBeNull()
    expect(settle([voucher(3, 50, 200)], TERMINAL, until + 1).error).toBe(StateErrorCode.purseSettlementOver)
    const balance = q().balance(POINT, OWNER)
    // Anyone may close it once the window is over; the points go to the owner.
    const r = at(until + 1, STRANGER, reclaim)
    expect(r.error).toBeNull()
    expect(r.events).toEqual([
      { type: 'purseClosed', point: POINT, purse: key.publicKey, owner: OWNER, returned: LOCKED - 150 },
    ])
    expect(q().balance(POINT, OWNER)).toBe(balance + LOCKED - 150)
    expect(q().purse(key.publicKey)).toMatchObject({ status: 'closed', returned: LOCKED - 150, spent: 150 })
    expect(q().point(POINT)?.totalLocked).toBe(0)
    expectBooks(chain)
    // Closed for good: no second reclaim, no voucher, and the key never opens another purse.
    expect(at(until + 2, OWNER, reclaim).error).toBe(StateErrorCode.purseClosed)
    expect(settle([voucher(3, 50, 200)]).error).toBe(StateErrorCode.purseClosed)
    expect(chain.run(OWNER, { ...open, expiresAtMs: chain.state.meta.timeMs + 10 * HOUR }).error).toBe(
      StateErrorCode.purseExists,
    )
  })

  it('a fully spent purse closes with nothing to return; an unknown purse is refused', () => {
    const { chain, open, voucher, settle, at, q, key } = world()
    chain.run(OWNER, open)
    settle([voucher(1, LOCKED, LOCKED)])
    const r = at(open.expiresAtMs + PURSE_SETTLEMENT_GRACE_MS + 1, OWNER, {
      kind: 'purse.reclaim',
      point: POINT,
      purse: key.publicKey,
    })
    expect(r.events).toMatchObject([{ type: 'purseClosed', returned: 0 }])
    expect(q().purse(key.publicKey)?.status).toBe('closed')
    const other = { kind: 'purse.reclaim', point: POINT, purse: generateKeyPair().publicKey } as const
    expect(chain.run(OWNER, other).error).toBe(StateErrorCode.unknownPurse)
    expectBooks(chain)
  })

  it('the remainder cannot return to an owner that became a merchant-side key', () => {
    const { chain, open, at, key } = world()
    chain.run(OWNER, { ...open, amount: 1_000 })
    expect(chain.run(OWNER, { kind: 'merchant.apply', point: POINT, name: 'owner shop' }).error).toBeNull()
    const r = at(open.expiresAtMs + PURSE_SETTLEMENT_GRACE_MS + 1, STRANGER, {
      kind: 'purse.reclaim',
      point: POINT,
      purse: key.publicKey,
    })
    expect(r.error).toBe(StateErrorCode.roleConflict)
  })
})

describe('cloned keys', () => {
  it('evidence (anyone): two different vouchers with one counter freeze the purse', () => {
    const { chain, open, voucher, q, key } = world()
    chain.run(OWNER, open)
    const a = voucher(4, 10, 40)
    const b = voucher(4, 10, 40, OTHER)
    const evidence = (first: Voucher, second: Voucher) =>
      chain.run(STRANGER, { kind: 'purse.evidence', point: POINT, first, second })
    expect(evidence(a, a).error).toBe(StateErrorCode.vouchersNotConflicting)
    expect(evidence(a, voucher(5, 10, 40, OTHER)).error).toBe(StateErrorCode.vouchersNotConflicting)
    expect(evidence(a, { ...b, amount: 9 }).error).toBe(StateErrorCode.voucherBadSignature)
    const r = evidence(a, b)
    expect(r.error).toBeNull()
    expect(r.events).toEqual([
      {
        type: 'purseFrozen',
        point: POINT,
        purse: key.publicKey,
        owner: OWNER,
        counter: 4,
        reason: 'counter',
      },
    ])
    expect(q().purse(key.publicKey)).toMatchObject({ status: 'frozen', frozenAtHeight: chain.height })
    expect(evidence(b, a).error).toBe(StateErrorCode.purseFrozen)
    const unknown = generateKeyPair()
    const u = (payee: Bytes) =>
      signVoucher(
        TEST_CHAIN_ID,
        { point: POINT, purse: unknown.publicKey, payee, counter: 1, amount: 1, cumulative: 1 },
        unknown.secretKey,
      )
    expect(evidence(u(TERMINAL), u(OTHER)).error).toBe(StateErrorCode.unknownPurse)
  })

  it('a frozen purse still pays the vouchers terminals took, and still returns its remainder', () => {
    const { chain, open, voucher, settle, at, q, key } = world()
    chain.run(OWNER, open)
    chain.run(STRANGER, {
      kind: 'purse.evidence',
      point: POINT,
      first: voucher(1, 10, 10),
      second: voucher(1, 20, 20),
    })
    expect(settle([voucher(1, 10, 10), voucher(2, 40, 50)]).error).toBeNull()
    expect(q().purse(key.publicKey)).toMatchObject({ status: 'frozen', spent: 50 })
    const r = at(open.expiresAtMs + PURSE_SETTLEMENT_GRACE_MS + 1, OWNER, {
      kind: 'purse.reclaim',
      point: POINT,
      purse: key.publicKey,
    })
    expect(r.events).toMatchObject([{ type: 'purseClosed', returned: LOCKED - 50 }])
    expect(q().purse(key.publicKey)).toMatchObject({ status: 'closed', frozenAtHeight: expect.any(Number) })
    expectBooks(chain)
  })

  it('two vouchers with one counter met at settlement: the purse freezes, both are paid once', () => {
    const { chain, open, voucher, settle, q, key } = world()
    chain.run(OWNER, open)
    const honest = voucher(1, 100, 100)
    const clone = voucher(1, 80, 80, OTHER)
    expect(settle([honest]).error).toBeNull()
    const r = settle([clone], OTHER)
    expect(r.error).toBeNull()
    expect(r.events.map((e) => e.type)).toEqual(['purseFrozen', 'purseVoucher'])
    expect(eventsOf(r, 'purseFrozen')[0]).toMatchObject({ counter: 1, reason: 'counter' })
    expect(eventsOf(r, 'purseVoucher')[0]).toMatchObject({ fromPurse: 80, shortfall: 0 })
    expect(q().purse(key.publicKey)).toMatchObject({ status: 'frozen', spent: 180, vouchers: 2 })
    // Each is still paid at most once.
    expect(settle([clone], OTHER).error).toBe(StateErrorCode.voucherReplayed)
    expect(settle([honest]).error).toBe(StateErrorCode.voucherReplayed)
    expectBooks(chain)
  })

  it('an overdraft is charged to the owner’s free balance as far as it goes; the rest is shortfall', () => {
    const { chain, open, voucher, settle, q, key } = world()
    chain.run(OWNER, open) // OWNER keeps 700 free
    expect(
      chain.run(OWNER, { kind: 'point.transfer', point: POINT, to: STRANGER, amount: 650 }).error,
    ).toBeNull()
    expect(settle([voucher(1, 250, 250)]).error).toBeNull()
    // A cloned key's voucher, valid on its own (running total within the purse), beyond what is left.
    const r = settle([voucher(2, 120, 120, OTHER)], OTHER)
    expect(r.error).toBeNull()
    expect(r.events).toEqual([
      {
        type: 'purseFrozen',
        point: POINT,
        purse: key.publicKey,
        owner: OWNER,
        counter: 2,
        reason: 'overdraft',
      },
      {
        type: 'purseVoucher',
        point: POINT,
        purse: key.publicKey,
        owner: OWNER,
        merchant: OTHER,
        payee: OTHER,
        counter: 2,
        amount: 120,
        fromPurse: 50,
        liabilityCleared: 0,
        toFloat: 50,
        shortfall: 20,
      },
      {
        type: 'pay',
        point: POINT,
        merchant: OTHER,
        payer: OWNER,
        amount: 50,
        liabilityCleared: 0,
        toFloat: 50,
        device: null,
      },
    ])
    expect(q().balance(POINT, OWNER)).toBe(0)
    expect(q().merchant(POINT, OTHER)?.float).toBe(100)
    expect(q().purse(key.publicKey)).toMatchObject({
      status: 'frozen',
      spent: LOCKED,
      charged: 50,
      shortfall: 20,
    })
    expect(q().point(POINT)?.totalLocked).toBe(0)
    expectBooks(chain)
    // Nothing left anywhere: the next cloned voucher is all shortfall, and the purse never pays more.
    const next = settle([voucher(3, 30, 30, OTHER)], OTHER)
    expect(eventsOf(next, 'purseVoucher')[0]).toMatchObject({ fromPurse: 0, shortfall: 30 })
    expect(next.events.map((e) => e.type)).toEqual(['purseVoucher'])
    expect(q().purse(key.publicKey)).toMatchObject({ spent: LOCKED, charged: 50, shortfall: 50 })
    expectBooks(chain)
  })
})

/**
 * OWNER holds 400 that never expire (awarded before the policy), then under a 10-day policy 100
 * expiring at E1 and, two days later, 100 at E2; under a 60-day policy, 100 at E3. 700 in all.
 */
function lotsWorld() {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 10_000, [TERMINAL])
  const award = (amount: number) =>
    chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: OWNER, amount, memo: '' })
  award(400)
  chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 10, atMs: 0 })
  const t1 = chain.state.meta.timeMs + chain.blockMs
  award(100)
  const E1 = expiryAfterDays(t1, 10)
  chain.blockMs = 2 * DAY_MS
  award(100)
  const E2 = expiryAfterDays(chain.state.meta.timeMs, 10)
  chain.blockMs = 1_000
  chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 60, atMs: 0 })
  const t3 = chain.state.meta.timeMs + chain.blockMs
  award(100)
  const E3 = expiryAfterDays(t3, 60)
  const key = generateKeyPair()
  const q = () => createLedgerQuery(chain.state)
  const lotsOf = (l: { lots: readonly { expiresAtMs: number; amount: number }[] }) =>
    l.lots.map((x) => [x.expiresAtMs, x.amount])
  /** Opens the purse: `amount` for `days` (30 by default, past E1 and E2). */
  const open = (amount: number, days = 30, timeMs = chain.state.meta.timeMs + 1_000) =>
    chain.block(
      [
        chain.tx(OWNER, {
          kind: 'purse.open',
          point: POINT,
          purse: key.publicKey,
          amount,
          expiresAtMs: timeMs + days * DAY_MS,
          possessionProof: possession(key),
        }),
      ],
      { timeMs },
    ).receipts[0] as Receipt
  const voucher = (counter: number, amount: number, cumulative: number) =>
    signVoucher(
      TEST_CHAIN_ID,
      { point: POINT, purse: key.publicKey, payee: TERMINAL, counter, amount, cumulative },
      key.secretKey,
    )
  const at = (timeMs: number, signer: Bytes, body: TxBodyOf<'purse.reclaim'> | TxBodyOf<'purse.settle'>) =>
    chain.block([chain.tx(signer, body)], { timeMs }).receipts[0] as Receipt
  expect(E1 < E2 && E2 < E3).toBe(true)
  expect(q().lots(POINT, OWNER)).toMatchObject({ balance: 700, nonExpiring: 400 })
  return { chain, key, q, lotsOf, open, voucher, at, E1, E2, E3 }
}

describe('purses of expiring points (rules "purse lots", "purse expiry cap")', () => {
  it('the lock takes the owner’s lots soonest first, keeps their expiries, and ends at the soonest', () => {
    const { chain, key, q, lotsOf, open, E1, E2, E3 } = lotsWorld()
    const r = open(250)
    expect(r.error).toBeNull()
    // 100 at E1, 100 at E2, 50 of E3: the owner keeps 50 at E3 and the 400 that never expire.
    expect(q().purse(key.publicKey)).toMatchObject({
      locked: 250,
      lots: [
        [E1, 100],
        [E2, 100],
        [E3, 50],
      ],
      nonExpiring: 0,
      expiresAtMs: E1,
      settleUntilMs: E1 + PURSE_SETTLEMENT_GRACE_MS,
    })
    expect(lotsOf(q().lots(POINT, OWNER))).toEqual([[E3, 50]])
    expect(q().lots(POINT, OWNER)).toMatchObject({ balance: 450, nonExpiring: 400 })
    expect(eventsOf(r, 'purseOpened')).toMatchObject([{ amount: 250, expiresAtMs: E1 }])
    expectBooks(chain)
  })

  it('an expiry asked for before the soonest lot is kept; a purse of non-expiring points is not capped', () => {
    const { chain, key, q, open, E1 } = lotsWorld()
    const now = chain.state.meta.timeMs + 1_000
    expect(open(50, 1, now).error).toBeNull()
    expect(q().purse(key.publicKey)?.expiresAtMs).toBe(now + DAY_MS)
    expect(now + DAY_MS).toBeLessThan(E1)
    // A point that never had a policy: no lots, the expiry asked for.
    const w = world()
    w.chain.run(OWNER, w.open)
    expect(w.q().purse(w.key.publicKey)).toMatchObject({
      lots: [],
      nonExpiring: LOCKED,
      expiresAtMs: w.open.expiresAtMs,
    })
  })

  it('points expired before the lock leave first: they are never locked', () => {
    // At E1, 600 may still be spent (and the failed tx's expiry is undone: the block's sweep does it).
    const before = lotsWorld()
    expect(before.open(601, 30, before.E1).error).toBe(StateErrorCode.insufficientBalance)
    const { chain, key, q, open, E1, E2, E3 } = lotsWorld()
    const r = open(200, 30, E1)
    expect(r.error).toBeNull()
    expect(r.events.map((e) => e.type)).toEqual(['expire', 'purseOpened'])
    expect(eventsOf(r, 'expire')).toMatchObject([{ account: OWNER, amount: 100 }])
    expect(q().purse(key.publicKey)).toMatchObject({
      lots: [
        [E2, 100],
        [E3, 100],
      ],
      expiresAtMs: E2,
    })
    expect(q().point(POINT)?.cumExpired).toBe(100)
    expectBooks(chain)
  })

  it('vouchers take the purse’s soonest lot first; the rest returns with its own expiries, what expired burned', () => {
    const { chain, key, q, lotsOf, open, voucher, at, E1, E2, E3 } = lotsWorld()
    open(250)
    expect(
      at(E1 - 1, TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [voucher(1, 120, 120)] }).error,
    ).toBeNull()
    expect(q().purse(key.publicKey)).toMatchObject({
      spent: 120,
      lots: [
        [E2, 80],
        [E3, 50],
      ],
      nonExpiring: 0,
    })
    expectBooks(chain)
    // After the window (past E2 too): 130 go back; the 80 of E2 arrive expired and are burned, the 50
    // of E3 join the owner's own lot at E3. Locking refreshed no expiry.
    const r = at(E1 + PURSE_SETTLEMENT_GRACE_MS + 1, STRANGER, {
      kind: 'purse.reclaim',
      point: POINT,
      purse: key.publicKey,
    })
    expect(r.error).toBeNull()
    expect(r.events.map((e) => e.type)).toEqual(['purseClosed', 'expire'])
    expect(eventsOf(r, 'purseClosed')).toMatchObject([{ returned: 130 }])
    expect(eventsOf(r, 'expire')).toMatchObject([{ account: OWNER, amount: 80 }])
    expect(q().purse(key.publicKey)).toMatchObject({
      status: 'closed',
      returned: 130,
      lots: [],
      nonExpiring: 0,
    })
    expect(lotsOf(q().lots(POINT, OWNER))).toEqual([[E3, 100]])
    expect(q().lots(POINT, OWNER)).toMatchObject({ balance: 500, nonExpiring: 400 })
    expect(q().point(POINT)).toMatchObject({ cumExpired: 80, totalLocked: 0 })
    expectBooks(chain)
  })

  it('non-expiring points in a purse are paid out last and return non-expiring', () => {
    const { chain, key, q, open, voucher, at, E1, E2, E3 } = lotsWorld()
    open(500)
    expect(q().purse(key.publicKey)).toMatchObject({
      lots: [
        [E1, 100],
        [E2, 100],
        [E3, 100],
      ],
      nonExpiring: 200,
    })
    at(E1 - 1, TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [voucher(1, 350, 350)] })
    expect(q().purse(key.publicKey)).toMatchObject({ lots: [], nonExpiring: 150 })
    at(E3, STRANGER, { kind: 'purse.reclaim', point: POINT, purse: key.publicKey })
    expect(q().lots(POINT, OWNER)).toMatchObject({ balance: 350, nonExpiring: 350, lots: [] })
    expectBooks(chain)
  })

  it('an overdraft is charged to what the owner may still spend, soonest lot first', () => {
    const { chain, key, q, open, voucher, at, E1, E2, E3 } = lotsWorld()
    open(150) // 100 at E1, 50 of E2: the owner keeps 50 at E2, 100 at E3 and 400
    at(E1 - 1, TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [voucher(1, 150, 150)] })
    // A cloned key's voucher after E2: the owner's 50 at E2 have expired and pay nothing.
    const clone = signVoucher(
      TEST_CHAIN_ID,
      { point: POINT, purse: key.publicKey, payee: TERMINAL, counter: 2, amount: 150, cumulative: 150 },
      key.secretKey,
    )
    const r = at(E2 + 1, TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [clone] })
    expect(r.error).toBeNull()
    expect(r.events.map((e) => e.type)).toEqual(['purseFrozen', 'expire', 'purseVoucher', 'pay'])
    expect(eventsOf(r, 'expire')).toMatchObject([{ account: OWNER, amount: 50 }])
    expect(eventsOf(r, 'pay')).toMatchObject([{ payer: OWNER, amount: 150 }])
    // The 100 at E3 went first, then 50 of the part that never expires.
    expect(q().lots(POINT, OWNER)).toMatchObject({ balance: 350, nonExpiring: 350, lots: [] })
    expect(q().purse(key.publicKey)).toMatchObject({ charged: 150, shortfall: 0, status: 'frozen' })
    expect(E3).toBeGreaterThan(E2)
    expectBooks(chain)
  })
})
