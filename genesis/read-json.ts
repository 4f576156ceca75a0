/**
 * Small readers for hand-edited JSON: each checks one value and, when it is wrong, throws a
 * GenesisError whose `details.field` is the path a person would look for (`validators[2].nodeKey`).
 * node/config.ts reuses them with its own error factory.
 */
import { decodeAddress } from '../protocol/address.ts'
import type { Bytes } from '../protocol/bytes.ts'
import { genesisField } from './errors.ts'

export type FieldErrorFactory = (field: string, reason: string) => Error

export interface JsonReader {
  object(
    value: unknown,
    field: string,
    keys: readonly string[],
    optional?: readonly string[],
  ): Record<string, unknown>
  list(value: unknown, field: string, max: number): unknown[]
  string(value: unknown, field: string, min: number, max: number, pattern?: RegExp): string
  uint(value: unknown, field: string, min?: number, max?: number): number
  bool(value: unknown, field: string): boolean
  address(value: unknown, field: string, prefix: string): Bytes
  fail(field: string, reason: string): Error
}

export function jsonReader(fail: FieldErrorFactory = genesisField): JsonReader {
  return {
    fail,
    object(value, field, keys, optional = []) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw fail(field, 'must be an object')
      }
      const record = value as Record<string, unknown>
      const at = (key: string) => (field === '' ? key : `${field}.${key}`)
      for (const key of Object.keys(record)) {
        if (!keys.includes(key) && !optional.includes(key)) throw fail(at(key), 'is not a known field')
      }
      for (const key of keys) {
        if (record[key] === undefined) throw fail(at(key), 'is required')
      }
      return record
    },
    list(value, field, max) {
      if (!Array.isArray(value)) throw fail(field, 'must be a list')
      if (value.length > max) throw fail(field, `must have at most ${max} items`)
      return value
    },
    string(value, field, min, max, pattern) {
      if (typeof value !== 'string' || value.length < min || value.length > max) {
        throw fail(field, `must be a string of ${min} to ${max} characters`)
      }
      if (pattern !== undefined && !pattern.test(value)) throw fail(field, `must match ${pattern}`)
      return value
    },
    uint(value, field, min = 0, max = Number.MAX_SAFE_INTEGER) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
        throw fail(field, `must be an integer from ${min} to ${max}`)
      }
      return value
    },
    bool(value, field) {
      if (typeof value !== 'boolean') throw fail(field, 'must be true or false')
      return value
    },
    address(value, field, prefix) {
      if (typeof value !== 'string') throw fail(field, `must be a ${prefix}1… address`)
      try {
        return decodeAddress(value, prefix)
      } catch {
        throw fail(field, `must be a valid ${prefix}1… address (prefix, length or checksum is wrong)`)
      }
    },
  }
}
