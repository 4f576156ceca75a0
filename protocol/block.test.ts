import { describe, expect, it } from 'vitest'
import { type Block, blockHash, decodeBlock, encodeBlock, txRootOf, ZERO_HASH } from './block.ts'
import { toHex, utf8 } from './bytes.ts'
import { type KeyPair, publicKeyFromSecret, sha256 } from './crypto.ts'
import { ProtocolErrorCode } from './errors.ts'
import { encodeTx, signTx } from './tx.ts'
import { certificateFromVotes, certificateHash, signVote } from './vote.ts'

const key: KeyPair = (() => {
  const secretKey = sha256(utf8('block-test'))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
})()
const txs = [1, 2, 3].map((nonce) =>
  encodeTx(
    signTx(
      {
        chainId: 'c',
        signer: key.publicKey,
        nonce,
        validUntil: 10,
        sponsor: key.publicKey,
        body: { kind: 'point.transfer', point: 'SHOTEN', to: key.publicKey, amount: nonce },
      },
      key.secretKey,
    ),
  ),
)
const cert = certificateFromVotes([
  signVote('c', { kind: 'commit', height: 1, view: 0, blockHash: sha256(utf8('parent')) }, key),
])

function block(overrides: Partial<Block['header']> = {}, body: Partial<Omit<Block, 'header'>> = {}): Block {
  return {
    header: {
      chainId: 'c',
      height: 2,
      view: 0,
      timeMs: 1_000,
      parentHash: sha256(utf8('parent')),
      txRoot: txRootOf(txs),
      stateRoot: sha256(utf8('state')),
      lastCommitHash: certificateHash(cert),
      validatorSetHash: ZERO_HASH,
      nextValidatorSetHash: ZERO_HASH,
      evidenceRoot: txRootOf([]),
      proposer: key.publicKey,
      ...overrides,
    },
    txs,
    lastCommit: cert as Block['lastCommit'],
    evidence: [],
    ...body,
  }
}

function field(run: () => unknown): unknown {
  try {
    run()
  } catch (err) {
    const e = err as { code: string; details: { field?: string } }
    return [e.code, e.details.field]
  }
  return 'accepted'
}

describe('blocks', () => {
  it('round-trip with the same hash', () => {
    const b = block()
    const back = decodeBlock(encodeBlock(b))
    expect(toHex(blockHash(back.header))).toBe(toHex(blockHash(b.header)))
    expect(toHex(encodeBlock(back))).toBe(toHex(encodeBlock(b)))
  })

  it('every header field changes the hash', () => {
    const base = toHex(blockHash(block().header))
    const other = sha256(utf8('other'))
    const changes: Partial<Block['header']>[] = [
      { chainId: 'd' },
      { height: 3 },
      { view: 1 },
      { timeMs: 1_001 },
      { parentHash: other },
      { txRoot: other },
      { stateRoot: other },
      { lastCommitHash: other },
      { validatorSetHash: other },
      { nextValidatorSetHash: other },
      { evidenceRoot: other },
      { proposer: other },
    ]
    const hashes = new Set(changes.map((c) => toHex(blockHash(block(c).header))))
    expect(hashes.size).toBe(changes.length)
    expect(hashes.has(base)).toBe(false)
  })

  it('the header must commit to the body it arrives with', () => {
    expect(field(() => decodeBlock(encodeBlock(block({}, { txs: txs.slice(1) }))))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.header.txRoot',
    ])
    expect(field(() => decodeBlock(encodeBlock(block({ lastCommitHash: ZERO_HASH }))))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.header.lastCommitHash',
    ])
    expect(field(() => decodeBlock(encodeBlock(block({ height: 3 }))))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.lastCommit.height',
    ])
    expect(
      field(() =>
        decodeBlock(encodeBlock(block({ height: 1, lastCommitHash: ZERO_HASH }, { lastCommit: null }))),
      ),
    ).toBe('accepted')
    expect(
      field(() => decodeBlock(encodeBlock(block({ lastCommitHash: ZERO_HASH }, { lastCommit: null })))),
    ).toEqual([ProtocolErrorCode.invalidField, 'block.lastCommit'])
  })

  it('the size limit applies before decoding', () => {
    const bytes = encodeBlock(block())
    expect(field(() => decodeBlock(bytes, bytes.length - 1))).toEqual([ProtocolErrorCode.tooLarge, undefined])
  })
})
