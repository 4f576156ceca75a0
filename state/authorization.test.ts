/**
 * The authorization table: who may do what. Each row runs the action once by an actor allowed to and
 * once by each actor that is not, on a fresh chain, asserting success and the exact failure code.
 */
import { describe, expect, it } from 'vitest'
import type { Bytes } from '../protocol/bytes.ts'
import { generateKeyPair, sign } from '../protocol/crypto.ts'
import { devicePossessionSignBytes } from '../protocol/sign-bytes.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import { StateErrorCode } from './errors.ts'
import {
  ADMIN,
  account,
  ISSUER,
  POINT,
  setupMerchant,
  setupPoint,
  TEST_CHAIN_ID,
  TestChain,
} from './test-kit.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const OTHER_MERCHANT = account(110)
const OTHER_TERMINAL = account(111)
const CUSTOMER = account(200)
const APPLICANT = account(130)
const OTHER_ISSUER = account(5)
const device = generateKeyPair()
const DEVICE = device.publicKey

const actors: Record<string, Bytes> = {
  admin: ADMIN,
  manager: ISSUER,
  otherIssuer: OTHER_ISSUER,
  merchant: MERCHANT,
  terminal: TERMINAL,
  otherMerchant: OTHER_MERCHANT,
  otherTerminal: OTHER_TERMINAL,
  customer: CUSTOMER,
  device: DEVICE,
  applicant: APPLICANT,
}

function world(): TestChain {
  const chain = new TestChain()
  chain.selfSponsored.add(Buffer.from(OTHER_ISSUER).toString('hex'))
  chain.run(ADMIN, { kind: 'role.grant', account: OTHER_ISSUER, role: 'issuer' })
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000, [TERMINAL])
  setupMerchant(chain, OTHER_MERCHANT, 1_000, [OTHER_TERMINAL])
  chain.run(APPLICANT, { kind: 'merchant.apply', point: POINT, name: 'applicant' })
  chain.run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: CUSTOMER, amount: 100, memo: '' })
  const proof = sign(devicePossessionSignBytes(TEST_CHAIN_ID, CUSTOMER, DEVICE), device.secretKey)
  const r = chain.run(CUSTOMER, {
    kind: 'device.bind',
    device: DEVICE,
    point: POINT,
    maxPerTx: 10,
    maxPerPeriod: 100,
    periodMs: 86_400_000,
    merchants: [],
    possessionProof: proof,
  })
  expect(r.error).toBeNull()
  return chain
}

interface Row {
  readonly action: string
  readonly body: TxBody
  readonly allowed: readonly string[]
  readonly denied: Readonly<Record<string, string>>
}

