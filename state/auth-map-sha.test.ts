import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concatBytes, toHex } from '../protocol/bytes.ts'
import { STATE_LEAF_TAG, STATE_NODE_TAG } from '../protocol/state-proof.ts'
import {
  bytesFromWords,
  createShaScratch,
  hash84,
  sha256Into,
  tagWords,
  wordsFromBytes,
} from './auth-map-sha.ts'

const native = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

describe('auth-map SHA-256', () => {
  it('agrees with native SHA-256 on inputs of every length around the block boundaries', () => {
    const s = createShaScratch()
    for (let n = 0; n <= 200; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff)
      sha256Into(s, data)
      expect(toHex(bytesFromWords(s.h))).toBe(native(data))
    }
  })

  it('agrees with native SHA-256 on random inputs, short and long', () => {
    const s = createShaScratch()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        sha256Into(s, data)
        expect(toHex(bytesFromWords(s.h))).toBe(native(data))
      }),
    )
  })

  it('hash84 is SHA-256(tag ‖ a ‖ b) for both state tags', () => {
    const s = createShaScratch()
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b) => {
          for (const tag of [STATE_LEAF_TAG, STATE_NODE_TAG]) {
            const wa = new Int32Array(8)
            const wb = new Int32Array(8)
            wordsFromBytes(a, wa)
            wordsFromBytes(b, wb)
            hash84(s, tagWords(tag), wa, 0, wb, 0)
            expect(toHex(bytesFromWords(s.h))).toBe(native(concatBytes(tag, a, b)))
          }
        },
      ),
    )
  })
})
