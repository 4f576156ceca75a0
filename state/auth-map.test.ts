import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Bytes, bytesEqual, toHex, utf8 } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import {
  EMPTY_STATE_ROOT,
  pathBit,
  stateKeyPath,
  stateLeafHash,
  stateNodeHash,
  verifyStateProof,
} from '../protocol/state-proof.ts'
import { type AuthMap, authMapFromEntries, createAuthMap } from './auth-map.ts'
import { AuthMapErrorCode } from './auth-map-errors.ts'

type Write = readonly [Bytes, Bytes | null]

// A small key space, so that overwrites, deletes of present keys and shared path prefixes are common.
const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => Uint8Array.of(i % 7, i))
const valueArb = fc.uint8Array({ minLength: 0, maxLength: 6 })
const writeArb: fc.Arbitrary<Write> = fc.tuple(keyArb, fc.option(valueArb, { freq: 4, nil: null }))
const writesArb = fc.array(writeArb, { maxLength: 60 })

/** The model: a plain Map from hex key to value, with the same last-write-wins rule. */
function applyModel(model: Map<string, Bytes>, writes: readonly Write[]): Map<string, Bytes> {
  const next = new Map(model)
  for (const [k, v] of writes) {
    if (v === null) next.delete(toHex(k))
    else next.set(toHex(k), v)
  }
  return next
}

/** The root computed straight from the definition in protocol/state-proof.ts, with native SHA-256. */
function referenceRoot(entries: ReadonlyMap<string, Bytes>, keys: Map<string, Bytes>): Bytes {
  const leaves = [...entries].map(([hex, value]) => ({
    path: stateKeyPath(keys.get(hex) as Bytes),
    valueHash: sha256(value),
  }))
  const rootOf = (items: typeof leaves, depth: number): Bytes => {
    if (items.length === 0) return EMPTY_STATE_ROOT
    if (items.length === 1) return stateLeafHash(items[0]!.path, items[0]!.valueHash)
    const left = items.filter((l) => pathBit(l.path, depth) === 0)
    const right = items.filter((l) => pathBit(l.path, depth) === 1)
    return stateNodeHash(rootOf(left, depth + 1), rootOf(right, depth + 1))
  }
  return rootOf(leaves, 0)
}

function keysOf(writes: readonly Write[]): Map<string, Bytes> {
  return new Map(writes.map(([k]) => [toHex(k), k]))
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  let x = seed | 1
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const j = (x >>> 0) % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

describe('auth map basics', () => {
  it('the empty map has the fixed empty root and nothing in it', () => {
    const m = createAuthMap()
    expect(m.root).toEqual(new Uint8Array(32))
    expect(m.size).toBe(0)
    expect(m.get(utf8('a'))).toBeUndefined()
    expect(m.update([]).root).toEqual(new Uint8Array(32))
  })

  it('hashes a one-entry map as the spec says (independent native computation)', () => {
    const m = createAuthMap().update([[utf8('alice'), utf8('100')]])
    const leaf = createHash('sha256')
      .update('arcade/state-leaf/v1')
      .update(createHash('sha256').update('alice').digest())
      .update(createHash('sha256').update('100').digest())
      .digest()
    expect(toHex(m.root)).toBe(leaf.toString('hex'))
  })

  it('matches the reference root for random entry sets', () => {
    fc.assert(
      fc.property(writesArb, (writes) => {
        const m = createAuthMap().update(writes)
        const model = applyModel(new Map(), writes)
        expect(toHex(m.root)).toBe(toHex(referenceRoot(model, keysOf(writes))))
        expect(m.size).toBe(model.size)
      }),
      { numRuns: 300 },
    )
  })

  it('bulk build gives the same map as updates, the last value winning for a repeated key', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 60 }), (entries) => {
        const bulk = authMapFromEntries(entries)
        const updated = createAuthMap().update(entries)
        expect(toHex(bulk.root)).toBe(toHex(updated.root))
        expect(bulk.size).toBe(updated.size)
        for (const [k, v] of applyModel(new Map(), entries)) {
          expect(bulk.get(keysOf(entries).get(k) as Bytes)).toEqual(v)
        }
      }),
      { numRuns: 150 },
    )
  })

  it('rejects out-of-range keys and values with coded errors', () => {
    const m = createAuthMap()
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return (err as { code?: string }).code
      }
      return 'no error'
    }
    expect(code(() => m.update([[new Uint8Array(0), utf8('x')]]))).toBe(AuthMapErrorCode.badKey)
    expect(code(() => m.update([[new Uint8Array(257), utf8('x')]]))).toBe(AuthMapErrorCode.badKey)
    expect(code(() => m.get(new Uint8Array(0)))).toBe(AuthMapErrorCode.badKey)
    expect(code(() => m.update([[utf8('k'), new Uint8Array(64 * 1024 + 1)]]))).toBe(AuthMapErrorCode.badValue)
    expect(m.update([[new Uint8Array(256), new Uint8Array(64 * 1024)]]).size).toBe(1)
  })
})

