/**
 * Leader of (height, view): stake-weighted round robin modelled on CometBFT's proposer priority. Every
 * step each validator's priority grows by its power and the one with the highest priority (ties: the
 * lower key) proposes and pays back the total power. Over one period of `totalPower` steps each validator
 * proposes exactly `power` times, and over any window its count stays within ±1 of its stake share.
 * The schedule is a function of the validator set alone (so of the chain); slot (height + view) picks
 * the leader.
 */
import type { Bytes } from '../protocol/bytes.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import { ConsensusError, ConsensusErrorCode } from './errors.ts'

/** Longer schedules are scaled down (stake shares kept to within rounding). */
export const MAX_SCHEDULE_LENGTH = 1 << 16

export interface LeaderSchedule {
  readonly set: ValidatorSet
  /** Validator indexes (into `set.validators`), one per slot, repeating. */
  readonly slots: Uint16Array
  leaderOf(height: number, view: number): Bytes
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/** The reduced integer weights the schedule uses (gcd removed, scaled to fit MAX_SCHEDULE_LENGTH). */
export function scheduleWeights(set: ValidatorSet): number[] {
  const powers = set.validators.map((v) => v.power)
  const g = powers.reduce(gcd)
  let weights = powers.map((p) => p / g)
  const total = weights.reduce((a, b) => a + b, 0)
  if (total > MAX_SCHEDULE_LENGTH) {
    weights = weights.map((w) => Math.max(1, Math.floor((w * MAX_SCHEDULE_LENGTH) / total)))
  }
  return weights
}

export function createLeaderSchedule(set: ValidatorSet): LeaderSchedule {
  const weights = scheduleWeights(set)
  if (weights.length === 0)
    throw new ConsensusError(ConsensusErrorCode.badValidatorSet, 'empty validator set')
  const total = weights.reduce((a, b) => a + b, 0)
  const slots = new Uint16Array(total)
  const priority = new Array<number>(weights.length).fill(0)
  for (let step = 0; step < total; step++) {
    let best = 0
    for (let i = 0; i < weights.length; i++) {
      priority[i] = (priority[i] as number) + (weights[i] as number)
      if ((priority[i] as number) > (priority[best] as number)) best = i
    }
    priority[best] = (priority[best] as number) - total
    slots[step] = best
  }
  return {
    set,
    slots,
    leaderOf(height: number, view: number): Bytes {
      const index = slots[(height + view) % total] as number
      return (set.validators[index] as { publicKey: Bytes }).publicKey
    },
  }
}
