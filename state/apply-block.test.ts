import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { signVote } from '../protocol/vote.ts'
import { checkTx } from './admission.ts'
import { applyBlock } from './apply-block.ts'
import { StateErrorCode } from './errors.ts'
import { createGenesisState, loadLedgerState, validatorSetOf } from './ledger.ts'
import { createMemoryStateKv } from './memory-kv.ts'
import { createLedgerQuery } from './query.ts'
import { decodeReceipt, encodeReceipt } from './receipt.ts'
import {
  ADMIN,
  ASSOCIATION,
  account,
  GENESIS_TIME_MS,
  ISSUER,
  POINT,
  setupMerchant,
  setupPoint,
  TEST_CHAIN_ID,
  TestChain,
  testGenesis,
} from './test-kit.ts'

const MERCHANT = account(100)
const ALICE = account(200)
const BOB = account(201)

function funded(): TestChain {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000)
  chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 100, memo: '' })
  return chain
}
const send = (amount: number) => ({ kind: 'point.transfer', point: POINT, to: BOB, amount }) as const

describe('envelope checks', () => {
  const blockError = (fn: () => unknown) => {
    try {
      fn()
    } catch (err) {
      return {
        code: (err as { code?: string }).code,
        index: (err as { details?: { index?: number } }).details?.index,
      }
    }
    return null
  }

  it('a tx for another chain, expired or too far ahead makes the block invalid; the state is unchanged', () => {
    const chain = funded()
    const h = chain.height + 1
    const root = toHex(chain.state.map.root)
    const wrong = chain.tx(ALICE, send(1), { validUntil: h })
    const good = chain.tx(ALICE, send(1), { validUntil: h })
    const cases = [
      [{ ...wrong, chainId: 'other-chain' }, StateErrorCode.wrongChain],
      [chain.tx(ALICE, send(1), { validUntil: h - 1 }), StateErrorCode.txExpired],
      [chain.tx(ALICE, send(1), { validUntil: h + 101 }), StateErrorCode.txExpiryTooFar],
    ] as const
    for (const [tx, code] of cases) {
      expect(blockError(() => chain.block([good, tx]))).toEqual({ code, index: 1 })
      expect(toHex(chain.state.map.root)).toBe(root)
      expect(chain.height).toBe(h - 1)
    }
    const edges = [good, chain.tx(ALICE, send(1), { validUntil: h + 100 })]
    expect(chain.block(edges).receipts.map((r) => r.error)).toEqual([null, null])
  })

  it('a tx too far ahead is never included, and once included it can never be included again', () => {
    const chain = funded()
    const far = chain.tx(ALICE, send(1), { validUntil: chain.height + 1 + 100 + 5 })
    expect(blockError(() => chain.block([far]))).toMatchObject({ code: StateErrorCode.txExpiryTooFar })
    for (let i = 0; i < 5; i++) chain.block([])
    // Within the window now: included once, whatever happens next.
    expect(chain.block([far]).receipts[0]?.error).toBeNull()
    expect(checkTx(chain.state, far, { chainId: TEST_CHAIN_ID, height: chain.height + 1 })?.code).toBe(
      StateErrorCode.txDuplicate,
    )
    for (let i = 0; i < 50; i++) {
      expect(blockError(() => chain.block([far]))).toMatchObject({ code: StateErrorCode.txDuplicate })
      chain.block([])
    }
    expect(createLedgerQuery(chain.state).balance(POINT, BOB)).toBe(1)
  })

  it('includes a tx hash at most once, whatever its outcome, in the same block and in later blocks', () => {
    const chain = funded()
    const tx = chain.tx(ALICE, send(1), { validUntil: chain.height + 5 })
    expect(blockError(() => chain.block([tx, tx]))).toEqual({ code: StateErrorCode.txDuplicate, index: 1 })
    expect(chain.block([tx]).receipts[0]?.error).toBeNull()
    expect(blockError(() => chain.block([tx]))).toMatchObject({ code: StateErrorCode.txDuplicate })
    expect(checkTx(chain.state, tx, { chainId: TEST_CHAIN_ID, height: chain.height + 1 })?.code).toBe(
      StateErrorCode.txDuplicate,
    )
    // A tx that failed (in its body, or at its sponsor) is included too, and never again.
    const tooMuch = chain.tx(ALICE, send(1_000_000))
    const unsponsored = chain.tx(ALICE, send(1), { sponsor: ALICE })
    expect(chain.block([tooMuch, unsponsored]).receipts.map((r) => r.error)).toEqual([
      StateErrorCode.insufficientBalance,
      StateErrorCode.sponsorNotAllowed,
    ])
    for (const again of [tooMuch, unsponsored]) {
      expect(blockError(() => chain.block([again]))).toMatchObject({ code: StateErrorCode.txDuplicate })
    }
    // After its expiry the hash is pruned, and the tx is refused as expired instead.
    for (let i = 0; i < 5; i++) chain.block([])
    expect(blockError(() => chain.block([tx]))).toMatchObject({ code: StateErrorCode.txExpired })
    expect(createLedgerQuery(chain.state).balance(POINT, BOB)).toBe(1)
  })

  it('accepts out-of-order nonces from one signer', () => {
    const chain = funded()
    const txs = [5, 1, 3].map((nonce) => chain.tx(ALICE, send(1), { nonce }))
    expect(chain.block(txs).receipts.every((r) => r.status === 'ok')).toBe(true)
    expect(chain.block([chain.tx(ALICE, send(1), { nonce: 2 })]).receipts[0]?.status).toBe('ok')
  })
})

