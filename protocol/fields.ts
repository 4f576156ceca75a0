/**
 * Readers for the fields of decoded wire tuples: each returns the typed value or throws
 * PROTOCOL_INVALID_FIELD naming the field. Shared by every hand-written decoder in protocol/.
 */
import type { Bytes } from './bytes.ts'
import { invalidField } from './errors.ts'

/** A non-negative safe integer (heights, views, amounts, nonces). */
export function readUint(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidField(field, 'must be a non-negative safe integer')
  }
  return value
}

/** Bytes of exactly `length`. */
export function readBytes(value: unknown, length: number, field: string): Bytes {
  if (!(value instanceof Uint8Array) || value.length !== length)
    throw invalidField(field, `must be ${length} bytes`)
  return value
}