const P = POINT
const rows: Row[] = [
  {
    action: 'role.grant',
    body: { kind: 'role.grant', account: CUSTOMER, role: 'issuer' },
    allowed: ['admin'],
    denied: { manager: StateErrorCode.notAdmin },
  },
  {
    action: 'staking.registerAssociation',
    body: {
      kind: 'staking.registerAssociation',
      association: account(50),
      name: 'a',
      nodeKey: account(51),
      p2p: null,
      rpc: null,
    },
    allowed: ['admin'],
    denied: { manager: StateErrorCode.notAdmin },
  },
  {
    action: 'point.create',
    body: { kind: 'point.create', point: 'NEW', name: 'n', decimals: 2, transferable: true },
    allowed: ['manager', 'otherIssuer'],
    denied: { admin: StateErrorCode.notIssuer },
  },
  {
    action: 'merchant.admit (Region Token bug regression)',
    body: { kind: 'merchant.admit', point: P, merchant: APPLICANT, creditLimit: 1_000_000 },
    allowed: ['manager'],
    denied: {
      applicant: StateErrorCode.notManager,
      customer: StateErrorCode.notManager,
      otherIssuer: StateErrorCode.notManager,
      admin: StateErrorCode.notManager,
    },
  },
  {
    action: 'merchant.setLimit',
    body: { kind: 'merchant.setLimit', point: P, merchant: MERCHANT, creditLimit: 5_000 },
    allowed: ['manager'],
    denied: { merchant: StateErrorCode.notManager, terminal: StateErrorCode.notManager },
  },
  {
    action: 'merchant.suspend',
    body: { kind: 'merchant.suspend', point: P, merchant: MERCHANT },
    allowed: ['manager'],
    denied: { merchant: StateErrorCode.notManager, otherIssuer: StateErrorCode.notManager },
  },
  {
    action: 'merchant.revoke',
    body: { kind: 'merchant.revoke', point: P, merchant: MERCHANT },
    allowed: ['manager'],
    denied: { otherMerchant: StateErrorCode.notManager },
  },
  {
    action: 'merchant.repay',
    body: { kind: 'merchant.repay', point: P, merchant: MERCHANT, amount: 10, fiatRef: 'ref' },
    allowed: ['manager'],
    denied: { merchant: StateErrorCode.notManager, customer: StateErrorCode.notManager },
  },
  {
    action: 'merchant.addTerminal',
    body: { kind: 'merchant.addTerminal', point: P, terminal: account(120) },
    allowed: ['merchant', 'otherMerchant'],
    denied: {
      terminal: StateErrorCode.notMerchant,
      manager: StateErrorCode.notMerchant,
      customer: StateErrorCode.notMerchant,
    },
  },
  {
    action: 'merchant.removeTerminal',
    body: { kind: 'merchant.removeTerminal', point: P, terminal: TERMINAL },
    allowed: ['merchant'],
    denied: { otherMerchant: StateErrorCode.unknownTerminal, terminal: StateErrorCode.notMerchant },
  },
  {
    action: 'merchant.award',
    body: { kind: 'merchant.award', point: P, customer: CUSTOMER, amount: 5, memo: '' },
    allowed: ['terminal', 'merchant', 'otherTerminal'],
    denied: { customer: StateErrorCode.notTerminal, manager: StateErrorCode.notTerminal },
  },
  {
    action: 'merchant.pay',
    body: { kind: 'merchant.pay', point: P, payee: TERMINAL, amount: 5, memo: '' },
    allowed: ['customer'],
    denied: { otherTerminal: StateErrorCode.roleConflict, merchant: StateErrorCode.roleConflict },
  },
  {
    action: 'merchant.redeem',
    body: { kind: 'merchant.redeem', point: P, amount: 1, fiatRef: '' },
    allowed: [],
    denied: { terminal: StateErrorCode.notMerchant, customer: StateErrorCode.notMerchant },
  },
  {
    action: 'traffic.setRules',
    body: {
      kind: 'traffic.setRules',
      point: P,
      confirmed: { visit: 1, view: 1, click: 1, purchase: 1, purchasePerMille: 10 },
      unconfirmed: { visit: 0, view: 0, click: 0, purchase: 1, purchasePerMille: 5 },
      dailyCapPerCustomer: 100,
    },
    allowed: ['manager'],
    denied: { merchant: StateErrorCode.notManager, admin: StateErrorCode.notManager },
  },
  {
    action: 'traffic.anchor',
    body: { kind: 'traffic.anchor', point: P, root: account(77), count: 3, periodStartMs: 0, periodEndMs: 1 },
    allowed: ['terminal', 'merchant'],
    denied: { customer: StateErrorCode.notTerminal },
  },
  {
    action: 'sponsor.grant',
    body: {
      kind: 'sponsor.grant',
      point: P,
      grantee: CUSTOMER,
      txsPerPeriod: 5,
      periodMs: 1_000,
      expiresAtHeight: 0,
      kinds: [],
    },
    allowed: ['manager'],
    denied: { admin: StateErrorCode.notManager, merchant: StateErrorCode.notManager },
  },
  {
    action: 'device.pay',
    body: { kind: 'device.pay', owner: CUSTOMER, point: P, payee: TERMINAL, amount: 5, memo: '' },
    allowed: ['device'],
    denied: { customer: StateErrorCode.unknownDevice },
  },
  {
    action: 'device.revoke',
    body: { kind: 'device.revoke', device: DEVICE },
    allowed: ['customer'],
    denied: { device: StateErrorCode.notOwner, manager: StateErrorCode.notOwner },
  },
]

describe('authorization table', () => {
  for (const row of rows) {
    for (const who of row.allowed) {
      it(`${row.action}: ${who} may`, () => {
        const chain = world()
        const r = chain.run(actors[who] as Bytes, row.body)
        expect(r.error).toBeNull()
      })
    }
    for (const [who, code] of Object.entries(row.denied)) {
      it(`${row.action}: ${who} may not`, () => {
        const chain = world()
        const r = chain.run(actors[who] as Bytes, row.body)
        expect(r.error).toBe(code)
      })
    }
  }

  it('merchant.redeem: the merchant may (with float)', () => {
    const chain = world()
    chain.run(ISSUER, { kind: 'merchant.repay', point: P, merchant: MERCHANT, amount: 1_000, fiatRef: 'f' })
    expect(
      chain.run(MERCHANT, { kind: 'merchant.redeem', point: P, amount: 1, fiatRef: '' }).error,
    ).toBeNull()
  })

  it('a terminal acts only for its own merchant: its award is charged to its merchant', () => {
    const chain = world()
    const r = chain.run(OTHER_TERMINAL, {
      kind: 'merchant.award',
      point: P,
      customer: CUSTOMER,
      amount: 5,
      memo: '',
    })
    const event = r.events[0] as { merchant: Uint8Array }
    expect(Buffer.from(event.merchant).equals(Buffer.from(OTHER_MERCHANT))).toBe(true)
  })
})