describe('block validity', () => {
  it('throws on a wrong height or a time going backwards; the input state is unchanged', () => {
    const chain = funded()
    const before = chain.state
    const root = toHex(before.map.root)
    const block = {
      height: chain.height + 2,
      timeMs: before.meta.timeMs,
      proposer: ADMIN,
      txs: [],
      evidence: [],
    }
    expect(() => applyBlock(before, block, { chainId: TEST_CHAIN_ID })).toThrow(
      expect.objectContaining({ code: StateErrorCode.badHeight }),
    )
    expect(() =>
      applyBlock(
        before,
        { ...block, height: chain.height + 1, timeMs: before.meta.timeMs - 1 },
        { chainId: TEST_CHAIN_ID },
      ),
    ).toThrow(expect.objectContaining({ code: StateErrorCode.badBlockTime }))
    // Pure: executing a block on a state leaves that state as it was.
    const tx = chain.tx(ALICE, send(7))
    const result = applyBlock(
      before,
      { ...block, height: chain.height + 1, txs: [tx] },
      { chainId: TEST_CHAIN_ID },
    )
    expect(createLedgerQuery(result.state).balance(POINT, BOB)).toBe(7)
    expect(createLedgerQuery(before).balance(POINT, BOB)).toBe(0)
    expect(toHex(before.map.root)).toBe(root)
  })

  it('jails on valid evidence and rejects a block with a false accusation', () => {
    const node = generateKeyPair()
    const chain = new TestChain(
      testGenesis({
        associations: [
          { account: ASSOCIATION, name: 'a', nodeKey: node.publicKey, stake: 1_000 },
          { account: account(9), name: 'b', nodeKey: account(10), stake: 500 },
        ],
      }),
    )
    const vote = (hash: Uint8Array) =>
      signVote(TEST_CHAIN_ID, { kind: 'prepare', height: 1, view: 0, blockHash: hash }, node)
    const a = vote(new Uint8Array(32).fill(1))
    const b = vote(new Uint8Array(32).fill(2))
    expect(() => chain.block([], { evidence: [{ a, b: a }] })).toThrow(
      expect.objectContaining({ code: StateErrorCode.invalidEvidence }),
    )
    const forged = { ...b, signature: new Uint8Array(64) }
    expect(() => chain.block([], { evidence: [{ a, b: forged }] })).toThrow(
      expect.objectContaining({ code: StateErrorCode.invalidEvidence }),
    )
    const result = chain.block([], { evidence: [{ a, b }] })
    expect(result.blockEvents.map((e) => e.type)).toEqual(['jailed'])
    expect(createLedgerQuery(chain.state).associations()[0]?.jailed).toBe(true)
    // The jailed validator leaves at the next epoch boundary (height 10).
    while (chain.height < 9) expect(chain.block([]).validatorSetChanged).toBe(false)
    const boundary = chain.block([])
    expect(boundary.validatorSetChanged).toBe(true)
    expect(boundary.nextValidatorSet.validators.map((v) => toHex(v.publicKey))).toEqual([toHex(account(10))])
  })
  it('skips evidence naming a key no association runs, so an honest leader cannot invalidate its block', () => {
    const stranger = generateKeyPair()
    const chain = new TestChain()
    const vote = (hash: Uint8Array) =>
      signVote(TEST_CHAIN_ID, { kind: 'commit', height: 1, view: 0, blockHash: hash }, stranger)
    const evidence = { a: vote(new Uint8Array(32).fill(1)), b: vote(new Uint8Array(32).fill(2)) }
    const result = chain.block([], { evidence: [evidence] })
    expect(result.blockEvents).toEqual([])
    expect(result.validatorSetChanged).toBe(false)
    // Evidence against an association already jailed (twice in one block, or again later) is harmless too.
    const node = generateKeyPair()
    const jailed = new TestChain(
      testGenesis({
        associations: [
          { account: ASSOCIATION, name: 'a', nodeKey: node.publicKey, stake: 1_000 },
          { account: account(9), name: 'b', nodeKey: account(10), stake: 500 },
        ],
      }),
    )
    const doubleVote = (key: typeof node) => ({
      a: signVote(
        TEST_CHAIN_ID,
        { kind: 'prepare', height: 1, view: 0, blockHash: new Uint8Array(32).fill(1) },
        key,
      ),
      b: signVote(
        TEST_CHAIN_ID,
        { kind: 'prepare', height: 1, view: 0, blockHash: new Uint8Array(32).fill(2) },
        key,
      ),
    })
    const first = jailed.block([], { evidence: [doubleVote(node), doubleVote(node), doubleVote(stranger)] })
    expect(first.blockEvents.map((e) => e.type)).toEqual(['jailed'])
    expect(jailed.block([], { evidence: [doubleVote(node)] }).blockEvents).toEqual([])
  })
})

