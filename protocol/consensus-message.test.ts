import { describe, expect, it } from 'vitest'
import { type Block, blockHash, evidenceRootOf, txRootOf, ZERO_HASH } from './block.ts'
import { toHex } from './bytes.ts'
import { encode } from './codec.ts'
import {
  type ConsensusMessage,
  consensusMessageToTuple,
  consensusMessageWeight,
  decodeConsensusMessage,
  encodeConsensusMessage,
  type NewView,
  signerOf,
  type ViewChange,
} from './consensus-message.ts'
import { ProtocolErrorCode } from './errors.ts'
import { Limits } from './limits.ts'
import type { QuorumCertificate } from './vote.ts'

const CHAIN = 'arcade-test'
const key = (i: number) => new Uint8Array(32).fill(i)
const sig = (i: number) => new Uint8Array(64).fill(i)

function block(chainId = CHAIN, height = 1, timeMs = 10): Block {
  return {
    header: {
      chainId,
      height,
      view: 0,
      timeMs,
      parentHash: ZERO_HASH,
      txRoot: txRootOf([]),
      stateRoot: key(9),
      lastCommitHash: ZERO_HASH,
      validatorSetHash: key(8),
      nextValidatorSetHash: key(8),
      evidenceRoot: evidenceRootOf([]),
      proposer: key(1),
    },
    txs: [],
    lastCommit: null,
    evidence: [],
  }
}

function prepareCert(b: Block, view = 0): QuorumCertificate {
  return {
    kind: 'prepare',
    height: b.header.height,
    view,
    blockHash: blockHash(b.header),
    signatures: [1, 2, 3].map((i) => ({ validator: key(i), signature: sig(i) })),
  }
}

function viewChange(validator: number, view: number, b: Block | null): ViewChange {
  return {
    type: 'view-change',
    height: 1,
    view,
    prepared: b === null ? null : { certificate: prepareCert(b), block: b },
    validator: key(validator),
    signature: sig(validator),
  }
}

const proposal = (b: Block, view = 0) =>
  ({ type: 'proposal', height: 1, view, block: b, proposer: key(1), signature: sig(1) }) as const

const codeOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return 'no error'
}

describe('consensus messages', () => {
  const b = block()
  const messages: ConsensusMessage[] = [
    proposal(b),
    {
      type: 'vote',
      vote: {
        kind: 'prepare',
        height: 1,
        view: 0,
        blockHash: blockHash(b.header),
        validator: key(2),
        signature: sig(2),
      },
    },
    viewChange(2, 1, b),
    viewChange(3, 1, null),
    {
      type: 'new-view',
      height: 1,
      view: 1,
      viewChanges: [viewChange(2, 1, b), viewChange(3, 1, null)],
      proposal: proposal(b, 1),
    },
  ]

  it('round-trips every message type through the canonical codec', () => {
    for (const m of messages) {
      const bytes = encodeConsensusMessage(m)
      const back = decodeConsensusMessage(bytes, CHAIN)
      expect(back.type).toBe(m.type)
      expect(toHex(encodeConsensusMessage(back))).toBe(toHex(bytes))
    }
  })

  it('rejects a message for another chain', () => {
    const other = proposal(block('other-chain'))
    expect(codeOf(() => decodeConsensusMessage(encodeConsensusMessage(other), CHAIN))).toBe(
      ProtocolErrorCode.wrongChain,
    )
  })

  it('rejects oversize, malformed and unknown input with typed codes', () => {
    const huge = new Uint8Array(Limits.maxConsensusMessageBytes + 1)
    expect(codeOf(() => decodeConsensusMessage(huge, CHAIN))).toBe(ProtocolErrorCode.tooLarge)
    expect(codeOf(() => decodeConsensusMessage(Uint8Array.of(0x93, 0x01), CHAIN))).toBe(
      ProtocolErrorCode.malformed,
    )
    expect(codeOf(() => decodeConsensusMessage(encode([9, 1]), CHAIN))).toBe(ProtocolErrorCode.unknownKind)
  })

  it('rejects a prepared proof whose block is not the certified one', () => {
    const vc = viewChange(2, 1, b)
    const forged = { ...vc, prepared: { certificate: prepareCert(block(CHAIN, 1, 11)), block: b } }
    const bytes = encode(consensusMessageToTuple(forged))
    expect(codeOf(() => decodeConsensusMessage(bytes, CHAIN))).toBe(ProtocolErrorCode.invalidField)
  })

  it('rejects a prepared proof that is not from an earlier view', () => {
    const late = { ...viewChange(2, 1, b), prepared: { certificate: prepareCert(b, 1), block: b } }
    expect(codeOf(() => decodeConsensusMessage(encode(consensusMessageToTuple(late)), CHAIN))).toBe(
      ProtocolErrorCode.invalidField,
    )
  })

  it('rejects a NEW-VIEW with duplicate or unsorted view changes, or another view', () => {
    const nv = messages[4] as NewView
    const unsorted = { ...nv, viewChanges: [...nv.viewChanges].reverse() }
    const otherView = { ...nv, viewChanges: [viewChange(2, 2, null)] }
    for (const bad of [unsorted, otherView]) {
      expect(codeOf(() => decodeConsensusMessage(encode(consensusMessageToTuple(bad)), CHAIN))).toBe(
        ProtocolErrorCode.invalidField,
      )
    }
  })

  it('round-trips a commit certificate, and rejects one of another kind, height or view', () => {
    const cert = { ...prepareCert(b), kind: 'commit' as const }
    const m: ConsensusMessage = { type: 'commit-certificate', height: 1, view: 0, certificate: cert }
    const bytes = encodeConsensusMessage(m)
    expect(
      encode([
        4,
        1,
        0,
        ['commit', 1, 0, cert.blockHash, cert.signatures.map((s) => [s.validator, s.signature])],
      ]),
    ).toEqual(bytes)
    expect(toHex(encodeConsensusMessage(decodeConsensusMessage(bytes, CHAIN)))).toBe(toHex(bytes))
    const bad = [
      { ...m, certificate: prepareCert(b) },
      { ...m, height: 2 },
      { ...m, view: 1 },
    ]
    for (const x of bad) {
      expect(
        codeOf(() => decodeConsensusMessage(encode(consensusMessageToTuple(x as ConsensusMessage)), CHAIN)),
      ).toBe(ProtocolErrorCode.invalidField)
    }
  })

  it('names the signer of every message but a commit certificate, and weighs a block by its txs', () => {
    expect(messages.map((x) => toHex(signerOf(x) ?? new Uint8Array()))).toEqual(
      [1, 2, 2, 3, 1].map((i) => toHex(key(i))),
    )
    const heavy = { ...b, txs: [new Uint8Array(100_000)] }
    expect(consensusMessageWeight(proposal(heavy))).toBeGreaterThan(100_000)
    expect(consensusMessageWeight(proposal(b))).toBeLessThan(2048)
  })

  it('rejects a proposal whose height is not its block height', () => {
    const wrong = { ...proposal(b), height: 2 }
    expect(codeOf(() => decodeConsensusMessage(encode(consensusMessageToTuple(wrong)), CHAIN))).toBe(
      ProtocolErrorCode.invalidField,
    )
  })
})
