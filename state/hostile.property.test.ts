/**
 * Property: a block with valid block-level fields (height, time, envelopes, no replay, evidence that
 * proves a double vote) never makes applyBlock throw, whatever its txs do: poison undelegation bursts,
 * growth past every bound, overflow amounts, any body of any kind from any signer and sponsor. Every
 * failure is a receipt with a state code and no events; stake is conserved; the election stays valid.
 * Parameter changes (any governable parameter, any value, epochLength included) never put invalid
 * parameters in force and never make epoch numbers jump or go back.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyBody } from '../protocol/arbitraries.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { generateKeyPair, sign } from '../protocol/crypto.ts'
import { MAX_TOTAL_STAKE } from '../protocol/election.ts'
import { devicePossessionSignBytes } from '../protocol/sign-bytes.ts'
import type { SignedTx } from '../protocol/tx.ts'
import { GOVERNABLE_PARAMS, type TxBody } from '../protocol/tx-body.ts'
import { signVote } from '../protocol/vote.ts'
import { StateErrorCode } from './errors.ts'
import { loadLedgerState } from './ledger.ts'
import { paramsProblem } from './params.ts'
import { createLedgerQuery } from './query.ts'
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

const MEMBER = account(300)
const RICH = account(301)
const ASSOC_B = account(310)
const MERCHANT = account(100)
const TERMINAL = account(101)
const CUSTOMER = account(200)
const STRANGER = account(999)
const ACTORS = [ADMIN, ISSUER, MEMBER, RICH, ASSOCIATION, ASSOC_B, MERCHANT, TERMINAL, CUSTOMER, STRANGER]
const MEMBERS = [MEMBER, RICH, ASSOCIATION]
const GENESIS_STAKE = 1_000_000 + 2 ** 45 + 1_000
const DEVICES = Array.from({ length: 4 }, () => generateKeyPair())
const STRANGER_NODE = generateKeyPair()
const CODES = new Set<string>(Object.values(StateErrorCode))

function world(): TestChain {
  const chain = new TestChain(
    testGenesis(
      {
        accounts: [
          { address: ADMIN, roles: ['admin'], stake: 0 },
          { address: ISSUER, roles: ['issuer'], stake: 0 },
          { address: MEMBER, roles: [], stake: 1_000_000 },
          { address: RICH, roles: [], stake: 2 ** 45 },
        ],
      },
      { maxTerminalsPerMerchant: 3, maxDevicesPerOwner: 2, maxDelegationsPerMember: 2, unbondingEpochs: 2 },
    ),
  )
  // Members pay for their own staking txs (their stake is their bond).
  for (const member of MEMBERS) chain.selfSponsored.add(toHex(member))
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000_000, [TERMINAL])
  chain.run(ADMIN, {
    kind: 'staking.registerAssociation',
    association: ASSOC_B,
    name: 'b',
    nodeKey: account(311),
    p2p: null,
    rpc: null,
  })
  if (chain.run(RICH, { kind: 'staking.delegate', association: ASSOC_B, amount: 2 ** 45 }).error !== null) {
    throw new Error('world setup failed')
  }
  return chain
}

const hostile = fc.oneof(
  // A burst of undelegations (the poison tx of issue 11): 6,000 of 2^32 would pass 64 KiB unmerged.
  fc.record({
    type: fc.constant('undelegate' as const),
    count: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 6_000, max: 6_500 })),
    member: fc.nat(2),
    amount: fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.constant(2 ** 32)),
  }),
  fc.record({
    type: fc.constant('delegate' as const),
    member: fc.nat(2),
    to: fc.nat(3),
    amount: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constant(2 ** 45), fc.maxSafeNat()),
  }),
  // Growth past the bounds: terminals and devices.
  fc.record({ type: fc.constant('terminal' as const), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ type: fc.constant('device' as const), n: fc.nat(3) }),
  // Parameter changes by the admin, epochLength among them (unbondingEpochs stays: the unbonding bound
  // below is checked against it), with values around their bounds.
  fc.record({
    type: fc.constant('params' as const),
    changes: fc.uniqueArray(
      fc.record({
        param: fc.constantFrom(...GOVERNABLE_PARAMS.filter((p) => p !== 'unbondingEpochs')),
        value: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(1_023, 1_024, 20_000, 2 ** 31)),
      }),
      { selector: (c) => c.param, minLength: 1, maxLength: 3 },
    ),
  }),
  // Any body at all, from any signer, paid by any sponsor.
  fc.record({ type: fc.constant('any' as const), body: anyBody, signer: fc.nat(9), sponsor: fc.nat(9) }),
)
type Hostile = typeof hostile extends fc.Arbitrary<infer T> ? T : never

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T

function txsOf(chain: TestChain, op: Hostile, seq: number): SignedTx[] {
  // Valid for the next block only: inside the window whatever maxTxValidityBlocks a change set.
  const validUntil = chain.height + 1
  const tx = (signer: Bytes, body: TxBody, sponsor?: Bytes) =>
    chain.tx(signer, body, sponsor === undefined ? { validUntil } : { sponsor, validUntil })
  switch (op.type) {
    case 'undelegate':
      return Array.from({ length: op.count }, () =>
        tx(pick(MEMBERS, op.member), { kind: 'staking.undelegate', association: ASSOC_B, amount: op.amount }),
      )
    case 'delegate':
      return [
        tx(pick(MEMBERS, op.member), {
          kind: 'staking.delegate',
          association: pick([ASSOC_B, ASSOCIATION, STRANGER, MEMBER], op.to),
          amount: op.amount,
        }),
      ]
    case 'terminal':
      return Array.from({ length: op.n }, (_, i) =>
        tx(MERCHANT, { kind: 'merchant.addTerminal', point: POINT, terminal: account(5_000 + seq * 10 + i) }),
      )
    case 'device': {
      const device = pick(DEVICES, op.n)
      return [
        tx(CUSTOMER, {
          kind: 'device.bind',
          device: device.publicKey,
          point: POINT,
          maxPerTx: 10,
          maxPerPeriod: 10,
          periodMs: 1_000,
          merchants: [],
          possessionProof: sign(
            devicePossessionSignBytes(TEST_CHAIN_ID, CUSTOMER, device.publicKey),
            device.secretKey,
          ),
        }),
      ]
    }
    case 'params':
      return [tx(ADMIN, { kind: 'params.set', changes: op.changes })]
    default:
      return [tx(pick(ACTORS, op.signer), op.body, pick(ACTORS, op.sponsor))]
  }
}

function totalStake(chain: TestChain): number {
  const q = createLedgerQuery(chain.state)
  let total = 0
  for (const member of MEMBERS) {
    const s = q.stake(member)
    if (s === null) continue
    total += s.free + s.delegations.reduce((sum, [, n]) => sum + n, 0)
    total += s.unbonding.reduce((sum, [n]) => sum + n, 0)
  }
  return total
}

describe('hostile blocks', () => {
  it('never make applyBlock throw when the block-level fields are valid', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(hostile, { maxLength: 4 }), { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        (blocks, withEvidence) => {
          const chain = world()
          let seq = 0
          for (const ops of blocks) {
            const txs = ops.flatMap((op) => txsOf(chain, op, seq++))
            const doubleVote = (hash: number) =>
              signVote(
                TEST_CHAIN_ID,
                { kind: 'prepare', height: chain.height, view: 0, blockHash: new Uint8Array(32).fill(hash) },
                STRANGER_NODE,
              )
            const evidence = withEvidence ? [{ a: doubleVote(1), b: doubleVote(2) }] : []
            const epochBefore = createLedgerQuery(chain.state).epoch
            const result = chain.block(txs, { evidence })
            const epochAfter = createLedgerQuery(chain.state).epoch
            expect(paramsProblem(chain.state.meta.params)).toBeNull()
            const boundary = chain.height === epochBefore.nextBoundary
            expect(epochAfter.epoch).toBe(epochBefore.epoch + (boundary ? 1 : 0))
            expect(result.receipts.length).toBe(txs.length)
            for (const r of result.receipts) {
              if (r.status === 'ok') continue
              expect(CODES.has(r.error as string)).toBe(true)
              expect(r.events).toEqual([])
            }
            expect(totalStake(chain)).toBe(GENESIS_STAKE)
            expect(result.nextValidatorSet.totalPower).toBeLessThanOrEqual(MAX_TOTAL_STAKE)
            const stake = createLedgerQuery(chain.state).stake(MEMBER)
            expect(stake?.unbonding.length ?? 0).toBeLessThanOrEqual(3)
          }
          const latest = new Map<string, readonly [Bytes, Bytes | null]>()
          for (const w of chain.writes) latest.set(toHex(w[0]), w)
          const entries = [...latest.values()].filter((w): w is readonly [Bytes, Bytes] => w[1] !== null)
          expect(toHex(loadLedgerState(entries).map.root)).toBe(toHex(chain.state.map.root))
        },
      ),
      { numRuns: 40 },
    )
  })
})
