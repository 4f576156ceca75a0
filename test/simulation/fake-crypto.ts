/**
 * Signature schemes for the simulator: a cheap keyed hash (`fakeScheme`) for the many-seed runs, and
 * real Ed25519 (`ed25519Scheme`) for the scenario set that runs with it.
 */

import type { SignaturePort } from '../../consensus/ports.ts'
import { type Bytes, toHex } from '../../protocol/bytes.ts'
import { publicKeyFromSecret, sign, verify } from '../../protocol/crypto.ts'
import type { Prng } from './prng.ts'

export interface SignatureScheme {
  newKey(prng: Prng): SignaturePort
  verify(signature: Bytes, message: Bytes, publicKey: Bytes): boolean
}

function randomKey(prng: Prng): Bytes {
  const k = new Uint8Array(32)
  for (let i = 0; i < 32; i++) k[i] = prng.int(256)
  return k
}

/** A keyed 64-bit mix of the message, spread over 64 bytes; keyed by two secret 32-bit words. */
function mac(s1: number, s2: number, message: Bytes): Bytes {
  let a = s1 | 0
  let b = s2 | 0
  for (let i = 0; i < message.length; i++) {
    const x = message[i] as number
    a = Math.imul(a ^ x, 0x01000193)
    b = Math.imul(b ^ x ^ (a >>> 13), 0x5bd1e995)
  }
  const out = new Uint8Array(64)
  for (let i = 0; i < 16; i++) {
    a = Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) ^ b
    b = Math.imul(b ^ (b >>> 13), 0x297a2d39) ^ a
    out[i * 4] = a & 0xff
    out[i * 4 + 1] = (a >>> 8) & 0xff
    out[i * 4 + 2] = b & 0xff
    out[i * 4 + 3] = (b >>> 8) & 0xff
  }
  return out
}

/**
 * The simulator's scheme: a keyed hash of the message. Its keys are secret words only the scheme holds;
 * a simulated node gets its own SignaturePort and `verify`, so byzantine code can sign only as itself.
 * (It is not a cryptographic MAC: it only has to be unforgeable by the simulator's own actors.)
 */
export function fakeScheme(): SignatureScheme {
  const secrets = new Map<string, readonly [number, number]>()
  return {
    newKey(prng) {
      const publicKey = randomKey(prng)
      const s1 = prng.int(2 ** 32)
      const s2 = prng.int(2 ** 32)
      secrets.set(toHex(publicKey), [s1, s2])
      return { publicKey, sign: (message) => mac(s1, s2, message), verify: this.verify }
    },
    verify(signature, message, publicKey) {
      const secret = secrets.get(toHex(publicKey))
      if (secret === undefined || signature.length !== 64) return false
      const expected = mac(secret[0], secret[1], message)
      for (let i = 0; i < 64; i++) if (expected[i] !== signature[i]) return false
      return true
    },
  }
}

export function ed25519Scheme(): SignatureScheme {
  return {
    newKey(prng) {
      const secret = randomKey(prng)
      const publicKey = publicKeyFromSecret(secret)
      return { publicKey, sign: (message) => sign(message, secret), verify }
    },
    verify,
  }
}
