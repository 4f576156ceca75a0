/**
 * Consensus timing options, with documented defaults. View timeouts grow linearly per view up to a cap
 * (never doubling without bound: see Besu QBFT's multi-hour rounds), so recovery after an outage takes
 * at most a couple of capped timeouts.
 */
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
  /** Messages for the next height held until this node gets there. Default 1024. */
  readonly maxFutureMessages: number
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
  maxFutureMessages: 1024,
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
    'maxFutureMessages',
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
  return o
}

/** How long a validator waits in `view` before asking for the next one (the proposal wait included). */
export function viewTimeoutMs(o: ConsensusOptions, view: number): number {
  const grown = Math.min(o.viewTimeoutBaseMs + view * o.viewTimeoutIncrementMs, o.viewTimeoutCapMs)
  return view === 0 ? o.emptyBlockIntervalMs + grown : grown
}
