import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { Dialer, type PeerAddress } from './dialer.ts'
import { silentLogger } from './logger.ts'
import { peerKeyOf } from './peer-id.ts'

const address = (port: number): PeerAddress => ({
  nodeKey: generateKeyPair().publicKey,
  host: '127.0.0.1',
  port,
})

function harness(allowed: (peer: string) => boolean = () => true) {
  const dials: number[] = []
  const connected = new Set<string>()
  const dialer = new Dialer(
    { reconnectBaseMs: 100, reconnectMaxMs: 1_000 },
    {
      dial: async (a) => {
        dials.push(a.port)
        throw new Error('refused')
      },
      isConnected: (peer) => connected.has(peer),
      isAllowed: allowed,
      log: silentLogger,
      random: () => 0.5,
    },
  )
  return { dialer, dials, connected }
}

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('Dialer targets follow the chain', () => {
  it('dials a new target at once and stops dialling one removed from the set', async () => {
    const [x, y] = [address(1), address(2)]
    const { dialer, dials } = harness()
    dialer.start()
    dialer.setTargets([x])
    await vi.advanceTimersByTimeAsync(0)
    expect(dials).toEqual([1])
    dialer.setTargets([y])
    await vi.advanceTimersByTimeAsync(5_000)
    expect(dials.filter((p) => p === 1)).toEqual([1])
    expect(dials.filter((p) => p === 2).length).toBeGreaterThan(1)
    dialer.stop()
  })

  it('a moved address is dialled at the next attempt', async () => {
    const x = address(1)
    const { dialer, dials } = harness()
    dialer.start()
    dialer.setTargets([x])
    await vi.advanceTimersByTimeAsync(0)
    dialer.setTargets([{ ...x, port: 9 }])
    await vi.advanceTimersByTimeAsync(200)
    expect(dials).toEqual([1, 9])
    dialer.stop()
  })

  it('never dials a target the allow-list does not admit, and dials it once it does', async () => {
    const x = address(1)
    let admitted = false
    const { dialer, dials } = harness((peer) => admitted && peer === peerKeyOf(x.nodeKey))
    dialer.start()
    dialer.setTargets([x])
    await vi.advanceTimersByTimeAsync(5_000)
    expect(dials).toEqual([])
    admitted = true
    dialer.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(dials).toEqual([1])
    dialer.stop()
  })
})
