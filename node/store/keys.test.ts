import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes } from '../../protocol/bytes.ts'
import {
  accountHistoryKey,
  accountHistoryKeyLength,
  accountPrefix,
  ByteSlab,
  blockKey,
  encodeTxEntry,
  Prefix,
  parseAccountHistoryKey,
  prefixed,
  readU64,
  writeU64,
} from './keys.ts'

const height = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
const index = fc.integer({ min: 0, max: 0xffffffff })
const account = fc.uint8Array({ minLength: 1, maxLength: 40 })

describe('key-prefix table', () => {
  it('gives every namespace its own prefix byte', () => {
    const values = Object.values(Prefix)
    expect(new Set(values).size).toBe(values.length)
  })

  it('u64 round-trips every safe integer', () => {
    fc.assert(
      fc.property(height, (h) => {
        const out = new Uint8Array(8)
        writeU64(out, 0, h)
        expect(readU64(out, 0)).toBe(h)
      }),
    )
  })

  it('block keys sort as their heights', () => {
    fc.assert(
      fc.property(height, height, (a, b) => {
        expect(Math.sign(compareBytes(blockKey(a), blockKey(b)))).toBe(Math.sign(a - b))
      }),
    )
  })

  it('account history keys sort newest first and parse back', () => {
    fc.assert(
      fc.property(account, height, index, height, index, (acc, h1, i1, h2, i2) => {
        const k1 = accountHistoryKey(acc, h1, i1)
        const k2 = accountHistoryKey(acc, h2, i2)
        const newer = h1 !== h2 ? h1 - h2 : i1 - i2
        expect(Math.sign(compareBytes(k1, k2))).toBe(-Math.sign(newer))
        expect(parseAccountHistoryKey(k1)).toEqual({ height: h1, index: i1 })
        expect(compareBytes(k1.subarray(0, acc.length + 2), accountPrefix(acc))).toBe(0)
      }),
    )
  })

  it("one account's keys never fall inside another account's range", () => {
    fc.assert(
      fc.property(account, account, height, index, (a, b, h, i) => {
        fc.pre(compareBytes(a, b) !== 0)
        const key = accountHistoryKey(b, h, i)
        const inside =
          compareBytes(key, accountPrefix(a)) >= 0 && compareBytes(key, accountHistoryKey(a, 0, 0)) <= 0
        expect(inside).toBe(false)
      }),
    )
  })
})

describe('ByteSlab', () => {
  it('writes the same bytes as the allocating encoders, each in its own view', () => {
    fc.assert(
      fc.property(account, height, index, fc.uint8Array({ maxLength: 80 }), (a, h, i, body) => {
        const slab = new ByteSlab(accountHistoryKeyLength(a) + 1 + body.length + 12 + body.length + a.length)
        const key = slab.accountHistoryKey(a, h, i)
        const pre = slab.prefixed(Prefix.tx, body)
        const entry = slab.txEntry(h, i, body)
        const copy = slab.copy(a)
        expect(key).toEqual(accountHistoryKey(a, h, i))
        expect(pre).toEqual(prefixed(Prefix.tx, body))
        expect(entry).toEqual(encodeTxEntry(h, i, body))
        expect(copy).toEqual(a)
        // Later writes never reach into an earlier view.
        expect(parseAccountHistoryKey(key)).toEqual({ height: h, index: i })
      }),
    )
  })

  it('refuses to write past its size', () => {
    const slab = new ByteSlab(4)
    slab.copy(Uint8Array.of(1, 2, 3))
    expect(() => slab.copy(Uint8Array.of(4, 5))).toThrow(RangeError)
  })
})
