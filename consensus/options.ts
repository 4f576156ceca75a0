/**
 * Consensus timing options, with documented defaults. View timeouts grow linearly per view up to a cap
 * (never doubling without bound: see Besu QBFT's multi-hour rounds), so recovery after an outage takes
 * at most a couple of capped timeouts.
 */
import { Limits } from '../protocol/limits.ts'
import { hasQuorum } from '../protocol/validator-set.ts'
import { ConsensusError, ConsensusErrorCode } from './errors.ts'

export interface ConsensusOptions {
  /** Timeout of view 0 (after the proposal wait), in ms. Default 1000. */
  readonly viewTimeoutBaseMs: number
  /** Added per view: view v waits base + v·increment. Default 500. */
  readonly viewTimeoutIncrementMs: number
  /** No view waits longer than this. Default 10000. */
  readonly viewTimeoutCapMs: number
  /** An idle chain still commits an (empty) block this often; the leader waits up to this long for txs. */
  readonly emptyBlockIntervalMs: number
  /**
   * How often a waiting leader checks whether txs have arrived, when the executor has no
   * `onPendingTxs` wake-up (the simulator's fakes). Default 50.
   */
  readonly txPollMs: number
  /**
   * The largest block the chain may carry, from which the byte bounds of the next-height buffer and
   * of the driver's queue are derived (see `memoryBounds`). Default: the protocol ceiling,
   * Limits.maxBlockBytes, which the node passes too (governance may raise the chain's maxBlockBytes
   * up to it at any epoch boundary).
   */
  readonly maxBlockBytes: number
  /** Messages for the next height held per member until this node gets there. Default 16. */
  readonly maxFutureMessagesPerMember: number
  /**
   * Events a peer may have queued in the driver before `receive` asks it to wait (back-pressure);
   * four times as many and it is dropped. Default 64.
   */
  readonly maxQueuedPerPeer: number
  /** Events queued in the driver in all before every sender is asked to wait; twice that, dropped. Default 4096. */
  readonly maxQueuedEvents: number
  /**
   * The quorum rule: more than 2/3 of the power (`hasQuorum`). Only the simulator's planted-bug test
   * overrides it, to prove the checks catch an unsafe rule.
   */
  readonly quorum: (power: number, totalPower: number) => boolean
}

export const defaultConsensusOptions: ConsensusOptions = {
  viewTimeoutBaseMs: 1000,
  viewTimeoutIncrementMs: 500,
  viewTimeoutCapMs: 10_000,
  emptyBlockIntervalMs: 1000,
  txPollMs: 50,
  maxBlockBytes: Limits.maxBlockBytes,
  maxFutureMessagesPerMember: 16,
  maxQueuedPerPeer: 64,
  maxQueuedEvents: 4096,
  quorum: hasQuorum,
}

export function consensusOptions(overrides: Partial<ConsensusOptions> = {}): ConsensusOptions {
  const o = { ...defaultConsensusOptions, ...overrides }
  for (const field of [
    'viewTimeoutBaseMs',
    'viewTimeoutIncrementMs',
    'viewTimeoutCapMs',
    'emptyBlockIntervalMs',
    'txPollMs',
    'maxBlockBytes',
    'maxFutureMessagesPerMember',
    'maxQueuedPerPeer',
    'maxQueuedEvents',
  ] as const) {
    const value = o[field]
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ConsensusError(ConsensusErrorCode.badOptions, `${field} must be a non-negative integer`, {
        field,
      })
    }
  }
  if (o.viewTimeoutBaseMs === 0 || o.viewTimeoutCapMs < o.viewTimeoutBaseMs) {
    throw new ConsensusError(
      ConsensusErrorCode.badOptions,
      'need 0 < viewTimeoutBaseMs <= viewTimeoutCapMs',
      {
        field: 'viewTimeoutCapMs',
      },
    )
  }
  if (o.maxBlockBytes === 0 || o.maxBlockBytes > Limits.maxBlockBytes) {
    throw new ConsensusError(
      ConsensusErrorCode.badOptions,
      `need 0 < maxBlockBytes <= ${Limits.maxBlockBytes}`,
      { field: 'maxBlockBytes' },
    )
  }
  for (const field of ['maxFutureMessagesPerMember', 'maxQueuedPerPeer', 'maxQueuedEvents'] as const) {
    if (o[field] === 0) {
      throw new ConsensusError(ConsensusErrorCode.badOptions, `${field} must be positive`, { field })
    }
  }
  return o
}

/** Byte bounds of what peers can make this node hold, all derived from the chain's maxBlockBytes. */
export interface MemoryBounds {
  /** Next-height messages of all members: each may use its stake share of this. */
  readonly futureBytes: number
  /** A member may always use this much of the next-height buffer, whatever its stake. */
  readonly futureFloorBytes: number
  /** And never more than this: one full block and small messages. */
  readonly futureMemberCapBytes: number
  /** Bytes a peer may have queued in the driver before it is asked to wait (four times: dropped). */
  readonly queuedBytesPerPeer: number
  /** Bytes queued in the driver in all before every sender waits (twice: dropped). */
  readonly queuedBytes: number
}

const FLOOR_BYTES = 64 * 1024

export function memoryBounds(o: Pick<ConsensusOptions, 'maxBlockBytes'>): MemoryBounds {
  return {
    futureBytes: 4 * o.maxBlockBytes,
    futureFloorBytes: FLOOR_BYTES,
    futureMemberCapBytes: o.maxBlockBytes + FLOOR_BYTES,
    queuedBytesPerPeer: 2 * o.maxBlockBytes + FLOOR_BYTES,
    queuedBytes: 8 * o.maxBlockBytes,
  }
}

/**
 * The timing of one height's views: the chain may change it at an epoch boundary, so the driver takes
 * it per height from the executor (`ExecutorPort.timingFor`) when it can, else from the options.
 */
export type ViewTiming = Pick<
  ConsensusOptions,
  'viewTimeoutBaseMs' | 'viewTimeoutIncrementMs' | 'viewTimeoutCapMs' | 'emptyBlockIntervalMs'
>

export function viewTimingOf(o: ViewTiming): ViewTiming {
  return {
    viewTimeoutBaseMs: o.viewTimeoutBaseMs,
    viewTimeoutIncrementMs: o.viewTimeoutIncrementMs,
    viewTimeoutCapMs: o.viewTimeoutCapMs,
    emptyBlockIntervalMs: o.emptyBlockIntervalMs,
  }
}

/** How long a validator waits in `view` before asking for the next one (the proposal wait included). */
export function viewTimeoutMs(o: ViewTiming, view: number): number {
  const grown = Math.min(o.viewTimeoutBaseMs + view * o.viewTimeoutIncrementMs, o.viewTimeoutCapMs)
  return view === 0 ? o.emptyBlockIntervalMs + grown : grown
}
