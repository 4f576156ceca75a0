import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { Limits } from '../protocol/limits.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { signVote } from '../protocol/vote.ts'
import { StateErrorCode } from './errors.ts'
import { loadLedgerState } from './ledger.ts'
import { createMemoryStateKv } from './memory-kv.ts'
import { MAX_CONSENSUS_TIMEOUT_MS } from './params.ts'
import { createLedgerQuery } from './query.ts'
import type { LedgerEvent } from './receipt.ts'
import { ADMIN, ASSOCIATION, account, TEST_CHAIN_ID, TestChain, testGenesis } from './test-kit.ts'

type Changes = TxBodyOf<'params.set'>['changes']
const q = (chain: TestChain) => createLedgerQuery(chain.state)
const set = (chain: TestChain, changes: Changes) => chain.run(ADMIN, { kind: 'params.set', changes })
/** Runs empty blocks until the head is at `height`. */
const until = (chain: TestChain, height: number) => {
  while (chain.height < height) chain.block([])
}
const applied = (events: readonly LedgerEvent[]) =>
  events.filter((e) => e.type === 'paramApplied').map((e) => [e.param, e.value])

const CONSENSUS_CHANGES: Changes = [
  { param: 'maxBlockBytes', value: 64 * 1024 },
  { param: 'maxBlockTxs', value: 7 },
  { param: 'viewTimeoutBaseMs', value: 1_500 },
  { param: 'viewTimeoutIncrementMs', value: 250 },
  { param: 'viewTimeoutCapMs', value: 4_000 },
  { param: 'emptyBlockIntervalMs', value: 333 },
]

describe('params.set: the consensus parameters (epoch of 10 blocks)', () => {
  it('genesis puts them in state; each change is pending until the boundary block applies it', () => {
    const chain = new TestChain(testGenesis({}, { maxBlockTxs: 9 }))
    expect(q(chain).params).toMatchObject({ maxBlockTxs: 9, maxBlockBytes: 4 * 1024 * 1024 })
    for (const change of CONSENSUS_CHANGES) {
      const r = set(chain, [change])
      expect(r.error).toBeNull()
      expect(r.events).toEqual([{ type: 'paramScheduled', param: change.param, value: change.value }])
    }
    const before = q(chain).params
    expect(q(chain).pendingParams()).toMatchObject(
      Object.fromEntries(CONSENSUS_CHANGES.map((c) => [c.param, c.value])),
    )
    until(chain, 9)
    expect(q(chain).params).toEqual(before)
    const boundary = chain.block([])
    expect(applied(boundary.blockEvents)).toEqual(CONSENSUS_CHANGES.map((c) => [c.param, c.value]))
    expect(q(chain).params).toMatchObject(
      Object.fromEntries(CONSENSUS_CHANGES.map((c) => [c.param, c.value])),
    )
    expect(q(chain).pendingParams()).toBeNull()
  })

  it('governance can set them too (a passed proposal schedules them)', () => {
    const chain = new TestChain()
    const r = chain.run(ASSOCIATION, {
      kind: 'gov.propose',
      action: { kind: 'params.set', changes: [{ param: 'maxBlockBytes', value: 2_048 }] },
      deadline: 5,
    })
    expect(r.error).toBeNull()
    const passed = chain.run(ASSOCIATION, { kind: 'gov.vote', proposal: 0, yes: true })
    expect(passed.events.map((e) => e.type)).toEqual(['voted', 'proposalPassed', 'paramScheduled'])
    until(chain, 10)
    expect(q(chain).params.maxBlockBytes).toBe(2_048)
  })

  it('refuses values outside the bounds genesis enforces, with typed codes, and changes nothing', () => {
    const chain = new TestChain()
    const refused: Changes[] = [
      [{ param: 'maxBlockBytes', value: 1_023 }],
      [{ param: 'maxBlockBytes', value: Limits.maxBlockBytes + 1 }],
      [{ param: 'maxBlockTxs', value: 0 }],
      [{ param: 'viewTimeoutBaseMs', value: 0 }],
      // The cap stays at least the base: 10 s in force, so a base of 20 s alone is refused...
      [{ param: 'viewTimeoutBaseMs', value: 20_000 }],
      [{ param: 'viewTimeoutCapMs', value: 999 }],
      [
        { param: 'viewTimeoutBaseMs', value: 5_000 },
        { param: 'viewTimeoutCapMs', value: 4_000 },
      ],
      [{ param: 'viewTimeoutCapMs', value: MAX_CONSENSUS_TIMEOUT_MS + 1 }],
      [{ param: 'emptyBlockIntervalMs', value: MAX_CONSENSUS_TIMEOUT_MS + 1 }],
      [{ param: 'viewTimeoutIncrementMs', value: MAX_CONSENSUS_TIMEOUT_MS + 1 }],
      [{ param: 'epochLength', value: 0 }],
    ]
    for (const changes of refused) {
      const r = set(chain, changes)
      expect(r.error, JSON.stringify(changes)).toBe(StateErrorCode.invalidParam)
      expect(r.events).toEqual([])
    }
    expect(q(chain).pendingParams()).toBeNull()
    // ...but with the cap raised in the same change it is fine, and the bounds themselves are allowed.
    const ok: Changes[] = [
      [
        { param: 'viewTimeoutBaseMs', value: 20_000 },
        { param: 'viewTimeoutCapMs', value: 30_000 },
      ],
      [{ param: 'maxBlockBytes', value: 1_024 }],
      [{ param: 'maxBlockBytes', value: Limits.maxBlockBytes }],
      [{ param: 'emptyBlockIntervalMs', value: 0 }],
    ]
    for (const changes of ok) expect(set(chain, changes).error).toBeNull()
    // Checked against what is pending: a cap below the pending base is refused.
    expect(set(chain, [{ param: 'viewTimeoutCapMs', value: 15_000 }]).error).toBe(StateErrorCode.invalidParam)
    expect(
      chain.run(ASSOCIATION, { kind: 'params.set', changes: [{ param: 'maxBlockTxs', value: 5 }] }).error,
    ).toBe(StateErrorCode.notAdmin)
  })

  it('a reloaded state keeps the changed values and the epoch anchor', async () => {
    const chain = new TestChain()
    set(chain, [
      { param: 'maxBlockTxs', value: 3 },
      { param: 'epochLength', value: 4 },
    ])
    until(chain, 11)
    const kv = createMemoryStateKv()
    await kv.commit(chain.writes)
    const entries: Array<readonly [Uint8Array, Uint8Array]> = []
    for await (const e of kv.entries()) entries.push(e)
    const loaded = loadLedgerState(entries)
    expect(loaded.meta).toEqual(chain.state.meta)
    expect(loaded.meta.params.maxBlockTxs).toBe(3)
    expect(loaded.meta.epochAnchor).toEqual({ height: 10, epoch: 1 })
  })
})

