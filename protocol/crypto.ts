/**
 * The only Ed25519 and SHA-256 user. Two paths that must agree on RFC 8032:
 * - native `node:crypto` (about 10x faster here) for verification, signing and hashing when running on
 *   Node; reached through `process.getBuiltinModule`, so this file has no static Node import and the
 *   SDK core still loads in a browser;
 * - `@noble/ed25519` + `@noble/hashes` everywhere else, and for deriving public keys.
 */
import * as ed from '@noble/ed25519'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js'
import type { Bytes } from './bytes.ts'

ed.hashes.sha512 = sha512

export const PUBLIC_KEY_BYTES = 32
export const SECRET_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64
export const HASH_BYTES = 32

export interface KeyPair {
  /** The 32-byte RFC 8032 seed. Keep it secret. */
  readonly secretKey: Bytes
  /** The 32-byte public key, which is also the account. */
  readonly publicKey: Bytes
}

type NodeCrypto = typeof import('node:crypto')
type NodeKeyObject = import('node:crypto').KeyObject

function loadNodeCrypto(): NodeCrypto | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const mod = proc?.getBuiltinModule?.('node:crypto')
  return (mod as NodeCrypto | undefined) ?? null
}

const native = loadNodeCrypto()

/** Whether the fast native path is in use (false in a browser). */
export const nativeCryptoAvailable = native !== null

// DER prefixes that wrap a raw 32-byte Ed25519 key as SPKI (public) or PKCS#8 (private).
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])

// Building a KeyObject costs about as much as a verification, and the same few thousand accounts sign
// again and again, so public keys are cached (bounded: the oldest entries go first).
const MAX_CACHED_KEYS = 65_536
const publicKeyCache = new Map<string, NodeKeyObject>()

function nativePublicKey(crypto: NodeCrypto, publicKey: Bytes): NodeKeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1')
  let key = publicKeyCache.get(id)
  if (key === undefined) {
    const der = new Uint8Array(SPKI_PREFIX.length + PUBLIC_KEY_BYTES)
    der.set(SPKI_PREFIX)
    der.set(publicKey, SPKI_PREFIX.length)
    key = crypto.createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    if (publicKeyCache.size >= MAX_CACHED_KEYS) {
      const oldest = publicKeyCache.keys().next().value
      if (oldest !== undefined) publicKeyCache.delete(oldest)
    }
    publicKeyCache.set(id, key)
  }
  return key
}

function nativePrivateKey(crypto: NodeCrypto, secretKey: Bytes): NodeKeyObject {
  const der = new Uint8Array(PKCS8_PREFIX.length + SECRET_KEY_BYTES)
  der.set(PKCS8_PREFIX)
  der.set(secretKey, PKCS8_PREFIX.length)
  return crypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
}

export function randomBytes(length: number): Bytes {
  const out = new Uint8Array(length)
  globalThis.crypto.getRandomValues(out)
  return out
}

export function publicKeyFromSecret(secretKey: Bytes): Bytes {
  return ed.getPublicKey(secretKey)
}

export function generateKeyPair(): KeyPair {
  const secretKey = randomBytes(SECRET_KEY_BYTES)
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
}

/** Signs with the native path when present, else with @noble. Both give the same RFC 8032 bytes. */
export function sign(message: Bytes, secretKey: Bytes): Bytes {
  if (native !== null) return new Uint8Array(native.sign(null, message, nativePrivateKey(native, secretKey)))
  return ed.sign(message, secretKey)
}

/**
 * A signing function bound to one secret key: the native key object is built once, not per signature
 * (building it costs about as much as the signature). For a long-lived key, like a node's.
 */
export function signerFor(secretKey: Bytes): (message: Bytes) => Bytes {
  if (native === null) return (message) => ed.sign(message, secretKey)
  const crypto = native
  const key = nativePrivateKey(crypto, secretKey)
  return (message) => new Uint8Array(crypto.sign(null, message, key))
}

/** The pure-JS signer, always @noble: what a browser or phone uses. */
export function signPortable(message: Bytes, secretKey: Bytes): Bytes {
  return ed.sign(message, secretKey)
}

/** Hot-path verification: native when present. Never throws; malformed keys or signatures are false. */
export function verify(signature: Bytes, message: Bytes, publicKey: Bytes): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false
  if (native === null) return verifyPortable(signature, message, publicKey)
  try {
    return native.verify(null, message, nativePublicKey(native, publicKey), signature)
  } catch {
    return false
  }
}

/** The pure-JS verifier, always @noble (RFC 8032 / ZIP-215 off: strict, like OpenSSL). */
export function verifyPortable(signature: Bytes, message: Bytes, publicKey: Bytes): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false
  try {
    return ed.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

// One-shot `crypto.hash` (Node >= 20.12) skips creating a Hash object: about 35% faster than
// createHash for the 32-300-byte inputs hashed here (tx payloads, Merkle leaves and nodes).
const nativeHash = typeof native?.hash === 'function' ? native.hash : null

function asUint8Array(digest: Buffer): Bytes {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

export function sha256(data: Bytes): Bytes {
  if (nativeHash !== null) return asUint8Array(nativeHash('sha256', data, 'buffer'))
  if (native !== null) return asUint8Array(native.createHash('sha256').update(data).digest())
  return nobleSha256(data)
}

// Parts are copied into this buffer and hashed in one shot: cheaper than a Hash object per call.
// Safe to reuse because hashing is synchronous and nothing keeps a reference to the input.
const MAX_SCRATCH_BYTES = 4096
let scratch = new Uint8Array(256)

/** SHA-256 over the concatenation of several parts. */
export function sha256Parts(...parts: Bytes[]): Bytes {
  let length = 0
  for (const p of parts) length += p.length
  if (length > scratch.length) {
    if (length > MAX_SCRATCH_BYTES) return sha256Chunks(parts)
    scratch = new Uint8Array(MAX_SCRATCH_BYTES)
  }
  let offset = 0
  for (const p of parts) {
    scratch.set(p, offset)
    offset += p.length
  }
  return sha256(scratch.subarray(0, length))
}

function sha256Chunks(parts: readonly Bytes[]): Bytes {
  if (native !== null) {
    const h = native.createHash('sha256')
    for (const p of parts) h.update(p)
    return asUint8Array(h.digest())
  }
  const h = nobleSha256.create()
  for (const p of parts) h.update(p)
  return h.digest()
}

/** HMAC-SHA256 (RFC 2104): keyed derivation, e.g. a wallet's per-point pseudonym seed. Portable only. */
export function hmacSha256(key: Bytes, message: Bytes): Bytes {
  return hmac(nobleSha256, key, message)
}
