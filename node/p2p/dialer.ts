/**
 * Keeps the host connected to a target set of peers: dials each one not connected, and on failure or
 * disconnect retries after a delay that doubles per failed attempt, with ±20 % jitter, capped at
 * `reconnectMaxMs`. A validator that restarts is therefore found again without any other signal.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import { errorFields } from './context.ts'
import type { P2pLogger } from './logger.ts'
import { peerKeyOf } from './peer-id.ts'

export interface PeerAddress {
  /** The peer's 32-byte Ed25519 node key. */
  readonly nodeKey: Bytes
  readonly host: string
  readonly port: number
}

export interface DialerOptions {
  readonly reconnectBaseMs: number
  readonly reconnectMaxMs: number
}

export interface DialerDeps {
  /** One attempt; rejects on failure. */
  readonly dial: (address: PeerAddress, signal: AbortSignal) => Promise<void>
  readonly isConnected: (peer: string) => boolean
  readonly isAllowed: (peer: string) => boolean
  readonly log: P2pLogger
  /** In [0, 1): jitter source, injectable for tests. */
  readonly random: () => number
}

interface Target {
  address: PeerAddress
  failures: number
  timer: ReturnType<typeof setTimeout> | null
  dialing: boolean
}

export class Dialer {
  readonly #options: DialerOptions
  readonly #deps: DialerDeps
  readonly #targets = new Map<string, Target>()
  #abort = new AbortController()
  #running = false

  constructor(options: DialerOptions, deps: DialerDeps) {
    this.#options = options
    this.#deps = deps
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#abort = new AbortController()
    for (const peer of this.#targets.keys()) this.#schedule(peer, 0)
  }

  /** Stops every timer and in-flight dial. Harmless twice. */
  stop(): void {
    if (!this.#running) return
    this.#running = false
    this.#abort.abort()
    for (const target of this.#targets.values()) this.#clearTimer(target)
  }

  /** Replaces the set of peers to keep connected; new ones are dialled at once. */
  setTargets(addresses: readonly PeerAddress[]): void {
    const next = new Map<string, PeerAddress>()
    for (const address of addresses) next.set(peerKeyOf(address.nodeKey), address)
    for (const [peer, target] of this.#targets) {
      if (!next.has(peer)) {
        this.#clearTimer(target)
        this.#targets.delete(peer)
      }
    }
    for (const [peer, address] of next) {
      const existing = this.#targets.get(peer)
      if (existing !== undefined) {
        existing.address = address
        continue
      }
      this.#targets.set(peer, { address, failures: 0, timer: null, dialing: false })
      if (this.#running) this.#schedule(peer, 0)
    }
  }

  /** Dials at once every target not connected and not already waiting (e.g. after the allow-list grew). */
  refresh(): void {
    if (!this.#running) return
    for (const [peer, target] of this.#targets) {
      if (target.timer === null && !target.dialing && !this.#deps.isConnected(peer)) this.#schedule(peer, 0)
    }
  }

  /** The last connection to `peer` closed: try again soon if it is a target. */
  peerDisconnected(peer: string): void {
    const target = this.#targets.get(peer)
    if (target !== undefined && this.#running && target.timer === null && !target.dialing) {
      this.#schedule(peer, this.#delay(target.failures))
    }
  }

  #delay(failures: number): number {
    const { reconnectBaseMs, reconnectMaxMs } = this.#options
    const base = Math.min(reconnectMaxMs, reconnectBaseMs * 2 ** Math.min(failures, 30))
    return Math.round(base * (0.8 + 0.4 * this.#deps.random()))
  }

  #clearTimer(target: Target): void {
    if (target.timer !== null) clearTimeout(target.timer)
    target.timer = null
  }

  #schedule(peer: string, delayMs: number): void {
    const target = this.#targets.get(peer)
    if (target === undefined) return
    this.#clearTimer(target)
    target.timer = setTimeout(() => {
      target.timer = null
      void this.#attempt(peer, target)
    }, delayMs)
  }

  async #attempt(peer: string, target: Target): Promise<void> {
    if (!this.#running || this.#targets.get(peer) !== target || target.dialing) return
    if (this.#deps.isConnected(peer)) {
      target.failures = 0
      return
    }
    if (!this.#deps.isAllowed(peer)) return
    target.dialing = true
    try {
      await this.#deps.dial(target.address, this.#abort.signal)
      target.failures = 0
    } catch (err) {
      target.failures++
      if (this.#running) {
        this.#deps.log.debug({ peer, failures: target.failures, ...errorFields(err) }, 'p2p dial failed')
      }
    } finally {
      target.dialing = false
    }
    if (this.#running && this.#targets.get(peer) === target && !this.#deps.isConnected(peer)) {
      this.#schedule(peer, this.#delay(target.failures))
    }
  }
}
