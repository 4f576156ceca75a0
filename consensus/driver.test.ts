import { describe, expect, it } from 'vitest'
import { blockHash, evidenceRootOf, txRootOf, ZERO_HASH } from '../protocol/block.ts'
import { bytesEqual } from '../protocol/bytes.ts'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { publicKeyFromSecret, sign, verify } from '../protocol/crypto.ts'
import { createValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { ConsensusDriver } from './driver.ts'
import { createLeaderSchedule } from './leader.ts'
import { consensusOptions } from './options.ts'
import type { ExecutorPort, SignaturePort, WalPort } from './ports.ts'
import { signMessage } from './signer.ts'

const CHAIN = 'arcade-test'
const keys: SignaturePort[] = [1, 2, 3, 4].map((i) => {
  const secret = new Uint8Array(32).fill(i)
  return { publicKey: publicKeyFromSecret(secret), sign: (m) => sign(m, secret), verify }
})
const set = createValidatorSet(keys.map((k) => ({ publicKey: k.publicKey, power: 1 })))
const leader = keys.find((k) =>
  bytesEqual(k.publicKey, createLeaderSchedule(set).leaderOf(1, 0)),
) as SignaturePort
const me = keys.find((k) => k !== leader) as SignaturePort

const block = {
  header: {
    chainId: CHAIN,
    height: 1,
    view: 0,
    timeMs: 5,
    parentHash: ZERO_HASH,
    txRoot: txRootOf([]),
    stateRoot: ZERO_HASH,
    lastCommitHash: ZERO_HASH,
    validatorSetHash: validatorSetHash(set),
    nextValidatorSetHash: validatorSetHash(set),
    evidenceRoot: evidenceRootOf([]),
    proposer: leader.publicKey,
  },
  txs: [],
  lastCommit: null,
  evidence: [],
}
const proposal = signMessage(CHAIN, leader, { type: 'proposal', height: 1, view: 0, block })

function harness(overrides: { executor?: Partial<ExecutorPort>; wal?: Partial<WalPort> } = {}) {
  const sent: ConsensusMessage[] = []
  const warnings: string[] = []
  const timers: (() => void)[] = []
  const driver = new ConsensusDriver(
    { chainId: CHAIN, consensus: consensusOptions() },
    {
      network: { broadcast: (m) => sent.push(m), send: () => {} },
      signer: me,
      verify,
      wal: { append: () => {}, load: () => [], prune: () => {}, ...overrides.wal },
      executor: {
        head: () => ({ header: null, certificate: null }),
        validatorSetFor: () => set,
        hasPendingTxs: () => false,
        buildProposal: () => block,
        validateProposal: () => ({ ok: true }),
        commit: () => {},
        ...overrides.executor,
      },
      sync: { request: () => {} },
      timers: { schedule: (_ms, fire) => timers.push(fire), cancel: () => {} },
      observer: { onWarning: (event) => warnings.push(event) },
    },
  )
  const kinds = () => sent.map((m) => (m.type === 'vote' ? m.vote.kind : m.type))
  return { driver, sent, warnings, timers, kinds }
}

describe('driver loop', () => {
  it('keeps events posted before start and runs them after the start event', () => {
    const h = harness()
    expect(() => h.driver.receive(proposal)).not.toThrow()
    expect(h.sent).toEqual([])
    h.driver.start()
    expect(h.driver.state?.view).toBe(0)
    expect(h.kinds()).toEqual(['prepare'])
    const vote = h.sent[0] as Extract<ConsensusMessage, { type: 'vote' }>
    expect(vote.vote.blockHash).toEqual(blockHash(block.header))
  })

  it('reports a throwing step as a warning and goes on with the next event', () => {
    const h = harness({
      executor: {
        validateProposal: () => {
          throw new Error('executor bug')
        },
      },
    })
    h.driver.start()
    h.driver.receive(proposal)
    expect(h.warnings).toEqual(['step-failed'])
    // The loop is not wedged: the view-0 timeout still starts a view change.
    const timeout = h.timers[0] as () => void
    timeout()
    expect(h.kinds()).toEqual(['view-change'])
    expect(h.driver.state?.view).toBe(1)
  })

  it('reports a rejected effect and keeps processing', async () => {
    let fail = true
    const h = harness({
      wal: {
        append: () => {
          if (!fail) return undefined
          fail = false
          return Promise.reject(new Error('disk full'))
        },
      },
    })
    h.driver.start()
    h.driver.receive(proposal)
    await new Promise<void>((resolve) => queueMicrotask(resolve))
    await Promise.resolve()
    expect(h.warnings).toEqual(['effect-failed'])
    expect(h.kinds()).toEqual([])
    ;(h.timers[0] as () => void)()
    expect(h.kinds()).toEqual(['view-change'])
  })
})
