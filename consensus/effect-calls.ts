/**
 * How the driver calls the world: every port call, observer callback and timer goes through here, so
 * that nothing a port does (throw, reject, never settle before stop) can escape as an exception or an
 * unhandled rejection. Failures become warnings through the observer; calls in flight are tracked so
 * that stop() can wait for them.
 */
import type { ConsensusObserver, MaybePromise, TimerPort } from './ports.ts'

export type Pending = Promise<void> | undefined

export function errorText(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err)
  } catch {
    return '(unprintable error)'
  }
}

export class EffectCalls {
  readonly #observer: ConsensusObserver | undefined
  readonly #timerPort: TimerPort
  readonly #timers = new Set<unknown>()
  readonly #inflight = new Set<Promise<unknown>>()
  #stopped = false

  constructor(deps: { readonly observer?: ConsensusObserver; readonly timers: TimerPort }) {
    this.#observer = deps.observer
    this.#timerPort = deps.timers
  }

  /**
   * Calls a port that may answer, throw or reject: `ok` gets its answer (now, or when its promise
   * settles), a failure goes to `failed`. Never throws and never rejects.
   */
  call<T>(call: () => MaybePromise<T>, ok: (value: T) => void, failed: (err: unknown) => void): Pending {
    let value: MaybePromise<T>
    try {
      value = call()
    } catch (err) {
      this.attempt('effect-failed', () => failed(err))
      return undefined
    }
    if (value instanceof Promise) {
      return value.then(
        (v) => this.attempt('effect-failed', () => ok(v)),
        (err: unknown) => this.attempt('effect-failed', () => failed(err)),
      )
    }
    this.attempt('effect-failed', () => ok(value))
    return undefined
  }

  /** Runs `fn`; if it throws, reports `name` and carries on. */
  attempt(name: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.warn(name, {}, err)
    }
  }

  /** Remembers a call in flight until it settles (`settled()` waits for all of them). */
  track(pending: Pending): void {
    if (pending === undefined) return
    this.#inflight.add(pending)
    const done = () => void this.#inflight.delete(pending)
    pending.then(done, done)
  }

  /** Resolves once nothing is in flight, including calls started meanwhile. */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight])
  }

  notify(fn: (observer: ConsensusObserver) => void): void {
    if (this.#observer === undefined) return
    try {
      fn(this.#observer)
    } catch {
      // An observer that throws must not wedge the loop.
    }
  }

  warn(name: string, data: Record<string, unknown>, err?: unknown): void {
    this.notify((o) => o.onWarning?.(name, err === undefined ? data : { ...data, error: errorText(err) }))
  }

  /** A timer whose callback cannot throw out of it and never fires after `cancelAll`. */
  timer(afterMs: number, fire: () => void): unknown {
    let handle: unknown
    try {
      handle = this.#timerPort.schedule(afterMs, () => {
        this.#timers.delete(handle)
        if (!this.#stopped) this.attempt('timer-failed', fire)
      })
    } catch (err) {
      this.warn('timer-failed', { afterMs }, err)
      return undefined
    }
    this.#timers.add(handle)
    return handle
  }

  cancel(handle: unknown): void {
    if (this.#timers.delete(handle)) this.attempt('timer-failed', () => this.#timerPort.cancel(handle))
  }

  /** Cancels every timer; none fires afterwards. */
  cancelAll(): void {
    this.#stopped = true
    for (const t of this.#timers) this.attempt('timer-failed', () => this.#timerPort.cancel(t))
    this.#timers.clear()
  }
}
