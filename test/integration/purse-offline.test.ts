/**
 * A terminal's offline check of purse vouchers (client/purse.ts) against real certified proofs: the
 * purse record comes out of the real state machine (state/), its block header commits to the real
 * state root, and test validators sign the commit certificate. Every refusal is checked by its
 * reason; vouchers the terminal accepted then settle on the ledger.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ArcadeClientError,
  type CachedPurseProof,
  ClientErrorCode,
  createVoucher,
  LightClient,
  type OfflineTrust,
  type PurseSpend,
  signVoucher,
  type Voucher,
  VoucherRejection,
  verifyPurseProof,
  verifyVoucherOffline,
  voucherFrom,
  voucherToJson,
} from '../../client/index.ts'
import { certificateJson } from '../../client/test-ledger.ts'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import { type BlockHeader, blockHash, ZERO_HASH } from '../../protocol/block.ts'
import { type Bytes, toHex } from '../../protocol/bytes.ts'
import { generateKeyPair, type KeyPair, sign } from '../../protocol/crypto.ts'
import { PURSE_SETTLEMENT_GRACE_MS } from '../../protocol/purse.ts'
import { pursePossessionSignBytes } from '../../protocol/sign-bytes.ts'
import { createValidatorSet, type ValidatorSet, validatorSetHash } from '../../protocol/validator-set.ts'
import { certificateFromVotes, signVote } from '../../protocol/vote.ts'
import { createLedgerQuery, recordKey } from '../../state/query.ts'
import type { Receipt } from '../../state/receipt.ts'
import { account, POINT, setupMerchant, setupPoint, TEST_CHAIN_ID, TestChain } from '../../state/test-kit.ts'

const MERCHANT = account(10)
const TERMINAL = account(11)
const OTHER = account(12)
const OWNER = account(20)
const HOUR = 3_600_000
const LOCKED = 500

const validators: KeyPair[] = Array.from({ length: 4 }, generateKeyPair)
const set: ValidatorSet = createValidatorSet(validators.map((k) => ({ publicKey: k.publicKey, power: 10 })))
const trust: OfflineTrust = { chainId: TEST_CHAIN_ID, validators: set }

let chain: TestChain
let purse: KeyPair
let expiresAtMs: number

/** The purse's proof at the chain's head, in a header the validators (`signers`) certify. */
function cache(
  signers: readonly KeyPair[] = validators.slice(0, 3),
  key: Bytes = purse.publicKey,
): CachedPurseProof {
  const header: BlockHeader = {
    chainId: TEST_CHAIN_ID,
    height: chain.height,
    view: 0,
    timeMs: chain.state.meta.timeMs,
    parentHash: new Uint8Array(32).fill(1),
    txRoot: ZERO_HASH,
    stateRoot: chain.state.map.root,
    lastCommitHash: new Uint8Array(32).fill(2),
    validatorSetHash: validatorSetHash(set),
    nextValidatorSetHash: validatorSetHash(set),
    evidenceRoot: ZERO_HASH,
    proposer: (validators[0] as KeyPair).publicKey,
  }
  const hash = blockHash(header)
  const certificate = certificateFromVotes(
    signers.map((k) =>
      signVote(TEST_CHAIN_ID, { kind: 'commit', height: header.height, view: 0, blockHash: hash }, k),
    ),
  )
  const p = createLedgerQuery(chain.state).prove(recordKey.purse(key))
  const leaf = p.proof.leaf
  return {
    chainId: TEST_CHAIN_ID,
    purse: encodeAddress(key),
    proof: {
      key: toHex(p.key),
      value: p.value === null ? null : toHex(p.value),
      proof: {
        siblings: p.proof.siblings.map(toHex),
        leaf: leaf === null ? null : { path: toHex(leaf.path), valueHash: toHex(leaf.valueHash) },
      },
      height: chain.height,
      stateRoot: toHex(chain.state.map.root),
      blockHash: toHex(hash),
      certificate: null,
    },
    header: {
      chainId: header.chainId,
      height: header.height,
      view: header.view,
      timeMs: header.timeMs,
      parentHash: toHex(header.parentHash),
      txRoot: toHex(header.txRoot),
      stateRoot: toHex(header.stateRoot),
      lastCommitHash: toHex(header.lastCommitHash),
      validatorSetHash: toHex(header.validatorSetHash),
      nextValidatorSetHash: toHex(header.nextValidatorSetHash),
      evidenceRoot: toHex(header.evidenceRoot),
      proposer: encodeAddress(header.proposer, NODE_KEY_PREFIX),
    },
    certificate: certificateJson(certificate),
  }
}