describe('auth map properties', () => {
  it('the root depends on the set of entries only: shuffled or split writes give the same root', () => {
    fc.assert(
      fc.property(writesArb, fc.integer(), fc.array(fc.nat(60), { maxLength: 5 }), (writes, seed, cuts) => {
        // Dedupe to the final write per key first: reordering writes to one key changes the result.
        const finals = [...new Map(writes.map((w) => [toHex(w[0]), w])).values()]
        const base = createAuthMap().update(writes)
        const reordered = createAuthMap().update(shuffled(finals, seed))
        expect(toHex(reordered.root)).toBe(toHex(base.root))
        // The original sequence split into several update calls, in order.
        const bounds = [
          0,
          ...[...cuts].sort((a, b) => a - b).map((c) => Math.min(c, writes.length)),
          writes.length,
        ]
        let m: AuthMap = createAuthMap()
        for (let i = 1; i < bounds.length; i++) m = m.update(writes.slice(bounds[i - 1], bounds[i]))
        expect(toHex(m.root)).toBe(toHex(base.root))
        expect(m.size).toBe(base.size)
      }),
      { numRuns: 300 },
    )
  })

  it('deleting every key returns the empty root', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyArb, valueArb), { minLength: 1, maxLength: 60 }),
        fc.integer(),
        (entries, seed) => {
          const full = authMapFromEntries(entries)
          const deletes = shuffled(entries, seed).map(([k]) => [k, null] as const)
          const half = Math.floor(deletes.length / 2)
          const emptied = full.update(deletes.slice(0, half)).update(deletes.slice(half))
          expect(emptied.size).toBe(0)
          expect(emptied.root).toEqual(EMPTY_STATE_ROOT)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('get and size agree with a Map model, and old versions never change', () => {
    fc.assert(
      fc.property(fc.array(writesArb, { maxLength: 8 }), (batches) => {
        let m = createAuthMap()
        let model = new Map<string, Bytes>()
        const keys = new Map<string, Bytes>()
        const history: { map: AuthMap; model: Map<string, Bytes>; root: string }[] = []
        for (const batch of batches) {
          for (const [k] of batch) keys.set(toHex(k), k)
          m = m.update(batch)
          model = applyModel(model, batch)
          history.push({ map: m, model, root: toHex(m.root) })
        }
        for (const { map, model: snapshot, root } of history) {
          expect(toHex(map.root)).toBe(root)
          expect(map.size).toBe(snapshot.size)
          for (const [hex, key] of keys) expect(map.get(key)).toEqual(snapshot.get(hex))
          expect(root).toBe(toHex(referenceRoot(snapshot, keys)))
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('auth map proofs', () => {
  /** Flips one bit of a copy of `b` at position `at` (mod length). */
  const flipped = (b: Bytes, at: number): Bytes => {
    const out = b.slice()
    out[at % out.length]! ^= 1 << (at % 8)
    return out
  }

  it('inclusion and absence proofs verify; any tampering fails', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), valueArb), { maxLength: 40 }),
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        fc.nat(),
        (entries, probe, at) => {
          const m = authMapFromEntries(entries)
          const root = m.root
          for (const key of [...entries.map(([k]) => k), probe]) {
            const value = m.get(key) ?? null
            const proof = m.prove(key)
            expect(verifyStateProof(root, key, value, proof)).toBe(true)
            // The wrong claim fails: absent for a present key, or a value for an absent key.
            expect(verifyStateProof(root, key, value === null ? utf8('x') : null, proof)).toBe(false)
            expect(verifyStateProof(flipped(root, at), key, value, proof)).toBe(false)
            if (value !== null && value.length > 0) {
              expect(verifyStateProof(root, key, flipped(value, at), proof)).toBe(false)
            }
            // Every byte of the proof matters.
            proof.siblings.forEach((sibling, i) => {
              const siblings = proof.siblings.map((s, j) => (j === i ? flipped(sibling, at) : s))
              expect(verifyStateProof(root, key, value, { ...proof, siblings })).toBe(false)
            })
            if (proof.leaf !== null) {
              const { path, valueHash } = proof.leaf
              expect(
                verifyStateProof(root, key, value, {
                  ...proof,
                  leaf: { path: flipped(path, at), valueHash },
                }),
              ).toBe(false)
              expect(
                verifyStateProof(root, key, value, {
                  ...proof,
                  leaf: { path, valueHash: flipped(valueHash, at) },
                }),
              ).toBe(false)
              expect(verifyStateProof(root, key, value, { ...proof, leaf: null })).toBe(false)
            }
            expect(
              verifyStateProof(root, key, value, {
                ...proof,
                siblings: [...proof.siblings, new Uint8Array(32)],
              }),
            ).toBe(false)
            if (proof.siblings.length > 0) {
              expect(
                verifyStateProof(root, key, value, { ...proof, siblings: proof.siblings.slice(1) }),
              ).toBe(false)
            }
            // Another key: the proof may only ever vouch for what the map really holds.
            const other = flipped(key, at)
            if (verifyStateProof(root, other, value, proof)) expect(m.get(other) ?? null).toEqual(value)
            if (value !== null) expect(verifyStateProof(root, other, value, proof)).toBe(false)
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('large batches agree with a fresh build and the reference root', () => {
    const key = (i: number) => utf8(`account/${i}`)
    const base = authMapFromEntries(Array.from({ length: 3000 }, (_, i) => [key(i), utf8(`v${i}`)] as const))
    const writes: Write[] = []
    for (let i = 0; i < 1500; i++) writes.push([key(i * 3), i % 4 === 0 ? null : utf8(`w${i}`)])
    for (let i = 3000; i < 3500; i++) writes.push([key(i), utf8(`n${i}`)])
    const updated = base.update(writes)
    const model = new Map<string, Bytes>()
    const keys = new Map<string, Bytes>()
    for (let i = 0; i < 4500; i++) keys.set(toHex(key(i)), key(i))
    for (let i = 0; i < 3000; i++) model.set(toHex(key(i)), utf8(`v${i}`))
    const final = applyModel(model, writes)
    expect(updated.size).toBe(final.size)
    const fresh = authMapFromEntries([...final].map(([hex, v]) => [keys.get(hex) as Bytes, v] as const))
    expect(toHex(updated.root)).toBe(toHex(fresh.root))
    expect(toHex(updated.root)).toBe(toHex(referenceRoot(final, keys)))
    expect(toHex(base.root)).toBe(toHex(referenceRoot(model, keys)))
  })

  it('a proof from an old version still verifies against the old root only', () => {
    const v1 = authMapFromEntries([
      [utf8('a'), utf8('1')],
      [utf8('b'), utf8('2')],
    ])
    const v2 = v1.update([[utf8('a'), utf8('3')]])
    const old = v1.prove(utf8('a'))
    expect(verifyStateProof(v1.root, utf8('a'), utf8('1'), old)).toBe(true)
    expect(verifyStateProof(v2.root, utf8('a'), utf8('1'), old)).toBe(false)
    expect(verifyStateProof(v2.root, utf8('a'), utf8('3'), v2.prove(utf8('a')))).toBe(true)
    expect(bytesEqual(v1.root, v2.root)).toBe(false)
  })
})
