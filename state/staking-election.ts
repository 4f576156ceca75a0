/**
 * Epoch arithmetic, anchored. An epoch boundary is a height `anchor.height + k × epochLength` (k ≥ 1),
 * and the election there (protocol/election.ts, run by staking.ts) chooses the set that certifies the
 * heights after it. The anchor is the boundary that put the current epochLength in force (height 0 and
 * epoch 0 at genesis); a governed change of epochLength moves it to the boundary that applies the
 * change, with the epoch number that height already had, so epoch numbers never jump or repeat.
 *
 * Heights below the anchor belong to an earlier length: these functions are for heights at or after
 * it (the state asks only about its head and the block being applied).
 */
import type { EpochAnchor } from './records.ts'

/** What the epoch arithmetic needs: the length in force and where it started. */
export interface EpochClock {
  readonly epochLength: number
  readonly anchor: EpochAnchor
}

/** The clock of a state, from its meta record. */
export function epochClockOf(meta: {
  readonly params: { readonly epochLength: number }
  readonly epochAnchor: EpochAnchor
}): EpochClock {
  return { epochLength: meta.params.epochLength, anchor: meta.epochAnchor }
}

/** At genesis: the first length counts from height 0, epoch 0. */
export const GENESIS_EPOCH_ANCHOR: EpochAnchor = { height: 0, epoch: 0 }

export function isEpochBoundary(height: number, clock: EpochClock): boolean {
  return height > clock.anchor.height && (height - clock.anchor.height) % clock.epochLength === 0
}

/** The epoch `height` belongs to (a boundary height already carries the next epoch's number). */
export function epochOf(height: number, clock: EpochClock): number {
  return clock.anchor.epoch + Math.floor((height - clock.anchor.height) / clock.epochLength)
}

/** The first boundary strictly after `height`: the block whose election picks the next set. */
export function nextEpochBoundary(height: number, clock: EpochClock): number {
  const elapsed = height - clock.anchor.height
  return clock.anchor.height + (Math.floor(elapsed / clock.epochLength) + 1) * clock.epochLength
}

/**
 * The clock after the boundary block at `height` applied `epochLength`: unchanged when the length is,
 * else anchored at this boundary with the epoch number it had under the old length.
 */
export function clockAfterBoundary(height: number, clock: EpochClock, epochLength: number): EpochClock {
  if (epochLength === clock.epochLength) return clock
  return { epochLength, anchor: { height, epoch: epochOf(height, clock) } }
}

/**
 * The first height of `epoch` by the current clock (a boundary height already carries the next
 * epoch's number). A later change of epochLength moves it; the chain's check is the epoch itself.
 */
export function firstHeightOfEpoch(epoch: number, clock: EpochClock): number {
  return Math.max(1, clock.anchor.height + (epoch - clock.anchor.epoch) * clock.epochLength)
}
