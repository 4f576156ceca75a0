import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery } from './query.ts'
import type { Receipt } from './receipt.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const ALICE = account(200)
const OTHER = account(102)
const hexes = (list: readonly Uint8Array[] | undefined) => (list ?? []).map(toHex)

function ok(r: Receipt): Receipt {
  expect(r.error).toBeNull()
  expect(r.status).toBe('ok')
  return r
}
function failsWith(r: Receipt, code: string): void {
  expect(r.status).toBe('failed')
  expect(r.error).toBe(code)
  expect(r.events).toEqual([])
}

/** A merchant with `float` prefunded and `creditLimit`, one terminal, ALICE a customer. */
function setup(float: number, creditLimit: number) {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, creditLimit, [TERMINAL])
  if (float > 0)
    ok(
      chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: MERCHANT,
        amount: float,
        fiatRef: 'prefund',
      }),
    )
  const q = () => createLedgerQuery(chain.state)
  const m = () => q().merchant(POINT, MERCHANT)
  return { chain, q, m }
}

const award = (amount: number) =>
  ({ kind: 'merchant.award', point: POINT, customer: ALICE, amount, memo: '' }) as const
const pay = (amount: number) =>
  ({ kind: 'merchant.pay', point: POINT, payee: TERMINAL, amount, memo: '' }) as const

describe('award: float first, then credit', () => {
  it('amount = float: all from the float, no credit', () => {
    const { chain, m, q } = setup(50, 100)
    const r = ok(chain.run(TERMINAL, award(50)))
    expect(r.events[0]).toMatchObject({ type: 'award', fromFloat: 50, onCredit: 0, amount: 50 })
    expect(m()).toMatchObject({ float: 0, liability: 0 })
    expect(q().balance(POINT, ALICE)).toBe(50)
  })
  it('amount = float + 1: the float and one point on credit', () => {
    const { chain, m, q } = setup(50, 100)
    const r = ok(chain.run(TERMINAL, award(51)))
    expect(r.events[0]).toMatchObject({ fromFloat: 50, onCredit: 1 })
    expect(m()).toMatchObject({ float: 0, liability: 1 })
    expect(q().point(POINT)).toMatchObject({ totalSupply: 51, totalLiability: 1 })
  })
  it('amount = float + remaining credit: liability reaches the limit exactly', () => {
    const { chain, m } = setup(50, 100)
    ok(chain.run(TERMINAL, award(150)))
    expect(m()).toMatchObject({ float: 0, liability: 100 })
  })
  it('amount = float + remaining credit + 1: rejected, nothing changes', () => {
    const { chain, m, q } = setup(50, 100)
    const before = chain.state.map.root
    failsWith(chain.run(TERMINAL, award(151)), StateErrorCode.creditLimitExceeded)
    expect(m()).toMatchObject({ float: 50, liability: 0 })
    expect(q().balance(POINT, ALICE)).toBe(0)
    // Only meta (height/time) and the quota counter changed.
    expect(chain.state.map.root).not.toEqual(before)
  })
  it('with liability already owed, the remaining credit is limit − liability', () => {
    const { chain, m } = setup(0, 100)
    ok(chain.run(TERMINAL, award(60)))
    ok(chain.run(TERMINAL, award(40)))
    failsWith(chain.run(TERMINAL, award(1)), StateErrorCode.creditLimitExceeded)
    expect(m()).toMatchObject({ liability: 100 })
  })
  it('the merchant itself may award; zero is rejected', () => {
    const { chain } = setup(10, 0)
    ok(chain.run(MERCHANT, award(10)))
    failsWith(chain.run(MERCHANT, award(0)), StateErrorCode.zeroAmount)
  })
})

