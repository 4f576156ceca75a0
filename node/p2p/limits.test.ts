import { describe, expect, it } from 'vitest'
import { type Block, encodeBlock } from '../../protocol/block.ts'
import {
  type ConsensusMessage,
  encodeConsensusMessage,
  type Proposal,
  type ViewChange,
} from '../../protocol/consensus-message.ts'
import { Limits } from '../../protocol/limits.ts'
import type { QuorumCertificate } from '../../protocol/vote.ts'
import { consensusMessageBounds, DEFAULT_P2P_LIMITS, maxConnectionsFor } from './limits.ts'

const MAX = Number.MAX_SAFE_INTEGER
const bytes = (n: number, fill = 0xab) => new Uint8Array(n).fill(fill)

function certificate(signers: number): QuorumCertificate {
  return {
    kind: 'prepare',
    height: MAX,
    view: MAX - 1,
    blockHash: bytes(32),
    signatures: Array.from({ length: signers }, (_, i) => ({
      validator: bytes(32, i),
      signature: bytes(64),
    })),
  }
}

/** The largest block under `maxBytes`: widest header fields, a full lastCommit, txs filling the rest. */
function blockOfAbout(maxBytes: number, signers: number): Block {
  const header = {
    chainId: 'c'.repeat(Limits.maxChainIdLength),
    height: MAX,
    view: MAX,
    timeMs: MAX,
    parentHash: bytes(32),
    txRoot: bytes(32),
    stateRoot: bytes(32),
    lastCommitHash: bytes(32),
    validatorSetHash: bytes(32),
    nextValidatorSetHash: bytes(32),
    evidenceRoot: bytes(32),
    proposer: bytes(32),
  }
  const lastCommit = { ...certificate(signers), kind: 'commit' as const }
  const block = (txs: Uint8Array[]): Block => ({ header, txs, lastCommit, evidence: [] })
  const txs: Uint8Array[] = []
  while (encodeBlock(block([...txs, bytes(1000)])).length <= maxBytes) txs.push(bytes(1000))
  let last = 1
  while (encodeBlock(block([...txs, bytes(last + 1)])).length <= maxBytes) last++
  return block([...txs, bytes(last)])
}

describe('consensus message bounds', () => {
  for (const [blockBytes, validators] of [
    [64 * 1024, 7],
    [4096, 1],
    [200 * 1024, 21],
  ] as const) {
    it(`bound every message of a ${validators}-validator set with ${blockBytes}-byte blocks, tightly`, () => {
      const block = blockOfAbout(blockBytes, validators)
      expect(encodeBlock(block).length).toBeLessThanOrEqual(blockBytes)
      expect(encodeBlock(block).length).toBeGreaterThan(blockBytes - 16)
      const proposal: Proposal = {
        type: 'proposal',
        height: MAX,
        view: MAX,
        block,
        proposer: bytes(32),
        signature: bytes(64),
      }
      const viewChange = (i: number): ViewChange => ({
        type: 'view-change',
        height: MAX,
        view: MAX,
        prepared: { certificate: certificate(validators), block },
        validator: bytes(32, i),
        signature: bytes(64),
      })
      const newView: ConsensusMessage = {
        type: 'new-view',
        height: MAX,
        view: MAX,
        viewChanges: Array.from({ length: validators }, (_, i) => viewChange(i)),
        proposal,
      }
      const vote: ConsensusMessage = {
        type: 'vote',
        vote: {
          kind: 'prepare',
          height: MAX,
          view: MAX,
          blockHash: bytes(32),
          validator: bytes(32),
          signature: bytes(64),
        },
      }
      const bounds = consensusMessageBounds({ maxBlockBytes: blockBytes, maxValidators: validators })
      const sizes = {
        vote: encodeConsensusMessage(vote).length,
        proposal: encodeConsensusMessage(proposal).length,
        viewChange: encodeConsensusMessage(viewChange(0)).length,
        newView: encodeConsensusMessage(newView).length,
      }
      for (const kind of ['vote', 'proposal', 'viewChange', 'newView'] as const) {
        expect(sizes[kind], kind).toBeLessThanOrEqual(bounds[kind])
        // Sound, and not loose: within a few hundred bytes per block carried.
        expect(bounds[kind] - sizes[kind], kind).toBeLessThan(256 * (validators + 2))
      }
      expect(bounds.frame).toBe(Math.min(Limits.maxConsensusMessageBytes, bounds.newView))
    })
  }

  it('caps at the protocol ceiling, and shrinks to about one block if view changes carried no blocks', () => {
    const defaults = consensusMessageBounds({ maxBlockBytes: 4 * 1024 * 1024, maxValidators: 100 })
    expect(defaults.frame).toBe(Limits.maxConsensusMessageBytes)
    expect(defaults.proposal).toBeLessThan(4 * 1024 * 1024 + 1024)
    const small = consensusMessageBounds({ maxBlockBytes: 1024 * 1024, maxValidators: 4 })
    expect(small.frame).toBe(small.newView)
    expect(small.frame).toBeLessThan(5 * 1024 * 1024 + 8 * 1024)
    const certificatesOnly = consensusMessageBounds({
      maxBlockBytes: 4 * 1024 * 1024,
      maxValidators: 100,
      viewChangesCarryBlocks: false,
    })
    expect(certificatesOnly.frame).toBeLessThan(4 * 1024 * 1024 + 1024 * 1024 + 64 * 1024)
  })

  it('sizes the connection table by the peers allowed', () => {
    expect(maxConnectionsFor(64 + 8, 2)).toBe(160)
    expect(DEFAULT_P2P_LIMITS.maxConnections).toBeGreaterThanOrEqual(2 * 2 * Limits.maxValidators)
  })
})
