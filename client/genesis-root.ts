/**
 * The light client's genesis root: the first validator set, read from the genesis document alone. It
 * reads only what the election needs (the chain id, the validators' node keys and stake, and the
 * election parameters) and runs the state machine's own rule (protocol/election.ts), so the set is the
 * one the chain's genesis state elected. The node validates the whole document; here a field that is
 * missing or malformed is a CLIENT_INVALID_INPUT naming it.
 */
import { decodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { validateChainId } from '../protocol/chain-id.ts'
import { electValidators } from '../protocol/election.ts'
import { createValidatorSet, type ValidatorSet } from '../protocol/validator-set.ts'
import { invalidInput } from './errors.ts'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

function positive(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1)
    throw invalidInput(field, 'must be a positive integer')
  return value as number
}

function parseDocument(document: unknown): Record<string, unknown> {
  if (typeof document !== 'string') return isObject(document) ? document : invalidDocument()
  try {
    const parsed: unknown = JSON.parse(document)
    return isObject(parsed) ? parsed : invalidDocument()
  } catch {
    return invalidDocument()
  }
}

function invalidDocument(): never {
  throw invalidInput('genesis', 'expected a genesis document (JSON)')
}

export function readGenesisValidatorSet(document: unknown): { chainId: string; set: ValidatorSet } {
  const g = parseDocument(document)
  let chainId: string
  try {
    chainId = validateChainId(g.chainId, 'genesis.chainId')
  } catch (err) {
    throw invalidInput('genesis.chainId', err instanceof Error ? err.message : 'invalid')
  }
  const ledger = isObject(g.params) && isObject(g.params.ledger) ? g.params.ledger : undefined
  if (ledger === undefined) throw invalidInput('genesis.params.ledger', 'missing')
  const params = {
    maxValidators: positive(ledger.maxValidators, 'genesis.params.ledger.maxValidators'),
    minValidatorStake: positive(ledger.minValidatorStake, 'genesis.params.ledger.minValidatorStake'),
  }
  if (!Array.isArray(g.validators) || g.validators.length === 0)
    throw invalidInput('genesis.validators', 'must be a non-empty list')
  const candidates = g.validators.map((v: unknown, i) => {
    const field = `genesis.validators[${i}]`
    if (!isObject(v)) throw invalidInput(field, 'expected an object')
    let nodeKey: Uint8Array
    try {
      nodeKey = decodeAddress(String(v.nodeKey), NODE_KEY_PREFIX)
    } catch {
      throw invalidInput(`${field}.nodeKey`, 'expected an arcnode1… node key')
    }
    return { nodeKey, delegated: positive(v.stake, `${field}.stake`), jailed: false }
  })
  const elected = electValidators(candidates, params, [])
  try {
    return { chainId, set: createValidatorSet(elected.map(([publicKey, power]) => ({ publicKey, power }))) }
  } catch (err) {
    throw invalidInput('genesis.validators', err instanceof Error ? err.message : 'no validator qualifies')
  }
}
