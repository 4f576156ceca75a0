import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from './bytes.ts'
import { sha256 } from './crypto.ts'
import {
  type MerkleProof,
  merkleLeafHash,
  merkleNodeHash,
  merkleProof,
  merkleRoot,
  verifyMerkleProof,
} from './merkle.ts'

const leavesArb = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 40 })

describe('merkle', () => {
  it('leaf and node hashes are SHA-256 of the prefixed bytes, for hash-sized and other inputs', () => {
    for (const leaf of [sha256(utf8('x')), utf8('short'), new Uint8Array(33).fill(9)]) {
      expect(toHex(merkleLeafHash(leaf))).toBe(toHex(sha256(Uint8Array.of(0x00, ...leaf))))
    }
    const [l, r] = [sha256(utf8('l')), sha256(utf8('r'))]
    const node = merkleNodeHash(l, r)
    expect(toHex(node)).toBe(toHex(sha256(Uint8Array.of(0x01, ...l, ...r))))
    expect(toHex(merkleNodeHash(utf8('l'), r))).toBe(toHex(sha256(Uint8Array.of(0x01, ...utf8('l'), ...r))))
    // The reused input buffer never leaks into a returned digest.
    const before = toHex(node)
    merkleNodeHash(r, l)
    expect(toHex(node)).toBe(before)
  })

  it('known small trees (RFC 6962 shape)', () => {
    const [a, b, c] = [utf8('a'), utf8('b'), utf8('c')]
    expect(toHex(merkleRoot([]))).toBe(toHex(sha256(new Uint8Array(0))))
    expect(toHex(merkleRoot([a]))).toBe(toHex(merkleLeafHash(a)))
    const ab = merkleNodeHash(merkleLeafHash(a), merkleLeafHash(b))
    expect(toHex(merkleRoot([a, b]))).toBe(toHex(ab))
    expect(toHex(merkleRoot([a, b, c]))).toBe(toHex(merkleNodeHash(ab, merkleLeafHash(c))))
  })

  it('every leaf has a proof that verifies', () => {
    fc.assert(
      fc.property(leavesArb, (leaves) => {
        const root = merkleRoot(leaves)
        for (let i = 0; i < leaves.length; i++) {
          expect(verifyMerkleProof(root, leaves[i] as Uint8Array, merkleProof(leaves, i))).toBe(true)
        }
      }),
      { numRuns: 100 },
    )
  })

  it('tampered proofs, leaves, indexes and roots fail', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (leaves, at, bit, xor) => {
        const i = at % leaves.length
        const leaf = leaves[i] as Uint8Array
        const root = merkleRoot(leaves)
        const proof = merkleProof(leaves, i)
        const otherLeaf = Uint8Array.from([...leaf, xor])
        expect(verifyMerkleProof(root, otherLeaf, proof)).toBe(false)
        const badRoot = root.slice()
        badRoot[bit % 32] = (badRoot[bit % 32] as number) ^ xor
        expect(verifyMerkleProof(badRoot, leaf, proof)).toBe(false)
        if (proof.path.length > 0) {
          const path = proof.path.map((p) => p.slice())
          const j = bit % path.length
          const sibling = path[j] as Uint8Array
          sibling[bit % 32] = (sibling[bit % 32] as number) ^ xor
          expect(verifyMerkleProof(root, leaf, { ...proof, path })).toBe(false)
          expect(verifyMerkleProof(root, leaf, { ...proof, path: proof.path.slice(1) })).toBe(false)
          expect(verifyMerkleProof(root, leaf, { ...proof, path: [...proof.path, root] })).toBe(false)
        }
        const moved: MerkleProof = { ...proof, index: (i + 1) % leaves.length }
        if (leaves.length > 1 && toHex(leaves[moved.index] as Uint8Array) !== toHex(leaf)) {
          expect(verifyMerkleProof(root, leaf, moved)).toBe(false)
        }
        expect(verifyMerkleProof(root, leaf, { ...proof, index: -1 })).toBe(false)
        expect(verifyMerkleProof(root, leaf, { ...proof, index: leaves.length })).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('a leaf can never pass for an inner node (second-preimage)', () => {
    const leaves = [utf8('a'), utf8('b'), utf8('c'), utf8('d')]
    const root = merkleRoot(leaves)
    const left = merkleNodeHash(
      merkleLeafHash(leaves[0] as Uint8Array),
      merkleLeafHash(leaves[1] as Uint8Array),
    )
    const right = merkleNodeHash(
      merkleLeafHash(leaves[2] as Uint8Array),
      merkleLeafHash(leaves[3] as Uint8Array),
    )
    expect(toHex(merkleRoot([left, right]))).not.toBe(toHex(root))
  })

  it('the root depends on the order of the leaves', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 8 }), {
          minLength: 2,
          maxLength: 10,
          selector: toHex,
        }),
        (leaves) => {
          expect(toHex(merkleRoot([...leaves].reverse()))).not.toBe(toHex(merkleRoot(leaves)))
        },
      ),
    )
  })
})
