import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8 } from './bytes.ts'
import {
  generateKeyPair,
  nativeCryptoAvailable,
  publicKeyFromSecret,
  sha256,
  sha256Parts,
  sign,
  signerFor,
  signPortable,
  verify,
  verifyPortable,
} from './crypto.ts'

interface Rfc8032Vector {
  name: string
  secretKey: string
  publicKey: string
  message: string
  signature: string
}
const { vectors } = JSON.parse(
  readFileSync(new URL('../test/vectors/rfc8032.json', import.meta.url), 'utf8'),
) as { vectors: Rfc8032Vector[] }

describe('Ed25519: RFC 8032 section 7.1 vectors through both paths', () => {
  it('has the five vectors, including the 1023-byte and SHA(abc) messages', () => {
    expect(vectors.map((v) => v.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3', 'TEST 1024', 'TEST SHA(abc)'])
    expect(fromHex((vectors[3] as Rfc8032Vector).message).length).toBe(1023)
  })

  it('runs the native path on Node', () => {
    expect(nativeCryptoAvailable).toBe(true)
  })

  for (const v of vectors) {
    it(`${v.name}: public key, native and portable signatures, verification`, () => {
      const secretKey = fromHex(v.secretKey)
      const message = fromHex(v.message)
      const signature = fromHex(v.signature)
      const publicKey = fromHex(v.publicKey)
      expect(toHex(publicKeyFromSecret(secretKey))).toBe(v.publicKey)
      expect(toHex(sign(message, secretKey))).toBe(v.signature)
      expect(toHex(signPortable(message, secretKey))).toBe(v.signature)
      expect(toHex(signerFor(secretKey)(message))).toBe(v.signature)
      expect(verify(signature, message, publicKey)).toBe(true)
      expect(verifyPortable(signature, message, publicKey)).toBe(true)
      // One flipped bit anywhere in the signature fails both verifiers.
      const bad = signature.slice()
      const at = v.name.length % 64
      bad[at] = (bad[at] as number) ^ 0x01
      expect(verify(bad, message, publicKey)).toBe(false)
      expect(verifyPortable(bad, message, publicKey)).toBe(false)
    })
  }
})

describe('Ed25519: the native and portable paths agree', () => {
  it('signatures made by one verify with the other, and both reject other messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const pub = publicKeyFromSecret(seed)
          const native = sign(msg, seed)
          const portable = signPortable(msg, seed)
          expect(toHex(native)).toBe(toHex(portable))
          expect(verifyPortable(native, msg, pub)).toBe(true)
          expect(verify(portable, msg, pub)).toBe(true)
          const other = Uint8Array.from([...msg, 0])
          expect(verify(native, other, pub)).toBe(false)
          expect(verifyPortable(native, other, pub)).toBe(false)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('never throws on malformed keys or signatures, just returns false', () => {
    const k = generateKeyPair()
    const msg = Uint8Array.of(1, 2, 3)
    const sig = sign(msg, k.secretKey)
    for (const f of [verify, verifyPortable]) {
      expect(f(sig.subarray(0, 63), msg, k.publicKey)).toBe(false)
      expect(f(sig, msg, k.publicKey.subarray(0, 31))).toBe(false)
      expect(f(sig, msg, new Uint8Array(32).fill(0xff))).toBe(false)
      expect(f(new Uint8Array(64).fill(0xff), msg, k.publicKey)).toBe(false)
    }
  })
})

describe('SHA-256', () => {
  it('matches the FIPS 180-2 "abc" vector and hashes parts like their concatenation', () => {
    expect(toHex(sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 5 }), (parts) => {
        const joined = Uint8Array.from(parts.flatMap((p) => [...p]))
        expect(toHex(sha256Parts(...parts))).toBe(toHex(sha256(joined)))
      }),
    )
  })

  it('parts of any size, including past the reused buffer, hash like their concatenation', () => {
    for (const sizes of [[0], [1, 300], [255, 1], [4096], [4000, 97], [10_000, 3]]) {
      const parts = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (i * 31 + j) & 0xff))
      const joined = Uint8Array.from(parts.flatMap((p) => [...p]))
      expect(toHex(sha256Parts(...parts))).toBe(toHex(sha256(joined)))
    }
  })

  it('a digest is its own bytes: later calls do not overwrite it', () => {
    const first = sha256Parts(utf8('a'), utf8('b'))
    const copy = toHex(first)
    sha256Parts(utf8('c'), utf8('d'))
    sha256(utf8('e'))
    expect(toHex(first)).toBe(copy)
    expect(first).toBeInstanceOf(Uint8Array)
    expect(first.length).toBe(32)
  })
})
