/**
 * The driver's inbox is bounded with back-pressure: `receive` returns a promise to a sender that has too
 * many events queued (or when the whole queue is over its bound), resolved once there is room again;
 * senders are served in turn, so a flooding peer delays the others by at most its own share; past a hard
 * limit, messages are dropped, counted and reported.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { ConsensusDriver } from './driver.ts'
import { consensusOptions } from './options.ts'
import type { ValidationResult } from './ports.ts'
import { block, CHAIN, hexOf, keys, leader0, me, set, signed } from './testing.ts'

const a = block(leader0.publicKey)
const proposalA = signed(leader0, { type: 'proposal', height: 1, view: 0, block: a })
const [x, y] = keys.filter((k) => k !== me && k !== leader0) as [(typeof keys)[0], (typeof keys)[0]]

/** A PREPARE by `k` with a signature that does not verify: each one costs the machine one check. */
const forgedVote = (k: (typeof keys)[0], i: number): ConsensusMessage => ({
  type: 'vote',
  vote: {
    kind: 'prepare',
    height: 1,
    view: 0,
    blockHash: new Uint8Array(32).fill(i % 251),
    validator: k.publicKey,
    signature: new Uint8Array(64),
  },
})

/** A driver whose loop is held on the validation of proposal A until `release()`. */
function held(maxQueuedPerPeer = 4) {
  const checked: string[] = []
  const warnings: { event: string; data: Record<string, unknown> }[] = []
  let release: () => void = () => {}
  const driver = new ConsensusDriver(
    { chainId: CHAIN, consensus: consensusOptions({ maxQueuedPerPeer }) },
    {
      network: { broadcast: () => {}, send: () => {} },
      signer: me,
      verify: (signature, message, key) => {
        checked.push(toHex(key))
        return me.verify(signature, message, key)
      },
      wal: { append: () => {}, load: () => [], prune: () => {} },
      executor: {
        head: () => ({ header: null, certificate: null }),
        validatorSetFor: () => set,
        hasPendingTxs: () => false,
        buildProposal: () => a,
        validateProposal: () =>
          new Promise<ValidationResult>((resolve) => {
            release = () => resolve({ ok: true })
          }),
        commit: () => {},
      },
      sync: { request: () => {} },
      timers: { schedule: () => ({}), cancel: () => {} },
      observer: { onWarning: (event, data) => warnings.push({ event, data }) },
    },
  )
  driver.start()
  driver.receive(proposalA, hexOf(leader0))
  return { driver, checked, warnings, release: () => release() }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

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

describe('driver inbox', () => {
  it('gives a sender over its bound a promise, resolved once its queue has drained', async () => {
    const h = held(4)
    const results = Array.from({ length: 6 }, (_, i) => h.driver.receive(forgedVote(x, i), hexOf(x)))
    expect(results.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined])
    expect(results[4]).toBeInstanceOf(Promise)
    // Another sender is not held back by x's backlog.
    expect(h.driver.receive(forgedVote(y, 0), hexOf(y))).toBeUndefined()
    let resumed = false
    void (results[4] as Promise<void>).then(() => {
      resumed = true
    })
    await settle()
    expect(resumed).toBe(false)
    h.release()
    await settle()
    expect(resumed).toBe(true)
  })

  it('serves senders in turn: a flooding peer delays another peer by at most one of its events', async () => {
    const h = held(64)
    for (let i = 0; i < 50; i++) h.driver.receive(forgedVote(x, i), hexOf(x))
    h.driver.receive(forgedVote(y, 0), hexOf(y))
    h.release()
    await settle()
    const order = h.checked.filter((k) => k === hexOf(x) || k === hexOf(y))
    expect(order.indexOf(hexOf(y))).toBeLessThanOrEqual(1)
    expect(order.filter((k) => k === hexOf(x))).toHaveLength(50)
  })

  it('drops past the hard limit, counts the drops and reports them', async () => {
    const h = held(4)
    const hard = 4 * 4
    for (let i = 0; i < hard + 10; i++) void h.driver.receive(forgedVote(x, i), hexOf(x))
    const dropped = h.warnings.filter((w) => w.event === 'queue-dropped')
    expect(dropped.length).toBeGreaterThan(0)
    expect(dropped.at(-1)?.data.peer).toBe(hexOf(x))
    expect(h.driver.stats.dropped).toBe(10)
    h.release()
    await settle()
    expect(h.checked.filter((k) => k === hexOf(x))).toHaveLength(hard)
  })
})