/** The boundaries crossed and the epoch of each height from the head up to `to`. */
function walk(chain: TestChain, to: number): { boundaries: number[]; epochs: number[] } {
  const boundaries: number[] = []
  const epochs: number[] = []
  while (chain.height < to) {
    const next = q(chain).epoch.nextBoundary
    chain.block([])
    epochs.push(q(chain).epoch.epoch)
    if (chain.height === next) boundaries.push(chain.height)
  }
  return { boundaries, epochs }
}

describe('params.set: epochLength, anchored at the boundary that applies it', () => {
  it('the pending length leaves the next boundary where it is; the new one counts from it', () => {
    const chain = new TestChain()
    expect(set(chain, [{ param: 'epochLength', value: 4 }]).error).toBeNull()
    expect(q(chain).epoch).toEqual({
      epoch: 0,
      epochLength: 10,
      anchorHeight: 0,
      anchorEpoch: 0,
      nextBoundary: 10,
    })
    until(chain, 9)
    const boundary = chain.block([])
    expect(applied(boundary.blockEvents)).toEqual([['epochLength', 4]])
    expect(q(chain).epoch).toEqual({
      epoch: 1,
      epochLength: 4,
      anchorHeight: 10,
      anchorEpoch: 1,
      nextBoundary: 14,
    })
    expect(walk(chain, 22).boundaries).toEqual([14, 18, 22])
    expect(q(chain).epoch.epoch).toBe(4)
  })

  it('epoch numbers stay continuous and monotonic across several changes, up and down', () => {
    const chain = new TestChain()
    const epochs: number[] = [0]
    const boundaries: number[] = []
    // One block (with a length change when given), noting its epoch and whether it was a boundary.
    const block = (epochLength?: number) => {
      const next = q(chain).epoch.nextBoundary
      if (epochLength === undefined) chain.block([])
      else expect(set(chain, [{ param: 'epochLength', value: epochLength }]).error).toBeNull()
      epochs.push(q(chain).epoch.epoch)
      if (chain.height === next) boundaries.push(chain.height)
    }
    const plan = new Map([
      [1, 3], // applied at 10: boundaries 13, 16, ...
      [13, 7], // set in the boundary block 13 itself: applied there, boundaries 20, 27, 34
      [29, 1], // applied at 34: every block is a boundary
      [36, 2], // applied at 36: 38, 40
    ])
    for (let h = 1; h <= 40; h++) block(plan.get(h))
    expect(boundaries).toEqual([10, 13, 20, 27, 34, 35, 36, 38, 40])
    // Each height's epoch is the last one's or one more, and one more exactly at each boundary.
    for (let h = 1; h < epochs.length; h++) {
      const grew = (epochs[h] as number) - (epochs[h - 1] as number)
      expect(grew, `height ${h}`).toBe(boundaries.includes(h) ? 1 : 0)
    }
    expect(q(chain).epoch).toMatchObject({ epoch: 9, epochLength: 2, anchorHeight: 36, anchorEpoch: 7 })
  })

  it('elections run at the new boundaries, not at the old ones', () => {
    const chain = new TestChain(
      testGenesis({
        accounts: [
          { address: ADMIN, roles: ['admin'], stake: 0 },
          { address: account(300), roles: [], stake: 5_000 },
        ],
      }),
    )
    set(chain, [{ param: 'epochLength', value: 4 }]) // applied at 10
    until(chain, 11)
    chain.run(ADMIN, {
      kind: 'staking.registerAssociation',
      association: account(301),
      name: 'b',
      nodeKey: account(302),
      p2p: null,
      rpc: null,
    })
    chain.run(account(300), { kind: 'staking.delegate', association: account(301), amount: 2_000 })
    expect(chain.height).toBe(13)
    expect(q(chain).nextEpochValidators().fromHeight).toBe(15)
    expect(chain.block([]).validatorSetChanged).toBe(true) // height 14
    expect(q(chain).validators()).toHaveLength(2)
  })

  it('unbonding keeps its epochs: released when epoch 2 begins under the new length', () => {
    const member = account(300)
    const chain = new TestChain(
      testGenesis(
        {
          accounts: [
            { address: ADMIN, roles: ['admin'], stake: 0 },
            { address: member, roles: [], stake: 5_000 },
          ],
        },
        { unbondingEpochs: 2 },
      ),
    )
    chain.run(member, { kind: 'staking.delegate', association: ASSOCIATION, amount: 2_000 })
    const r = chain.run(member, { kind: 'staking.undelegate', association: ASSOCIATION, amount: 2_000 })
    expect(r.events[0]).toMatchObject({ type: 'undelegate', releaseEpoch: 2 })
    set(chain, [{ param: 'epochLength', value: 3 }]) // applied at 10 (epoch 1); epoch 2 begins at 13
    until(chain, 11)
    expect(q(chain).stake(member)).toMatchObject({ free: 3_000, matured: 0 })
    const delegate = { kind: 'staking.delegate', association: ASSOCIATION, amount: 3_001 } as const
    expect(chain.run(member, delegate).error).toBe(StateErrorCode.insufficientStake) // height 12
    expect(chain.run(member, delegate).events.map((e) => e.type)).toEqual(['unbonded', 'delegate']) // 13
    expect(q(chain).stake(member)).toMatchObject({ free: 1_999, unbonding: [] })
  })

  it('jail keeps its epochs: unjail refused before the released epoch, allowed from its first height', () => {
    const node = generateKeyPair()
    const chain = new TestChain(
      testGenesis(
        {
          associations: [
            { account: ASSOCIATION, name: 'a', nodeKey: node.publicKey, stake: 1_000 },
            { account: account(9), name: 'b', nodeKey: account(10), stake: 500 },
          ],
        },
        { jailEpochs: 2 },
      ),
    )
    const vote = (fill: number) =>
      signVote(
        TEST_CHAIN_ID,
        { kind: 'prepare', height: 1, view: 0, blockHash: new Uint8Array(32).fill(fill) },
        node,
      )
    chain.block([], { evidence: [{ a: vote(1), b: vote(2) }] }) // epoch 0: jailed until epoch 2
    const assoc = () =>
      q(chain)
        .associations()
        .find((a) => toHex(a.address) === toHex(ASSOCIATION))
    expect(assoc()?.jailedUntilEpoch).toBe(2)
    set(chain, [{ param: 'epochLength', value: 5 }]) // applied at 10; epoch 2 begins at 15
    until(chain, 13)
    const unjail = { kind: 'staking.unjail' } as const
    expect(chain.run(ASSOCIATION, unjail).error).toBe(StateErrorCode.jailNotOver) // height 14
    expect(chain.height).toBe(14)
    expect(chain.run(ASSOCIATION, unjail).error).toBeNull() // height 15
    expect(assoc()?.jailed).toBe(false)
  })
})
