/**
 * The validator set that certified the head, kept across restarts. The state holds only the set for
 * the next height; after a block that closed an epoch and changed the set, the head's own set (which
 * its certificate, the next block's lastCommit and consensus's `lastValidators` need) would be lost
 * on a restart. So the commit of every such block writes it in the same batch (`CERTIFYING_SET_META`),
 * and opening the chain reads it back when the head's header names a set other than the next one.
 */
import type { BlockHeader } from '../protocol/block.ts'
import { type Bytes, bytesEqual } from '../protocol/bytes.ts'
import { decodeRaw, encode } from '../protocol/codec.ts'
import { createValidatorSet, type ValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { ChainError, ChainErrorCode } from './chain-errors.ts'
import type { ChainStore } from './store/index.ts'

/**
 * `[height, [[publicKey, power], ...]]`: the set that certified block `height`, written with every
 * block that changes the set (the state holds only the next one).
 */
export const CERTIFYING_SET_META = 'certifying-validator-set'

/**
 * The set that certified the head: the next height's set (from state) unless the head closed an
 * epoch that changed it; then the one its commit persisted. The header's hash decides which.
 */
export async function headValidatorSet(
  store: ChainStore,
  header: BlockHeader,
  next: ValidatorSet,
): Promise<ValidatorSet> {
  if (bytesEqual(header.validatorSetHash, validatorSetHash(next))) return next
  const bytes = await store.getMeta(CERTIFYING_SET_META)
  const stored = bytes === null ? null : decodeCertifyingSet(bytes)
  if (
    stored === null ||
    stored.height !== header.height ||
    !bytesEqual(validatorSetHash(stored.set), header.validatorSetHash)
  ) {
    throw new ChainError(
      ChainErrorCode.corrupt,
      `the validator set that certified head ${header.height} is not stored`,
      { height: header.height, storedFor: stored?.height ?? null },
    )
  }
  return stored.set
}

export function encodeCertifyingSet(height: number, set: ValidatorSet): Bytes {
  return encode([height, set.validators.map((v) => [v.publicKey, v.power])])
}

/**
 * The history of the sets, for clients that check blocks from genesis without trusting a node (the
 * light client): `VALIDATOR_SET_CHANGES_META` lists, oldest first, each height from which a new set
 * certifies, and `validatorSetMeta(h)` holds that set (as `[h, pairs]`, the certifying-set encoding).
 * Both are written with the block that closed the epoch, in its batch. The genesis set (from height 1)
 * is not stored: it follows from genesis.
 */
export const VALIDATOR_SET_CHANGES_META = 'validator-set-changes'

export function validatorSetMeta(fromHeight: number): string {
  return `validator-set/${fromHeight}`
}

export async function validatorSetChanges(store: ChainStore): Promise<number[]> {
  const bytes = await store.getMeta(VALIDATOR_SET_CHANGES_META)
  if (bytes === null) return []
  const raw = decodeRaw(bytes, 1 << 24, 'validator set changes')
  if (!Array.isArray(raw) || !raw.every((h) => Number.isSafeInteger(h))) {
    throw new ChainError(ChainErrorCode.corrupt, 'the validator set index is malformed')
  }
  return raw as number[]
}

export async function storedValidatorSet(store: ChainStore, fromHeight: number): Promise<ValidatorSet> {
  const bytes = await store.getMeta(validatorSetMeta(fromHeight))
  const stored = bytes === null ? null : decodeCertifyingSet(bytes)
  if (stored === null || stored.height !== fromHeight) {
    throw new ChainError(ChainErrorCode.corrupt, `the validator set from height ${fromHeight} is not stored`)
  }
  return stored.set
}

function decodeCertifyingSet(bytes: Bytes): { height: number; set: ValidatorSet } {
  const raw = decodeRaw(bytes, 64 * 1024, 'certifying validator set')
  if (!Array.isArray(raw) || raw.length !== 2 || !Number.isSafeInteger(raw[0]) || !Array.isArray(raw[1])) {
    throw new ChainError(ChainErrorCode.corrupt, 'the stored validator set is malformed')
  }
  try {
    const validators = (raw[1] as unknown[]).map((v) => {
      if (!Array.isArray(v) || v.length !== 2) throw new Error('not a [publicKey, power] pair')
      return { publicKey: v[0] as Bytes, power: v[1] as number }
    })
    return { height: raw[0] as number, set: createValidatorSet(validators) }
  } catch (err) {
    throw new ChainError(ChainErrorCode.corrupt, `the stored validator set is invalid: ${String(err)}`)
  }
}
