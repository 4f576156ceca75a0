import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { electValidators } from '../protocol/election.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery } from './query.ts'
import { ADMIN, ASSOCIATION, account, NODE_KEY, TestChain, testGenesis } from './test-kit.ts'

const MEMBER = account(300)
const ASSOC_B = account(301)
const NODE_B = account(302)

function chainWithMember(params = {}) {
  const chain = new TestChain(
    testGenesis(
      {
        accounts: [
          { address: ADMIN, roles: ['admin'], stake: 0 },
          { address: MEMBER, roles: [], stake: 5_000 },
        ],
      },
      { minValidatorStake: 100, ...params },
    ),
  )
  chain.run(ADMIN, {
    kind: 'staking.registerAssociation',
    association: ASSOC_B,
    name: 'b',
    nodeKey: NODE_B,
    p2p: null,
    rpc: null,
  })
  return chain
}
const powers = (chain: TestChain) =>
  chain.last?.nextValidatorSet.validators.map((v) => [toHex(v.publicKey), v.power]) ?? []

describe('staking', () => {
  it('delegation changes the set only at the epoch boundary', () => {
    const chain = chainWithMember()
    expect(
      chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 2_000 }).error,
    ).toBeNull()
    expect(chain.last?.validatorSetChanged).toBe(false)
    while (chain.height < 9) chain.block([])
    const boundary = chain.block([])
    expect(boundary.validatorSetChanged).toBe(true)
    expect(powers(chain)).toEqual(
      [
        [toHex(NODE_KEY), 1_000],
        [toHex(NODE_B), 2_000],
      ].sort(),
    )
  })

  it('the query projects the next election from the state now, and the set moves to it at the boundary', () => {
    const chain = chainWithMember()
    chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 2_000 })
    const q = () => createLedgerQuery(chain.state)
    const keys = (vs: readonly { nodeKey: Uint8Array; power: number }[]) =>
      vs.map((v) => [toHex(v.nodeKey), v.power])
    // The epoch (10 blocks) has not ended: the set is still the genesis one, the projection has B.
    expect(keys(q().validators())).toEqual([[toHex(NODE_KEY), 1_000]])
    const projected = q().nextEpochValidators()
    expect(projected.fromHeight).toBe(11)
    expect(keys(projected.validators)).toEqual(
      [
        [toHex(NODE_KEY), 1_000],
        [toHex(NODE_B), 2_000],
      ].sort(),
    )
    while (chain.height < 10) chain.block([])
    expect(keys(q().validators())).toEqual(keys(projected.validators))
    // At height 10 the next election is the one at 20.
    expect(q().nextEpochValidators().fromHeight).toBe(21)
  })

  it('undelegation unbonds over the configured epochs', () => {
    const chain = chainWithMember({ unbondingEpochs: 2 })
    chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 2_000 })
    expect(chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 3_001 }).error).toBe(
      StateErrorCode.insufficientStake,
    )
    expect(chain.run(MEMBER, { kind: 'staking.undelegate', association: ASSOC_B, amount: 2_001 }).error).toBe(
      StateErrorCode.insufficientDelegation,
    )
    const r = chain.run(MEMBER, { kind: 'staking.undelegate', association: ASSOC_B, amount: 2_000 }) // epoch 0
    expect(r.events[0]).toMatchObject({ type: 'undelegate', releaseEpoch: 2 })
    expect(createLedgerQuery(chain.state).stake(MEMBER)).toMatchObject({ free: 3_000, matured: 0 })
    // Still bonded in epoch 1: only 3,000 free.
    while (chain.height < 12) chain.block([])
    expect(chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 3_001 }).error).toBe(
      StateErrorCode.insufficientStake,
    )
    while (chain.height < 20) chain.block([])
    expect(createLedgerQuery(chain.state).stake(MEMBER)).toMatchObject({ matured: 2_000 })
    const back = chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 5_000 })
    expect(back.events.map((e) => e.type)).toEqual(['unbonded', 'delegate'])
  })

  it('registration is unique per association and node key, and admin only', () => {
    const chain = chainWithMember()
    const reg = {
      kind: 'staking.registerAssociation',
      association: account(400),
      name: 'c',
      nodeKey: NODE_B,
      p2p: null,
      rpc: null,
    } as const
    expect(chain.run(ADMIN, reg).error).toBe(StateErrorCode.nodeKeyInUse)
    expect(chain.run(ADMIN, { ...reg, association: ASSOC_B, nodeKey: account(401) }).error).toBe(
      StateErrorCode.associationExists,
    )
    expect(chain.run(MEMBER, { ...reg, nodeKey: account(401) }).error).toBe(StateErrorCode.notAdmin)
    expect(chain.run(MEMBER, { kind: 'staking.delegate', association: account(999), amount: 1 }).error).toBe(
      StateErrorCode.unknownAssociation,
    )
    expect(
      createLedgerQuery(chain.state)
        .associations()
        .map((a) => a.name),
    ).toEqual(['genesis association', 'b'])
    expect(createLedgerQuery(chain.state).validators()[0]).toMatchObject({ power: 1_000, jailed: false })
    expect(toHex(createLedgerQuery(chain.state).validators()[0]?.association as Uint8Array)).toBe(
      toHex(ASSOCIATION),
    )
  })
})

describe('election', () => {
  const c = (n: number, delegated: number, jailed = false) => ({ nodeKey: account(n), delegated, jailed })
  const prev = [[account(99), 1]] as const
  it('takes the top maxValidators by stake ≥ minimum, excludes jailed, ties by key', () => {
    const set = electValidators(
      [c(1, 50), c(2, 300), c(3, 300), c(4, 900, true), c(5, 99)],
      { maxValidators: 2, minValidatorStake: 100 },
      prev,
    )
    expect(set.map(([k, p]) => [k[31], p])).toEqual([
      [2, 300],
      [3, 300],
    ])
    const one = electValidators([c(1, 100), c(2, 99)], { maxValidators: 5, minValidatorStake: 100 }, prev)
    expect(one.map(([k]) => k[31])).toEqual([1])
  })
  it('keeps the old set when the total voting power would pass MAX_TOTAL_STAKE', () => {
    const set = electValidators(
      [c(1, 2 ** 52), c(2, 2 ** 52 - 1)],
      { maxValidators: 5, minValidatorStake: 1 },
      prev,
    )
    expect(set).toBe(prev)
  })
  it('never empty: keeps the old set when nobody qualifies', () => {
    expect(
      electValidators([c(1, 10), c(2, 900, true)], { maxValidators: 3, minValidatorStake: 100 }, prev),
    ).toBe(prev)
  })
})

describe('total stake', () => {
  it('a genesis whose total stake could overflow an election is refused', () => {
    const genesis = (free: number) =>
      testGenesis({
        accounts: [
          { address: ADMIN, roles: ['admin'], stake: 0 },
          { address: MEMBER, roles: [], stake: free },
        ],
      })
    expect(() => genesis(2 ** 52)).toThrow(expect.objectContaining({ code: StateErrorCode.invalidGenesis }))
    // Below the bound, every delegation at once still elects a valid set.
    const chain = new TestChain(genesis(2 ** 50))
    chain.run(ADMIN, {
      kind: 'staking.registerAssociation',
      association: ASSOC_B,
      name: 'b',
      nodeKey: NODE_B,
      p2p: null,
      rpc: null,
    })
    chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 2 ** 50 })
    while (chain.height < 10) chain.block([])
    expect(chain.last?.nextValidatorSet.totalPower).toBe(2 ** 50 + 1_000)
  })
})
