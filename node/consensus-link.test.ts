import { describe, expect, it } from 'vitest'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { signVote } from '../protocol/vote.ts'
import { consensusObserver } from './consensus-link.ts'
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
