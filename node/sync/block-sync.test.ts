/** A sync entry comes off the wire: its block's header commitments are checked as it is decoded. */
import { describe, expect, it } from 'vitest'
import { type Block, encodeBlock, txHashesOf, txRootOf, ZERO_HASH } from '../../protocol/block.ts'
import { toHex, utf8 } from '../../protocol/bytes.ts'
import { encode } from '../../protocol/codec.ts'
import { generateKeyPair, sha256 } from '../../protocol/crypto.ts'
import { ProtocolErrorCode } from '../../protocol/errors.ts'
import { encodeTx, signTx, txHashOfEncoded } from '../../protocol/tx.ts'
import { certificateFromVotes, certificateToTuple, signVote } from '../../protocol/vote.ts'
import { decodeSyncEntry, encodeSyncEntry } from './block-sync.ts'

const key = generateKeyPair()
const txs = [1, 2].map((nonce) =>
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

function block(txRoot: Uint8Array): Block {
  return {
    header: {
      chainId: 'c',
      height: 1,
      view: 0,
      timeMs: 1_000,
      parentHash: ZERO_HASH,
      txRoot,
      stateRoot: sha256(utf8('state')),
      lastCommitHash: ZERO_HASH,
      validatorSetHash: ZERO_HASH,
      nextValidatorSetHash: ZERO_HASH,
      evidenceRoot: txRootOf([]),
      proposer: key.publicKey,
    },
    txs,
    lastCommit: null,
    evidence: [],
  }
}

const certificateBytes = encode(
  certificateToTuple(
    certificateFromVotes([signVote('c', { kind: 'commit', height: 1, view: 0, blockHash: ZERO_HASH }, key)]),
  ),
)

describe('decodeSyncEntry', () => {
  it('decodes a good entry, carrying the hashes of its txs', () => {
    const { block: decoded } = decodeSyncEntry(
      encodeSyncEntry(encodeBlock(block(txRootOf(txs))), certificateBytes),
    )
    expect(txHashesOf(decoded.txs).map(toHex)).toEqual(txs.map((t) => toHex(txHashOfEncoded(t))))
  })

  it('refuses a block whose tx root does not match its txs', () => {
    const entry = encodeSyncEntry(encodeBlock(block(sha256(utf8('other')))), certificateBytes)
    expect(() => decodeSyncEntry(entry)).toThrow(
      expect.objectContaining({
        code: ProtocolErrorCode.invalidField,
        details: expect.objectContaining({ field: 'block.header.txRoot' }),
      }),
    )
  })
})
