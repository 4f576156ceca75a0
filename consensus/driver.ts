/**
 * The one loop that owns the mutable consensus state. Events go through the pure `step` one at a time;
 * the driver runs the effects in order against the ports. Everything this node signs is checked by the
 * double-sign guard and appended to the WAL before it is signed and sent; after a restart the WAL rebuilds
 * the guard, the view (and whether it was changing view) and the prepared proof. Ports may answer
 * synchronously (the simulator) or with promises (the node): the loop only waits when given a promise.
 *
 * No promise is left unhandled and no port failure is fatal: a failing effect is reported through the
 * observer and handled so that consensus stays live (a failed build proposes nothing and the view
 * changes; a failed validation is a 'bad' verdict; a failed commit is retried; a failed sync is tried
 * again). Peers' messages wait in a bounded inbox served fairly (inbox.ts), with back-pressure.
 */
import { blockHash, ZERO_HASH } from '../protocol/block.ts'
import { toHex } from '../protocol/bytes.ts'
import { type ConsensusMessage, consensusMessageWeight, signerOf } from '../protocol/consensus-message.ts'
import { type ValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { ChainEffects, type CommitEffect } from './chain-effects.ts'
import { EffectCalls, errorText, type Pending } from './effect-calls.ts'
import { Inbox } from './inbox.ts'
import { createLeaderSchedule, type LeaderSchedule } from './leader.ts'
import { step } from './machine.ts'
import { type ConsensusOptions, memoryBounds } from './options.ts'
import type {
  ConsensusObserver,
  ExecutorPort,
  NetworkPort,
  SignaturePort,
  SyncPort,
  TimerPort,
  ValidationResult,
  WalEntry,
  WalPort,
} from './ports.ts'
import { type BuildEffect, ProposalWait } from './proposal-wait.ts'
import { createDoubleSignGuard, type DoubleSignGuard, restoreFromWal, signMessage } from './signer.ts'
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

export interface DriverStats {
  /** Peers' events waiting in the inbox, and their bytes. */
  readonly queued: number
  readonly queuedBytes: number
  /** Peers' messages dropped past the inbox's hard limits since start. */
  readonly dropped: number
}

/** The loop's own work: the machine's events, and a commit tried again after it failed. */
type LocalItem = ConsensusEvent | { readonly type: 'retry-commit'; readonly effect: CommitEffect }

export class ConsensusDriver {
  readonly #options: DriverOptions
  readonly #deps: DriverDeps
  readonly #cfg: MachineConfig
  /** This node's hex key ('' for an observer): the `from` of its own messages fed back to the machine. */
  readonly #self: string
  readonly #local: LocalItem[] = []
  readonly #inbox: Inbox<ConsensusEvent>
  /** Port calls, observer callbacks and timers, all failure-proof; tracks what stop() waits for. */
  readonly #calls: EffectCalls
  readonly #chain: ChainEffects
  #state: ConsensusState | null = null
  #guard: DoubleSignGuard = createDoubleSignGuard()
  #schedule: { hash: string; schedule: LeaderSchedule } | null = null
  #running = false
  #stopped = false
  #stopping: Promise<void> | null = null
  /** A WAL write of the current step failed: nothing more is signed in that step. */
  #walFailed = false
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
    this.#self = deps.signer === null ? '' : toHex(deps.signer.publicKey)
    this.#calls = new EffectCalls(deps)
    this.#chain = new ChainEffects({
      executor: deps.executor,
      wal: deps.wal,
      sync: deps.sync,
      calls: this.#calls,
      retryMs: options.consensus.viewTimeoutBaseMs,
      context: () => this.context(),
      state: () => this.#state,
      post: (event) => this.post(event),
      retryInLoop: (effect) => {
        this.#local.push({ type: 'retry-commit', effect })
        this.#drain()
      },
      stopped: () => this.#stopped,
    })
    const bounds = memoryBounds(options.consensus)
    this.#inbox = new Inbox({
      eventsPerPeer: options.consensus.maxQueuedPerPeer,
      bytesPerPeer: bounds.queuedBytesPerPeer,
      events: options.consensus.maxQueuedEvents,
      bytes: bounds.queuedBytes,
    })
    this.#proposalWait = new ProposalWait(options.consensus, {
      executor: deps.executor,
      // The effect is for the current height (isCurrent): its context holds that height's interval.
      intervalMs: () =>
        this.#state?.ctx.timing?.emptyBlockIntervalMs ?? options.consensus.emptyBlockIntervalMs,
      schedule: (afterMs, fire) => this.#calls.timer(afterMs, fire),
      cancel: (handle) => this.#calls.cancel(handle),
      isCurrent: (effect) => this.#isCurrent(effect),
      propose: (effect) => this.#propose(effect),
    })
  }

  /** The current state (read-only; for metrics, status and tests). */
  get state(): ConsensusState | null {
    return this.#state
  }

  get stats(): DriverStats {
    return { queued: this.#inbox.size, queuedBytes: this.#inbox.bytes, dropped: this.#inbox.dropped }
  }

  /** Loads the WAL, restores the guard, view, phase and prepared proof of the current height, and starts. */
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
    this.#state = initialState(ctx, restoreFromWal(entries, ctx.height))
    if (this.#stopped) return
    // 'start' goes first; messages that arrived while the WAL was loading follow it.
    this.#local.unshift({ type: 'start' })
    this.#drain()
  }

  /**
   * Stops taking events, cancels the timers, and resolves once the effects in flight (a commit being
   * written, a proposal being built) have finished. Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#halt()
    return this.#stopping
  }

  async #halt(): Promise<void> {
    this.#stopped = true
    this.#proposalWait.stop()
    this.#calls.cancelAll()
    this.#local.length = 0
    this.#inbox.clear()
    await this.#calls.settled()
  }

  /**
   * A message from the network (decoded and statelessly validated), delivered over the connection of
   * the peer `from` (its hex node key). Returns a promise when that peer (or the whole inbox) is over
   * its bound: the caller should read nothing more from that peer until it resolves.
   */
  receive(message: ConsensusMessage, from: string): void | Promise<void> {
    if (this.#stopped) return
    // A message signed by another than the peer that delivered it never takes room (the machine would
    // drop it anyway: see onMessage).
    const signer = signerOf(message)
    if (signer !== null && toHex(signer) !== from) return
    const admitted = this.#inbox.push(
      from,
      { type: 'message', message, from },
      consensusMessageWeight(message),
    )
    if (admitted === 'dropped') {
      const n = this.#inbox.droppedFrom(from)
      // Reported at 1, 2, 4, 8, … drops per peer: a flood cannot flood the log too.
      if ((n & (n - 1)) === 0)
        this.#calls.warn('queue-dropped', { peer: from, dropped: n, total: this.#inbox.dropped })
      return
    }
    this.#drain()
    return admitted === 'wait' ? this.#inbox.waitFor(from) : undefined
  }

  /** Queues one of this node's own events; before `start()` has loaded the WAL it is kept for after 'start'. */
  post(event: ConsensusEvent): void {
    if (this.#stopped) return
    this.#local.push(event)
    this.#drain()
  }

  /** The context of the height after the committed head, from the chain. */
  context(): HeightContext {
    const { executor } = this.#deps
    const head = executor.head()
    const height = (head.header?.height ?? 0) + 1
    const validators = executor.validatorSetFor(height)
    const setHash = validatorSetHash(validators)
    const timing = executor.timingFor?.(height)
    return {
      height,
      validators,
      validatorSetHash: setHash,
      schedule: this.#scheduleFor(validators, setHash),
      parentHash: head.header === null ? ZERO_HASH : blockHash(head.header),
      parentTimeMs: head.header?.timeMs ?? 0,
      lastCommit: head.certificate,
      lastValidators: height > 1 ? executor.validatorSetFor(height - 1) : null,
      ...(timing === undefined ? {} : { timing }),
    }
  }

  #scheduleFor(set: ValidatorSet, hash: Uint8Array): LeaderSchedule {
    const id = toHex(hash)
    if (this.#schedule?.hash !== id) this.#schedule = { hash: id, schedule: createLeaderSchedule(set) }
    return this.#schedule.schedule
  }

  /**
   * Runs queued items one at a time, this node's own first, then peers' in turn. Nothing runs before
   * `start()` has set the state. A throwing step is reported and the loop goes on with the next item:
   * one bad event must never wedge the node.
   */
  #drain(): void {
    if (this.#running || this.#state === null) return
    this.#running = true
    let waiting = false
    try {
      while (!this.#stopped) {
        const item = this.#local.shift() ?? this.#inbox.shift()?.item
        if (item === undefined) break
        let pending: Pending
        try {
          pending = item.type === 'retry-commit' ? this.#chain.retry(item.effect) : this.#step(item)
        } catch (err) {
          this.#calls.warn('step-failed', { event: item.type }, err)
          continue
        }
        if (pending !== undefined) {
          waiting = true
          this.#calls.track(
            pending.then(
              () => this.#resume(),
              (err: unknown) => {
                this.#calls.warn('effect-failed', { event: item.type }, err)
                this.#resume()
              },
            ),
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

  #step(event: ConsensusEvent): Pending {
    const result = step(this.#cfg, this.#state as ConsensusState, event)
    this.#state = result.state
    this.#walFailed = false
    return this.#runAll(result.effects, 0)
  }

  #runAll(effects: readonly ConsensusEffect[], from: number): Pending {
    for (let i = from; i < effects.length && !this.#stopped; i++) {
      const pending = this.#run(effects[i] as ConsensusEffect)
      if (pending !== undefined) return pending.then(() => this.#runAll(effects, i + 1))
    }
    return undefined
  }

  /** Runs one effect. Never throws and never rejects: a port failure is reported and handled. */
  #run(effect: ConsensusEffect): Pending {
    const { network, executor, wal } = this.#deps
    switch (effect.type) {
      case 'sign-and-broadcast':
        return this.#signAndBroadcast(effect.message)
      case 'send':
        this.#calls.attempt('send-failed', () => network.send(effect.peer, effect.message))
        return undefined
      case 'persist':
        // The prepared proof must be durable before the COMMIT that follows it is signed.
        return this.#calls.call(
          () => wal.append(effect.entry),
          () => {},
          (err) => this.#walFailure(err),
        )
      case 'schedule-timeout':
        this.#calls.timer(effect.afterMs, () =>
          this.post({ type: 'timeout', height: effect.height, view: effect.view }),
        )
        return undefined
      case 'build-proposal':
        // A failed build proposes nothing: the view's timer is armed, and a view change follows.
        this.#calls.attempt('build-failed', () => this.#proposalWait.build(effect))
        return undefined
      case 'validate-proposal': {
        const hash = blockHash(effect.block.header)
        const verdict = (result: ValidationResult) => this.post({ type: 'proposal-validated', hash, result })
        return this.#calls.call(
          () => executor.validateProposal(effect.block),
          verdict,
          (err) => {
            // An executor that cannot say is a 'bad' verdict, never a 'pending' one forever.
            this.#calls.warn('validate-failed', { height: effect.block.header.height }, err)
            verdict({ ok: false, reason: errorText(err) })
          },
        )
      }
      case 'commit':
        return this.#chain.commit(effect)
      case 'request-sync':
        this.#chain.sync(effect.fromHeight, effect.targetHeight)
        return undefined
      case 'report-evidence':
        this.#calls.notify((o) => o.onEvidence?.(effect.evidence))
        return undefined
      case 'view-entered':
        if (effect.view > 0) this.#calls.notify((o) => o.onViewChange?.(effect.height, effect.view))
        return undefined
    }
  }

  #signAndBroadcast(message: Parameters<typeof signMessage>[2]): Pending {
    const signer = this.#deps.signer
    if (signer === null) return undefined
    if (this.#walFailed) {
      this.#calls.warn('sign-skipped-after-wal-failure', { type: message.type, height: message.height })
      return undefined
    }
    if (this.#guard.check(message) === 'conflict') {
      this.#calls.warn('double-sign-refused', { type: message.type, height: message.height })
      return undefined
    }
    let signed: ConsensusMessage
    try {
      signed = signMessage(this.#options.chainId, signer, message)
    } catch (err) {
      this.#calls.warn('sign-failed', { type: message.type, height: message.height }, err)
      return undefined
    }
    // Recorded before it is durable: a slot is never signed for another block, even if the write fails.
    // A repeat is appended again: only a durable message is ever sent.
    this.#guard.record(message)
    return this.#calls.call(
      () => this.#deps.wal.append({ type: 'signed', message: signed }),
      () => {
        this.#calls.notify((o) => o.onSigned?.(signed))
        if (this.#stopped) return
        this.#calls.attempt('send-failed', () => this.#deps.network.broadcast(signed))
        this.post({ type: 'message', message: signed, from: this.#self })
      },
      (err) => this.#walFailure(err),
    )
  }

  #walFailure(err: unknown): void {
    this.#walFailed = true
    this.#calls.warn('wal-append-failed', {}, err)
  }

  #isCurrent(effect: BuildEffect): boolean {
    const current = this.#state
    return current !== null && current.ctx.height === effect.height && current.view === effect.view
  }

  #propose(effect: BuildEffect): void {
    if (this.#stopped || !this.#isCurrent(effect)) return
    const pending = this.#calls.call(
      () =>
        this.#deps.executor.buildProposal(effect.height, effect.view, {
          lastCommit: effect.lastCommit,
          evidence: effect.evidence,
        }),
      (block) => this.post({ type: 'proposal-built', height: effect.height, view: effect.view, block }),
      (err) => this.#calls.warn('build-failed', { height: effect.height, view: effect.view }, err),
    )
    this.#calls.track(pending)
  }
}
