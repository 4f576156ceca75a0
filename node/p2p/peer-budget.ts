/**
 * Per-peer budgets: token buckets for what each peer may make us do (frames and bytes per long-lived
 * protocol, sync and tx-fetch requests and bytes served, stream opens) and a strike count for misbehaviour. The
 * protocols ask before they deliver; a non-zero answer is how long to hold that peer's stream (read
 * back-pressure: the stream is paused, so nothing is buffered beyond its receive window). A peer far
 * over its budget for long, or out of strikes, is reported through `onAbuse` (the host disconnects and
 * bans it). Budgets outlive a connection, so reconnecting does not refill them; the map holds only
 * allow-listed peers and is pruned with the allow-list.
 */
import type { P2pLimits, RateLimit } from './limits.ts'

/** A token bucket on an injected monotonic clock. Spending may go into debt by one request. */
export class TokenBucket {
  readonly #limit: RateLimit
  #tokens: number
  #atMs: number

  constructor(limit: RateLimit, nowMs: number) {
    this.#limit = limit
    this.#tokens = limit.burst
    this.#atMs = nowMs
  }

  #refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.#atMs)
    this.#atMs = nowMs
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + (elapsedMs * this.#limit.perSecond) / 1000)
  }

  /** Spends `n` (possibly into debt); returns the ms until the balance is back to zero (0: within budget). */
  spend(n: number, nowMs: number): number {
    this.#refill(nowMs)
    this.#tokens -= n
    if (this.#tokens >= 0) return 0
    return Math.ceil((-this.#tokens * 1000) / this.#limit.perSecond)
  }

  /** The balance now (negative while in debt), without spending. */
  balance(nowMs: number): number {
    this.#refill(nowMs)
    return this.#tokens
  }

  /** Whether the balance is back to at least half the burst: the holder has been under its rate a while. */
  rested(nowMs: number): boolean {
    return this.balance(nowMs) >= this.#limit.burst / 2
  }

  /** Spends `n` only if the balance covers it, never into debt. */
  trySpend(n: number, nowMs: number): boolean {
    this.#refill(nowMs)
    if (this.#tokens < n) return false
    this.#tokens -= n
    return true
  }
}

export type BudgetedProtocol = 'consensus' | 'txs'

export type AbuseReason = 'over-rate' | 'misbehaving'

export interface PeerBudgetsDeps {
  /** A monotonic clock in ms. */
  readonly nowMs: () => number
  /** The peer is far over its budget or out of strikes: disconnect it. Called once per episode. */
  readonly onAbuse: (peer: string, reason: AbuseReason) => void
}

interface FramedBudget {
  readonly frames: TokenBucket
  readonly bytes: TokenBucket
  /** When this peer's stream was first held without a break since; null when it is within budget. */
  throttledSinceMs: number | null
}

interface PeerBudget {
  readonly consensus: FramedBudget
  readonly txs: FramedBudget
  readonly syncRequests: TokenBucket
  readonly syncBytes: TokenBucket
  readonly txFetchRequests: TokenBucket
  readonly txFetchBytes: TokenBucket
  readonly streamOpens: TokenBucket
  readonly strikes: TokenBucket
}

export class PeerBudgets {
  readonly #limits: P2pLimits
  readonly #deps: PeerBudgetsDeps
  readonly #peers = new Map<string, PeerBudget>()

  constructor(limits: P2pLimits, deps: PeerBudgetsDeps) {
    this.#limits = limits
    this.#deps = deps
  }

  #of(peer: string): PeerBudget {
    let budget = this.#peers.get(peer)
    if (budget === undefined) {
      const now = this.#deps.nowMs()
      const l = this.#limits
      const framed = (frames: RateLimit, bytes: RateLimit): FramedBudget => ({
        frames: new TokenBucket(frames, now),
        bytes: new TokenBucket(bytes, now),
        throttledSinceMs: null,
      })
      budget = {
        consensus: framed(l.consensusFramesPerPeer, l.consensusBytesPerPeer),
        txs: framed(l.txFramesPerPeer, l.txBytesPerPeer),
        syncRequests: new TokenBucket(l.syncRequestsPerPeer, now),
        syncBytes: new TokenBucket(l.syncBytesPerPeer, now),
        txFetchRequests: new TokenBucket(l.txFetchRequestsPerPeer, now),
        txFetchBytes: new TokenBucket(l.txFetchBytesPerPeer, now),
        streamOpens: new TokenBucket(l.streamOpensPerPeer, now),
        strikes: new TokenBucket(l.strikesPerPeer, now),
      }
      this.#peers.set(peer, budget)
    }
    return budget
  }

  /** One frame of `size` bytes arrived on a long-lived protocol: ms to hold the stream before delivery. */
  frame(peer: string, protocol: BudgetedProtocol, size: number): number {
    const now = this.#deps.nowMs()
    const budget = this.#of(peer)[protocol]
    // A hold ends only once the peer has rested (saved half its burst again). A peer sending as fast as
    // it is let through hovers at a zero balance, and timer jitter lets some of its frames through
    // without a wait: those must not count as a break, or a flood would never be seen as one.
    const rested = budget.frames.rested(now) && budget.bytes.rested(now)
    const waitMs = Math.max(budget.frames.spend(1, now), budget.bytes.spend(size, now))
    if (waitMs === 0) {
      if (rested) budget.throttledSinceMs = null
      return 0
    }
    budget.throttledSinceMs ??= now
    if (now - budget.throttledSinceMs >= this.#limits.maxThrottledMs) {
      budget.throttledSinceMs = null
      this.#deps.onAbuse(peer, 'over-rate')
    }
    return waitMs
  }

  /** A sync request is about to be served: ms to wait first. */
  syncRequest(peer: string): number {
    return this.#of(peer).syncRequests.spend(1, this.#deps.nowMs())
  }

  /** `size` bytes of a sync response are about to be written: ms to wait first. */
  syncBytes(peer: string, size: number): number {
    return this.#of(peer).syncBytes.spend(size, this.#deps.nowMs())
  }

  /** A tx-fetch request is about to be served: ms to wait first. */
  txFetchRequest(peer: string): number {
    return this.#of(peer).txFetchRequests.spend(1, this.#deps.nowMs())
  }

  /** `size` bytes of a tx-fetch answer are about to be written: ms to wait first. */
  txFetchBytes(peer: string, size: number): number {
    return this.#of(peer).txFetchBytes.spend(size, this.#deps.nowMs())
  }

  /** A peer opened an inbound stream: false when over its rate (the stream is refused, with a strike). */
  streamOpened(peer: string): boolean {
    if (this.#of(peer).streamOpens.trySpend(1, this.#deps.nowMs())) return true
    this.strike(peer)
    return false
  }

  /** Misbehaviour no honest peer shows; a peer out of strikes is reported as misbehaving. */
  strike(peer: string): void {
    if (!this.#of(peer).strikes.trySpend(1, this.#deps.nowMs())) this.#deps.onAbuse(peer, 'misbehaving')
  }

  /** Drops the budgets of peers no longer allowed. */
  retain(isAllowed: (peer: string) => boolean): void {
    for (const peer of this.#peers.keys()) if (!isAllowed(peer)) this.#peers.delete(peer)
  }
}
