/**
 * The driver never leaves a promise unhandled: every failing effect (build, validate, commit, sync, WAL,
 * network, observer) is reported through the observer and handled so that consensus stays live. Also:
 * stop() waits for the effect in flight, a restart after a VIEW-CHANGE resumes the view change, and
 * onSigned fires once a signed message is durable and before it is sent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Block, type BlockHeader, blockHash } from '../protocol/block.ts'
import { toHex } from '../protocol/bytes.ts'
import type { ConsensusMessage, ViewChange } from '../protocol/consensus-message.ts'
import type { CommitCertificate } from '../protocol/vote.ts'
import { ConsensusDriver } from './driver.ts'
import { consensusOptions } from './options.ts'
import type {
  ConsensusObserver,
  ExecutorPort,
  NetworkPort,
  SignaturePort,
  SyncPort,
  WalPort,
} from './ports.ts'
import { block, CHAIN, hexOf, keys, leader0, leader1, me, set, signed, vote } from './testing.ts'

interface Timer {
  readonly ms: number
  readonly fire: () => void
  cancelled: boolean
}

interface Overrides {
  readonly signer?: SignaturePort
  readonly executor?: Partial<ExecutorPort>
  readonly wal?: Partial<WalPort>
  readonly network?: Partial<NetworkPort>
  readonly sync?: Partial<SyncPort>
  readonly observer?: ConsensusObserver
}

/** A driver over fakes that keep a committed head, with manual timers. */
function harness(o: Overrides = {}) {
  const sent: ConsensusMessage[] = []
  const warnings: string[] = []
  const timers: Timer[] = []
  const chain: { header: BlockHeader | null; certificate: CommitCertificate | null } = {
    header: null,
    certificate: null,
  }
  const driver = new ConsensusDriver(
    { chainId: CHAIN, consensus: consensusOptions() },
    {
      network: { broadcast: (m) => sent.push(m), send: () => {}, ...o.network },
      signer: o.signer ?? me,
      verify: me.verify,
      wal: { append: () => {}, load: () => [], prune: () => {}, ...o.wal },
      executor: {
        head: () => chain,
        validatorSetFor: () => set,
        hasPendingTxs: () => true,
        buildProposal: () => block((o.signer ?? me).publicKey),
        validateProposal: () => ({ ok: true }),
        commit: (b, certificate) => {
          chain.header = b.header
          chain.certificate = certificate
        },
        ...o.executor,
      },
      sync: { request: () => {}, ...o.sync },
      timers: {
        schedule: (ms, fire) => {
          const t = { ms, fire, cancelled: false }
          timers.push(t)
          return t
        },
        cancel: (t) => {
          ;(t as Timer).cancelled = true
        },
      },
      observer: {
        onWarning: (event) => warnings.push(event),
        ...o.observer,
      },
    },
  )
  const kinds = () => sent.map((m) => (m.type === 'vote' ? m.vote.kind : m.type))
  /** Fires the live timers of `ms` (the view timeouts of the default options: 2000 for view 0). */
  const fire = (ms: number) => {
    for (const t of timers.filter((t) => t.ms === ms && !t.cancelled)) {
      t.cancelled = true
      t.fire()
    }
  }
  return { driver, sent, warnings, timers, kinds, fire, chain }
}

/** Lets every settled promise run its handlers, and one macrotask pass (where Node reports rejections). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

const a = block(leader0.publicKey)
const hashA = toHex(blockHash(a.header))
const proposalA = signed(leader0, { type: 'proposal', height: 1, view: 0, block: a })
const others = keys.filter((k) => k !== me)

/** A decision on block `a` at height 1: the proposal and every other member's PREPARE and COMMIT. */
const decideA = (): [ConsensusMessage, string][] => [
  [proposalA, hexOf(leader0)],
  ...others.map((k): [ConsensusMessage, string] => [vote(k, 'prepare', a), hexOf(k)]),
  ...others.map((k): [ConsensusMessage, string] => [vote(k, 'commit', a), hexOf(k)]),
]

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeEach(() => {
  unhandled.length = 0
  process.on('unhandledRejection', onUnhandled)
})
afterEach(() => {
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toEqual([])
})

