/**
 * The chain parameters' rules, in one place: what genesis accepts and what governance may set
 * (params.set), for the ledger's parameters and consensus's. A governed change is stored as pending
 * and applied by the block that closes the epoch, before that block's election, so every node
 * switches at the same height: the blocks after it are built and checked against the new block
 * limits, their views time out by the new timeouts, and a new epochLength counts from this boundary
 * (staking-election.ts).
 */
import { Limits } from '../protocol/limits.ts'
import { GOVERNABLE_PARAMS, type TxBodyOf } from '../protocol/tx-body.ts'
import type { TxContext } from './context.ts'
import { requireAdminOrGovernance } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { Keys } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import {
  CHAIN_PARAM_FIELDS,
  type ChainParams,
  type EpochAnchor,
  LEDGER_PARAM_MAX,
  paramsCodec,
} from './records.ts'
import { clockAfterBoundary, type EpochClock } from './staking-election.ts'
import type { WorkingSet } from './working-set.ts'

/**
 * Longest view timeout or empty-block interval: an hour. A timer past 2^31 − 1 ms fires at once in
 * Node, so an unbounded value would turn "wait long" into "never wait".
 */
export const MAX_CONSENSUS_TIMEOUT_MS = 3_600_000
/** Least maxBlockBytes: a block with its header and certificate must fit. */
export const MIN_BLOCK_BYTES = 1_024

/** Every governable parameter is a chain parameter (a name added to one list only is a type error). */
const GOVERNED: readonly (keyof ChainParams)[] = GOVERNABLE_PARAMS
void GOVERNED

/** What is wrong with a set of parameters, or null when they are valid. */
export function paramsProblem(params: ChainParams): string | null {
  for (const f of CHAIN_PARAM_FIELDS) {
    if (!Number.isSafeInteger(params[f]) || params[f] < 0) return `params.${f} must be a non-negative integer`
  }
  if (params.epochLength < 1) return 'params.epochLength must be at least 1'
  if (params.maxValidators < 1 || params.maxValidators > Limits.maxValidators) {
    return `params.maxValidators must be 1 to ${Limits.maxValidators}`
  }
  if (params.maxTxValidityBlocks < 1) return 'params.maxTxValidityBlocks must be at least 1'
  for (const f of ['maxTerminalsPerMerchant', 'maxDevicesPerOwner', 'maxDelegationsPerMember'] as const) {
    if (params[f] < 1) return `params.${f} must be at least 1`
  }
  for (const [f, max] of Object.entries(LEDGER_PARAM_MAX)) {
    if (params[f as keyof ChainParams] > max) return `params.${f} must be at most ${max}`
  }
  return consensusProblem(params)
}

function consensusProblem(params: ChainParams): string | null {
  if (params.maxBlockBytes < MIN_BLOCK_BYTES || params.maxBlockBytes > Limits.maxBlockBytes) {
    return `params.maxBlockBytes must be ${MIN_BLOCK_BYTES} to ${Limits.maxBlockBytes}`
  }
  if (params.maxBlockTxs < 1) return 'params.maxBlockTxs must be at least 1'
  if (params.viewTimeoutBaseMs < 1) return 'params.viewTimeoutBaseMs must be at least 1'
  if (params.viewTimeoutCapMs < params.viewTimeoutBaseMs) {
    return 'params.viewTimeoutCapMs must be at least viewTimeoutBaseMs'
  }
  for (const f of [
    'viewTimeoutBaseMs',
    'viewTimeoutIncrementMs',
    'viewTimeoutCapMs',
    'emptyBlockIntervalMs',
  ] as const) {
    if (params[f] > MAX_CONSENSUS_TIMEOUT_MS) return `params.${f} must be at most ${MAX_CONSENSUS_TIMEOUT_MS}`
  }
  return null
}

export function pendingParams(ws: WorkingSet): ChainParams | undefined {
  return ws.get(Keys.pendingParams, paramsCodec)
}

/**
 * params.set: merges the changes into what is already pending (or the params in force) and schedules
 * them. Lowering a bound below what a record holds is safe: bounds refuse growth, they never shrink
 * a record.
 */
export function paramsSet(ctx: TxContext, body: TxBodyOf<'params.set'>): void {
  requireAdminOrGovernance(ctx)
  if (body.changes.length === 0) fail(StateErrorCode.invalidParam, 'no parameter changes')
  if (new Set(body.changes.map((c) => c.param)).size !== body.changes.length) {
    fail(StateErrorCode.invalidParam, 'a parameter is changed twice')
  }
  const base = pendingParams(ctx.ws) ?? ctx.params
  const next: ChainParams = { ...base, ...Object.fromEntries(body.changes.map((c) => [c.param, c.value])) }
  const problem = paramsProblem(next)
  if (problem !== null) fail(StateErrorCode.invalidParam, problem)
  ctx.ws.put(Keys.pendingParams, paramsCodec, next)
  for (const c of body.changes) ctx.events.push({ type: 'paramScheduled', param: c.param, value: c.value })
}

/**
 * At an epoch's last block (`height`, a boundary of `clock`): the pending parameters, now in force
 * (or `current` when none are), and the epoch anchor from here on (moved to this height when the
 * epoch length changes).
 */
export function applyPendingParams(
  ws: WorkingSet,
  height: number,
  current: ChainParams,
  clock: EpochClock,
  events: LedgerEvent[],
): { params: ChainParams; epochAnchor: EpochAnchor } {
  const pending = pendingParams(ws)
  if (pending === undefined) return { params: current, epochAnchor: clock.anchor }
  ws.delete(Keys.pendingParams, paramsCodec)
  for (const f of CHAIN_PARAM_FIELDS) {
    if (pending[f] !== current[f]) events.push({ type: 'paramApplied', param: f, value: pending[f] })
  }
  return { params: pending, epochAnchor: clockAfterBoundary(height, clock, pending.epochLength).anchor }
}
