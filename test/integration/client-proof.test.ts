/**
 * The SDK's proof verification against a real ledger (state/) and a commit certificate signed by
 * test validator keys: a real proof verifies, and breaking any link of the chain fails with its reason.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { ArcadeClientError, ClientErrorCode, type ProofJson, verifyRecordProof } from '../../client/index.ts'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import { type BlockHeader, blockHash, ZERO_HASH } from '../../protocol/block.ts'
import { type Bytes, toHex } from '../../protocol/bytes.ts'
import { decodeRaw } from '../../protocol/codec.ts'
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts'
import { createValidatorSet, type ValidatorSet, validatorSetHash } from '../../protocol/validator-set.ts'
import { certificateFromVotes, type QuorumCertificate, signVote } from '../../protocol/vote.ts'
import { createLedgerQuery, recordKey } from '../../state/query.ts'
import { account, POINT, setupMerchant, setupPoint, TEST_CHAIN_ID, TestChain } from '../../state/test-kit.ts'

const CUSTOMER = account(12)
const MERCHANT = account(10)
const TERMINAL = account(11)

let validators: KeyPair[]
let set: ValidatorSet
let header: BlockHeader
let chain: TestChain

function certify(signers: readonly KeyPair[], h: BlockHeader = header): QuorumCertificate {
  const hash = blockHash(h)
  return certificateFromVotes(
    signers.map((k) =>
      signVote(TEST_CHAIN_ID, { kind: 'commit', height: h.height, view: 0, blockHash: hash }, k),
    ),
  )
}

function proofJson(key: Bytes, cert: QuorumCertificate | null): ProofJson {
  const p = createLedgerQuery(chain.state).prove(key)
  const leaf = p.proof.leaf
  return {
    key: toHex(p.key),
    value: p.value === null ? null : toHex(p.value),
    proof: {
      siblings: p.proof.siblings.map(toHex),
      leaf: leaf === null ? null : { path: toHex(leaf.path), valueHash: toHex(leaf.valueHash) },
    },
    height: chain.height,
    stateRoot: toHex(chain.state.map.root),
    blockHash: toHex(blockHash(header)),
    certificate:
      cert === null
        ? null
        : {
            kind: 'commit',
            height: cert.height,
            view: cert.view,
            blockHash: toHex(cert.blockHash),
            signers: cert.signatures.map((s) => ({
              validator: encodeAddress(s.validator, NODE_KEY_PREFIX),
              signature: toHex(s.signature),
            })),
          },
  }
}

beforeAll(() => {
  chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 500, [TERMINAL])
  const r = chain.run(TERMINAL, {
    kind: 'merchant.award',
    point: POINT,
    customer: CUSTOMER,
    amount: 120,
    memo: '',
  })
  expect(r.status).toBe('ok')
  validators = Array.from({ length: 4 }, generateKeyPair)
  set = createValidatorSet(validators.map((k) => ({ publicKey: k.publicKey, power: 10 })))
  header = {
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
    proposer: validators[0]?.publicKey as Bytes,
  }
})

function failure(run: () => unknown): { code: string; reason: unknown; cause: unknown } {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(ArcadeClientError)
    const e = err as ArcadeClientError
    return { code: e.code, reason: e.details.reason, cause: e.details.cause }
  }
  throw new Error('expected a failure')
}

describe('verifyRecordProof', () => {
  it("verifies a customer's balance against a 3-of-4 commit certificate", () => {
    const proof = proofJson(recordKey.balance(POINT, CUSTOMER), certify(validators.slice(0, 3)))
    const record = verifyRecordProof(proof, { chainId: TEST_CHAIN_ID, header, validators: set })
    expect(record.decoded).toBe(120)
    expect(record.height).toBe(chain.height)
    expect(toHex(record.blockHash)).toBe(toHex(blockHash(header)))
  })

  it('verifies an absence, and a record given with a certificate fetched separately', () => {
    const absent = proofJson(recordKey.balance(POINT, account(999)), null)
    const record = verifyRecordProof(absent, {
      chainId: TEST_CHAIN_ID,
      header,
      validators: set,
      certificate: certify(validators),
    })
    expect(record.value).toBeNull()
    const merchant = verifyRecordProof(proofJson(recordKey.merchant(POINT, MERCHANT), certify(validators)), {
      chainId: TEST_CHAIN_ID,
      header,
      validators: set,
    })
    expect(Array.isArray(merchant.decoded)).toBe(true)
    expect(decodeRaw(merchant.value as Bytes, 1 << 16, 'm')).toEqual(merchant.decoded)
  })

  it('fails when the value is tampered with (state proof)', () => {
    const proof = proofJson(recordKey.balance(POINT, CUSTOMER), certify(validators))
    const forged = { ...proof, value: 'cd03e8' } // 1000 instead of 120
    expect(
      failure(() => verifyRecordProof(forged, { chainId: TEST_CHAIN_ID, header, validators: set })),
    ).toMatchObject({
      code: ClientErrorCode.proofInvalid,
      reason: 'state-proof',
    })
    const claimedAbsent = { ...proof, value: null }
    expect(
      failure(() => verifyRecordProof(claimedAbsent, { chainId: TEST_CHAIN_ID, header, validators: set }))
        .reason,
    ).toBe('state-proof')
  })

  it('fails when the root is not the header’s, or the header is not the certified one', () => {
    const proof = proofJson(recordKey.balance(POINT, CUSTOMER), certify(validators))
    const otherHeader = { ...header, stateRoot: new Uint8Array(32).fill(9) }
    expect(
      failure(() =>
        verifyRecordProof(proof, { chainId: TEST_CHAIN_ID, header: otherHeader, validators: set }),
      ).reason,
    ).toBe('header')
    // A consistent forged header (its own root) whose certificate signs the real header: refused.
    const wrongChain = { ...header, chainId: 'other-chain' }
    expect(
      failure(() => verifyRecordProof(proof, { chainId: TEST_CHAIN_ID, header: wrongChain, validators: set }))
        .reason,
    ).toBe('header')
    const certForOther = certify(validators, { ...header, timeMs: header.timeMs + 1 })
    const p2 = { ...proofJson(recordKey.balance(POINT, CUSTOMER), certForOther), blockHash: null }
    expect(
      failure(() => verifyRecordProof(p2, { chainId: TEST_CHAIN_ID, header, validators: set })).reason,
    ).toBe('certificate')
  })

  it('fails without a 2/3 quorum, with a forged signature, or with a validator set the header does not name', () => {
    const weak = proofJson(recordKey.balance(POINT, CUSTOMER), certify(validators.slice(0, 2)))
    expect(
      failure(() => verifyRecordProof(weak, { chainId: TEST_CHAIN_ID, header, validators: set })),
    ).toMatchObject({
      reason: 'certificate',
      cause: 'CERT_NO_QUORUM',
    })
    const good = proofJson(recordKey.balance(POINT, CUSTOMER), certify(validators.slice(0, 3)))
    const cert = good.certificate as NonNullable<ProofJson['certificate']>
    const forgedSig = {
      ...good,
      certificate: {
        ...cert,
        signers: cert.signers.map((s, i) => (i === 0 ? { ...s, signature: 'ff'.repeat(64) } : s)),
      },
    }
    expect(
      failure(() => verifyRecordProof(forgedSig, { chainId: TEST_CHAIN_ID, header, validators: set })).cause,
    ).toBe('CERT_BAD_SIGNATURE')
    const strangers = createValidatorSet(
      Array.from({ length: 4 }, () => ({ publicKey: generateKeyPair().publicKey, power: 10 })),
    )
    expect(
      failure(() => verifyRecordProof(good, { chainId: TEST_CHAIN_ID, header, validators: strangers }))
        .reason,
    ).toBe('validator-set')
  })

  it('says the proof is unsigned when no certificate is known yet', () => {
    const proof = proofJson(recordKey.balance(POINT, CUSTOMER), null)
    expect(
      failure(() => verifyRecordProof(proof, { chainId: TEST_CHAIN_ID, header, validators: set })).code,
    ).toBe(ClientErrorCode.proofUnsigned)
  })
})
