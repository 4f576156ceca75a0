import { describe, expect, it } from 'vitest'
import { bytesEqual } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair } from '../protocol/crypto.ts'
import { type Evidence, signVote } from '../protocol/vote.ts'
import { decodeEvidence, EvidencePool, EvidenceVerdict, encodeEvidence } from './evidence-pool.ts'

const CHAIN = 'arcade-test'
const hash = (n: number) => new Uint8Array(32).fill(n)

function doubleVote(keys: KeyPair, height: number, view = 0): Evidence {
  const fields = { kind: 'prepare' as const, height, view }
  return {
    a: signVote(CHAIN, { ...fields, blockHash: hash(1) }, keys),
    b: signVote(CHAIN, { ...fields, blockHash: hash(2) }, keys),
  }
}

function pool(validators: readonly KeyPair[], options: { maxItems?: number; maxPerSource?: number } = {}) {
  return new EvidencePool(
    {
      chainId: CHAIN,
      maxAgeHeights: 10,
      maxItems: options.maxItems ?? 64,
      maxPerSource: options.maxPerSource ?? 8,
    },
    { isValidator: (key) => validators.some((v) => bytesEqual(v.publicKey, key)) },
  )
}

describe('EvidencePool', () => {
  const vals = Array.from({ length: 6 }, () => generateKeyPair())
  const [v1, v2, v3] = vals as [KeyPair, KeyPair, KeyPair]

  it('keeps valid evidence against a validator and offers it oldest first', () => {
    const p = pool(vals)
    expect(p.add(doubleVote(v1, 5), 'peer-a', 5)).toBe(EvidenceVerdict.added)
    expect(p.add(doubleVote(v2, 5), null, 5)).toBe(EvidenceVerdict.added)
    expect(p.pending(10).map((e) => e.a.validator)).toEqual([v1.publicKey, v2.publicKey])
    expect(p.pending(1)).toHaveLength(1)
  })

  it('keeps one item per accused validator', () => {
    const p = pool(vals)
    expect(p.add(doubleVote(v1, 5), 'peer-a', 5)).toBe(EvidenceVerdict.added)
    expect(p.add(doubleVote(v1, 5), 'peer-b', 5)).toBe(EvidenceVerdict.known)
    expect(p.add(doubleVote(v1, 6, 1), 'peer-b', 6)).toBe(EvidenceVerdict.known)
    expect(p.size).toBe(1)
  })

  it('refuses a forged signature, agreeing votes, a non-validator, stale and future heights', () => {
    const p = pool(vals)
    const forged = doubleVote(v1, 5)
    const tampered = { ...forged, b: { ...forged.b, signature: forged.a.signature } }
    expect(p.add(tampered, 'peer-a', 5)).toBe(EvidenceVerdict.invalid)
    const same = doubleVote(v1, 5)
    expect(p.add({ a: same.a, b: same.a }, 'peer-a', 5)).toBe(EvidenceVerdict.invalid)
    // A stranger can sign two votes of its own: not a validator, not worth a block's room.
    expect(p.add(doubleVote(generateKeyPair(), 5), 'peer-a', 5)).toBe(EvidenceVerdict.notValidator)
    expect(p.add(doubleVote(v2, 1), 'peer-a', 20)).toBe(EvidenceVerdict.stale)
    expect(p.add(doubleVote(v2, 30), 'peer-a', 20)).toBe(EvidenceVerdict.future)
    expect(p.size).toBe(0)
  })

  it('bounds what one peer and all peers together can fill', () => {
    const p = pool(vals, { maxItems: 4, maxPerSource: 2 })
    expect(p.add(doubleVote(vals[0]!, 5), 'peer-a', 5)).toBe(EvidenceVerdict.added)
    expect(p.add(doubleVote(vals[1]!, 5), 'peer-a', 5)).toBe(EvidenceVerdict.added)
    expect(p.add(doubleVote(vals[2]!, 5), 'peer-a', 5)).toBe(EvidenceVerdict.sourceFull)
    expect(p.add(doubleVote(vals[2]!, 5), 'peer-b', 5)).toBe(EvidenceVerdict.added)
    expect(p.add(doubleVote(vals[3]!, 5), null, 5)).toBe(EvidenceVerdict.added)
    expect(p.add(doubleVote(vals[4]!, 5), 'peer-c', 5)).toBe(EvidenceVerdict.full)
  })

  it('drops evidence once a block includes it (any for that validator) or once too old, freeing its source', () => {
    const p = pool(vals, { maxPerSource: 1 })
    p.add(doubleVote(v1, 5), 'peer-a', 5)
    p.add(doubleVote(v2, 5), 'peer-b', 5)
    p.add(doubleVote(v3, 9), 'peer-c', 9)
    p.afterCommit(10, [doubleVote(v1, 5, 3)])
    expect(p.pending(10).map((e) => e.a.validator)).toEqual([v2.publicKey, v3.publicKey])
    p.afterCommit(16, [])
    expect(p.pending(10).map((e) => e.a.validator)).toEqual([v3.publicKey])
    expect(p.add(doubleVote(vals[4]!, 16), 'peer-a', 16)).toBe(EvidenceVerdict.added)
  })

  it('round-trips the gossip encoding and refuses malformed bytes with a coded error', () => {
    const e = doubleVote(v1, 5)
    const bytes = encodeEvidence(e)
    const decoded = decodeEvidence(bytes)
    expect(decoded.a.height).toBe(5)
    expect(Uint8Array.from(encodeEvidence(decoded))).toEqual(Uint8Array.from(bytes))
    expect(() => decodeEvidence(Uint8Array.of(0x93, 1, 2, 3))).toThrow(
      expect.objectContaining({ code: expect.any(String) }),
    )
  })
})