describe('driver: failing effects are handled', () => {
  it('a build that rejects is reported, proposes nothing, and the view changes after its timeout', async () => {
    const h = harness({
      signer: leader0,
      executor: { buildProposal: () => Promise.reject(new Error('poison tx')) },
    })
    h.driver.start()
    await settle()
    expect(h.warnings).toContain('build-failed')
    expect(h.kinds()).toEqual([])
    h.fire(2000)
    expect(h.kinds()).toEqual(['view-change'])
  })

  it('a build that throws from a timer is reported, and never escapes into the caller', async () => {
    let pending = false
    const h = harness({
      signer: leader0,
      executor: {
        hasPendingTxs: () => pending,
        buildProposal: () => {
          throw new Error('poison tx')
        },
      },
    })
    h.driver.start()
    pending = true
    expect(() => h.fire(50)).not.toThrow()
    await settle()
    expect(h.warnings).toContain('build-failed')
    h.fire(2000)
    expect(h.kinds()).toEqual(['view-change'])
  })

  it('a validate that throws or rejects is a bad verdict, never pending', async () => {
    for (const validateProposal of [
      () => {
        throw new Error('executor bug')
      },
      () => Promise.reject(new Error('executor bug')),
    ]) {
      const h = harness({ executor: { validateProposal } })
      h.driver.start()
      h.driver.receive(proposalA, hexOf(leader0))
      await settle()
      expect(h.driver.state?.validation.get(hashA)).toBe('bad')
      expect(h.warnings).toContain('validate-failed')
      expect(h.kinds()).toEqual([])
    }
  })

  it('a commit that rejects is reported and retried, and the height then advances', async () => {
    let failures = 1
    const h2 = harness({
      executor: {
        commit: (b, certificate) => {
          if (failures-- > 0) return Promise.reject(new Error('disk full'))
          h2.chain.header = b.header
          h2.chain.certificate = certificate
          return undefined
        },
      },
    })
    h2.driver.start()
    for (const [m, from] of decideA()) h2.driver.receive(m, from)
    await settle()
    expect(h2.warnings).toContain('commit-failed')
    expect(h2.driver.state?.ctx.height).toBe(1)
    // The retry runs on a base timeout.
    h2.fire(consensusOptions().viewTimeoutBaseMs)
    await settle()
    expect(h2.driver.state?.ctx.height).toBe(2)
  })

  it('an observer that throws in onCommit does not stop the height from advancing', async () => {
    const h = harness({
      observer: {
        onCommit: () => {
          throw new Error('subscriber bug')
        },
      },
    })
    h.driver.start()
    for (const [m, from] of decideA()) h.driver.receive(m, from)
    await settle()
    expect(h.driver.state?.ctx.height).toBe(2)
  })

  it('a WAL prune that rejects after a commit is reported, not left unhandled', async () => {
    const h = harness({ wal: { prune: () => Promise.reject(new Error('io')) } })
    h.driver.start()
    for (const [m, from] of decideA()) h.driver.receive(m, from)
    await settle()
    expect(h.driver.state?.ctx.height).toBe(2)
    expect(h.warnings).toContain('prune-failed')
  })

  it('a network send that throws is reported, and the signed vote still counts here', async () => {
    const h = harness({
      network: {
        broadcast: () => {
          throw new Error('socket closed')
        },
      },
    })
    h.driver.start()
    h.driver.receive(proposalA, hexOf(leader0))
    await settle()
    expect(h.warnings).toContain('send-failed')
    // Its own PREPARE was fed back: with two more, that is a PREPARE quorum and it signs COMMIT.
    const [p, q] = others.filter((k) => k !== leader0) as [SignaturePort, SignaturePort]
    h.driver.receive(vote(p, 'prepare', a), hexOf(p))
    h.driver.receive(vote(q, 'prepare', a), hexOf(q))
    await settle()
    expect(h.driver.state?.done.has('commit/0')).toBe(true)
  })

  it('a sync that rejects or throws is reported and tried again', async () => {
    let calls = 0
    const h = harness({
      sync: {
        request: () => {
          calls++
          if (calls === 1) throw new Error('no peers')
          return Promise.reject(new Error('no peers'))
        },
      },
    })
    h.driver.start()
    // A third of the power at height 5 asks for a sync.
    for (const k of others.slice(0, 2)) {
      const m = signed(k, { type: 'view-change', height: 5, view: 1, prepared: null })
      h.driver.receive(m, hexOf(k))
    }
    await settle()
    expect(calls).toBe(1)
    h.fire(consensusOptions().viewTimeoutBaseMs)
    await settle()
    expect(calls).toBe(2)
    expect(h.warnings.filter((w) => w === 'sync-failed')).toHaveLength(2)
  })
})

