import { invalidField } from './errors.ts'
import { Limits } from './limits.ts'

const CHAIN_ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/

/** A chain id is lower-case letters, digits and dashes, such as `arcade-devnet-1`. */
export function validateChainId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > Limits.maxChainIdLength) {
    throw invalidField(field, `must be a string of 1 to ${Limits.maxChainIdLength} characters`)
  }
  if (!CHAIN_ID_PATTERN.test(value))
    throw invalidField(field, 'must be lower-case letters, digits and dashes')
  return value
}
