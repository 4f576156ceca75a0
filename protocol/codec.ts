/**
 * The only msgpackr user. Encoding is canonical for the values this protocol uses: arrays in fixed
 * order, integers in their minimal msgpack form (integers above 2^32 as int64, never as floats), byte
 * strings as `bin`. Decoding checks the size limit before allocating anything, rejects trailing bytes,
 * and always ends in a validator, so a decoded value is a valid one or a typed error.
 */
import { Packr, Unpackr } from 'msgpackr'
import type { Bytes } from './bytes.ts'
import { ProtocolError, ProtocolErrorCode } from './errors.ts'

/** A value this codec writes: msgpack's array-only subset of our wire types. */
export type WireValue = number | string | boolean | null | Bytes | readonly WireValue[]

const packr = new Packr({ useRecords: false, variableMapSize: true, bundleStrings: false })
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  bundleStrings: false,
})

const MAX_UINT32 = 0xffff_ffff

// msgpackr writes integers above 2^32 as float64; a bigint gets an int64 instead, which keeps the
// "no floats in canonical bytes" rule. Arrays are copied only when they hold such an integer.
function canonicalize(value: WireValue): unknown {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new TypeError(`cannot encode non-integer or unsafe number ${value}`)
    return value > MAX_UINT32 || value < -0x8000_0000 ? BigInt(value) : value
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as WireValue
      const c = canonicalize(item)
      if (c !== item) {
        copy ??= value.slice()
        copy[i] = c
      }
    }
    return copy ?? value
  }
  return value
}

/** Canonical msgpack bytes of a wire value. */
export function encode(value: WireValue): Bytes {
  return packr.pack(canonicalize(value))
}

/**
 * Decodes untrusted bytes into a raw value, checking the size limit first. Callers pass the result to
 * a validator straight away; use `decodeWith` to do both in one call.
 */
export function decodeRaw(bytes: Bytes, maxBytes: number, what: string): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.malformed, `${what}: expected bytes`, { what })
  }
  if (bytes.length > maxBytes) {
    throw new ProtocolError(
      ProtocolErrorCode.tooLarge,
      `${what}: ${bytes.length} bytes exceeds the limit of ${maxBytes}`,
      {
        what,
        size: bytes.length,
        limit: maxBytes,
      },
    )
  }
  if (bytes.length === 0)
    throw new ProtocolError(ProtocolErrorCode.malformed, `${what}: empty input`, { what })
  let values: unknown[]
  try {
    values = unpackr.unpackMultiple(bytes) as unknown[]
  } catch (err) {
    throw new ProtocolError(ProtocolErrorCode.malformed, `${what}: not valid msgpack`, {
      what,
      cause: err instanceof Error ? err.message : String(err),
    })
  }
  if (values.length !== 1) {
    throw new ProtocolError(ProtocolErrorCode.malformed, `${what}: trailing bytes after the value`, { what })
  }
  return values[0]
}

/** Decode, then validate: the result is a valid value or a typed error. */
export function decodeWith<T>(
  bytes: Bytes,
  maxBytes: number,
  what: string,
  validate: (raw: unknown) => T,
): T {
  return validate(decodeRaw(bytes, maxBytes, what))
}

/** True when `bytes` is exactly what `encode` makes of `value`. */
export function isCanonical(bytes: Bytes, value: WireValue): boolean {
  const again = encode(value)
  if (again.length !== bytes.length) return false
  for (let i = 0; i < again.length; i++) if (again[i] !== bytes[i]) return false
  return true
}