describe('pay: clears liability first, surplus to float', () => {
  function owing(liability: number) {
    const s = setup(0, 1_000)
    ok(s.chain.run(TERMINAL, award(liability)))
    // A second, prefunded merchant gives ALICE more points to spend.
    setupMerchant(s.chain, OTHER, 0)
    ok(
      s.chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: OTHER,
        amount: 1000,
        fiatRef: 'p',
      }),
    )
    ok(s.chain.run(OTHER, award(1000)))
    return s
  }
  it('amount < liability: burns it all against the liability', () => {
    const { chain, m, q } = owing(300)
    const supply = q().point(POINT)?.totalSupply as number
    const r = ok(chain.run(ALICE, pay(100)))
    expect(r.events[0]).toMatchObject({ type: 'pay', liabilityCleared: 100, toFloat: 0 })
    expect(m()).toMatchObject({ liability: 200, float: 0 })
    expect(q().point(POINT)?.totalSupply).toBe(supply - 100)
  })
  it('amount = liability: clears it exactly', () => {
    const { chain, m } = owing(300)
    ok(chain.run(ALICE, pay(300)))
    expect(m()).toMatchObject({ liability: 0, float: 0 })
  })
  it('amount = liability + 1: one point to the float', () => {
    const { chain, m } = owing(300)
    const r = ok(chain.run(ALICE, pay(301)))
    expect(r.events[0]).toMatchObject({ liabilityCleared: 300, toFloat: 1 })
    expect(m()).toMatchObject({ liability: 0, float: 1 })
  })
  it('paying more than the balance fails; paying the merchant address works too', () => {
    const { chain, q } = owing(300)
    failsWith(chain.run(ALICE, pay(1301)), StateErrorCode.insufficientBalance)
    ok(chain.run(ALICE, { ...pay(5), payee: MERCHANT }))
    expect(q().balance(POINT, ALICE)).toBe(1295)
  })
})

describe('repay and redeem', () => {
  it('repay = liability clears it; repay = liability + 1 prefunds one point', () => {
    const { chain, m, q } = setup(0, 100)
    ok(chain.run(TERMINAL, award(40)))
    const r1 = ok(
      chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: MERCHANT,
        amount: 40,
        fiatRef: 'r1',
      }),
    )
    expect(r1.events[0]).toMatchObject({ type: 'repay', liabilityCleared: 40, toFloat: 0 })
    expect(m()).toMatchObject({ liability: 0, float: 0 })
    ok(chain.run(TERMINAL, award(40)))
    const r2 = ok(
      chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: MERCHANT,
        amount: 41,
        fiatRef: 'r2',
      }),
    )
    expect(r2.events[0]).toMatchObject({ liabilityCleared: 40, toFloat: 1 })
    expect(m()).toMatchObject({ liability: 0, float: 1 })
    expect(q().point(POINT)).toMatchObject({ cumRepaid: 81, totalSupply: 81, totalLiability: 0 })
  })
  it('redeem = float empties it; float + 1 fails', () => {
    const { chain, m, q } = setup(30, 0)
    failsWith(
      chain.run(MERCHANT, { kind: 'merchant.redeem', point: POINT, amount: 31, fiatRef: '' }),
      StateErrorCode.insufficientFloat,
    )
    ok(chain.run(MERCHANT, { kind: 'merchant.redeem', point: POINT, amount: 30, fiatRef: 'x' }))
    expect(m()).toMatchObject({ float: 0 })
    expect(q().point(POINT)).toMatchObject({ totalSupply: 0, cumRedeemed: 30 })
  })
  it('a terminal cannot redeem; suspended merchants can still repay and redeem', () => {
    const { chain } = setup(30, 0)
    failsWith(
      chain.run(TERMINAL, { kind: 'merchant.redeem', point: POINT, amount: 1, fiatRef: '' }),
      StateErrorCode.notMerchant,
    )
    ok(chain.run(ISSUER, { kind: 'merchant.suspend', point: POINT, merchant: MERCHANT }))
    ok(chain.run(MERCHANT, { kind: 'merchant.redeem', point: POINT, amount: 1, fiatRef: '' }))
    ok(
      chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: MERCHANT,
        amount: 1,
        fiatRef: 'r',
      }),
    )
  })
})