describe('driver: stop, restart and onSigned', () => {
  it('stop() waits for a commit in progress, takes no more events, and is harmless twice', async () => {
    let finish: () => void = () => {}
    let commits = 0
    const h = harness({
      executor: {
        commit: () => {
          commits++
          return new Promise<void>((resolve) => {
            finish = resolve
          })
        },
      },
    })
    h.driver.start()
    for (const [m, from] of decideA()) h.driver.receive(m, from)
    expect(commits).toBe(1)
    let stopped = false
    const stopping = h.driver.stop()
    expect(stopping).toBeInstanceOf(Promise)
    void (stopping as Promise<void>).then(() => {
      stopped = true
    })
    await settle()
    expect(stopped).toBe(false)
    finish()
    await settle()
    expect(stopped).toBe(true)
    const sentBefore = h.sent.length
    h.driver.receive(vote(leader1, 'prepare', a), hexOf(leader1))
    h.fire(2000)
    await settle()
    expect(h.sent.length).toBe(sentBefore)
    await h.driver.stop()
  })

  it('a validator restarted right after its VIEW-CHANGE(1) follows the NEW-VIEW(1)', async () => {
    const mine = signed(me, { type: 'view-change', height: 1, view: 1, prepared: null })
    const h = harness({ wal: { load: () => [{ type: 'signed', message: mine }] } })
    h.driver.start()
    expect(h.driver.state?.view).toBe(1)
    expect(h.driver.state?.phase).toBe('view-change')
    const viewChanges = [leader0, leader1, me]
      .map((k) => (k === me ? mine : signed(k, { type: 'view-change', height: 1, view: 1, prepared: null })))
      .sort((p, q) =>
        Buffer.compare((p as ViewChange).validator, (q as ViewChange).validator),
      ) as ViewChange[]
    const fresh: Block = block(leader1.publicKey, 1, 9)
    const nv = signed(leader1, { type: 'new-view', height: 1, view: 1, viewChanges, block: fresh })
    h.driver.receive(nv, hexOf(leader1))
    await settle()
    expect(h.driver.state?.phase).toBe('normal')
    expect(h.driver.state?.proposals.get(1)?.block.header.timeMs).toBe(9)
    expect(h.kinds()).toContain('prepare')
  })

  it('calls onSigned once the signed message is durable, and before it is sent', async () => {
    const order: string[] = []
    let durable: () => void = () => {}
    const h = harness({
      wal: {
        append: () => {
          order.push('append')
          return new Promise<void>((resolve) => {
            durable = () => {
              order.push('durable')
              resolve()
            }
          })
        },
      },
      network: { broadcast: (m) => order.push(`broadcast ${m.type}`) },
      observer: { onSigned: (m) => order.push(`signed ${m.type}`) },
    })
    h.driver.start()
    h.driver.receive(proposalA, hexOf(leader0))
    await settle()
    expect(order).toEqual(['append'])
    durable()
    await settle()
    expect(order).toEqual(['append', 'durable', 'signed vote', 'broadcast vote'])
  })
})
