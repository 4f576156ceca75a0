import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyBody, arbitraryBody, arbitraryTxFields } from './arbitraries.ts'
import { toHex } from './bytes.ts'
import { encode } from './codec.ts'
import { generateKeyPair } from './crypto.ts'
import { ProtocolErrorCode } from './errors.ts'
import { decodeAndVerifyTx, encodeTx, signTx } from './tx.ts'
import { TX_KINDS, txBodyFromTuple, txBodyToTuple } from './tx-body.ts'

const keys = generateKeyPair()

/** Bytes as hex, recursively: decoded bytes are Buffers, built ones plain Uint8Arrays. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `0x${toHex(value)}`
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  }
  return value
}

describe('tx bodies: codec round-trip for every kind in TX_BODY_SCHEMAS', () => {
  it('the any-body arbitrary used by other properties reaches every kind', () => {
    const seen = new Set(fc.sample(anyBody, { numRuns: 3000, seed: 1 }).map((b) => b.kind))
    expect([...seen].sort()).toEqual([...TX_KINDS].sort())
  })

  for (const kind of TX_KINDS) {
    it(kind, () => {
      fc.assert(
        fc.property(arbitraryTxFields(keys.publicKey, arbitraryBody(kind)), (fields) => {
          // Body alone: tuple -> body is the identity.
          expect(plain(txBodyFromTuple(txBodyToTuple(fields.body)))).toEqual(plain(fields.body))
          // Whole signed tx: encode -> decode gives the same fields, hash and bytes.
          const tx = signTx(fields, keys.secretKey)
          const bytes = encodeTx(tx)
          const back = decodeAndVerifyTx(bytes, fields.chainId)
          expect(plain(back.body)).toEqual(plain(fields.body))
          expect(back.nonce).toBe(fields.nonce)
          expect(back.validUntil).toBe(fields.validUntil)
          expect(toHex(back.sponsor)).toBe(toHex(fields.sponsor))
          expect(toHex(back.hash)).toBe(toHex(tx.hash))
          expect(toHex(encodeTx(back))).toBe(toHex(bytes))
        }),
        { numRuns: 40 },
      )
    })
  }
})

describe('tx bodies: stateless validation names the field', () => {
  const cases: [string, unknown[], string, string][] = [
    ['unknown kind', ['point.mint', 'X'], ProtocolErrorCode.unknownKind, 'body.kind'],
    ['non-string kind', [7], ProtocolErrorCode.unknownKind, 'body.kind'],
    ['a map as kind (toString key)', [{ toString: 1 }], ProtocolErrorCode.unknownKind, 'body.kind'],
    [
      'bad point id',
      ['point.transfer', 'shoten', keys.publicKey, 1],
      ProtocolErrorCode.invalidField,
      'body.point',
    ],
    [
      'short address',
      ['point.transfer', 'SHOTEN', new Uint8Array(31), 1],
      ProtocolErrorCode.invalidField,
      'body.to',
    ],
    [
      'negative amount',
      ['point.transfer', 'SHOTEN', keys.publicKey, -1],
      ProtocolErrorCode.invalidField,
      'body.amount',
    ],
    [
      'float amount',
      ['point.transfer', 'SHOTEN', keys.publicKey, 1.5],
      ProtocolErrorCode.invalidField,
      'body.amount',
    ],
    [
      'unsafe amount',
      ['point.transfer', 'SHOTEN', keys.publicKey, 2 ** 53],
      ProtocolErrorCode.invalidField,
      'body.amount',
    ],
    ['missing field', ['point.transfer', 'SHOTEN', keys.publicKey], ProtocolErrorCode.invalidField, 'body'],
    ['bad role', ['role.grant', keys.publicKey, 'root'], ProtocolErrorCode.invalidField, 'body.role'],
    [
      'bad nested event kind',
      ['traffic.record', 'SHOTEN', [['e1', 'dance', new Uint8Array(32), null, 0]]],
      ProtocolErrorCode.invalidField,
      'body.events[0].kind',
    ],
    ['empty tuple', [], ProtocolErrorCode.invalidField, 'body'],
  ]
  for (const [name, tuple, code, field] of cases) {
    it(name, () => {
      let caught: unknown
      try {
        txBodyFromTuple(tuple)
      } catch (err) {
        caught = err
      }
      expect(caught).toMatchObject({ code, details: { field } })
    })
  }

  it('a body tuple survives the wire only in canonical form', () => {
    fc.assert(
      fc.property(arbitraryBody('traffic.record'), (body) => {
        const tuple = txBodyToTuple(body)
        expect(toHex(encode(txBodyToTuple(txBodyFromTuple(tuple))))).toBe(toHex(encode(tuple)))
      }),
      { numRuns: 30 },
    )
  })
})

describe('appended fields (point.create `expiry`): old bodies keep their bytes', () => {
  const old = ['point.create', 'SHOP', 'Street', 0, true]
  it('a body without it is the tuple it always was, and that tuple decodes with null', () => {
    const body = txBodyFromTuple(old)
    expect(body).toEqual({
      kind: 'point.create',
      point: 'SHOP',
      name: 'Street',
      decimals: 0,
      transferable: true,
      expiry: null,
    })
    expect(txBodyToTuple(body)).toEqual(old)
    const { expiry: _expiry, ...without } = body as { expiry: unknown }
    expect(txBodyToTuple(without as never)).toEqual(old)
  })

  it('carries it when set, and refuses an explicit trailing null (one encoding per body)', () => {
    const withExpiry = [...old, [30, 0]]
    expect(txBodyFromTuple(withExpiry)).toMatchObject({ expiry: { afterDays: 30, atMs: 0 } })
    expect(txBodyToTuple(txBodyFromTuple(withExpiry))).toEqual(withExpiry)
    for (const bad of [[...old, null], old.slice(0, 4), [...old, [30, 0], 1]]) {
      expect(() => txBodyFromTuple(bad)).toThrow(
        expect.objectContaining({ code: ProtocolErrorCode.invalidField }),
      )
    }
    expect(() => txBodyFromTuple([...old, [30]])).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ field: 'body.expiry' }) }),
    )
  })
})
