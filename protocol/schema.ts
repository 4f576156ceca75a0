/**
 * A tiny schema language for wire tuples. One schema drives three things, so they cannot drift apart:
 * the TypeScript type (`Infer`), the canonical tuple (`toTuple`) and the stateless validation of a
 * decoded tuple (`fromTuple`, which names the offending field).
 */
import type { Bytes } from './bytes.ts'
import type { WireValue } from './codec.ts'
import { invalidField } from './errors.ts'

export type Field =
  | { readonly t: 'uint' }
  | { readonly t: 'bytes'; readonly length: number }
  | { readonly t: 'varbytes'; readonly max: number }
  | {
      readonly t: 'string'
      readonly min: number
      readonly max: number
      readonly pattern?: RegExp
      /** A rule a pattern cannot say (a network address), and what it requires, for the error. */
      readonly check?: { readonly valid: (text: string) => boolean; readonly expected: string }
    }
  | { readonly t: 'bool' }
  | { readonly t: 'enum'; readonly values: readonly string[] }
  | { readonly t: 'optional'; readonly of: Field }
  /**
   * An optional field appended to a kind after its release (only at the end of a struct): left out
   * of the tuple when null, so a body without it keeps the bytes it always had (signed txs, hashes
   * and golden vectors of old callers stay valid). One encoding per body: a tuple whose last element
   * is an explicit null for an appended field is refused.
   */
  | { readonly t: 'appended'; readonly of: Field }
  | { readonly t: 'list'; readonly of: Field; readonly max: number }
  | { readonly t: 'struct'; readonly fields: Readonly<Record<string, Field>> }
  /** One of several structs, tagged by its kind: the tuple `[kind, ...fields]` (a nested tx body). */
  | { readonly t: 'union'; readonly variants: Readonly<Record<string, Field>> }

/** A non-negative safe integer (amounts, heights, counts, milliseconds). */
export const uint = { t: 'uint' } as const
export const bytes = <N extends number>(length: N) => ({ t: 'bytes', length }) as const
export const varbytes = (max: number) => ({ t: 'varbytes', max }) as const
/** A 32-byte account public key. */
export const address = bytes(32)
/** A 32-byte SHA-256 digest. */
export const hash = bytes(32)
export const signature = bytes(64)
export const bool = { t: 'bool' } as const
export const string = (min: number, max: number, pattern?: RegExp) =>
  (pattern === undefined ? { t: 'string', min, max } : { t: 'string', min, max, pattern }) as {
    readonly t: 'string'
    readonly min: number
    readonly max: number
    readonly pattern?: RegExp
  }
/** A string that must also pass `valid` (for rules a pattern cannot state). */
export const checkedString = (max: number, valid: (text: string) => boolean, expected: string) =>
  ({ t: 'string', min: 1, max, check: { valid, expected } }) as const
export const oneOf = <const V extends readonly string[]>(values: V) => ({ t: 'enum', values }) as const
export const optional = <F extends Field>(of: F) => ({ t: 'optional', of }) as const
/** An optional field added to an existing kind; see `Field`. Only after all of a struct's other fields. */
export const appended = <F extends Field>(of: F) => ({ t: 'appended', of }) as const
export const list = <F extends Field>(of: F, max: number) => ({ t: 'list', of, max }) as const
export const struct = <const S extends Record<string, Field>>(fields: S) => ({ t: 'struct', fields }) as const
export const union = <const V extends Record<string, Field>>(variants: V) =>
  ({ t: 'union', variants }) as const

export type Infer<F> = F extends { t: 'uint' }
  ? number
  : F extends { t: 'bytes' | 'varbytes' }
    ? Bytes
    : F extends { t: 'string' }
      ? string
      : F extends { t: 'bool' }
        ? boolean
        : F extends { t: 'enum'; values: readonly (infer V)[] }
          ? V
          : F extends { t: 'optional' | 'appended'; of: infer X }
            ? Infer<X> | null
            : F extends { t: 'list'; of: infer X }
              ? readonly Infer<X>[]
              : F extends { t: 'struct'; fields: infer S }
                ? StructOf<S>
                : F extends { t: 'union'; variants: infer V }
                  ? { [K in keyof V]: { readonly kind: K } & Infer<V[K]> }[keyof V]
                  : never

type AppendedKeys<S> = { [K in keyof S]: S[K] extends { t: 'appended' } ? K : never }[keyof S]
/** A struct's value: appended fields may be left out (they mean null then). */
type StructOf<S> = { readonly [K in Exclude<keyof S, AppendedKeys<S>>]: Infer<S[K]> } & {
  readonly [K in AppendedKeys<S>]?: Infer<S[K]>
}

