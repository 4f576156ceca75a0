import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { verifyStateProof } from '../protocol/state-proof.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery, recordKey } from './query.ts'
import { uintCodec } from './records.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TestChain, testGenesis } from './test-kit.ts'

const MERCHANT = account(100)
const ALICE = account(200)
const BOB = account(201)

describe('LedgerQuery', () => {
  it('proves a balance against the state root; a wrong value or absent key does not verify', () => {
    const chain = new TestChain()
    setupPoint(chain)
    setupMerchant(chain, MERCHANT, 100)
    chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 42, memo: '' })
    const q = createLedgerQuery(chain.state)
    const key = recordKey.balance(POINT, ALICE)
    const { value, proof } = q.prove(key)
    expect(value).not.toBeNull()
    expect(uintCodec.decode(value as Uint8Array)).toBe(42)
    expect(verifyStateProof(q.stateRoot, key, value, proof)).toBe(true)
    expect(verifyStateProof(q.stateRoot, key, uintCodec.encode(43), proof)).toBe(false)
    const absent = q.prove(recordKey.balance(POINT, BOB))
    expect(absent.value).toBeNull()
    expect(verifyStateProof(q.stateRoot, recordKey.balance(POINT, BOB), null, absent.proof)).toBe(true)
    expect(toHex(q.stateRoot)).toBe(toHex(chain.last?.stateRoot as Uint8Array))
  })

  it('lists grants, tracks direct grants, and a revoked direct grant stops paying at once', () => {
    const chain = new TestChain()
    setupPoint(chain)
    const grant = {
      kind: 'sponsor.grant',
      point: POINT,
      grantee: ALICE,
      txsPerPeriod: 100,
      periodMs: 1_000,
      expiresAtHeight: 0,
      kinds: ['point.approve'],
    } as const
    chain.run(ISSUER, { kind: 'sponsor.revoke', point: POINT, grantee: null })
    expect(chain.run(ISSUER, grant).error).toBeNull()
    const approve = { kind: 'point.approve', point: POINT, spender: BOB, amount: 1 } as const
    expect(chain.run(ALICE, approve).error).toBeNull()
    expect(createLedgerQuery(chain.state).point(POINT)?.directGrants).toBe(1)
    expect(chain.run(ISSUER, { kind: 'sponsor.revoke', point: POINT, grantee: ALICE }).error).toBeNull()
    expect(chain.run(ALICE, approve).error).toBe(StateErrorCode.noQuota)
    expect(chain.run(ISSUER, { kind: 'sponsor.revoke', point: POINT, grantee: ALICE }).error).toBe(
      StateErrorCode.unknownGrant,
    )
    expect(chain.run(ISSUER, grant).error).toBeNull()
    expect(chain.run(ALICE, approve).error).toBeNull()
    const q = createLedgerQuery(chain.state)
    expect(q.point(POINT)?.directGrants).toBe(1)
    expect(q.grants(POINT).map((g) => [g.grantee === null ? null : toHex(g.grantee), g.revoked])).toEqual([
      [null, true],
      [toHex(ALICE), false],
    ])
  })

  it('reports observers, validators and chain parameters', () => {
    const chain = new TestChain(testGenesis({ observers: [{ nodeKey: account(77), name: 'regulator' }] }))
    const q = createLedgerQuery(chain.state)
    expect(q.observers().map((o) => [toHex(o.nodeKey), o.name])).toEqual([[toHex(account(77)), 'regulator']])
    expect(q.validators()).toHaveLength(1)
    expect(q.params.epochLength).toBe(10)
    expect(q.height).toBe(0)
    expect(q.jstDay(0)).toBe(0)
    expect(q.jstDay(15 * 3_600_000)).toBe(1)
  })
})