const now = () => chain.state.meta.timeMs + 60_000
const accept = (v: Voucher, cached: CachedPurseProof, last: PurseSpend | null = null, nowMs = now()) =>
  verifyVoucherOffline(v, cached, trust, { payees: [TERMINAL, MERCHANT], nowMs, last })

function reason(run: () => unknown): unknown {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(ArcadeClientError)
    expect((err as ArcadeClientError).code).toBe(ClientErrorCode.voucherRejected)
    return (err as ArcadeClientError).details.reason
  }
  throw new Error('expected a refusal')
}

const pay = (previous: PurseSpend | null, amount: number, payee: Bytes = TERMINAL) =>
  createVoucher({ chainId: TEST_CHAIN_ID, purse, point: POINT, payee, amount, previous, locked: LOCKED })

beforeEach(() => {
  chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 10_000, [TERMINAL])
  setupMerchant(chain, OTHER, 10_000)
  chain.run(MERCHANT, { kind: 'merchant.award', point: POINT, customer: OWNER, amount: 1_000, memo: '' })
  purse = generateKeyPair()
  expiresAtMs = chain.state.meta.timeMs + 12 * HOUR
  const r = chain.run(OWNER, {
    kind: 'purse.open',
    point: POINT,
    purse: purse.publicKey,
    amount: LOCKED,
    expiresAtMs,
    possessionProof: sign(pursePossessionSignBytes(TEST_CHAIN_ID, OWNER, purse.publicKey), purse.secretKey),
  })
  expect(r.status).toBe('ok')
})