describe('sponsorship', () => {
  it('a customer cannot sponsor itself; the manager sponsors within the quota only', () => {
    const chain = new TestChain()
    chain.run(ISSUER, { kind: 'point.create', point: POINT, name: 'p', decimals: 0, transferable: true })
    expect(chain.run(ALICE, send(1), { sponsor: ALICE }).error).toBe(StateErrorCode.sponsorNotAllowed)
    expect(chain.run(ALICE, send(1), { sponsor: ISSUER }).error).toBe(StateErrorCode.noQuota)
    expect(chain.run(ALICE, send(1), { sponsor: ADMIN }).error).toBe(StateErrorCode.sponsorNotAllowed)
    chain.run(ISSUER, {
      kind: 'sponsor.grant',
      point: POINT,
      grantee: ALICE,
      txsPerPeriod: 2,
      periodMs: 60_000,
      expiresAtHeight: 0,
      kinds: ['point.transfer'],
    })
    const award = { kind: 'merchant.award', point: POINT, customer: ALICE, amount: 10, memo: '' } as const
    // A merchant holds no role that lets it sponsor itself.
    expect(chain.run(MERCHANT, award, { sponsor: MERCHANT }).error).toBe(StateErrorCode.sponsorNotAllowed)
    // ALICE's grant covers transfers only.
    expect(
      chain.run(ALICE, { kind: 'point.approve', point: POINT, spender: BOB, amount: 1 }, { sponsor: ISSUER })
        .error,
    ).toBe(StateErrorCode.noQuota)
    expect(chain.run(ALICE, send(1), { sponsor: ISSUER }).error).toBe(StateErrorCode.insufficientBalance)
  })

  it('counts quota per period of block time; a failed body still consumes it; kinds filter', () => {
    const chain = new TestChain()
    chain.run(ISSUER, { kind: 'point.create', point: POINT, name: 'p', decimals: 0, transferable: true })
    const grant = {
      kind: 'sponsor.grant',
      point: POINT,
      txsPerPeriod: 2,
      periodMs: 60_000,
      expiresAtHeight: 0,
      kinds: ['point.transfer'],
    } as const
    chain.run(ISSUER, { ...grant, grantee: ALICE })
    const t = () => chain.tx(ALICE, send(1), { sponsor: ISSUER })
    // Two transfers fail (no balance) but spend the quota; the third has none left.
    expect(chain.block([t(), t(), t()]).receipts.map((r) => r.error)).toEqual([
      StateErrorCode.insufficientBalance,
      StateErrorCode.insufficientBalance,
      StateErrorCode.noQuota,
    ])
    const approve = chain.tx(
      ALICE,
      { kind: 'point.approve', point: POINT, spender: BOB, amount: 1 },
      { sponsor: ISSUER },
    )
    expect(checkTx(chain.state, t(), { chainId: TEST_CHAIN_ID, height: chain.height + 1 })?.code).toBe(
      StateErrorCode.noQuota,
    )
    // A new period (block time +60 s) restores it; other kinds stay unpaid.
    const later = chain.block([t(), approve], { timeMs: chain.state.meta.timeMs + 60_000 })
    expect(later.receipts.map((r) => r.error)).toEqual([
      StateErrorCode.insufficientBalance,
      StateErrorCode.noQuota,
    ])
    // The grant to everyone is the fallback, with its own count; revoking it takes effect at once.
    chain.run(ISSUER, { ...grant, grantee: null, kinds: [] })
    expect(
      chain.run(ALICE, { kind: 'point.approve', point: POINT, spender: BOB, amount: 1 }, { sponsor: ISSUER })
        .error,
    ).toBeNull()
    chain.run(ISSUER, { kind: 'sponsor.revoke', point: POINT, grantee: null })
    expect(
      chain.run(ALICE, { kind: 'point.approve', point: POINT, spender: BOB, amount: 2 }, { sponsor: ISSUER })
        .error,
    ).toBe(StateErrorCode.noQuota)
  })

  it('a grant lapses after its height; self-grants are refused', () => {
    const chain = new TestChain()
    chain.run(ISSUER, { kind: 'point.create', point: POINT, name: 'p', decimals: 0, transferable: true })
    const grant = { kind: 'sponsor.grant', point: POINT, txsPerPeriod: 9, periodMs: 1, kinds: [] } as const
    expect(chain.run(ISSUER, { ...grant, grantee: ISSUER, expiresAtHeight: 0 }).error).toBe(
      StateErrorCode.selfGrant,
    )
    chain.run(ISSUER, { ...grant, grantee: ALICE, expiresAtHeight: chain.height + 3 })
    const approve = { kind: 'point.approve', point: POINT, spender: BOB, amount: 1 } as const
    expect(chain.run(ALICE, approve, { sponsor: ISSUER }).error).toBeNull()
    expect(chain.run(ALICE, approve, { sponsor: ISSUER }).error).toBeNull()
    expect(chain.run(ALICE, approve, { sponsor: ISSUER }).error).toBe(StateErrorCode.noQuota)
  })
})

