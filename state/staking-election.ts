/**
 * Epoch arithmetic: an epoch boundary is a height divisible by epochLength, and the election there
 * (protocol/election.ts, run by staking.ts) chooses the set that certifies the heights after it.
 */

export function isEpochBoundary(height: number, epochLength: number): boolean {
  return height % epochLength === 0
}

export function epochOf(height: number, epochLength: number): number {
  return Math.floor(height / epochLength)
}
