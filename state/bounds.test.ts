/**
 * Every record a tx can grow has a bound, refused at admission (checkTx) and at execution (a failed
 * receipt) with the same code, and no tx can make a record outgrow the authenticated map's value
 * limit: such a write fails the tx that made it, never the block.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Bytes } from '../protocol/bytes.ts'
import { encode } from '../protocol/codec.ts'
import { generateKeyPair, sign } from '../protocol/crypto.ts'
import { devicePossessionSignBytes } from '../protocol/sign-bytes.ts'
import { MAX_STATE_VALUE_BYTES } from '../protocol/state-proof.ts'
import type { SignedTx } from '../protocol/tx.ts'
import { checkTx } from './admission.ts'
import { createAuthMap } from './auth-map.ts'
import { createLedgerQuery } from './query.ts'
import {
  bytesListCodec,
  campaignCodec,
  campaignIndexCodec,
  deviceCodec,
  grantCodec,
  lotsCodec,
  merchantCodec,
  purseCodec,
  type RecordCodec,
  stakeCodec,
  stringListCodec,
  textCodec,
  validatorSetCodec,
} from './records.ts'
import {
  ADMIN,
  ASSOCIATION,
  account,
  ISSUER,
  POINT,
  setupMerchant,
  setupPoint,
  TEST_CHAIN_ID,
  TestChain,
  testGenesis,
} from './test-kit.ts'
import { WorkingSet } from './working-set.ts'

const MEMBER = account(300)
const ASSOC_B = account(301)
const NODE_B = account(302)

function stakedChain(stake: number, params = {}) {
  const chain = new TestChain(
    testGenesis(
      {
        accounts: [
          { address: ADMIN, roles: ['admin'], stake: 0 },
          { address: ISSUER, roles: ['issuer'], stake: 0 },
          { address: MEMBER, roles: [], stake },
        ],
      },
      params,
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

const admission = (chain: TestChain, tx: SignedTx) =>
  checkTx(chain.state, tx, { chainId: TEST_CHAIN_ID, height: chain.height + 1 })?.code ?? null

describe('unbonding entries', () => {
  it('many undelegations in one block merge into one entry and never make the block invalid', () => {
    // Each entry of 2^32 + n encodes in 11 bytes: 6,100 separate entries would pass 64 KiB.
    const amount = 2 ** 32
    const count = 6_100
    const chain = stakedChain(amount * count)
    chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: amount * count })
    const txs = Array.from({ length: count }, () =>
      chain.tx(MEMBER, { kind: 'staking.undelegate', association: ASSOC_B, amount }),
    )
    expect(admission(chain, txs[0] as SignedTx)).toBeNull()
    const result = chain.block(txs)
    expect(result.receipts.every((r) => r.status === 'ok')).toBe(true)
    const stake = createLedgerQuery(chain.state).stake(MEMBER)
    expect(stake?.unbonding).toEqual([[amount * count, 2]])
    expect(stake?.delegations).toEqual([])
  })

  it('holds at most unbondingEpochs + 1 entries, however often a member undelegates', () => {
    const unbondingEpochs = 3
    const chain = stakedChain(1_000_000, { unbondingEpochs })
    chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 1_000_000 })
    let undelegated = 0
    for (let i = 0; i < 60; i++) {
      const undelegate = chain.tx(MEMBER, { kind: 'staking.undelegate', association: ASSOC_B, amount: 7 })
      expect(chain.block([undelegate]).receipts[0]?.status).toBe('ok')
      undelegated += 7
      const stake = createLedgerQuery(chain.state).stake(MEMBER)
      expect(stake?.unbonding.length).toBeLessThanOrEqual(unbondingEpochs + 1)
      const unbonding = (stake?.unbonding ?? []).reduce((sum, [a]) => sum + a, 0)
      // Stake is conserved: free + delegated + unbonding is what the member had.
      expect((stake?.free ?? 0) + (stake?.delegations[0]?.[1] ?? 0) + unbonding).toBe(1_000_000)
      expect((stake?.delegations[0]?.[1] ?? 0) + undelegated).toBe(1_000_000)
    }
  })
})

describe('bounded lists: refused at admission and at execution with the same code', () => {
  it('terminals per merchant', () => {
    const chain = new TestChain(testGenesis({}, { maxTerminalsPerMerchant: 2 }))
    setupPoint(chain)
    const merchant = account(100)
    setupMerchant(chain, merchant, 0, [account(101), account(102)])
    const add = chain.tx(merchant, { kind: 'merchant.addTerminal', point: POINT, terminal: account(103) })
    expect(admission(chain, add)).toBe('STATE_TOO_MANY_TERMINALS')
    expect(chain.block([add]).receipts[0]?.error).toBe('STATE_TOO_MANY_TERMINALS')
  })

  it('devices per owner', () => {
    const chain = new TestChain(testGenesis({}, { maxDevicesPerOwner: 1 }))
    setupPoint(chain)
    const owner = account(200)
    const bind = () => {
      const device = generateKeyPair()
      return chain.tx(owner, {
        kind: 'device.bind',
        device: device.publicKey,
        point: POINT,
        maxPerTx: 1,
        maxPerPeriod: 1,
        periodMs: 1,
        merchants: [],
        possessionProof: sign(
          devicePossessionSignBytes(TEST_CHAIN_ID, owner, device.publicKey),
          device.secretKey,
        ),
      })
    }
    expect(chain.block([bind()]).receipts[0]?.error).toBeNull()
    const second = bind()
    expect(admission(chain, second)).toBe('STATE_TOO_MANY_DEVICES')
    expect(chain.block([second]).receipts[0]?.error).toBe('STATE_TOO_MANY_DEVICES')
  })

  it('delegations per member (a new association only; adding to an existing one is fine)', () => {
    const chain = stakedChain(100, { maxDelegationsPerMember: 1 })
    chain.run(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 10 })
    const more = chain.tx(MEMBER, { kind: 'staking.delegate', association: ASSOC_B, amount: 10 })
    expect(admission(chain, more)).toBeNull()
    const other = chain.tx(MEMBER, { kind: 'staking.delegate', association: ASSOCIATION, amount: 10 })
    expect(admission(chain, other)).toBe('STATE_TOO_MANY_DELEGATIONS')
    expect(chain.block([more, other]).receipts.map((r) => r.error)).toEqual([
      null,
      'STATE_TOO_MANY_DELEGATIONS',
    ])
  })

  it('points on the chain', async () => {
    const { MAX_POINTS } = await import('./points.ts')
    expect(MAX_POINTS).toBeGreaterThan(0)
    const chain = new TestChain()
    const id = (n: number) => `P${n.toString(36).toUpperCase().padStart(11, '0')}`
    const create = (n: number) =>
      chain.tx(ISSUER, { kind: 'point.create', point: id(n), name: 'p', decimals: 0, transferable: true })
    const first = chain.block(Array.from({ length: MAX_POINTS }, (_, n) => create(n)))
    expect(first.receipts.every((r) => r.status === 'ok')).toBe(true)
    const extra = create(MAX_POINTS)
    expect(admission(chain, extra)).toBe('STATE_TOO_MANY_POINTS')
    expect(chain.block([extra]).receipts[0]?.error).toBe('STATE_TOO_MANY_POINTS')
    expect(createLedgerQuery(chain.state).points().length).toBe(MAX_POINTS)
  })
})

describe('the value limit', () => {
  it('a write that would pass the limit fails inside the tx, and the working set rolls it back', () => {
    const ws = new WorkingSet(createAuthMap())
    const big = Array.from({ length: 2_000 }, (_, i) => account(i))
    ws.beginTx()
    ws.put('devo/x', bytesListCodec, big.slice(0, 10))
    expect(() => ws.put('devo/y', bytesListCodec, big)).toThrow(
      expect.objectContaining({ code: 'STATE_RECORD_TOO_LARGE' }),
    )
    ws.abortTx()
    expect(ws.encodedWrites()).toEqual([])
  })

  it('the size bound of every growing codec is at least its encoding', () => {
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
    const uint = fc.oneof(fc.nat(), fc.maxSafeNat())
    const text = fc.string({ maxLength: 64, unit: 'binary' })
    const keys = fc.array(key, { maxLength: 40 })
    const loose = (codec: unknown) => codec as RecordCodec<unknown>
    const cases: [RecordCodec<unknown>, fc.Arbitrary<unknown>][] = [
      [loose(bytesListCodec), keys],
      [loose(stringListCodec), fc.array(text, { maxLength: 40 })],
      [
        loose(stakeCodec),
        fc.record({
          free: uint,
          delegations: fc.array(fc.tuple(key, uint), { maxLength: 20 }),
          unbonding: fc.array(fc.tuple(uint, uint), { maxLength: 20 }),
        }),
      ],
      [
        loose(merchantCodec),
        fc.record({
          name: text,
          status: fc.constantFrom('applied', 'active', 'suspended', 'revoked'),
          creditLimit: uint,
          float: uint,
          liability: uint,
          terminals: keys,
          anchorCount: uint,
        }),
      ],
      [
        loose(deviceCodec),
        fc.record({
          owner: key,
          point: text,
          maxPerTx: uint,
          maxPerPeriod: uint,
          periodMs: uint,
          merchants: keys,
          period: uint,
          spent: uint,
        }),
      ],
      [
        loose(grantCodec),
        fc.record({
          grantee: fc.option(key, { nil: null }),
          txsPerPeriod: uint,
          periodMs: uint,
          expiresAtHeight: uint,
          kinds: fc.array(text, { maxLength: 40 }),
          revoked: fc.boolean(),
        }),
      ],
      [loose(validatorSetCodec), fc.array(fc.tuple(key, uint), { maxLength: 40 })],
      [loose(lotsCodec), fc.array(fc.tuple(uint, uint), { maxLength: 130 })],
      [
        loose(purseCodec),
        fc.record({
          owner: key,
          point: text,
          locked: uint,
          spent: uint,
          expiresAtMs: uint,
          settleUntilMs: uint,
          status: fc.constantFrom('open', 'frozen', 'closed'),
          vouchers: uint,
          maxCounter: uint,
          charged: uint,
          shortfall: uint,
          returned: uint,
          openedAtHeight: uint,
          frozenAtHeight: uint,
          lots: fc.array(fc.tuple(uint, uint), { maxLength: 130 }),
          nonExpiring: uint,
        }),
      ],
      [loose(textCodec), text],
      [
        loose(campaignCodec),
        fc.record({
          owner: key,
          funder: fc.constantFrom('manager', 'merchant'),
          triggers: fc.subarray(['award', 'visit', 'view', 'click', 'purchase']),
          bonusPerMille: uint,
          flatBonus: uint,
          startMs: uint,
          endMs: uint,
          merchants: fc.array(key, { maxLength: 16 }),
          funded: uint,
          remaining: uint,
          paid: uint,
          returned: uint,
          status: fc.constantFrom('open', 'closed'),
          createdAtHeight: uint,
          closedAtHeight: uint,
        }),
      ],
      [
        loose(campaignIndexCodec),
        fc.record({ count: uint, live: fc.array(fc.string({ maxLength: 32 }), { maxLength: 8 }) }),
      ],
    ]
    for (const [codec, arb] of cases) {
      expect(codec.sizeBound).toBeTypeOf('function')
      fc.assert(
        fc.property(arb, (value) => {
          expect((codec.sizeBound as (v: unknown) => number)(value)).toBeGreaterThanOrEqual(
            codec.encode(value).length,
          )
        }),
        { numRuns: 200 },
      )
    }
    // The bound is an upper bound of the right order: 64 KiB of keys is over the limit.
    const keysOverLimit = Array.from({ length: MAX_STATE_VALUE_BYTES / 32 }, () => new Uint8Array(32))
    expect(encode(keysOverLimit).length).toBeGreaterThan(MAX_STATE_VALUE_BYTES)
    expect((bytesListCodec.sizeBound as (v: readonly Bytes[]) => number)(keysOverLimit)).toBeGreaterThan(
      MAX_STATE_VALUE_BYTES,
    )
  })
})