describe('credit limit changes', () => {
  it('limit = liability is accepted; liability − 1 is rejected; further credit is then blocked', () => {
    const { chain, m } = setup(0, 100)
    ok(chain.run(TERMINAL, award(60)))
    const setLimit = (creditLimit: number) =>
      chain.run(ISSUER, { kind: 'merchant.setLimit', point: POINT, merchant: MERCHANT, creditLimit })
    failsWith(setLimit(59), StateErrorCode.limitBelowLiability)
    ok(setLimit(60))
    expect(m()).toMatchObject({ creditLimit: 60, liability: 60 })
    failsWith(chain.run(TERMINAL, award(1)), StateErrorCode.creditLimitExceeded)
  })
})

describe('status and terminals', () => {
  it('a suspended merchant neither awards nor receives payments; reinstated it does', () => {
    const { chain } = setup(10, 100)
    ok(chain.run(TERMINAL, award(5)))
    ok(chain.run(ISSUER, { kind: 'merchant.suspend', point: POINT, merchant: MERCHANT }))
    failsWith(chain.run(TERMINAL, award(1)), StateErrorCode.merchantNotActive)
    failsWith(chain.run(ALICE, pay(1)), StateErrorCode.merchantNotActive)
    ok(chain.run(ISSUER, { kind: 'merchant.reinstate', point: POINT, merchant: MERCHANT }))
    ok(chain.run(ALICE, pay(1)))
  })
  it('a removed terminal loses its powers and its key can be added again', () => {
    const { chain, q } = setup(10, 100)
    ok(chain.run(MERCHANT, { kind: 'merchant.removeTerminal', point: POINT, terminal: TERMINAL }))
    failsWith(chain.run(TERMINAL, award(1)), StateErrorCode.notTerminal)
    expect(q().terminalOf(POINT, TERMINAL)).toBeNull()
    ok(chain.run(MERCHANT, { kind: 'merchant.addTerminal', point: POINT, terminal: TERMINAL }))
    ok(chain.run(TERMINAL, award(1)))
    expect(hexes(q().merchant(POINT, MERCHANT)?.terminals)).toEqual(hexes([TERMINAL]))
  })
  it('a terminal key cannot be a customer, and a customer with a balance cannot become a terminal', () => {
    const { chain } = setup(10, 100)
    failsWith(chain.run(TERMINAL, { ...award(1), customer: TERMINAL }), StateErrorCode.roleConflict)
    ok(chain.run(TERMINAL, award(1)))
    failsWith(
      chain.run(MERCHANT, { kind: 'merchant.addTerminal', point: POINT, terminal: ALICE }),
      StateErrorCode.roleConflict,
    )
  })
  it('revoking frees the terminal keys and keeps the debt on record', () => {
    const { chain, q } = setup(0, 100)
    ok(chain.run(TERMINAL, award(7)))
    ok(chain.run(ISSUER, { kind: 'merchant.revoke', point: POINT, merchant: MERCHANT }))
    expect(q().merchant(POINT, MERCHANT)).toMatchObject({ status: 'revoked', liability: 7, terminals: [] })
    expect(q().terminalOf(POINT, TERMINAL)).toBeNull()
    failsWith(
      chain.run(ISSUER, { kind: 'merchant.reinstate', point: POINT, merchant: MERCHANT }),
      StateErrorCode.badMerchantStatus,
    )
    ok(
      chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: MERCHANT,
        amount: 7,
        fiatRef: 'r',
      }),
    )
  })
  it('merchants of a point are listed in application order', () => {
    const { chain, q } = setup(0, 0)
    setupMerchant(chain, OTHER, 5)
    expect(
      hexes(
        q()
          .merchants(POINT)
          .map((m) => m.address),
      ),
    ).toEqual(hexes([MERCHANT, OTHER]))
  })
})