/** The canonical tuple of a value: struct fields in schema order, recursively. */
export function toTuple(field: Field, value: unknown): WireValue {
  switch (field.t) {
    case 'optional':
    case 'appended':
      return value === null || value === undefined ? null : toTuple(field.of, value)
    case 'list':
      return (value as readonly unknown[]).map((item) => toTuple(field.of, item))
    case 'struct': {
      const record = value as Record<string, unknown>
      const out: WireValue[] = []
      for (const key in field.fields) out.push(toTuple(field.fields[key] as Field, record[key]))
      // Appended fields that are null are left out, from the end.
      const fields = Object.values(field.fields)
      while (out.length > 0 && out.at(-1) === null && fields[out.length - 1]?.t === 'appended') out.pop()
      return out
    }
    case 'union': {
      const kind = (value as { kind: string }).kind
      return [kind, ...(toTuple(field.variants[kind] as Field, value) as WireValue[])]
    }
    default:
      return value as WireValue
  }
}

/** Validates a decoded tuple against the schema and rebuilds the typed value; throws naming the field. */
export function fromTuple(field: Field, raw: unknown, path: string): unknown {
  switch (field.t) {
    case 'uint':
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
        throw invalidField(path, 'must be a non-negative safe integer')
      }
      return raw
    case 'bytes':
      if (!(raw instanceof Uint8Array) || raw.length !== field.length) {
        throw invalidField(path, `must be ${field.length} bytes`)
      }
      return raw
    case 'varbytes':
      if (!(raw instanceof Uint8Array) || raw.length > field.max) {
        throw invalidField(path, `must be at most ${field.max} bytes`)
      }
      return raw
    case 'string':
      if (typeof raw !== 'string' || raw.length < field.min || raw.length > field.max) {
        throw invalidField(path, `must be a string of ${field.min} to ${field.max} characters`)
      }
      if (field.pattern !== undefined && !field.pattern.test(raw)) {
        throw invalidField(path, `must match ${field.pattern}`)
      }
      if (field.check !== undefined && !field.check.valid(raw))
        throw invalidField(path, `must be ${field.check.expected}`)
      return raw
    case 'bool':
      if (typeof raw !== 'boolean') throw invalidField(path, 'must be a boolean')
      return raw
    case 'enum':
      if (typeof raw !== 'string' || !field.values.includes(raw)) {
        throw invalidField(path, `must be one of ${field.values.join(', ')}`)
      }
      return raw
    case 'optional':
      return raw === null ? null : fromTuple(field.of, raw, path)
    case 'appended':
      return raw === null || raw === undefined ? null : fromTuple(field.of, raw, path)
    case 'list': {
      if (!Array.isArray(raw)) throw invalidField(path, 'must be a list')
      if (raw.length > field.max) throw invalidField(path, `must have at most ${field.max} items`)
      return raw.map((item, i) => fromTuple(field.of, item, `${path}[${i}]`))
    }
    case 'struct': {
      const keys = Object.keys(field.fields)
      const fields = Object.values(field.fields)
      let required = keys.length
      while (required > 0 && fields[required - 1]?.t === 'appended') required--
      if (!Array.isArray(raw) || raw.length < required || raw.length > keys.length) {
        const count = required === keys.length ? `${keys.length}` : `${required} to ${keys.length}`
        throw invalidField(path, `must be a tuple of ${count} fields (${keys.join(', ')})`)
      }
      if (raw.length > required && raw.at(-1) === null) {
        const last = keys[raw.length - 1] as string
        throw invalidField(path === '' ? last : `${path}.${last}`, 'must be left out, not null')
      }
      const out: Record<string, unknown> = {}
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string
        out[key] = fromTuple(field.fields[key] as Field, raw[i], path === '' ? key : `${path}.${key}`)
      }
      return out
    }
    case 'union': {
      if (!Array.isArray(raw) || raw.length === 0)
        throw invalidField(path, 'must be a tuple [kind, ...fields]')
      const [kind, ...fields] = raw as unknown[]
      if (typeof kind !== 'string' || !Object.hasOwn(field.variants, kind)) {
        throw invalidField(`${path}.kind`, `must be one of ${Object.keys(field.variants).join(', ')}`)
      }
      return { kind, ...(fromTuple(field.variants[kind] as Field, fields, path) as object) }
    }
  }
}
