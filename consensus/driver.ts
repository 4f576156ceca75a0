/**
 * The one loop that owns the mutable consensus state. Events go through the pure `step` one at a time;
 * the driver runs the effects in order against the ports. Everything this node signs is checked by the
 * double-sign guard and appended to the WAL before it is signed and sent; after a restart the WAL rebuilds
 * the guard, the view and the prepared proof. Ports may answer synchronously (the simulator) or with
 * promises (the node): the loop only waits when it is given a promise.
 */
import { blockHash, ZERO_HASH } from '../protocol/block.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import type { ConsensusMessage, PreparedProof } from '../protocol/consensus-message.ts'
import { type ValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { createLeaderSchedule, type LeaderSchedule } from './leader.ts'
import { step } from './machine.ts'
import type { ConsensusOptions } from './options.ts'
import type {
  ConsensusObserver,
  ExecutorPort,
  NetworkPort,
  SignaturePort,
  SyncPort,
  TimerPort,
  WalEntry,
  WalPort,
} from './ports.ts'
import { type BuildEffect, ProposalWait } from './proposal-wait.ts'
import { createDoubleSignGuard, type DoubleSignGuard, signMessage } from './signer.ts'
import {
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  type HeightContext,
  initialState,
  type MachineConfig,
} from './state.ts'

export interface DriverOptions {
  readonly chainId: string
  readonly consensus: ConsensusOptions
}

export interface DriverDeps {
  readonly network: NetworkPort
  /** Null for an observer: it follows and verifies but never signs. */
  readonly signer: SignaturePort | null
  /** Verifies anyone's signature (the signer's `verify` when there is a signer). */
  readonly verify: MachineConfig['verify']
  readonly wal: WalPort
  readonly executor: ExecutorPort
  readonly sync: SyncPort
  readonly timers: TimerPort
  readonly observer?: ConsensusObserver
}

type Pending = Promise<void> | undefined

/** Events kept while the WAL loads; past this a flood before start is dropped (peers retransmit). */
const MAX_QUEUED_BEFORE_START = 10_000

function heightOf(m: ConsensusMessage): number {
  return m.type === 'vote' ? m.vote.height : m.height
}

function viewOf(m: ConsensusMessage): number {
  return m.type === 'vote' ? m.vote.view : m.view
}

export class ConsensusDriver {
  readonly #options: DriverOptions
  readonly #deps: DriverDeps
  readonly #cfg: MachineConfig
  readonly #queue: ConsensusEvent[] = []
  readonly #timers = new Set<unknown>()
  #state: ConsensusState | null = null
  #guard: DoubleSignGuard = createDoubleSignGuard()
  #schedule: { hash: string; schedule: LeaderSchedule } | null = null
  #running = false
  #stopped = false
  #syncing = false
  readonly #proposalWait: ProposalWait

  constructor(options: DriverOptions, deps: DriverDeps) {
    this.#options = options
    this.#deps = deps
    this.#cfg = {
      chainId: options.chainId,
      self: deps.signer?.publicKey ?? null,
      options: options.consensus,
      verify: deps.verify,
    }
    this.#proposalWait = new ProposalWait(options.consensus, {
      executor: deps.executor,
      schedule: (afterMs, fire) => this.#timer(afterMs, fire),
      cancel: (handle) => this.#cancelTimer(handle),
      isCurrent: (effect) => this.#isCurrent(effect),
      propose: (effect) => this.#propose(effect),
    })
  }

  /** The current state (read-only; for metrics, status and tests). */
  get state(): ConsensusState | null {
    return this.#state
  }

  /** Loads the WAL, restores the guard, view and prepared proof of the current height, and starts. */
  start(): Pending {
    this.#proposalWait.start()
    const loaded = this.#deps.wal.load()
    if (loaded instanceof Promise) return loaded.then((entries) => this.#begin(entries))
    this.#begin(loaded)
    return undefined
  }

  #begin(entries: readonly WalEntry[]): void {
    this.#guard = createDoubleSignGuard(entries)
    const ctx = this.context()
    let view = 0
    let prepared: PreparedProof | null = null
    for (const e of entries) {
      if (e.type === 'signed' && heightOf(e.message) === ctx.height) view = Math.max(view, viewOf(e.message))
      if (e.type === 'prepared' && e.proof.certificate.height === ctx.height) {
        if (prepared === null || e.proof.certificate.view > prepared.certificate.view) prepared = e.proof
      }
    }
    this.#state = initialState(ctx, { view, prepared })
    if (this.#stopped) return
    // 'start' goes first; messages that arrived while the WAL was loading follow it in order.
    this.#queue.unshift({ type: 'start' })
    this.#drain()
  }

  stop(): void {
    this.#stopped = true
    this.#proposalWait.stop()
    for (const t of this.#timers) this.#deps.timers.cancel(t)
    this.#timers.clear()
    this.#queue.length = 0
  }

  /** A message from the network (already decoded and statelessly validated). */
  receive(message: ConsensusMessage): void {
    this.post({ type: 'message', message })
  }

  /** Queues an event; before `start()` has loaded the WAL it is kept and processed after 'start'. */
  post(event: ConsensusEvent): void {
    if (this.#stopped) return
    if (this.#queue.length >= MAX_QUEUED_BEFORE_START && this.#state === null) return
    this.#queue.push(event)
    this.#drain()
  }

  /** The context of the height after the committed head, from the chain. */
  context(): HeightContext {
    const { executor } = this.#deps
    const head = executor.head()
    const height = (head.header?.height ?? 0) + 1
    const validators = executor.validatorSetFor(height)
    const setHash = validatorSetHash(validators)
    return {
      height,
      validators,
      validatorSetHash: setHash,
      schedule: this.#scheduleFor(validators, setHash),
      parentHash: head.header === null ? ZERO_HASH : blockHash(head.header),
      parentTimeMs: head.header?.timeMs ?? 0,
      lastCommit: head.certificate,
      lastValidators: height > 1 ? executor.validatorSetFor(height - 1) : null,
    }
  }

  #scheduleFor(set: ValidatorSet, hash: Uint8Array): LeaderSchedule {
    const id = toHex(hash)
    if (this.#schedule?.hash !== id) this.#schedule = { hash: id, schedule: createLeaderSchedule(set) }
    return this.#schedule.schedule
  }

  /**
   * Runs queued events one at a time. Nothing runs before `start()` has set the state. A throwing step
   * or effect is reported as a warning and the loop goes on with the next event: one bad event must
   * never wedge the node.
   */
  #drain(): void {
    if (this.#running || this.#state === null) return
    this.#running = true
    let waiting = false
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        const event = this.#queue.shift() as ConsensusEvent
        let pending: Pending
        try {
          const result = step(this.#cfg, this.#state, event)
          this.#state = result.state
          pending = this.#runAll(result.effects, 0)
        } catch (err) {
          this.#warn('step-failed', { event: event.type }, err)
          continue
        }
        if (pending !== undefined) {
          waiting = true
          pending.then(
            () => this.#resume(),
            (err: unknown) => {
              this.#warn('effect-failed', { event: event.type }, err)
              this.#resume()
            },
          )
          return
        }
      }
    } finally {
      if (!waiting) this.#running = false
    }
  }

  #resume(): void {
    this.#running = false
    this.#drain()
  }

  #warn(name: string, data: Record<string, unknown>, err: unknown): void {
    try {
      this.#deps.observer?.onWarning?.(name, { ...data, error: String(err) })
    } catch {
      // An observer that throws must not wedge the loop either.
    }
  }

  #runAll(effects: readonly ConsensusEffect[], from: number): Pending {
    for (let i = from; i < effects.length; i++) {
      const pending = this.#run(effects[i] as ConsensusEffect)
      if (pending !== undefined) return pending.then(() => this.#runAll(effects, i + 1))
    }
    return undefined
  }

  #timer(afterMs: number, fire: () => void): unknown {
    const handle = this.#deps.timers.schedule(afterMs, () => {
      this.#timers.delete(handle)
      fire()
    })
    this.#timers.add(handle)
    return handle
  }

  #cancelTimer(handle: unknown): void {
    if (this.#timers.delete(handle)) this.#deps.timers.cancel(handle)
  }

  #run(effect: ConsensusEffect): Pending {
    const { network, executor, wal, observer } = this.#deps
    switch (effect.type) {
      case 'sign-and-broadcast':
        return this.#signAndBroadcast(effect.message)
      case 'send':
        network.send(effect.peer, effect.message)
        return undefined
      case 'persist':
        return asPending(wal.append(effect.entry))
      case 'schedule-timeout':
        this.#timer(effect.afterMs, () =>
          this.post({ type: 'timeout', height: effect.height, view: effect.view }),
        )
        return undefined
      case 'build-proposal':
        this.#proposalWait.build(effect)
        return undefined
      case 'validate-proposal': {
        const hash = blockHash(effect.block.header)
        return then(executor.validateProposal(effect.block), (result) =>
          this.post({ type: 'proposal-validated', hash, result }),
        )
      }
      case 'commit': {
        // A sync may have stored this height already; the decided block must then be the same one.
        const head = executor.head().header
        if (head !== null && head.height >= effect.block.header.height) {
          const stored = head.height === effect.block.header.height ? blockHash(head) : null
          if (stored !== null && !bytesEqual(stored, effect.certificate.blockHash)) {
            observer?.onWarning?.('decided-block-differs-from-synced', { height: head.height })
            observer?.onConflictingDecision?.(effect.block, effect.certificate, stored)
          }
          this.post({ type: 'block-committed', context: this.context() })
          return undefined
        }
        return then(executor.commit(effect.block, effect.certificate), () => {
          const { height, view } = effect.block.header
          observer?.onCommit?.(height, effect.certificate.view ?? view, effect.certificate.blockHash)
          const context = this.context()
          wal.prune(context.height)
          this.post({ type: 'block-committed', context })
        })
      }
      case 'request-sync':
        this.#sync(effect.fromHeight, effect.targetHeight)
        return undefined
      case 'report-evidence':
        observer?.onEvidence?.(effect.evidence)
        return undefined
      case 'view-entered':
        if (effect.view > 0) observer?.onViewChange?.(effect.height, effect.view)
        return undefined
    }
  }

  #signAndBroadcast(message: Parameters<typeof signMessage>[2]): Pending {
    const signer = this.#deps.signer
    if (signer === null) return undefined
    const verdict = this.#guard.check(message)
    if (verdict === 'conflict') {
      this.#deps.observer?.onWarning?.('double-sign-refused', { type: message.type, height: message.height })
      return undefined
    }
    const signed = signMessage(this.#options.chainId, signer, message)
    const send = () => {
      this.#deps.network.broadcast(signed)
      this.post({ type: 'message', message: signed })
    }
    if (verdict === 'repeat') {
      send()
      return undefined
    }
    this.#guard.record(message)
    return then(this.#deps.wal.append({ type: 'signed', message: signed }), send)
  }

  #isCurrent(effect: BuildEffect): boolean {
    const current = this.#state
    return current !== null && current.ctx.height === effect.height && current.view === effect.view
  }

  #propose(effect: BuildEffect): void {
    if (!this.#isCurrent(effect)) return
    then(
      this.#deps.executor.buildProposal(effect.height, effect.view, {
        lastCommit: effect.lastCommit,
        evidence: effect.evidence,
      }),
      (block) => this.post({ type: 'proposal-built', height: effect.height, view: effect.view, block }),
    )
  }

  #sync(fromHeight: number, targetHeight: number): void {
    if (this.#syncing) return
    this.#syncing = true
    const done = () => {
      this.#syncing = false
      if (this.#stopped) return
      const context = this.context()
      const at = this.#state?.ctx.height ?? 0
      if (context.height > at) {
        this.post({ type: 'sync-done', context })
      } else if (at <= fromHeight) {
        // Nothing new yet (no peer had it): try again after a base timeout.
        this.#timer(this.#options.consensus.viewTimeoutBaseMs, () => this.#sync(fromHeight, targetHeight))
      }
    }
    // A failed sync is reported and retried like an empty one; it must not leave `#syncing` stuck.
    const failed = (err: unknown) => {
      this.#warn('sync-failed', { fromHeight, targetHeight }, err)
      done()
    }
    try {
      const pending = then(this.#deps.sync.request(fromHeight, targetHeight), done)
      pending?.catch(failed)
    } catch (err) {
      failed(err)
    }
  }
}

function asPending(value: void | Promise<void>): Pending {
  return value instanceof Promise ? value : undefined
}

function then<T>(value: T | Promise<T>, fn: (v: T) => void): Pending {
  if (value instanceof Promise) return value.then(fn)
  fn(value)
  return undefined
}
