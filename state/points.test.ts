import { describe, expect, it } from 'vitest'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery } from './query.ts'
import { ADMIN, account, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const ALICE = account(200)
const BOB = account(201)
const CAROL = account(202)

function funded(transferable = true): TestChain {
  const chain = new TestChain()
  setupPoint(chain, POINT, transferable)
  setupMerchant(chain, MERCHANT, 1_000)
  chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 100, memo: '' })
  return chain
}

describe('points: ERC-20 parity', () => {
  it('creates a point once, with its manager and metadata', () => {
    const chain = new TestChain()
    const body = {
      kind: 'point.create',
      point: POINT,
      name: 'Street',
      decimals: 2,
      transferable: false,
    } as const
    expect(chain.run(ISSUER, body).error).toBeNull()
    expect(chain.run(ISSUER, body).error).toBe(StateErrorCode.pointExists)
    expect(chain.run(ISSUER, { ...body, point: 'BIG', decimals: 19 }).error).toBe(StateErrorCode.invalidParam)
    expect(createLedgerQuery(chain.state).point(POINT)).toMatchObject({
      name: 'Street',
      decimals: 2,
      totalSupply: 0,
    })
  })

  it('transfer moves balances and keeps the supply; balance boundaries', () => {
    const chain = funded()
    const q = () => createLedgerQuery(chain.state)
    expect(chain.run(ALICE, { kind: 'point.transfer', point: POINT, to: BOB, amount: 101 }).error).toBe(
      StateErrorCode.insufficientBalance,
    )
    expect(chain.run(ALICE, { kind: 'point.transfer', point: POINT, to: BOB, amount: 100 }).error).toBeNull()
    expect([q().balance(POINT, ALICE), q().balance(POINT, BOB), q().point(POINT)?.totalSupply]).toEqual([
      0, 100, 100,
    ])
    expect(chain.run(BOB, { kind: 'point.transfer', point: POINT, to: BOB, amount: 1 }).error).toBe(
      StateErrorCode.selfTransfer,
    )
    expect(chain.run(BOB, { kind: 'point.transfer', point: POINT, to: ALICE, amount: 0 }).error).toBe(
      StateErrorCode.zeroAmount,
    )
    expect(
      chain.run(BOB, { kind: 'point.transfer', point: 'NONE', to: ALICE, amount: 1 }, { sponsor: BOB }).error,
    ).toBe(StateErrorCode.sponsorNotAllowed)
  })

  it('a transfer to a merchant is refused (pay it with merchant.pay)', () => {
    const chain = funded()
    expect(chain.run(ALICE, { kind: 'point.transfer', point: POINT, to: MERCHANT, amount: 1 }).error).toBe(
      StateErrorCode.roleConflict,
    )
  })

  it('approve, allowance and transferFrom', () => {
    const chain = funded()
    const q = () => createLedgerQuery(chain.state)
    chain.run(ALICE, { kind: 'point.approve', point: POINT, spender: BOB, amount: 30 })
    expect(q().allowance(POINT, ALICE, BOB)).toBe(30)
    const from = (amount: number) =>
      ({ kind: 'point.transferFrom', point: POINT, from: ALICE, to: CAROL, amount }) as const
    expect(chain.run(BOB, from(31)).error).toBe(StateErrorCode.insufficientAllowance)
    expect(chain.run(CAROL, from(1)).error).toBe(StateErrorCode.insufficientAllowance)
    const r = chain.run(BOB, from(30))
    expect(r.error).toBeNull()
    expect(r.events[0]).toMatchObject({ type: 'transfer', amount: 30 })
    expect([q().allowance(POINT, ALICE, BOB), q().balance(POINT, CAROL), q().balance(POINT, ALICE)]).toEqual([
      0, 30, 70,
    ])
    // Allowance above the balance: the balance check still applies.
    chain.run(ALICE, { kind: 'point.approve', point: POINT, spender: BOB, amount: 1_000 })
    expect(chain.run(BOB, from(71)).error).toBe(StateErrorCode.insufficientBalance)
    expect(q().allowance(POINT, ALICE, BOB)).toBe(1_000)
  })

  it('a non-transferable point refuses customer↔customer moves but still pays merchants', () => {
    const chain = funded(false)
    expect(chain.run(ALICE, { kind: 'point.transfer', point: POINT, to: BOB, amount: 1 }).error).toBe(
      StateErrorCode.notTransferable,
    )
    chain.run(ALICE, { kind: 'point.approve', point: POINT, spender: BOB, amount: 5 })
    expect(
      chain.run(BOB, { kind: 'point.transferFrom', point: POINT, from: ALICE, to: BOB, amount: 1 }).error,
    ).toBe(StateErrorCode.notTransferable)
    expect(
      chain.run(ALICE, { kind: 'merchant.pay', point: POINT, payee: MERCHANT, amount: 1, memo: '' }).error,
    ).toBeNull()
  })

  it('roles: admin grants and revokes; cannot drop its own admin role', () => {
    const chain = new TestChain()
    expect(chain.run(ADMIN, { kind: 'role.grant', account: ALICE, role: 'issuer' }).error).toBeNull()
    expect(createLedgerQuery(chain.state).roles(ALICE)).toEqual({ admin: false, issuer: true })
    expect(chain.run(ADMIN, { kind: 'role.revoke', account: ALICE, role: 'issuer' }).error).toBeNull()
    expect(createLedgerQuery(chain.state).roles(ALICE)).toEqual({ admin: false, issuer: false })
    expect(chain.run(ADMIN, { kind: 'role.revoke', account: ADMIN, role: 'admin' }).error).toBe(
      StateErrorCode.invalidParam,
    )
  })

  it('amounts near 2^53 overflow with a typed error instead of losing precision', () => {
    const chain = new TestChain()
    setupPoint(chain)
    setupMerchant(chain, MERCHANT, Number.MAX_SAFE_INTEGER)
    const award = (amount: number) =>
      ({ kind: 'merchant.award', point: POINT, customer: ALICE, amount, memo: '' }) as const
    expect(chain.run(MERCHANT, award(Number.MAX_SAFE_INTEGER)).error).toBeNull()
    expect(
      chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: MERCHANT,
        amount: Number.MAX_SAFE_INTEGER,
        fiatRef: 'r',
      }).error,
    ).toBeNull()
    expect(chain.run(MERCHANT, award(1)).error).toBe(StateErrorCode.amountOverflow)
  })
})
