import { describe, expect, it } from 'vitest'
import { compactProposalOf, encodeCompactProposal } from '../protocol/compact-proposal.ts'
import { type ConsensusMessage, encodeConsensusMessage } from '../protocol/consensus-message.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { signVote } from '../protocol/vote.ts'
import { CHAIN, proposalOf, signedTxs } from './compact-testing.ts'
import { consensusFrameHandler, consensusObserver } from './consensus-link.ts'
import type { Logger } from './logger.ts'
import { createNodeMetrics } from './metrics.ts'

const quiet = { debug() {}, info() {}, warn() {} } as unknown as Logger

describe('consensusObserver', () => {
  it('counts each vote this node signs, by kind (arcade_consensus_votes_sent_total)', async () => {
    const metrics = createNodeMetrics(undefined, { defaultMetrics: false })
    const observer = consensusObserver(quiet, metrics)
    const keys = generateKeyPair()
    const vote = (kind: 'prepare' | 'commit') =>
      ({
        type: 'vote',
        vote: signVote('arcade-test', { kind, height: 1, view: 0, blockHash: new Uint8Array(32) }, keys),
      }) as ConsensusMessage
    observer.onSigned?.(vote('prepare'))
    observer.onSigned?.(vote('commit'))
    observer.onSigned?.(vote('commit'))
    const values = (await metrics.consensus.votesSent.get()).values
    expect(Object.fromEntries(values.map((v) => [v.labels.kind, v.value]))).toEqual({ prepare: 1, commit: 2 })
  })
})

describe('consensusFrameHandler', () => {
  it('hands full messages to the driver and compact proposals to be rebuilt; junk is counted, not passed on', async () => {
    const metrics = createNodeMetrics(undefined, { defaultMetrics: false })
    const toDriver: string[] = []
    const toCompact: string[] = []
    let started = false
    const handle = consensusFrameHandler({
      chainId: CHAIN,
      receive: () => (started ? (m) => void toDriver.push(m.type) : null),
      compact: { receive: (p) => void toCompact.push(p.type) },
      metrics,
      log: quiet,
    })
    const p = proposalOf(signedTxs(2))
    // Before consensus starts nothing is decoded.
    handle('peer', encodeConsensusMessage(p))
    started = true
    handle('peer', encodeConsensusMessage(p))
    handle('peer', encodeCompactProposal(compactProposalOf(p)))
    handle('peer', new Uint8Array([0xc1]))
    expect([toDriver, toCompact]).toEqual([['proposal'], ['compact-proposal']])
    const refused = (await metrics.p2p.refused.get()).values
    expect(refused.map((v) => [v.labels.reason, v.value])).toEqual([['malformed', 1]])
  })
})
