import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ADDRESS_PREFIX, decodeAddress, encodeAddress, isAddress, NODE_KEY_PREFIX } from './address.ts'
import { toHex } from './bytes.ts'
import { ProtocolError, ProtocolErrorCode } from './errors.ts'

const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

function code(run: () => unknown): string {
  try {
    run()
    return 'accepted'
  } catch (err) {
    if (err instanceof ProtocolError) return err.code
    throw err
  }
}

describe('addresses (bech32m)', () => {
  it('round-trip for accounts and node keys, each under its own prefix only', () => {
    fc.assert(
      fc.property(key, (pk) => {
        const account = encodeAddress(pk)
        const node = encodeAddress(pk, NODE_KEY_PREFIX)
        expect(account.startsWith(`${ADDRESS_PREFIX}1`)).toBe(true)
        expect(node.startsWith(`${NODE_KEY_PREFIX}1`)).toBe(true)
        expect(toHex(decodeAddress(account))).toBe(toHex(pk))
        expect(toHex(decodeAddress(node, NODE_KEY_PREFIX))).toBe(toHex(pk))
        expect(code(() => decodeAddress(node))).toBe(ProtocolErrorCode.badAddress)
        expect(code(() => decodeAddress(account, NODE_KEY_PREFIX))).toBe(ProtocolErrorCode.badAddress)
      }),
    )
  })

  it('any single-character change is rejected', () => {
    fc.assert(
      fc.property(key, fc.nat(), fc.nat(CHARSET.length - 1), (pk, at, c) => {
        const text = encodeAddress(pk)
        const i = at % text.length
        const replacement = i < ADDRESS_PREFIX.length ? 'x' : i === ADDRESS_PREFIX.length ? 'q' : CHARSET[c]
        fc.pre(replacement !== text[i])
        const typo = text.slice(0, i) + replacement + text.slice(i + 1)
        expect(isAddress(typo)).toBe(false)
        expect(code(() => decodeAddress(typo))).toBe(ProtocolErrorCode.badAddress)
      }),
      { numRuns: 1000 },
    )
  })

  it('every position and every substitute character of one address is rejected', () => {
    const text = encodeAddress(new Uint8Array(32).fill(7))
    for (let i = ADDRESS_PREFIX.length + 1; i < text.length; i++) {
      for (const ch of CHARSET) {
        if (ch === text[i]) continue
        expect(isAddress(text.slice(0, i) + ch + text.slice(i + 1))).toBe(false)
      }
    }
  })

  it('rejects wrong lengths, mixed case, non-strings and bech32 (not m) checksums', () => {
    const text = encodeAddress(new Uint8Array(32).fill(1))
    expect(isAddress(text.toUpperCase())).toBe(true) // all-upper is valid bech32
    expect(isAddress(text.slice(0, 10) + text.slice(10).toUpperCase())).toBe(false)
    expect(isAddress(text.slice(0, -1))).toBe(false)
    expect(isAddress(`${text}q`)).toBe(false)
    expect(code(() => decodeAddress(42 as unknown as string))).toBe(ProtocolErrorCode.badAddress)
    expect(code(() => decodeAddress('arc1qqqqqqqqqqqqqqqqqqqqqq'))).toBe(ProtocolErrorCode.badAddress)
    expect(() => encodeAddress(new Uint8Array(31))).toThrow(TypeError)
  })
})
