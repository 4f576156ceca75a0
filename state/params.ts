/**
 * The ledger parameters' rules, in one place: what genesis accepts and what governance may set
 * (params.set). A governed change is stored as pending and applied by the block that closes the
 * epoch, before that block's election, so every node switches at the same height.
 */
import { Limits } from '../protocol/limits.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import type { TxContext } from './context.ts'
import { requireAdminOrGovernance } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { Keys } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import { LEDGER_PARAM_MAX, type LedgerParams, PARAM_FIELDS, paramsCodec } from './records.ts'
import type { WorkingSet } from './working-set.ts'

/** What is wrong with a set of parameters, or null when they are valid. */
export function paramsProblem(params: LedgerParams): string | null {
  for (const f of PARAM_FIELDS) {
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
    if (params[f as keyof LedgerParams] > max) return `params.${f} must be at most ${max}`
  }
  return null
}

export function pendingParams(ws: WorkingSet): LedgerParams | undefined {
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
  const next: LedgerParams = { ...base, ...Object.fromEntries(body.changes.map((c) => [c.param, c.value])) }
  const problem = paramsProblem(next)
  if (problem !== null) fail(StateErrorCode.invalidParam, problem)
  ctx.ws.put(Keys.pendingParams, paramsCodec, next)
  for (const c of body.changes) ctx.events.push({ type: 'paramScheduled', param: c.param, value: c.value })
}

/** At an epoch's last block: the pending parameters, now in force (or `current` when none are). */
export function applyPendingParams(
  ws: WorkingSet,
  current: LedgerParams,
  events: LedgerEvent[],
): LedgerParams {
  const pending = pendingParams(ws)
  if (pending === undefined) return current
  ws.delete(Keys.pendingParams, paramsCodec)
  for (const f of PARAM_FIELDS) {
    if (pending[f] !== current[f]) events.push({ type: 'paramApplied', param: f, value: pending[f] })
  }
  return pending
}
