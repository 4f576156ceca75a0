/**
 * A SHA-256 specialised for the auth map's hot path. Node's native hash costs about 1 µs a call here,
 * nearly all of it call overhead; the tree hashes short fixed-shape inputs (a 20-byte tag and two
 * 32-byte hashes: two blocks) millions of times, so this file compresses them in plain JS on 32-bit
 * words with no allocation. Its output is pinned to protocol/state-proof.ts (native SHA-256) by tests.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import { compress } from './auth-map-sha-compress.ts'

const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])

/** Hashing state: the current block (words 0..16; 64 words for the message schedule) and the chaining value. */
export interface ShaScratch {
  readonly w: Int32Array
  readonly h: Int32Array
}

export function createShaScratch(): ShaScratch {
  return { w: new Int32Array(64), h: new Int32Array(8) }
}

function compressBlock(s: ShaScratch): void {
  compress(s.w, s.h)
}

/**
 * SHA-256(tag ‖ a ‖ b) for a 5-word tag and two 8-word hashes read from `a` at `aAt` and `b` at `bAt`
 * (84 bytes, two blocks); the digest is left in `s.h`.
 */
export function hash84(
  s: ShaScratch,
  tag: Int32Array,
  a: Int32Array,
  aAt: number,
  b: Int32Array,
  bAt: number,
): void {
  const w = s.w
  s.h.set(IV)
  for (let i = 0; i < 5; i++) w[i] = tag[i]!
  for (let i = 0; i < 8; i++) w[5 + i] = a[aAt + i]!
  w[13] = b[bAt]!
  w[14] = b[bAt + 1]!
  w[15] = b[bAt + 2]!
  compressBlock(s)
  for (let i = 0; i < 5; i++) w[i] = b[bAt + 3 + i]!
  w[5] = 0x80000000 | 0
  for (let i = 6; i < 15; i++) w[i] = 0
  w[15] = 84 * 8
  compressBlock(s)
}

/** Reads 8 big-endian words from 32 bytes. */
export function wordsFromBytes(bytes: Bytes, out: Int32Array): void {
  for (let i = 0; i < 8; i++) {
    const j = i * 4
    out[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!
  }
}

export function bytesFromWords(words: Int32Array): Bytes {
  const out = new Uint8Array(32)
  for (let i = 0; i < 8; i++) {
    const x = words[i]!
    out[i * 4] = x >>> 24
    out[i * 4 + 1] = (x >>> 16) & 0xff
    out[i * 4 + 2] = (x >>> 8) & 0xff
    out[i * 4 + 3] = x & 0xff
  }
  return out
}

// Above this size the native hash's fixed call cost is worth paying.
const NATIVE_FROM_BYTES = 256

/** SHA-256 of any input into `s.h`: in JS for short inputs, natively for long ones. */
export function sha256Into(s: ShaScratch, data: Bytes): void {
  if (data.length >= NATIVE_FROM_BYTES) {
    wordsFromBytes(sha256(data), s.h)
    return
  }
  const w = s.w
  s.h.set(IV)
  const n = data.length
  const blocks = (n + 9 + 63) >> 6
  for (let blk = 0; blk < blocks; blk++) {
    const base = blk * 64
    for (let i = 0; i < 16; i++) {
      const at = base + i * 4
      if (at + 4 <= n) {
        w[i] = (data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!
      } else if (at > n) {
        w[i] = 0
      } else {
        // The one word holding the end of the data and the 0x80 padding byte.
        let word = 0
        for (let k = 0; k < 4; k++) {
          const j = at + k
          word = (word << 8) | (j < n ? data[j]! : j === n ? 0x80 : 0)
        }
        w[i] = word
      }
    }
    if (blk === blocks - 1) {
      // Message length in bits; inputs here are far below 2^32 bits, so the high word is zero.
      w[14] = 0
      w[15] = n * 8
    }
    compressBlock(s)
  }
}

/** Reads a tag (a multiple of 4 bytes) as words. */
export function tagWords(tag: Bytes): Int32Array {
  const out = new Int32Array(tag.length / 4)
  for (let i = 0; i < out.length; i++) {
    out[i] = (tag[i * 4]! << 24) | (tag[i * 4 + 1]! << 16) | (tag[i * 4 + 2]! << 8) | tag[i * 4 + 3]!
  }
  return out
}
