import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from './bytes.ts'
import { decodeRaw } from './codec.ts'
import { type KeyPair, publicKeyFromSecret, sha256 } from './crypto.ts'
import { createValidatorSet, hasQuorum, quorumPower } from './validator-set.ts'
import {
  CertificateErrorCode,
  certificateFromTuple,
  certificateFromVotes,
  certificateToTuple,
  encodeVote,
  isValidEvidence,
  signVote,
  verifyCertificate,
  verifyVote,
  voteFromTuple,
} from './vote.ts'

const keys: KeyPair[] = [0, 1, 2, 3].map((i) => {
  const secretKey = sha256(utf8(`vote-test-${i}`))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
})
const set = createValidatorSet(keys.map((k, i) => ({ publicKey: k.publicKey, power: i === 3 ? 40 : 20 })))
const blockHash = sha256(utf8('block'))
const vote = (k: KeyPair, hash = blockHash) =>
  signVote('c', { kind: 'commit', height: 5, view: 0, blockHash: hash }, k)

function certCode(signers: KeyPair[]): string {
  try {
    verifyCertificate('c', certificateFromVotes(signers.map((k) => vote(k))), set)
    return 'ok'
  } catch (err) {
    return (err as { code: string }).code
  }
}

describe('votes and certificates', () => {
  it('a vote round-trips through the wire and verifies only unchanged', () => {
    const v = vote(keys[0] as KeyPair)
    const back = voteFromTuple(decodeRaw(encodeVote(v), 1000, 'vote'))
    expect(verifyVote('c', back)).toBe(true)
    expect(verifyVote('c', { ...back, view: 1 })).toBe(false)
    expect(verifyVote('c', { ...back, kind: 'prepare' })).toBe(false)
    expect(verifyVote('d', back)).toBe(false)
  })

  it('quorum is more than two thirds of the power, in integers', () => {
    expect(set.totalPower).toBe(100)
    expect(quorumPower(100)).toBe(67)
    expect(hasQuorum(66, 100)).toBe(false)
    expect(hasQuorum(67, 100)).toBe(true)
    expect(hasQuorum(2, 3)).toBe(false)
    expect(hasQuorum(3, 4)).toBe(true)
  })

  it('verifyCertificate: quorum, no quorum, unknown signer, bad signature', () => {
    const [a, b, c, d] = keys as [KeyPair, KeyPair, KeyPair, KeyPair]
    expect(certCode([a, b, d])).toBe('ok') // 80
    expect(certCode([a, b, c])).toBe(CertificateErrorCode.noQuorum) // 60
    expect(certCode([c, d])).toBe(CertificateErrorCode.noQuorum) // 60
    const stranger = { secretKey: sha256(utf8('x')), publicKey: publicKeyFromSecret(sha256(utf8('x'))) }
    expect(certCode([a, b, d, stranger])).toBe(CertificateErrorCode.unknownSigner)
    const cert = certificateFromVotes([a, b, d].map((k) => vote(k)))
    const forged = {
      ...cert,
      signatures: cert.signatures.map((s) => ({ ...s, signature: new Uint8Array(64) })),
    }
    expect(() => verifyCertificate('c', forged, set)).toThrow(
      expect.objectContaining({ code: CertificateErrorCode.badSignature }),
    )
    expect(() => verifyCertificate('other-chain', cert, set)).toThrow(
      expect.objectContaining({ code: CertificateErrorCode.badSignature }),
    )
  })

  it('certificates drop duplicate votes and must list signers sorted and unique on the wire', () => {
    const [a, b] = keys as [KeyPair, KeyPair]
    const cert = certificateFromVotes([vote(a), vote(b), vote(a)])
    expect(cert.signatures).toHaveLength(2)
    const tuple = certificateToTuple(cert) as unknown[]
    const back = certificateFromTuple(tuple)
    expect(back.signatures.map((s) => toHex(s.validator))).toEqual(
      cert.signatures.map((s) => toHex(s.validator)),
    )
    const reversed = [...(tuple[4] as unknown[])].reverse()
    expect(() => certificateFromTuple([...tuple.slice(0, 4), reversed])).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ field: 'certificate.signatures' }) }),
    )
  })

  it('evidence: two signed votes by one validator for different blocks at one height and view', () => {
    const a = keys[0] as KeyPair
    const other = sha256(utf8('other block'))
    expect(isValidEvidence('c', { a: vote(a), b: vote(a, other) })).toBe(true)
    expect(isValidEvidence('c', { a: vote(a), b: vote(a) })).toBe(false)
    expect(isValidEvidence('c', { a: vote(a), b: vote(keys[1] as KeyPair, other) })).toBe(false)
    expect(isValidEvidence('c', { a: vote(a), b: { ...vote(a, other), view: 1 } })).toBe(false)
  })
})
