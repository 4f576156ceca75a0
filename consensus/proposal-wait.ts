/**
 * A view-0 leader's wait for txs before it proposes, up to the empty-block interval (the one in force
 * at the effect's height, `intervalMs`; the options' when the deps give none). With the
 * executor's `onPendingTxs` wake-up it proposes as soon as txs arrive; without one (the simulator's
 * fakes) it checks `hasPendingTxs` every txPollMs. Owned and driven by the driver loop.
 */
import type { ConsensusOptions } from './options.ts'
import type { ExecutorPort } from './ports.ts'
import type { ConsensusEffect } from './state.ts'

export type BuildEffect = Extract<ConsensusEffect, { type: 'build-proposal' }>

export interface ProposalWaitDeps {
  readonly executor: ExecutorPort
  /** The empty-block interval of the current height (default: the options'). */
  readonly intervalMs?: () => number
  /** The driver's timers (cancelled with it on stop). */
  readonly schedule: (afterMs: number, fire: () => void) => unknown
  readonly cancel: (handle: unknown) => void
  /** Whether the effect is still for the driver's current height and view. */
  readonly isCurrent: (effect: BuildEffect) => boolean
  /** Builds the proposal now, unless the effect is stale by then. */
  readonly propose: (effect: BuildEffect) => void
}

export class ProposalWait {
  readonly #options: Pick<ConsensusOptions, 'emptyBlockIntervalMs' | 'txPollMs'>
  readonly #deps: ProposalWaitDeps
  /** The build waiting for txs and its pending timer (the interval, or the 0 ms one after a wake-up). */
  #waiting: { readonly effect: BuildEffect; readonly timer: unknown } | null = null
  #unsubscribe: (() => void) | null = null

  constructor(options: Pick<ConsensusOptions, 'emptyBlockIntervalMs' | 'txPollMs'>, deps: ProposalWaitDeps) {
    this.#options = options
    this.#deps = deps
  }

  start(): void {
    this.#unsubscribe ??= this.#deps.executor.onPendingTxs?.(() => this.#txsArrived()) ?? null
  }

  /** Stopping twice is harmless; the driver cancels the timers. */
  stop(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    this.#waiting = null
  }

  build(effect: BuildEffect, waitedMs = 0): void {
    const o = this.#options
    const { executor } = this.#deps
    if (!this.#deps.isCurrent(effect)) return
    const intervalMs = this.#deps.intervalMs?.() ?? o.emptyBlockIntervalMs
    if (!effect.waitForTxs || waitedMs >= intervalMs || executor.hasPendingTxs()) {
      this.#deps.propose(effect)
    } else if (this.#unsubscribe !== null) {
      this.#wait(effect, intervalMs)
    } else {
      const stepMs = Math.max(1, Math.min(o.txPollMs, intervalMs - waitedMs))
      this.#deps.schedule(stepMs, () => this.build(effect, waitedMs + stepMs))
    }
  }

  /**
   * Txs arrived. The build runs on a fresh 0 ms timer, never inside the caller's stack (a mempool
   * add), and at most once however many wake-ups come before it.
   */
  #txsArrived(): void {
    const waiting = this.#waiting
    if (waiting === null) return
    try {
      if (!this.#deps.executor.hasPendingTxs()) return
    } catch {
      // Never throw into the mempool that woke us: the interval timer still proposes.
      return
    }
    this.#wait(waiting.effect, 0)
  }

  /** (Re)arms the one pending build: it fires after `afterMs` unless replaced first. */
  #wait(effect: BuildEffect, afterMs: number): void {
    if (this.#waiting !== null) this.#deps.cancel(this.#waiting.timer)
    const timer = this.#deps.schedule(afterMs, () => {
      if (this.#waiting?.timer !== timer) return
      this.#waiting = null
      this.#deps.propose(effect)
    })
    this.#waiting = { effect, timer }
  }
}
