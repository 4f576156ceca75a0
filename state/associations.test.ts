import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '../protocol/crypto.ts'
import { signVote } from '../protocol/vote.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery } from './query.ts'
import { ADMIN, ASSOCIATION, account, TEST_CHAIN_ID, TestChain, testGenesis } from './test-kit.ts'

const B = account(901)
const NODE_B = account(902)
const register = {
  kind: 'staking.registerAssociation',
  association: B,
  name: 'b',
  nodeKey: NODE_B,
  p2p: '10.0.0.2:26656',
  rpc: null,
} as const

describe('associations', () => {
  it('registers with addresses, lets the association move its server, and retires it from elections', () => {
    const chain = new TestChain(testGenesis())
    expect(chain.run(ADMIN, register).error).toBeNull()
    const b = () =>
      createLedgerQuery(chain.state)
        .associations()
        .find((a) => a.name === 'b')
    expect([b()?.p2p, b()?.rpc]).toEqual(['10.0.0.2:26656', null])
    expect(
      chain.run(B, {
        kind: 'association.setAddresses',
        p2p: '/dns4/b.example.org/tcp/26656',
        rpc: 'https://b.example.org',
      }).error,
    ).toBeNull()
    expect([b()?.p2p, b()?.rpc]).toEqual(['/dns4/b.example.org/tcp/26656', 'https://b.example.org'])
    expect(chain.run(ADMIN, { kind: 'association.retire', association: B }).error).toBeNull()
    expect(b()?.retired).toBe(true)
    expect(chain.run(ADMIN, { kind: 'association.retire', association: B }).error).toBe(
      StateErrorCode.associationRetired,
    )
    expect(
      chain.run(B, {
        kind: 'association.update',
        association: B,
        name: 'c',
        nodeKey: NODE_B,
        p2p: null,
        rpc: null,
      }).error,
    ).toBe(StateErrorCode.notAdmin)
  })

  it('refuses to change a current validator node key', () => {
    const chain = new TestChain(testGenesis())
    const body = {
      kind: 'association.update',
      association: ASSOCIATION,
      name: 'a',
      nodeKey: account(77),
      p2p: null,
      rpc: null,
    } as const
    expect(chain.run(ADMIN, body).error).toBe(StateErrorCode.associationInSet)
  })
})

describe('unjail', () => {
  it('is refused before the jail period ends, and allowed after', () => {
    const node = generateKeyPair()
    const chain = new TestChain(
      testGenesis({
        associations: [
          { account: ASSOCIATION, name: 'a', nodeKey: node.publicKey, stake: 1_000 },
          { account: account(9), name: 'b', nodeKey: account(10), stake: 500 },
        ],
      }),
    )
    expect(chain.run(ASSOCIATION, { kind: 'staking.unjail' }).error).toBe(StateErrorCode.notJailed)
    const vote = (fill: number) =>
      signVote(
        TEST_CHAIN_ID,
        { kind: 'prepare', height: 1, view: 0, blockHash: new Uint8Array(32).fill(fill) },
        node,
      )
    chain.block([], { evidence: [{ a: vote(1), b: vote(2) }] })
    // Jailed in epoch 0 with jailEpochs 2: free from epoch 2 (height 20).
    expect(createLedgerQuery(chain.state).associations()[0]?.jailedUntilEpoch).toBe(2)
    while (chain.height < 18) chain.block([])
    expect(chain.run(ASSOCIATION, { kind: 'staking.unjail' }).error).toBe(StateErrorCode.jailNotOver)
    const r = chain.run(ASSOCIATION, { kind: 'staking.unjail' })
    expect([chain.height, r.error, r.events[0]?.type]).toEqual([20, null, 'unjailed'])
    expect(createLedgerQuery(chain.state).associations()[0]?.jailed).toBe(false)
  })
})
