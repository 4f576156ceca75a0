import { describe, expect, it } from 'vitest'
import {
  type Block,
  blockHash,
  evidenceRootOf,
  headerToTuple,
  txHashesOf,
  txRootOf,
  ZERO_HASH,
} from './block.ts'
import { toHex, utf8 } from './bytes.ts'
import { encode, type WireValue } from './codec.ts'
import {
  compactProposalOf,
  decodeConsensusFrame,
  encodeCompactProposal,
  fullProposalOf,
  MAX_COMPACT_TX_IDS,
} from './compact-proposal.ts'
import {
  ConsensusTag,
  decodeConsensusMessage,
  encodeConsensusMessage,
  type Proposal,
} from './consensus-message.ts'
import { type KeyPair, publicKeyFromSecret, sha256 } from './crypto.ts'
import { ProtocolErrorCode } from './errors.ts'
import { encodeTx, signTx } from './tx.ts'
import {
  type CommitCertificate,
  certificateFromVotes,
  certificateHash,
  certificateToTuple,
  signVote,
} from './vote.ts'

const CHAIN = 'c'
const key: KeyPair = (() => {
  const secretKey = sha256(utf8('compact-test'))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
})()
const txs = Array.from({ length: 5 }, (_, nonce) =>
  encodeTx(
    signTx(
      {
        chainId: CHAIN,
        signer: key.publicKey,
        nonce,
        validUntil: 10,
        sponsor: key.publicKey,
        body: { kind: 'point.transfer', point: 'SHOTEN', to: key.publicKey, amount: nonce + 1 },
      },
      key.secretKey,
    ),
  ),
)
const cert = certificateFromVotes([
  signVote(CHAIN, { kind: 'commit', height: 1, view: 0, blockHash: sha256(utf8('parent')) }, key),
]) as CommitCertificate

function proposal(blockTxs = txs): Proposal {
  const block: Block = {
    header: {
      chainId: CHAIN,
      height: 2,
      view: 1,
      timeMs: 1_000,
      parentHash: sha256(utf8('parent')),
      txRoot: txRootOf(blockTxs),
      stateRoot: sha256(utf8('state')),
      lastCommitHash: certificateHash(cert),
      validatorSetHash: ZERO_HASH,
      nextValidatorSetHash: ZERO_HASH,
      evidenceRoot: evidenceRootOf([]),
      proposer: key.publicKey,
    },
    txs: blockTxs,
    lastCommit: cert,
    evidence: [],
  }
  return {
    type: 'proposal',
    height: 2,
    view: 1,
    block,
    proposer: key.publicKey,
    signature: new Uint8Array(64),
  }
}

/** The wire tuple of a compact proposal, with `edit` applied to its fields. */
function compactBytes(edit: (t: unknown[], block: unknown[]) => void = () => {}): Uint8Array {
  const p = proposal()
  const ids = new Uint8Array(txs.length * 32)
  for (const [i, id] of txHashesOf(p.block.txs).entries()) ids.set(id, i * 32)
  const blockTuple: unknown[] = [headerToTuple(p.block.header), ids, certificateToTuple(cert), []]
  const t: unknown[] = [ConsensusTag.compactProposal, 2, 1, blockTuple, key.publicKey, new Uint8Array(64)]
  edit(t, blockTuple)
  return encode(t as WireValue)
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('compact proposals', () => {
  it('round-trip: the header, the ids in block order and the body; the full proposal rebuilds exactly', () => {
    const p = proposal()
    const bytes = encodeCompactProposal(compactProposalOf(p))
    const decoded = decodeConsensusFrame(bytes, CHAIN)
    expect(decoded.type).toBe('compact-proposal')
    if (decoded.type !== 'compact-proposal') return
    expect(decoded.block.txIds.map(toHex)).toEqual(txHashesOf(txs).map(toHex))
    expect(blockHash(decoded.block.header)).toEqual(blockHash(p.block.header))
    const rebuilt = fullProposalOf(decoded, txs)
    expect(encodeConsensusMessage(rebuilt)).toEqual(encodeConsensusMessage(p))
  })

  it('is far smaller than the full proposal: 32 bytes per tx', () => {
    const p = proposal()
    const compact = encodeCompactProposal(compactProposalOf(p)).length
    const full = encodeConsensusMessage(p).length
    const txBytes = txs.reduce((n, tx) => n + tx.length, 0)
    expect(full - compact).toBeGreaterThan(txBytes - txs.length * 32 - 16)
    const empty = encodeCompactProposal(compactProposalOf(proposal([])))
    expect(compact - empty.length).toBe(txs.length * 32)
  })

  it('decodeConsensusFrame still decodes every full message', () => {
    const p = proposal()
    const decoded = decodeConsensusFrame(encodeConsensusMessage(p), CHAIN)
    expect(decoded.type).toBe('proposal')
  })

  it('a compact proposal is never a consensus message (consensus, the WAL and sync cannot take one)', () => {
    expect(codeOf(() => decodeConsensusMessage(compactBytes(), CHAIN))).toBe(ProtocolErrorCode.unknownKind)
  })

  it('refuses a repeated id, ids that are not a multiple of 32 bytes, and more ids than allowed', () => {
    const dup = compactBytes((_t, b) => {
      const ids = b[1] as Uint8Array
      ids.set(ids.subarray(0, 32), 64)
    })
    expect(codeOf(() => decodeConsensusFrame(dup, CHAIN))).toBe(ProtocolErrorCode.invalidField)
    const ragged = compactBytes((_t, b) => {
      b[1] = (b[1] as Uint8Array).subarray(0, 33)
    })
    expect(codeOf(() => decodeConsensusFrame(ragged, CHAIN))).toBe(ProtocolErrorCode.invalidField)
    expect(codeOf(() => decodeConsensusFrame(compactBytes(), CHAIN, 4))).toBe(ProtocolErrorCode.invalidField)
    expect(decodeConsensusFrame(compactBytes(), CHAIN, 5).type).toBe('compact-proposal')
    // The ceiling: no block within the protocol's byte limit holds more txs.
    expect(MAX_COMPACT_TX_IDS * 72).toBeLessThanOrEqual(16 * 1024 * 1024)
  })

  it('checks the body against the header, the chain and the slot, as a full proposal', () => {
    const badCommit = compactBytes((_t, b) => {
      b[2] = null
    })
    expect(codeOf(() => decodeConsensusFrame(badCommit, CHAIN))).toBe(ProtocolErrorCode.invalidField)
    const evidence = compactBytes((_t, b) => {
      b[3] = 'x'
    })
    expect(codeOf(() => decodeConsensusFrame(evidence, CHAIN))).toBe(ProtocolErrorCode.invalidField)
    expect(codeOf(() => decodeConsensusFrame(compactBytes(), 'other'))).toBe(ProtocolErrorCode.wrongChain)
    const height = compactBytes((t) => {
      t[1] = 3
    })
    expect(codeOf(() => decodeConsensusFrame(height, CHAIN))).toBe(ProtocolErrorCode.invalidField)
    const view = compactBytes((t) => {
      t[2] = 0
    })
    expect(codeOf(() => decodeConsensusFrame(view, CHAIN))).toBe(ProtocolErrorCode.invalidField)
    const shape = compactBytes((t) => {
      t.pop()
    })
    expect(codeOf(() => decodeConsensusFrame(shape, CHAIN))).toBe(ProtocolErrorCode.invalidField)
    expect(decodeConsensusFrame(compactBytes(), CHAIN).type).toBe('compact-proposal')
  })
})
