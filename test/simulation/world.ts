/**
 * The simulated world: a virtual clock with a timer queue, and a network between node instances with
 * delay, loss, duplication, reordering and partitions, all drawn from one seeded PRNG. Before GST
 * (global stabilisation time) messages may be lost and slow; after it every message between live,
 * connected instances arrives within `maxDelayMs`.
 */

import type { NetworkPort, TimerPort } from '../../consensus/ports.ts'
import { toHex } from '../../protocol/bytes.ts'
import {
  type ConsensusMessage,
  decodeConsensusMessage,
  encodeConsensusMessage,
} from '../../protocol/consensus-message.ts'
import type { Prng } from './prng.ts'

interface Timer {
  at: number
  seq: number
  fire: () => void
  cancelled: boolean
}

export class VirtualClock implements TimerPort {
  now = 0
  #seq = 0
  #heap: Timer[] = []

  schedule(afterMs: number, fire: () => void): Timer {
    const t: Timer = { at: this.now + Math.max(0, afterMs), seq: this.#seq++, fire, cancelled: false }
    const h = this.#heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i] as Timer, h[p] as Timer)) break
      ;[h[i], h[p]] = [h[p] as Timer, h[i] as Timer]
      i = p
    }
    return t
  }

  cancel(handle: unknown): void {
    ;(handle as Timer).cancelled = true
  }

  #pop(): Timer | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l] as Timer, h[m] as Timer)) m = l
        if (r < h.length && before(h[r] as Timer, h[m] as Timer)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m] as Timer, h[i] as Timer]
        i = m
      }
    }
    return top
  }

  /** Runs timers in (time, scheduling) order until `endMs`, or until `stop()` says so. */
  runUntil(endMs: number, stop: () => boolean = () => false, maxEvents = 5_000_000): number {
    let events = 0
    while (this.#heap.length > 0 && events < maxEvents) {
      const top = this.#heap[0] as Timer
      if (top.at > endMs) break
      this.#pop()
      if (top.cancelled) continue
      this.now = top.at
      top.fire()
      events++
      if (stop()) break
    }
    if (this.now < endMs && (this.#heap.length === 0 || (this.#heap[0] as Timer).at > endMs)) this.now = endMs
    return events
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

export interface NetworkConfig {
  readonly minDelayMs: number
  readonly maxDelayMs: number
  /** Before GST only. */
  readonly lossRate: number
  readonly duplicateRate: number
  readonly gstMs: number
  /** Partitions: from `startMs` to `endMs` only instances in the same group talk. */
  readonly partitions: readonly { startMs: number; endMs: number; groups: readonly (readonly number[])[] }[]
  /** Decode every delivery from its bytes (the wire path), or pass the object (faster). */
  readonly wire: boolean
  /** Encode every message to count bytes per type (for the cost measurement); off is faster. */
  readonly measure?: boolean
}

export interface Instance {
  readonly key: string
  up: boolean
  /** `from`: the key of the instance whose connection carried the message (never what it claims). */
  deliver(message: ConsensusMessage, from: string): void
}

export interface TrafficStats {
  messages: number
  bytes: number
  byType: Record<string, { messages: number; bytes: number }>
}

export class SimNetwork {
  readonly instances: Instance[] = []
  readonly stats: TrafficStats = { messages: 0, bytes: 0, byType: {} }
  readonly #clock: VirtualClock
  readonly #prng: Prng
  readonly #config: NetworkConfig
  readonly #chainId: string

  constructor(config: NetworkConfig, deps: { clock: VirtualClock; prng: Prng; chainId: string }) {
    this.#config = config
    this.#clock = deps.clock
    this.#prng = deps.prng
    this.#chainId = deps.chainId
  }

  add(instance: Instance): number {
    this.instances.push(instance)
    return this.instances.length - 1
  }

  connected(a: number, b: number): boolean {
    const now = this.#clock.now
    for (const p of this.#config.partitions) {
      if (now < p.startMs || now >= p.endMs) continue
      const ga = p.groups.findIndex((g) => g.includes(a))
      const gb = p.groups.findIndex((g) => g.includes(b))
      if (ga !== gb) return false
    }
    return true
  }

  /** The NetworkPort of instance `from`. */
  port(from: number): NetworkPort {
    return {
      broadcast: (message) => this.#send(from, message, null),
      send: (peer, message) => this.#send(from, message, peer),
    }
  }

  /** Sends to specific instances (byzantine actors choose their audience). */
  sendTo(from: number, to: readonly number[], message: ConsensusMessage): void {
    const bytes = this.#account(message, to.length)
    for (const i of to) this.#deliver(from, i, message, bytes)
  }

  #account(message: ConsensusMessage, copies: number): Uint8Array | null {
    if (!this.#config.measure && !this.#config.wire) {
      this.stats.messages += copies
      return null
    }
    const bytes = encodeConsensusMessage(message)
    const type = message.type === 'vote' ? message.vote.kind : message.type
    const entry = this.stats.byType[type] ?? { messages: 0, bytes: 0 }
    this.stats.byType[type] = entry
    entry.messages += copies
    entry.bytes += bytes.length * copies
    this.stats.messages += copies
    this.stats.bytes += bytes.length * copies
    return bytes
  }

  #send(from: number, message: ConsensusMessage, peer: string | null): void {
    const targets: number[] = []
    for (let i = 0; i < this.instances.length; i++) {
      if (i === from) continue
      if (peer !== null && (this.instances[i] as Instance).key !== peer) continue
      targets.push(i)
    }
    const bytes = this.#account(message, targets.length)
    for (const i of targets) this.#deliver(from, i, message, bytes)
  }

  #deliver(from: number, to: number, message: ConsensusMessage, bytes: Uint8Array | null): void {
    if (!this.connected(from, to)) return
    const c = this.#config
    const early = this.#clock.now < c.gstMs
    if (early && this.#prng.chance(c.lossRate)) return
    const copies = this.#prng.chance(c.duplicateRate) ? 2 : 1
    for (let k = 0; k < copies; k++) {
      const spread = c.maxDelayMs - c.minDelayMs
      const delay = c.minDelayMs + this.#prng.int(spread + 1) * (early ? 3 : 1)
      this.#clock.schedule(delay, () => {
        const target = this.instances[to] as Instance
        if (!target.up || !this.connected(from, to)) return
        const sender = (this.instances[from] as Instance).key
        target.deliver(
          c.wire && bytes !== null ? decodeConsensusMessage(bytes, this.#chainId) : message,
          sender,
        )
      })
    }
  }
}

export const keyId = toHex