describe('a terminal accepts vouchers offline', () => {
  it('checks the signature, the certified proof and the running total, and the ledger pays them', () => {
    const cached = cache()
    const first = pay(null, 120)
    const a = accept(first.voucher, cached)
    expect(a).toMatchObject({ provenHeight: chain.height, spend: { counter: 1, cumulative: 120 } })
    expect(a.purse).toMatchObject({ locked: LOCKED, spent: 0, status: 'open' })
    // The phone paid elsewhere meanwhile (counter 2); the terminal's log holds its own last voucher.
    const elsewhere = pay(first.spend, 80, OTHER)
    const third = pay(elsewhere.spend, 300)
    expect(accept(third.voucher, cached, a.spend).spend).toEqual({ counter: 3, cumulative: 500 })
    // The same proof, verified once, serves many vouchers; JSON vouchers are taken too.
    const verified = verifyPurseProof(cached, trust)
    expect(
      verifyVoucherOffline(voucherToJson(first.voucher), verified, trust, {
        payees: [TERMINAL],
        nowMs: now(),
      }).spend,
    ).toEqual({
      counter: 1,
      cumulative: 120,
    })
    // Back online: every voucher the terminals took settles in full, in any order.
    const settle = (signer: Bytes, vouchers: Voucher[]) =>
      chain.run(signer, { kind: 'purse.settle', point: POINT, vouchers }) as Receipt
    expect(settle(TERMINAL, [third.voucher]).error).toBeNull()
    expect(settle(OTHER, [elsewhere.voucher]).error).toBeNull()
    expect(settle(TERMINAL, [first.voucher]).error).toBeNull()
    expect(createLedgerQuery(chain.state).purse(purse.publicKey)).toMatchObject({
      spent: 500,
      status: 'open',
      shortfall: 0,
    })
  })

  it('trusts a light client (or its cache) for the proof height, offline', () => {
    const cached = cache()
    const light = LightClient.fromCache({
      chainId: TEST_CHAIN_ID,
      sets: [
        {
          fromHeight: 1,
          validators: validators.map((k) => ({
            nodeKey: encodeAddress(k.publicKey, NODE_KEY_PREFIX),
            power: 10,
          })),
        },
      ],
    })
    const v = pay(null, 10).voucher
    expect(verifyVoucherOffline(v, cached, light, { payees: [TERMINAL], nowMs: now() }).spend.counter).toBe(1)
    expect(
      verifyVoucherOffline(v, cached, light.toJSON(), { payees: [TERMINAL], nowMs: now() }).spend.counter,
    ).toBe(1)
    const late = LightClient.fromCache({
      ...light.toJSON(),
      sets: [{ ...light.toJSON().sets[0]!, fromHeight: chain.height + 1 }],
    })
    expect(reason(() => verifyVoucherOffline(v, cached, late, { payees: [TERMINAL], nowMs: now() }))).toBe(
      VoucherRejection.trust,
    )
  })

  it('refuses a proof that does not check out: forged certificate, other set, other record, other chain', () => {
    const v = pay(null, 10).voucher
    const outsiders = Array.from({ length: 3 }, generateKeyPair)
    expect(reason(() => accept(v, cache(outsiders)))).toBe(VoucherRejection.proof)
    expect(reason(() => accept(v, cache(validators.slice(0, 2))))).toBe(VoucherRejection.proof)
    const otherSet = createValidatorSet([{ publicKey: generateKeyPair().publicKey, power: 1 }])
    expect(
      reason(() =>
        verifyVoucherOffline(
          v,
          cache(),
          { chainId: TEST_CHAIN_ID, validators: otherSet },
          {
            payees: [TERMINAL],
            nowMs: now(),
          },
        ),
      ),
    ).toBe(VoucherRejection.proof)
    const cached = cache()
    const tampered = { ...cached, proof: { ...cached.proof, value: `${cached.proof.value?.slice(0, -2)}01` } }
    expect(reason(() => accept(v, tampered))).toBe(VoucherRejection.proof)
    // A valid proof of another record, passed off as the purse's.
    const other = cache(undefined, generateKeyPair().publicKey)
    expect(reason(() => accept(v, { ...other, purse: cached.purse }))).toBe(VoucherRejection.proof)
    expect(reason(() => accept(v, { ...cached, chainId: 'other-chain' }))).toBe(VoucherRejection.proof)
    // A purse proven absent.
    const stranger = generateKeyPair()
    const absent = cache(undefined, stranger.publicKey)
    const theirs = signVoucher(
      TEST_CHAIN_ID,
      { point: POINT, purse: stranger.publicKey, payee: TERMINAL, counter: 1, amount: 1, cumulative: 1 },
      stranger.secretKey,
    )
    expect(reason(() => accept(theirs, absent))).toBe(VoucherRejection.unknownPurse)
    expect(reason(() => accept(v, absent))).toBe(VoucherRejection.unknownPurse)
  })

  it('refuses what the purse key did not sign for this chain, and vouchers for someone else', () => {
    const cached = cache()
    const v = pay(null, 10).voucher
    expect(reason(() => accept({ ...v, amount: 11, cumulative: 11 }, cached))).toBe(
      VoucherRejection.signature,
    )
    const otherChain = createVoucher({
      chainId: 'other-chain',
      purse,
      point: POINT,
      payee: TERMINAL,
      amount: 10,
      previous: null,
    })
    expect(reason(() => accept(otherChain.voucher, cached))).toBe(VoucherRejection.signature)
    expect(reason(() => accept(pay(null, 10, OTHER).voucher, cached))).toBe(VoucherRejection.payee)
    const stranger = generateKeyPair()
    const notThisPurse = signVoucher(
      TEST_CHAIN_ID,
      { point: POINT, purse: stranger.publicKey, payee: TERMINAL, counter: 1, amount: 1, cumulative: 1 },
      stranger.secretKey,
    )
    expect(reason(() => accept(notThisPurse, cached))).toBe(VoucherRejection.purse)
    expect(reason(() => accept({ ...v, counter: 0 }, cached))).toBe(VoucherRejection.malformed)
    expect(() => voucherFrom({ ...voucherToJson(v), payee: 'arc1typo' })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.invalidInput }),
    )
  })

  it('refuses a running total beyond the purse (the locked amount exactly is fine)', () => {
    const cached = cache()
    const over = signVoucher(
      TEST_CHAIN_ID,
      {
        point: POINT,
        purse: purse.publicKey,
        payee: TERMINAL,
        counter: 1,
        amount: 10,
        cumulative: LOCKED + 1,
      },
      purse.secretKey,
    )
    expect(reason(() => accept(over, cached))).toBe(VoucherRejection.beyondPurse)
    expect(accept(pay(null, LOCKED).voucher, cached).spend.cumulative).toBe(LOCKED)
    expect(() => pay(null, LOCKED + 1)).toThrow(
      expect.objectContaining({ code: ClientErrorCode.invalidInput }),
    )
    // What the proof shows spent counts too: after 450 settled, 60 more cannot be this purse's.
    chain.run(TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [pay(null, 450).voucher] })
    const clone = signVoucher(
      TEST_CHAIN_ID,
      { point: POINT, purse: purse.publicKey, payee: TERMINAL, counter: 2, amount: 60, cumulative: 60 },
      purse.secretKey,
    )
    expect(reason(() => accept(clone, cache()))).toBe(VoucherRejection.beyondPurse)
  })

  it('refuses replays and inconsistent running totals against the proof and its own log', () => {
    const first = pay(null, 100)
    chain.run(TERMINAL, { kind: 'purse.settle', point: POINT, vouchers: [first.voucher] })
    const cached = cache()
    expect(reason(() => accept(first.voucher, cached))).toBe(VoucherRejection.replay)
    const second = pay(first.spend, 50)
    const taken = accept(second.voucher, cached)
    expect(reason(() => accept(second.voucher, cached, taken.spend))).toBe(VoucherRejection.replay)
    // A cloned key's next voucher claiming a running total that did not grow by its amount.
    const clone = signVoucher(
      TEST_CHAIN_ID,
      { point: POINT, purse: purse.publicKey, payee: TERMINAL, counter: 3, amount: 100, cumulative: 160 },
      purse.secretKey,
    )
    expect(reason(() => accept(clone, cached, taken.spend))).toBe(VoucherRejection.inconsistent)
    expect(accept(pay(second.spend, 100).voucher, cached, taken.spend).spend).toEqual({
      counter: 3,
      cumulative: 250,
    })
  })

  it('refuses an expired purse, a stale proof, a frozen and a closed purse', () => {
    const cached = cache()
    const v = pay(null, 10).voucher
    expect(reason(() => accept(v, cached, null, expiresAtMs))).toBe(VoucherRejection.expired)
    expect(accept(v, cached, null, expiresAtMs - 1).spend.counter).toBe(1)
    // Within the default day, a two-hour-old proof is fine; a terminal asking for one hour refuses it.
    const later = chain.state.meta.timeMs + 2 * HOUR
    expect(accept(v, cached, null, later).spend.counter).toBe(1)
    expect(
      reason(() =>
        verifyVoucherOffline(v, cached, trust, { payees: [TERMINAL], nowMs: later, maxProofAgeMs: HOUR }),
      ),
    ).toBe(VoucherRejection.staleProof)
    // Evidence of a cloned key: a proof taken after it shows the purse frozen.
    const a = pay(null, 10).voucher
    const b = pay(null, 20).voucher
    expect(chain.run(OTHER, { kind: 'purse.evidence', point: POINT, first: a, second: b }).error).toBeNull()
    expect(reason(() => accept(pay(null, 5).voucher, cache()))).toBe(VoucherRejection.frozen)
    // Closed after its settlement window.
    const closedAt = expiresAtMs + PURSE_SETTLEMENT_GRACE_MS + 1
    const close = chain.tx(OWNER, { kind: 'purse.reclaim', point: POINT, purse: purse.publicKey })
    expect(chain.block([close], { timeMs: closedAt }).receipts[0]?.error).toBeNull()
    expect(reason(() => accept(pay(null, 5).voucher, cache(), null, closedAt))).toBe(VoucherRejection.closed)
  })
})
