import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from './bytes.ts'
import { decodeRaw, encode } from './codec.ts'
import { sha256 } from './crypto.ts'
import { ProtocolErrorCode } from './errors.ts'
import {
  EMPTY_STATE_ROOT,
  type StateProof,
  stateKeyPath,
  stateLeafHash,
  stateNodeHash,
  stateProofFromTuple,
  stateProofToTuple,
  verifyStateProof,
} from './state-proof.ts'

const hexOf = (p: StateProof) => ({
  siblings: p.siblings.map(toHex),
  leaf: p.leaf === null ? null : [toHex(p.leaf.path), toHex(p.leaf.valueHash)],
})
const h = (n: number) => new Uint8Array(32).fill(n)

function fieldError(raw: unknown): { code?: string; field?: unknown } {
  try {
    stateProofFromTuple(raw)
  } catch (err) {
    const e = err as { code?: string; details?: { field?: unknown } }
    return { code: e.code, field: e.details?.field }
  }
  return {}
}

describe('state proof wire tuple', () => {
  it('round-trips through the codec', () => {
    const proofs: StateProof[] = [
      { siblings: [], leaf: null },
      { siblings: [h(1), h(2)], leaf: { path: h(3), valueHash: h(4) } },
    ]
    for (const p of proofs) {
      const back = stateProofFromTuple(decodeRaw(encode(stateProofToTuple(p)), 1 << 16, 'proof'))
      expect(hexOf(back)).toEqual(hexOf(p))
    }
  })

  it('names the bad field', () => {
    const invalid = ProtocolErrorCode.invalidField
    expect(fieldError('x')).toEqual({ code: invalid, field: 'stateProof' })
    expect(fieldError([h(1), null])).toEqual({ code: invalid, field: 'stateProof.siblings' })
    expect(fieldError([[h(1), new Uint8Array(31)], null])).toEqual({
      code: invalid,
      field: 'stateProof.siblings[1]',
    })
    expect(fieldError([Array.from({ length: 257 }, () => h(0)), null])).toEqual({
      code: invalid,
      field: 'stateProof.siblings',
    })
    expect(fieldError([[], [h(1)]])).toEqual({ code: invalid, field: 'stateProof.leaf' })
    expect(fieldError([[], [h(1), 'x']])).toEqual({ code: invalid, field: 'stateProof.leaf.valueHash' })
    expect(fieldError([[], null, 1])).toEqual({ code: invalid, field: 'stateProof' })
  })
})

describe('verifyStateProof', () => {
  const key = utf8('k')
  const value = utf8('v')
  const leaf = stateLeafHash(stateKeyPath(key), sha256(value))

  it('checks a hand-built two-level proof', () => {
    const bit0 = (stateKeyPath(key)[0] as number) >> 7
    const root = bit0 === 0 ? stateNodeHash(leaf, h(9)) : stateNodeHash(h(9), leaf)
    expect(verifyStateProof(root, key, value, { siblings: [h(9)], leaf: null })).toBe(true)
    expect(verifyStateProof(root, key, utf8('w'), { siblings: [h(9)], leaf: null })).toBe(false)
    expect(verifyStateProof(leaf, key, value, { siblings: [], leaf: null })).toBe(true)
    expect(verifyStateProof(EMPTY_STATE_ROOT, key, null, { siblings: [], leaf: null })).toBe(true)
  })

  it('rejects an absence proof whose leaf is the key itself or off the key path', () => {
    const path = stateKeyPath(key)
    const valueHash = sha256(value)
    expect(verifyStateProof(leaf, key, null, { siblings: [], leaf: { path, valueHash } })).toBe(false)
    const other = stateKeyPath(utf8('other'))
    const otherLeaf = stateLeafHash(other, valueHash)
    expect(verifyStateProof(otherLeaf, key, null, { siblings: [], leaf: { path: other, valueHash } })).toBe(
      true,
    )
    // One level down, the other leaf must share the first path bit with the key.
    const offPath = other.slice()
    offPath[0] = ((path[0] as number) & 0x80) ^ 0x80
    const offLeaf = stateLeafHash(offPath, valueHash)
    const bit0 = (path[0] as number) >> 7
    const root = bit0 === 0 ? stateNodeHash(offLeaf, h(9)) : stateNodeHash(h(9), offLeaf)
    expect(verifyStateProof(root, key, null, { siblings: [h(9)], leaf: { path: offPath, valueHash } })).toBe(
      false,
    )
  })

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), (root, k, v, proof) => {
        expect(verifyStateProof(root as never, k as never, v as never, proof as never)).toBe(false)
      }),
      { numRuns: 300 },
    )
    const throwing = {
      get siblings(): never {
        throw new Error('boom')
      },
      leaf: null,
    }
    expect(verifyStateProof(EMPTY_STATE_ROOT, key, null, throwing)).toBe(false)
    expect(
      verifyStateProof(EMPTY_STATE_ROOT, key, null, { siblings: [h(1), 'x'] as never, leaf: null }),
    ).toBe(false)
    expect(verifyStateProof(EMPTY_STATE_ROOT, new Uint8Array(0), null, { siblings: [], leaf: null })).toBe(
      false,
    )
  })
})
