import { describe, expect, it } from 'vitest'
import { blockHash, evidenceRootOf, txRootOf, ZERO_HASH } from '../protocol/block.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
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
    expect(() => h.driver.receive(proposal, toHex(leader.publicKey))).not.toThrow()
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
    h.driver.receive(proposal, toHex(leader.publicKey))
    expect(h.warnings).toEqual(['validate-failed'])
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
    h.driver.receive(proposal, toHex(leader.publicKey))
    await new Promise<void>((resolve) => queueMicrotask(resolve))
    await Promise.resolve()
    expect(h.warnings).toEqual(['wal-append-failed'])
    expect(h.kinds()).toEqual([])
    ;(h.timers[0] as () => void)()
    expect(h.kinds()).toEqual(['view-change'])
  })
})

describe('leader waiting for txs', () => {
  function leaderHarness(withHook: boolean) {
    const timers: { ms: number; fire: () => void; cancelled: boolean }[] = []
    const wakes = new Set<() => void>()
    let pending = false
    let builds = 0
    const driver = new ConsensusDriver(
      { chainId: CHAIN, consensus: consensusOptions({ emptyBlockIntervalMs: 1000, txPollMs: 50 }) },
      {
        network: { broadcast: () => {}, send: () => {} },
        signer: leader,
        verify,
        wal: { append: () => {}, load: () => [], prune: () => {} },
        executor: {
          head: () => ({ header: null, certificate: null }),
          validatorSetFor: () => set,
          hasPendingTxs: () => pending,
          buildProposal: () => {
            builds++
            return block
          },
          validateProposal: () => ({ ok: true }),
          commit: () => {},
          ...(withHook
            ? {
                onPendingTxs: (wake: () => void) => {
                  wakes.add(wake)
                  return () => void wakes.delete(wake)
                },
              }
            : {}),
        },
        sync: { request: () => {} },
        timers: {
          schedule: (ms, fire) => {
            const t = { ms, fire, cancelled: false }
            timers.push(t)
            return t
          },
          cancel: (t) => {
            ;(t as { cancelled: boolean }).cancelled = true
          },
        },
      },
    )
    const live = (ms: number) => timers.filter((t) => t.ms === ms && !t.cancelled)
    const arrive = () => {
      pending = true
      for (const wake of wakes) wake()
    }
    return { driver, timers, wakes, live, arrive, builds: () => builds }
  }

  it('proposes as soon as txs arrive instead of polling, once however many wake-ups come', () => {
    const h = leaderHarness(true)
    h.driver.start()
    expect(h.builds()).toBe(0)
    expect(h.live(50)).toEqual([]) // no poll
    const interval = h.live(1000)
    expect(interval).toHaveLength(1)
    h.arrive()
    h.arrive()
    expect(h.builds()).toBe(0) // never inside the caller's stack
    expect(interval[0]?.cancelled).toBe(true)
    const soon = h.live(0)
    expect(soon).toHaveLength(1)
    soon[0]?.fire()
    expect(h.builds()).toBe(1)
    h.arrive()
    expect(h.live(0)).toHaveLength(1) // the fired timer only: nothing new after the proposal
  })

  it('still proposes an empty block after the interval, and ignores a wake-up with no txs', () => {
    const h = leaderHarness(true)
    h.driver.start()
    for (const wake of h.wakes) wake() // spurious: the pool is still empty
    expect(h.live(0)).toEqual([])
    h.live(1000)[0]?.fire()
    expect(h.builds()).toBe(1)
  })

  it('polls every txPollMs when the executor has no wake-up, and unsubscribes on stop', () => {
    const h = leaderHarness(false)
    h.driver.start()
    expect(h.live(50)).toHaveLength(1)
    const hooked = leaderHarness(true)
    hooked.driver.start()
    expect(hooked.wakes.size).toBe(1)
    void hooked.driver.stop()
    expect(hooked.wakes.size).toBe(0)
  })
})
