/**
 * Test support (not imported by production code): fast-check arbitraries derived from the wire
 * schemas, so a new tx kind is covered by the property tests the moment it is added to TX_BODY_SCHEMAS.
 */
import fc from 'fast-check'
import type { Field } from './schema.ts'
import type { TxFields } from './tx.ts'
import { TX_BODY_SCHEMAS, TX_KINDS, type TxBody, type TxKind } from './tx-body.ts'

const edgeUints = fc.constantFrom(
  0,
  1,
  127,
  128,
  255,
  256,
  65_535,
  65_536,
  2 ** 32 - 1,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
)

export function arbitraryFor(field: Field): fc.Arbitrary<unknown> {
  switch (field.t) {
    case 'uint':
      return fc.oneof(fc.nat(), fc.maxSafeNat(), edgeUints)
    case 'bytes':
      return fc.uint8Array({ minLength: field.length, maxLength: field.length })
    case 'varbytes':
      return fc.uint8Array({ maxLength: Math.min(field.max, 64) })
    case 'string': {
      if (field.check !== undefined) {
        const samples = [
          '127.0.0.1:26656',
          '/dns4/node.example.org/tcp/26656',
          'https://rpc.example.org',
          'bad',
        ]
        return fc.constantFrom(...samples.filter(field.check.valid))
      }
      const { min, max, pattern } = field
      const base =
        pattern === undefined
          ? fc.string({ minLength: min, maxLength: Math.min(max, 24), unit: 'grapheme' })
          : fc.stringMatching(pattern)
      return base.filter((s) => s.length >= min && s.length <= max)
    }
    case 'bool':
      return fc.boolean()
    case 'enum':
      return fc.constantFrom(...field.values)
    case 'optional':
    case 'appended':
      return fc.option(arbitraryFor(field.of), { nil: null })
    case 'list':
      return fc.array(arbitraryFor(field.of), { maxLength: Math.min(field.max, 4) })
    case 'struct': {
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [key, f] of Object.entries(field.fields)) record[key] = arbitraryFor(f)
      return fc.record(record)
    }
    case 'union':
      return fc.oneof(
        ...Object.entries(field.variants).map(([kind, f]) =>
          arbitraryFor(f).map((v) => ({ kind, ...(v as object) })),
        ),
      )
  }
}

export function arbitraryBody(kind: TxKind): fc.Arbitrary<TxBody> {
  return arbitraryFor(TX_BODY_SCHEMAS[kind] as Field).map((v) => ({ kind, ...(v as object) }) as TxBody)
}

export const anyBody: fc.Arbitrary<TxBody> = fc.oneof(...TX_KINDS.map(arbitraryBody))

export const chainIdArb: fc.Arbitrary<string> = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/)

/** Tx fields with a given signer key and any body. */
export function arbitraryTxFields(
  signer: Uint8Array,
  body: fc.Arbitrary<TxBody> = anyBody,
): fc.Arbitrary<TxFields> {
  return fc.record({
    chainId: chainIdArb,
    signer: fc.constant(signer),
    nonce: fc.oneof(fc.nat(), fc.maxSafeNat()),
    validUntil: fc.oneof(fc.nat(), fc.maxSafeNat()),
    sponsor: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    body,
  })
}