describe('checkTx', () => {
  it('filters kinds reserved to a role and accepts a well-sponsored tx', () => {
    const chain = funded()
    const ctx = { chainId: TEST_CHAIN_ID, height: chain.height + 1 }
    expect(checkTx(chain.state, chain.tx(ALICE, send(1)), ctx)).toBeNull()
    const admit = chain.tx(ALICE, { kind: 'merchant.admit', point: POINT, merchant: BOB, creditLimit: 1 })
    expect(checkTx(chain.state, admit, ctx)?.code).toBe(StateErrorCode.notManager)
    const grant = chain.tx(ISSUER, { kind: 'role.grant', account: BOB, role: 'admin' })
    expect(checkTx(chain.state, grant, ctx)?.code).toBe(StateErrorCode.notAdmin)
    expect(checkTx(chain.state, chain.tx(ALICE, send(1), { validUntil: 1 }), ctx)?.code).toBe(
      StateErrorCode.txExpired,
    )
  })
})

describe('storage and receipts', () => {
  it('reloading every write gives the same root, replay index and answers', async () => {
    const chain = funded()
    const tx = chain.tx(ALICE, send(3), { validUntil: chain.height + 8 })
    chain.block([tx])
    const kv = createMemoryStateKv()
    await kv.commit(chain.writes)
    const entries: Array<readonly [Uint8Array, Uint8Array]> = []
    for await (const e of kv.entries()) entries.push(e)
    const loaded = loadLedgerState(entries)
    expect(toHex(loaded.map.root)).toBe(toHex(chain.state.map.root))
    expect(loaded.meta).toEqual(chain.state.meta)
    expect(checkTx(loaded, tx, { chainId: TEST_CHAIN_ID, height: chain.height + 1 })?.code).toBe(
      StateErrorCode.txDuplicate,
    )
    expect(validatorSetOf(loaded).totalPower).toBe(1_000)
  })

  it('receipts round-trip through their encoding', () => {
    const chain = funded()
    const result = chain.block([chain.tx(ALICE, send(3)), chain.tx(ALICE, send(1_000))])
    for (const r of result.receipts) {
      const back = decodeReceipt(encodeReceipt(r))
      expect(encodeReceipt(back)).toEqual(encodeReceipt(r))
      expect(back.status).toBe(r.status)
      expect(back.error).toBe(r.error)
    }
    expect(result.receipts[0]?.events[0]).toMatchObject({ type: 'transfer', amount: 3 })
  })

  it('genesis: validator set from the associations, invalid input rejected', () => {
    const { state } = testGenesis()
    expect(validatorSetOf(state).validators.map((v) => v.power)).toEqual([1_000])
    expect(() =>
      createGenesisState({
        chainId: TEST_CHAIN_ID,
        genesisTimeMs: GENESIS_TIME_MS,
        accounts: [],
        associations: [],
        observers: [],
      }),
    ).toThrow(expect.objectContaining({ code: StateErrorCode.invalidGenesis }))
  })
})
