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
  txEnvelopeOf,
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

describe('tx envelope: exactly encode([payload, signature]), nothing else', () => {
  const tx = signTx(
    {
      chainId: 'arcade-test',
      signer: keys.publicKey,
      nonce: 7,
      validUntil: 99,
      sponsor: keys.publicKey,
      body: { kind: 'point.transfer', point: 'SHOTEN', to: keys.publicKey, amount: 5 },
    },
    keys.secretKey,
  )
  const canonical = encodeTx(tx)
  const n = tx.payload.length
  const bytes = (...parts: (number[] | Uint8Array)[]) => Uint8Array.from(parts.flatMap((p) => [...p]))
  const sig = [0xc4, 0x40, ...tx.signature]
  // The same payload and signature in other msgpack spellings: each used to decode to the same tx hash.
  const respelled: [string, Uint8Array][] = [
    ['bin16 payload header', bytes([0x92, 0xc5, 0, n], tx.payload, sig)],
    ['bin32 payload header', bytes([0x92, 0xc6, 0, 0, 0, n], tx.payload, sig)],
    ['ext-typed payload (a Uint8Array extension)', bytes([0x92, 0xc7, n + 1, 0x74, 0x01], tx.payload, sig)],
    ['bin16 signature header', bytes([0x92, 0xc4, n], tx.payload, [0xc5, 0, 0x40], tx.signature)],
    ['array16 envelope header', bytes([0xdc, 0, 2, 0xc4, n], tx.payload, sig)],
  ]

  it('the canonical bytes parse to views of the payload and signature', () => {
    expect(n).toBeLessThan(256)
    const envelope = txEnvelopeOf(canonical)
    expect(toHex(envelope.payload)).toBe(toHex(tx.payload))
    expect(toHex(envelope.signature)).toBe(toHex(tx.signature))
  })

  for (const [name, other] of respelled) {
    it(`refuses a ${name} with PROTOCOL_NON_CANONICAL`, () => {
      expect(protocolCode(() => decodeTx(other, 'arcade-test'))).toBe(ProtocolErrorCode.nonCanonical)
      expect(protocolCode(() => txHashOfEncoded(other))).toBe(ProtocolErrorCode.nonCanonical)
    })
  }

  it('refuses trailing bytes after the envelope with PROTOCOL_MALFORMED', () => {
    const trailing = bytes(canonical, [0xc0])
    expect(protocolCode(() => decodeTx(trailing, 'arcade-test'))).toBe(ProtocolErrorCode.malformed)
    expect(protocolCode(() => txHashOfEncoded(trailing))).toBe(ProtocolErrorCode.malformed)
  })

  it('bin8, bin16 and bin32 are each canonical for the payload lengths msgpack gives them', () => {
    for (const length of [1, 255, 256, 65_535, 65_536, 100_000]) {
      const payload = new Uint8Array(length).fill(length & 0xff)
      const encoded = encodeTx({ ...tx, payload })
      const envelope = txEnvelopeOf(encoded)
      expect(envelope.payload.length).toBe(length)
      expect(envelope.signature.length).toBe(64)
    }
  })
})
