/**
 * Which keys are in which height's validator set: the scenario's epochs over its keys (power 0: not a
 * member), cycling or with the last one staying. This is what the state's elections decide on a real
 * chain; every simulated node's executor derives the sets from it, and the checks judge by it.
 */
import type { SignaturePort } from '../../consensus/ports.ts'
import { toHex } from '../../protocol/bytes.ts'
import { createValidatorSet, type ValidatorSet } from '../../protocol/validator-set.ts'
import type { Scenario } from './scenarios.ts'

export interface SetSchedule {
  /** The set certifying `height` on the chain. */
  readonly validatorSetFor: (height: number) => ValidatorSet
  /** What the nodes' chains say: the same, unless the scenario plants each new set one height late. */
  readonly chainSetFor: (height: number) => ValidatorSet
  readonly isMember: (keyIndex: number, height: number) => boolean
  /** A member at `height` that is in no later epoch's set (it leaves for good after this height). */
  readonly leavesAfter: (keyIndex: number, height: number) => boolean
  /** The first height of the key's first epoch in the set. */
  readonly entryHeight: (keyIndex: number) => number
}

export function setSchedule(scenario: Scenario, keys: readonly SignaturePort[]): SetSchedule {
  const { epochPowers, epochLength } = scenario
  const sets: ValidatorSet[] = epochPowers.map((powers) =>
    createValidatorSet(
      keys.flatMap((k, i) =>
        (powers[i] as number) > 0 ? [{ publicKey: k.publicKey, power: powers[i] as number }] : [],
      ),
    ),
  )
  const epochOf = (height: number): number => {
    const epoch = Math.floor((height - 1) / epochLength)
    return scenario.lastEpochStays ? Math.min(epoch, sets.length - 1) : epoch % sets.length
  }
  const validatorSetFor = (height: number): ValidatorSet => sets[epochOf(height)] as ValidatorSet
  const isMember = (keyIndex: number, height: number): boolean =>
    validatorSetFor(height).byKey.has(toHex((keys[keyIndex] as SignaturePort).publicKey))
  return {
    validatorSetFor,
    // The planted bug: the first height of each epoch is still certified by the previous one's set.
    chainSetFor: scenario.plantLateSet
      ? (h) => validatorSetFor(h > 1 && (h - 1) % epochLength === 0 ? h - 1 : h)
      : validatorSetFor,
    isMember,
    leavesAfter: (keyIndex, height) =>
      scenario.lastEpochStays === true &&
      isMember(keyIndex, height) &&
      epochPowers.slice(epochOf(height + 1)).every((powers) => powers[keyIndex] === 0),
    entryHeight: (keyIndex) =>
      epochPowers.findIndex((powers) => (powers[keyIndex] as number) > 0) * epochLength + 1,
  }
}
