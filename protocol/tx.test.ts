import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyBody, arbitraryTxFields, chainIdArb } from './arbitraries.ts'
import { toHex } from './bytes.ts'
import { generateKeyPair, sign, verify } from './crypto.ts'
import { ProtocolError, ProtocolErrorCode } from './errors.ts'
import { consensusSignBytes, Domain, devicePossessionSignBytes, voteSignBytes } from './sign-bytes.ts'
import {
  decodeAndVerifyTx,
  decodeTx,
  decodeTxWithHash,
  encodeTx,
  signTx,
  txHashOfEncoded,
  txPayload,
} from './tx.ts'
import { voteBytes } from './vote.ts'

const keys = generateKeyPair()
const txArb = arbitraryTxFields(keys.publicKey)

function protocolCode(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    if (err instanceof ProtocolError) return err.code
    throw err
  }
  return 'accepted'
}

describe('tx: tampering', () => {
  it('flipping any byte of an encoded signed tx fails decoding, validation or verification', () => {
    fc.assert(
      fc.property(txArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (fields, at, xor) => {
        const bytes = encodeTx(signTx(fields, keys.secretKey))
        const bad = bytes.slice()
        const i = at % bad.length
        bad[i] = (bad[i] as number) ^ xor
        expect(protocolCode(() => decodeAndVerifyTx(bad, fields.chainId))).not.toBe('accepted')
      }),
      { numRuns: 500 },
    )
  })

  it('every single byte position of one tx is covered', () => {
    const tx = signTx(
      {
        chainId: 'arcade-test',
        signer: keys.publicKey,
        nonce: 2 ** 40,
        validUntil: 99,
        sponsor: keys.publicKey,
        body: { kind: 'point.transfer', point: 'SHOTEN', to: keys.publicKey, amount: 5_000_000_000 },
      },
      keys.secretKey,
    )
    const bytes = encodeTx(tx)
    for (let i = 0; i < bytes.length; i++) {
      for (const xor of [0x01, 0x80, 0xff]) {
        const bad = bytes.slice()
        bad[i] = (bad[i] as number) ^ xor
        expect(protocolCode(() => decodeAndVerifyTx(bad, 'arcade-test'))).not.toBe('accepted')
      }
    }
  })

  it('the tx hash is the hash of the payload, independent of the signature', () => {
    fc.assert(
      fc.property(txArb, (fields) => {
        const tx = signTx(fields, keys.secretKey)
        expect(toHex(txHashOfEncoded(encodeTx(tx)))).toBe(toHex(tx.hash))
        const resigned = encodeTx({ ...tx, signature: new Uint8Array(64) })
        expect(toHex(txHashOfEncoded(resigned))).toBe(toHex(tx.hash))
      }),
      { numRuns: 50 },
    )
  })
})

describe('decoding with a known hash', () => {
  it('decodeTxWithHash gives what decodeTx gives, without hashing again', () => {
    fc.assert(
      fc.property(txArb, (fields) => {
        const bytes = encodeTx(signTx(fields, keys.secretKey))
        const hash = txHashOfEncoded(bytes)
        const tx = decodeTxWithHash(bytes, hash, fields.chainId)
        expect(tx).toEqual(decodeTx(bytes, fields.chainId))
        expect(tx.hash).toBe(hash)
      }),
      { numRuns: 50 },
    )
  })

  it('still validates: a wrong chain or a broken payload is refused', () => {
    fc.assert(
      fc.property(txArb, chainIdArb, (fields, other) => {
        fc.pre(other !== fields.chainId)
        const bytes = encodeTx(signTx(fields, keys.secretKey))
        const hash = txHashOfEncoded(bytes)
        expect(protocolCode(() => decodeTxWithHash(bytes, hash, other))).toBe(ProtocolErrorCode.wrongChain)
        expect(protocolCode(() => decodeTxWithHash(bytes.subarray(0, 10), hash))).not.toBe('accepted')
      }),
      { numRuns: 20 },
    )
  })
})

describe('signatures are bound to their chain and message kind', () => {
  it('a tx signed for chain A is refused for chain B and its signature does not verify there', () => {
    fc.assert(
      fc.property(txArb, chainIdArb, (fields, other) => {
        fc.pre(other !== fields.chainId)
        const tx = signTx(fields, keys.secretKey)
        expect(protocolCode(() => decodeTx(encodeTx(tx), other))).toBe(ProtocolErrorCode.wrongChain)
        const payloadB = txPayload({ ...fields, chainId: other })
        expect(verify(tx.signature, payloadB, keys.publicKey)).toBe(false)
      }),
      { numRuns: 100 },
    )
  })

  it('a vote signature verifies for its own chain and kind only', () => {
    fc.assert(
      fc.property(
        chainIdArb,
        chainIdArb,
        fc.nat(),
        fc.nat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b, height, view, hash) => {
          fc.pre(a !== b)
          const message = voteBytes(a, 'prepare', height, view, hash)
          const sig = sign(message, keys.secretKey)
          expect(verify(sig, message, keys.publicKey)).toBe(true)
          expect(verify(sig, voteBytes(b, 'prepare', height, view, hash), keys.publicKey)).toBe(false)
          expect(verify(sig, voteBytes(a, 'commit', height, view, hash), keys.publicKey)).toBe(false)
          expect(
            verify(sig, consensusSignBytes(Domain.viewChange, a, [height, view, hash]), keys.publicKey),
          ).toBe(false)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('the sign-bytes of different message kinds never coincide', () => {
    fc.assert(
      fc.property(txArb, fc.nat(), (fields, n) => {
        const hash = fields.sponsor
        const all = [
          txPayload(fields),
          voteSignBytes(Domain.prepare, fields.chainId, n, n, hash),
          voteSignBytes(Domain.commit, fields.chainId, n, n, hash),
          consensusSignBytes(Domain.proposal, fields.chainId, [n, n, hash]),
          devicePossessionSignBytes(fields.chainId, keys.publicKey, hash),
        ].map(toHex)
        expect(new Set(all).size).toBe(all.length)
      }),
      { numRuns: 50 },
    )
  })

  it('a device possession proof does not verify as a tx or for another chain', () => {
    const device = generateKeyPair()
    const proof = sign(
      devicePossessionSignBytes('chain-a', keys.publicKey, device.publicKey),
      device.secretKey,
    )
    expect(
      verify(proof, devicePossessionSignBytes('chain-b', keys.publicKey, device.publicKey), device.publicKey),
    ).toBe(false)
    expect(
      verify(
        proof,
        devicePossessionSignBytes('chain-a', device.publicKey, device.publicKey),
        device.publicKey,
      ),
    ).toBe(false)
  })
})

describe('tx: any body arbitrary is a valid body', () => {
  it('signs for every generated body', () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        expect(() =>
          signTx(
            { chainId: 'c', signer: keys.publicKey, nonce: 0, validUntil: 0, sponsor: keys.publicKey, body },
            keys.secretKey,
          ),
        ).not.toThrow()
      }),
      { numRuns: 100 },
    )
  })
})
