import { describe, expect, it } from 'vitest'
import { bytesKey } from '../protocol/bytes.ts'
import { FakeEvents, receiptFor } from './testing.ts'
import { createCommitWaiters } from './wait.ts'

const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const commit = (events: FakeEvents, n: number, index = 0) =>
  events.emit({ type: 'receipt', receipt: receiptFor(hash(n), 5, index) })
const never = () => new AbortController().signal

describe('createCommitWaiters', () => {
  it('resolves once every waited tx has committed, then stops listening', async () => {
    const events = new FakeEvents()
    const waiters = createCommitWaiters(events)
    const pending = waiters.watch([hash(1), hash(2)])
    expect(waiters.watching).toBe(2)
    const done = pending.wait([hash(1), hash(2)], 60_000, never())
    commit(events, 2, 1)
    events.emit({ type: 'block', height: 5, hash: hash(9), timeMs: 1, txCount: 2 })
    commit(events, 3)
    commit(events, 1, 0)
    const receipts = await done
    expect(receipts.map((r) => r?.index)).toEqual([0, 1])
    expect(waiters.watching).toBe(0)
    expect(events.listeners.size).toBe(0)
    pending.dispose()
  })

  it('keeps a commit seen between watch and wait (the tx committed during admission)', async () => {
    const events = new FakeEvents()
    const waiters = createCommitWaiters(events)
    const pending = waiters.watch([hash(1)])
    commit(events, 1, 4)
    const [receipt] = await pending.wait([hash(1)], 60_000, never())
    expect(receipt?.index).toBe(4)
    expect(waiters.watching).toBe(0)
  })

  it('waits only for the subset asked for (the accepted txs) and unregisters the rest', async () => {
    const events = new FakeEvents()
    const waiters = createCommitWaiters(events)
    const pending = waiters.watch([hash(1), hash(2)])
    const done = pending.wait([hash(2)], 60_000, never())
    commit(events, 2)
    expect((await done).map((r) => r === null)).toEqual([false])
    expect(waiters.watching).toBe(0)
    expect(events.listeners.size).toBe(0)
  })

  it('answers null for what has not committed when the timeout passes, and leaks nothing', async () => {
    const events = new FakeEvents()
    const waiters = createCommitWaiters(events)
    const pending = waiters.watch([hash(1), hash(2)])
    commit(events, 1)
    const receipts = await pending.wait([hash(1), hash(2)], 5, never())
    expect(receipts.map((r) => r === null)).toEqual([false, true])
    expect(waiters.watching).toBe(0)
    expect(events.listeners.size).toBe(0)
  })

  it('ends a wait when its signal aborts (client gone), or at once when already aborted', async () => {
    const events = new FakeEvents()
    const waiters = createCommitWaiters(events)
    const controller = new AbortController()
    const done = waiters.watch([hash(1)]).wait([hash(1)], 60_000, controller.signal)
    controller.abort()
    expect(await done).toEqual([null])
    expect(waiters.watching).toBe(0)
    const aborted = AbortSignal.abort()
    const pending = waiters.watch([hash(2)])
    expect(await pending.wait([hash(2)], 60_000, aborted)).toEqual([null])
    pending.dispose()
    expect(waiters.watching).toBe(0)
    expect(events.listeners.size).toBe(0)
  })

  it('serves several requests watching the same tx with one chain listener', async () => {
    const events = new FakeEvents()
    const waiters = createCommitWaiters(events)
    const a = waiters.watch([hash(1)])
    const b = waiters.watch([hash(1), hash(2)])
    const c = waiters.watch([hash(1)])
    expect(events.listeners.size).toBe(1)
    expect(waiters.watching).toBe(2)
    c.dispose()
    c.dispose()
    const doneA = a.wait([hash(1)], 60_000, never())
    const doneB = b.wait([hash(1), hash(2)], 60_000, never())
    commit(events, 1)
    expect((await doneA)[0]?.txHash).toEqual(hash(1))
    expect(waiters.watching).toBe(2)
    commit(events, 2)
    expect((await doneB).every((r) => r !== null)).toBe(true)
    expect(waiters.watching).toBe(0)
    expect(events.listeners.size).toBe(0)
  })

  it('ends every wait on close', async () => {
    const events = new FakeEvents()
    const waiters = createCommitWaiters(events)
    const done = waiters.watch([hash(1)]).wait([hash(1)], 60_000, never())
    waiters.watch([hash(2)])
    waiters.close()
    expect(await done).toEqual([null])
    expect(waiters.watching).toBe(0)
    expect(events.listeners.size).toBe(0)
  })
})

it('bytesKey is exact: different bytes, different keys', () => {
  expect(bytesKey(hash(1))).toBe(bytesKey(hash(1)))
  const a = hash(1)
  const b = hash(1)
  b[31] = 2
  expect(bytesKey(a)).not.toBe(bytesKey(b))
  expect(bytesKey(a)).toHaveLength(32)
})
