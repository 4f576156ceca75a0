import { describe, expect, it } from 'vitest'
import type { Bytes } from '../protocol/bytes.ts'
import { generateKeyPair, sign } from '../protocol/crypto.ts'
import { devicePossessionSignBytes } from '../protocol/sign-bytes.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery } from './query.ts'
import { account, POINT, setupMerchant, setupPoint, TEST_CHAIN_ID, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const OTHER = account(110)
const OWNER = account(200)
const DAY = 86_400_000

function world(merchants: Bytes[] = []) {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000)
  setupMerchant(chain, OTHER, 1_000)
  chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: OWNER, amount: 500, memo: '' })
  const device = generateKeyPair()
  const proof = sign(devicePossessionSignBytes(TEST_CHAIN_ID, OWNER, device.publicKey), device.secretKey)
  const bind = {
    kind: 'device.bind',
    device: device.publicKey,
    point: POINT,
    maxPerTx: 10,
    maxPerPeriod: 25,
    periodMs: DAY,
    merchants,
    possessionProof: proof,
  } as const
  const pay = (amount: number, payee = MERCHANT) =>
    chain.run(device.publicKey, { kind: 'device.pay', owner: OWNER, point: POINT, payee, amount, memo: '' })
  return { chain, device, bind, pay, q: () => createLedgerQuery(chain.state) }
}

describe('devices', () => {
  it('binding needs the device’s possession proof over this owner and chain', () => {
    const { chain, device, bind } = world()
    const wrongOwner = sign(
      devicePossessionSignBytes(TEST_CHAIN_ID, OTHER, device.publicKey),
      device.secretKey,
    )
    const wrongChain = sign(
      devicePossessionSignBytes('other-chain', OWNER, device.publicKey),
      device.secretKey,
    )
    expect(chain.run(OWNER, { ...bind, possessionProof: wrongOwner }).error).toBe(
      StateErrorCode.badPossessionProof,
    )
    expect(chain.run(OWNER, { ...bind, possessionProof: wrongChain }).error).toBe(
      StateErrorCode.badPossessionProof,
    )
    expect(chain.run(OWNER, bind).error).toBeNull()
    expect(chain.run(OWNER, bind).error).toBe(StateErrorCode.deviceExists)
  })

  it('pays on the owner’s behalf within per-tx and per-period limits (block time)', () => {
    const { chain, bind, pay, q } = world()
    chain.run(OWNER, bind)
    expect(pay(11).error).toBe(StateErrorCode.deviceLimitExceeded)
    const ok = pay(10)
    expect(ok.error).toBeNull()
    expect(ok.events[0]).toMatchObject({ type: 'pay', amount: 10 })
    expect(q().balance(POINT, OWNER)).toBe(490)
    expect(pay(10).error).toBeNull()
    expect(pay(6).error).toBe(StateErrorCode.deviceLimitExceeded)
    expect(pay(5).error).toBeNull() // exactly 25 this period
    // Next period (by block time): the allowance is back.
    const period = Math.floor(chain.state.meta.timeMs / DAY)
    chain.blockMs = 0
    chain.block([], { timeMs: (period + 1) * DAY - 1 })
    expect(pay(1).error).toBe(StateErrorCode.deviceLimitExceeded)
    chain.block([], { timeMs: (period + 1) * DAY })
    expect(pay(10).error).toBeNull()
  })

  it('respects the merchant allow-list and the owner field', () => {
    const { chain, bind, pay, device } = world([OTHER])
    chain.run(OWNER, bind)
    expect(pay(1, MERCHANT).error).toBe(StateErrorCode.merchantNotAllowed)
    expect(pay(1, OTHER).error).toBeNull()
    const wrongOwner = chain.run(device.publicKey, {
      kind: 'device.pay',
      owner: OTHER,
      point: POINT,
      payee: OTHER,
      amount: 1,
      memo: '',
    })
    expect(wrongOwner.error).toBe(StateErrorCode.notOwner)
  })

  it('revocation is immediate, even later in the same block', () => {
    const { chain, bind, device, q } = world()
    chain.run(OWNER, bind)
    const payTx = chain.tx(device.publicKey, {
      kind: 'device.pay',
      owner: OWNER,
      point: POINT,
      payee: MERCHANT,
      amount: 1,
      memo: '',
    })
    const revoke = chain.tx(OWNER, { kind: 'device.revoke', device: device.publicKey })
    expect(chain.block([revoke, payTx]).receipts.map((r) => r.error)).toEqual([
      null,
      StateErrorCode.unknownDevice,
    ])
    expect(q().devicesOf(OWNER)).toEqual([])
    // And it can be bound again.
    expect(chain.run(OWNER, bind).error).toBeNull()
  })
})
