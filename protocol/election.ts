/**
 * The election rule (DESIGN §5 "Epochs"): the validator set is the top `maxValidators` associations by
 * delegated stake, among those not jailed with at least `minValidatorStake`; voting power = delegated
 * stake. Ties break by node key, so the result is a function of the candidates alone. The set is never
 * empty: if nobody qualifies, the old set stays.
 *
 * It lives in protocol/ because two parts run it: the state machine at each epoch boundary and at
 * genesis, and the light client, which derives a chain's first validator set from the genesis document
 * alone (client/light-client.ts) rather than asking a node for it.
 *
 * The election never fails: the result is a valid validator set (non-empty, at most maxValidators ≤
 * Limits.maxValidators members with distinct 32-byte node keys and positive powers) whose total power
 * is at most MAX_TOTAL_STAKE. Genesis guarantees that total (stake is never created afterwards); should
 * a result ever exceed it, the old set stays, deterministically.
 */
import { type Bytes, compareBytes } from './bytes.ts'

/**
 * The most stake a chain may hold (genesis checks the total of validators' and free stake; no tx
 * creates stake). Every election's total power is at most this, so quorum arithmetic (power × 3
 * against total × 2, protocol/validator-set.ts) stays exact in doubles.
 */
export const MAX_TOTAL_STAKE = Math.floor(Number.MAX_SAFE_INTEGER / 3)

export interface Candidate {
  readonly nodeKey: Bytes
  readonly delegated: number
  readonly jailed: boolean
}

export interface ElectionParams {
  readonly maxValidators: number
  readonly minValidatorStake: number
}

/** An elected set: (node key, power) pairs sorted by node key. */
export type ElectedSet = readonly (readonly [nodeKey: Bytes, power: number])[]

export function electValidators(
  candidates: readonly Candidate[],
  params: ElectionParams,
  previous: ElectedSet,
): ElectedSet {
  const eligible = candidates
    .filter((c) => !c.jailed && c.delegated > 0 && c.delegated >= params.minValidatorStake)
    .sort((a, b) => b.delegated - a.delegated || compareBytes(a.nodeKey, b.nodeKey))
    .slice(0, params.maxValidators)
  if (eligible.length === 0) return previous
  let total = 0
  for (const c of eligible) total += c.delegated
  if (!(total <= MAX_TOTAL_STAKE)) return previous
  return eligible.map((c) => [c.nodeKey, c.delegated] as const).sort((a, b) => compareBytes(a[0], b[0]))
}
