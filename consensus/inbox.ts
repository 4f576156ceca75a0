/**
 * The driver's queue of peers' messages: one FIFO per peer, served in turn, so a flooding peer delays
 * each other peer by at most one of its own events per turn. Bounded with back-pressure: a peer over its
 * share (events or bytes), or any peer while the whole queue is over its bound, is handed a promise that
 * resolves once there is room again (the node returns it to the p2p layer, which stops reading that
 * peer's stream meanwhile). Past a hard limit (four times a peer's share, twice the whole) a message is
 * dropped and counted: only a peer that ignores back-pressure gets there.
 */

export interface InboxBounds {
  readonly eventsPerPeer: number
  readonly bytesPerPeer: number
  readonly events: number
  readonly bytes: number
}

interface PeerQueue<T> {
  readonly items: { readonly item: T; readonly bytes: number }[]
  head: number
  bytes: number
  dropped: number
}

interface Waiter {
  readonly promise: Promise<void>
  readonly resolve: () => void
}

export type Admission = 'queued' | 'wait' | 'dropped'

export class Inbox<T> {
  readonly #bounds: InboxBounds
  readonly #queues = new Map<string, PeerQueue<T>>()
  /** Peers with queued items, in turn order; `#turn` is the next to serve. */
  readonly #ring: string[] = []
  #turn = 0
  #events = 0
  #bytes = 0
  #dropped = 0
  readonly #waiting = new Map<string, Waiter>()

  constructor(bounds: InboxBounds) {
    this.#bounds = bounds
  }

  get size(): number {
    return this.#events
  }

  get bytes(): number {
    return this.#bytes
  }

  get dropped(): number {
    return this.#dropped
  }

  /** Drops this peer has had so far. */
  droppedFrom(peer: string): number {
    return this.#queues.get(peer)?.dropped ?? 0
  }

  push(peer: string, item: T, bytes: number): Admission {
    const b = this.#bounds
    let q = this.#queues.get(peer)
    if (q === undefined) {
      q = { items: [], head: 0, bytes: 0, dropped: 0 }
      this.#queues.set(peer, q)
    }
    const queued = q.items.length - q.head
    // An empty queue always takes one message (a block may be large), unless the whole queue is full.
    const overPeer = queued > 0 && (queued >= 4 * b.eventsPerPeer || q.bytes + bytes > 4 * b.bytesPerPeer)
    if (overPeer || this.#events >= 2 * b.events || this.#bytes + bytes > 2 * b.bytes) {
      q.dropped++
      this.#dropped++
      return 'dropped'
    }
    // Already over its share (or the whole queue over its bound): queued, but the peer should wait.
    const wait = !this.#hasRoom(peer, q)
    if (queued === 0) this.#ring.push(peer)
    q.items.push({ item, bytes })
    q.bytes += bytes
    this.#events++
    this.#bytes += bytes
    return wait ? 'wait' : 'queued'
  }

  /** Nothing if `peer` has room now, else a promise that resolves once it has (one per peer, shared). */
  waitFor(peer: string): Promise<void> | undefined {
    if (this.#hasRoom(peer)) return undefined
    let w = this.#waiting.get(peer)
    if (w === undefined) {
      let resolve: () => void = () => {}
      const promise = new Promise<void>((r) => {
        resolve = r
      })
      w = { promise, resolve }
      this.#waiting.set(peer, w)
    }
    return w.promise
  }

  /** The next item, taking peers in turn. */
  shift(): { readonly peer: string; readonly item: T } | undefined {
    if (this.#ring.length === 0) return undefined
    if (this.#turn >= this.#ring.length) this.#turn = 0
    const peer = this.#ring[this.#turn] as string
    const q = this.#queues.get(peer) as PeerQueue<T>
    const entry = q.items[q.head] as { item: T; bytes: number }
    q.items[q.head] = undefined as unknown as { item: T; bytes: number }
    q.head++
    q.bytes -= entry.bytes
    this.#events--
    this.#bytes -= entry.bytes
    if (q.head === q.items.length) {
      q.items.length = 0
      q.head = 0
      this.#ring.splice(this.#turn, 1)
    } else {
      if (q.head > 1024 && q.head * 2 > q.items.length) {
        q.items.splice(0, q.head)
        q.head = 0
      }
      this.#turn++
    }
    this.#wake()
    return { peer, item: entry.item }
  }

  /** Drops everything queued and releases every waiting peer (on stop). */
  clear(): void {
    for (const q of this.#queues.values()) {
      q.items.length = 0
      q.head = 0
      q.bytes = 0
    }
    this.#ring.length = 0
    this.#events = 0
    this.#bytes = 0
    for (const w of this.#waiting.values()) w.resolve()
    this.#waiting.clear()
  }

  #hasRoom(peer: string, q: PeerQueue<T> | undefined = this.#queues.get(peer)): boolean {
    const b = this.#bounds
    const queued = q === undefined ? 0 : q.items.length - q.head
    return (
      queued < b.eventsPerPeer &&
      (q?.bytes ?? 0) < b.bytesPerPeer &&
      this.#events < b.events &&
      this.#bytes < b.bytes
    )
  }

  #wake(): void {
    if (this.#waiting.size === 0) return
    for (const [peer, w] of this.#waiting) {
      if (!this.#hasRoom(peer)) continue
      this.#waiting.delete(peer)
      w.resolve()
    }
  }
}
