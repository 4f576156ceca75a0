/**
 * A validator set: associations' node keys with their voting power (delegated stake). Sorted by key,
 * so the set and its hash are a function of the members alone. Quorum arithmetic is in integers.
 */
import { type Bytes, bytesEqual, compareBytes, toHex } from './bytes.ts'
import { sha256 } from './crypto.ts'
import { invalidField } from './errors.ts'
import { Limits } from './limits.ts'
import { Domain, taggedBytes } from './sign-bytes.ts'

export interface Validator {
  /** The node's Ed25519 public key: it signs votes, and the libp2p peer id derives from it. */
  readonly publicKey: Bytes
  readonly power: number
}

export interface ValidatorSet {
  readonly validators: readonly Validator[]
  readonly totalPower: number
  /** Index by hex public key. */
  readonly byKey: ReadonlyMap<string, Validator>
}

export function createValidatorSet(validators: readonly Validator[]): ValidatorSet {
  if (validators.length === 0) throw invalidField('validators', 'must not be empty')
  if (validators.length > Limits.maxValidators) {
    throw invalidField('validators', `must have at most ${Limits.maxValidators} members`)
  }
  const sorted = [...validators].sort((a, b) => compareBytes(a.publicKey, b.publicKey))
  const byKey = new Map<string, Validator>()
  let totalPower = 0
  for (const [i, v] of sorted.entries()) {
    if (v.publicKey.length !== 32) throw invalidField(`validators[${i}].publicKey`, 'must be 32 bytes')
    if (!Number.isSafeInteger(v.power) || v.power <= 0) {
      throw invalidField(`validators[${i}].power`, 'must be a positive safe integer')
    }
    const id = toHex(v.publicKey)
    if (byKey.has(id)) throw invalidField(`validators[${i}].publicKey`, 'duplicate validator')
    byKey.set(id, v)
    totalPower += v.power
    if (!Number.isSafeInteger(totalPower)) throw invalidField('validators', 'total power overflows')
  }
  return { validators: sorted, totalPower, byKey }
}

/** More than two thirds of the total power, in integers: 3·power > 2·total. */
export function hasQuorum(power: number, totalPower: number): boolean {
  return power * 3 > totalPower * 2
}

/** At least one third: enough faulty power to stall, and the bar for accountable-safety evidence. */
export function hasOneThird(power: number, totalPower: number): boolean {
  return power * 3 >= totalPower
}

/** The smallest power that is a quorum. */
export function quorumPower(totalPower: number): number {
  return Math.floor((totalPower * 2) / 3) + 1
}

export function validatorSetHash(set: ValidatorSet): Bytes {
  return sha256(taggedBytes(Domain.validatorSet, [set.validators.map((v) => [v.publicKey, v.power])]))
}

export function findValidator(set: ValidatorSet, publicKey: Bytes): Validator | undefined {
  const v = set.byKey.get(toHex(publicKey))
  return v !== undefined && bytesEqual(v.publicKey, publicKey) ? v : undefined
}
