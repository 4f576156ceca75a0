/**
 * The driver's effects on the chain: commit the decided block (retried after a failure, never fatal),
 * and catch up by sync (one at a time, tried again while nothing new arrives). Both end in an event for
 * the machine: 'block-committed' or 'sync-done' with the next height's context.
 */
import { blockHash } from '../protocol/block.ts'
import { bytesEqual } from '../protocol/bytes.ts'
import type { EffectCalls, Pending } from './effect-calls.ts'
import type { ExecutorPort, MaybePromise, SyncPort, WalPort } from './ports.ts'
import type { ConsensusEffect, ConsensusEvent, ConsensusState, HeightContext } from './state.ts'

export type CommitEffect = Extract<ConsensusEffect, { type: 'commit' }>

export interface ChainEffectsDeps {
  readonly executor: ExecutorPort
  readonly wal: WalPort
  readonly sync: SyncPort
  readonly calls: EffectCalls
  /** How long to wait before trying a failed commit or an empty sync again. */
  readonly retryMs: number
  readonly context: () => HeightContext
  readonly state: () => ConsensusState | null
  readonly post: (event: ConsensusEvent) => void
  /** Runs `commit(effect)` again from the driver's loop (so never beside another effect). */
  readonly retryInLoop: (effect: CommitEffect) => void
  readonly stopped: () => boolean
}

export class ChainEffects {
  readonly #deps: ChainEffectsDeps
  #syncing = false

  constructor(deps: ChainEffectsDeps) {
    this.#deps = deps
  }

  /** Commits the decided block; on failure, reports it and tries again after `retryMs`. */
  commit(effect: CommitEffect): Pending {
    const { calls } = this.#deps
    return calls.call(
      () => this.#commitOnce(effect),
      () => {},
      (err) => {
        calls.warn('commit-failed', { height: effect.block.header.height }, err)
        calls.timer(this.#deps.retryMs, () => this.#deps.retryInLoop(effect))
      },
    )
  }

  /** The retry, unless the height has moved on meanwhile (a sync stored it). */
  retry(effect: CommitEffect): Pending {
    const s = this.#deps.state()
    if (s === null || s.phase !== 'decided' || s.decided !== effect.block) return undefined
    return this.commit(effect)
  }

  #commitOnce(effect: CommitEffect): MaybePromise<void> {
    const { executor, wal, calls, post, context } = this.#deps
    // A sync may have stored this height already; the decided block must then be the same one.
    const head = executor.head().header
    if (head !== null && head.height >= effect.block.header.height) {
      const stored = head.height === effect.block.header.height ? blockHash(head) : null
      if (stored !== null && !bytesEqual(stored, effect.certificate.blockHash)) {
        calls.warn('decided-block-differs-from-synced', { height: head.height })
        calls.notify((o) => o.onConflictingDecision?.(effect.block, effect.certificate, stored))
      }
      post({ type: 'block-committed', context: context() })
      return undefined
    }
    const committed = () => {
      const { height, view } = effect.block.header
      calls.notify((o) => o.onCommit?.(height, effect.certificate.view ?? view, effect.certificate.blockHash))
      const next = context()
      calls.track(
        calls.call(
          () => wal.prune(next.height),
          () => {},
          (err) => calls.warn('prune-failed', { height: next.height }, err),
        ),
      )
      post({ type: 'block-committed', context: next })
    }
    const written = executor.commit(effect.block, effect.certificate)
    if (written instanceof Promise) return written.then(committed)
    committed()
    return undefined
  }

  /** One sync at a time; a failed or empty one is reported and tried again after `retryMs`. */
  sync(fromHeight: number, targetHeight: number): void {
    const { calls, stopped } = this.#deps
    if (this.#syncing || stopped()) return
    this.#syncing = true
    const done = () => {
      this.#syncing = false
      if (stopped()) return
      const context = this.#deps.context()
      const at = this.#deps.state()?.ctx.height ?? 0
      if (context.height > at) {
        this.#deps.post({ type: 'sync-done', context })
      } else if (at <= fromHeight) {
        // Nothing new yet (no peer had it): try again.
        calls.timer(this.#deps.retryMs, () => this.sync(fromHeight, targetHeight))
      }
    }
    calls.call(
      () => this.#deps.sync.request(fromHeight, targetHeight),
      done,
      (err) => {
        calls.warn('sync-failed', { fromHeight, targetHeight }, err)
        done()
      },
    )
  }
}
