import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyBody } from './arbitraries.ts'
import { decodeBlock } from './block.ts'
import { concatBytes, fromHex, toHex, utf8 } from './bytes.ts'
import { decodeRaw, encode, isCanonical, type WireValue } from './codec.ts'
import { decodeConsensusMessage } from './consensus-message.ts'
import { generateKeyPair } from './crypto.ts'
import { ProtocolError, ProtocolErrorCode } from './errors.ts'
import { Limits } from './limits.ts'
import { Domain } from './sign-bytes.ts'
import { decodeAndVerifyTx, decodeTx } from './tx.ts'
import { txBodyToTuple } from './tx-body.ts'

const keys = generateKeyPair()
const CODES = new Set<string>(Object.values(ProtocolErrorCode))

/** Runs a decoder on hostile input: it may accept, or throw a ProtocolError; anything else fails. */
function outcome(run: () => unknown): string {
  try {
    run()
    return 'accepted'
  } catch (err) {
    if (err instanceof ProtocolError && CODES.has(err.code)) return err.code
    throw err
  }
}

const wireValue: fc.Arbitrary<WireValue> = fc.letrec<{ value: WireValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
    fc.maxSafeInteger(),
    fc.string({ maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 8 }),
  ),
})).value

// Hand-made msgpack that encode() never writes: maps (with hostile keys), extensions, 0xc1, floats.
const oddMsgpack = [
  '81a8746f537472696e6701', // {toString: 1}
  '81a95f5f70726f746f5f5f01', // {__proto__: 1}
  '81a7746f4a534f4e01', // {toJSON: 1}
  'd6ff00000000', // timestamp ext
  'c7017400', // typed-array ext
  'd40001', // fixext 1
  'c1', // never used
  'cb3ff0000000000000', // float64 1.0
  'ca3f800000', // float32 1.0
  'cf0020000000000000', // uint64 2^53
  'd3ffe0000000000000', // int64 -2^53
  'ddffffffff', // array32 claiming 4 billion items
  'dbffffffff', // str32 claiming 4 GB
  'c6ffffffff', // bin32 claiming 4 GB
  'c0c0', // trailing bytes
]

describe('decoders on hostile input give typed ProtocolError codes, never another exception', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        outcome(() => decodeRaw(bytes, 1000, 'x'))
        expect(outcome(() => decodeTx(bytes))).not.toBe('accepted')
        expect(outcome(() => decodeBlock(bytes))).not.toBe('accepted')
        outcome(() => decodeConsensusMessage(bytes, 'c'))
      }),
      { numRuns: 2000 },
    )
  })

  it('well-formed msgpack of the wrong shape', () => {
    fc.assert(
      fc.property(wireValue, (value) => {
        const bytes = encode(value)
        expect(outcome(() => decodeTx(bytes))).not.toBe('accepted')
        expect(outcome(() => decodeBlock(bytes))).not.toBe('accepted')
        outcome(() => decodeConsensusMessage(bytes, 'c'))
      }),
      { numRuns: 1000 },
    )
  })

  it('a tx envelope with any one field replaced by garbage or odd msgpack', () => {
    const odd = fc.constantFrom(...oddMsgpack.map(fromHex))
    fc.assert(
      fc.property(anyBody, fc.nat(7), wireValue, odd, fc.boolean(), (body, slot, garbage, raw, useRaw) => {
        const fields: WireValue[] = [
          Domain.tx,
          'c',
          keys.publicKey,
          1,
          1,
          keys.publicKey,
          txBodyToTuple(body),
        ]
        const parts = fields.map((f) => encode(f))
        const replacement = useRaw ? raw : encode(garbage)
        if (slot < 7) parts[slot] = replacement
        else
          parts[6] = concatBytes(
            Uint8Array.of(0x92),
            encode((txBodyToTuple(body) as WireValue[])[0] as string),
            replacement,
          )
        const payload = concatBytes(Uint8Array.of(0x97), ...parts)
        const tx = encode([payload, new Uint8Array(64)])
        expect(outcome(() => decodeAndVerifyTx(tx))).not.toBe('accepted')
      }),
      { numRuns: 1000 },
    )
  })

  it('odd msgpack at the top level and as a tx body kind', () => {
    for (const hex of oddMsgpack) {
      const bytes = fromHex(hex)
      outcome(() => decodeRaw(bytes, 1000, 'x'))
      expect(outcome(() => decodeTx(bytes))).not.toBe('accepted')
      // As a consensus message type tag: [tag, payload].
      outcome(() => decodeConsensusMessage(concatBytes(Uint8Array.of(0x92), bytes, Uint8Array.of(0xc0)), 'c'))
      const payload = concatBytes(
        Uint8Array.of(0x97),
        ...[Domain.tx, 'c', keys.publicKey, 1, 1, keys.publicKey].map((f) => encode(f)),
        Uint8Array.of(0x91),
        bytes,
      )
      expect(outcome(() => decodeTx(encode([payload, new Uint8Array(64)])))).not.toBe('accepted')
    }
  })

  it('specific codes: empty, oversize, malformed, trailing bytes', () => {
    expect(outcome(() => decodeRaw(new Uint8Array(0), 10, 'x'))).toBe(ProtocolErrorCode.malformed)
    expect(outcome(() => decodeRaw(new Uint8Array(11), 10, 'x'))).toBe(ProtocolErrorCode.tooLarge)
    expect(outcome(() => decodeTx(new Uint8Array(Limits.maxTxBytes + 1)))).toBe(ProtocolErrorCode.tooLarge)
    expect(outcome(() => decodeRaw(fromHex('dc0005'), 10, 'x'))).toBe(ProtocolErrorCode.malformed)
    expect(outcome(() => decodeRaw(fromHex('c0c0'), 10, 'x'))).toBe(ProtocolErrorCode.malformed)
    expect(outcome(() => decodeRaw('not bytes' as unknown as Uint8Array, 10, 'x'))).toBe(
      ProtocolErrorCode.malformed,
    )
  })
})

describe('canonical encoding', () => {
  it('round-trips wire values and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(wireValue, (value) => {
        const bytes = encode(value)
        const back = decodeRaw(bytes, 1 << 20, 'x') as WireValue
        expect(toHex(encode(back))).toBe(toHex(bytes))
        expect(isCanonical(bytes, back)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('integers use their minimal form and never floats', () => {
    expect(toHex(encode(1))).toBe('01')
    expect(toHex(encode(255))).toBe('ccff')
    expect(toHex(encode(2 ** 32))).toBe('d30000000100000000')
    expect(toHex(encode(Number.MAX_SAFE_INTEGER))).toBe('d3001fffffffffffff')
    expect(() => encode(1.5)).toThrow(TypeError)
    expect(() => encode(2 ** 53)).toThrow(TypeError)
    expect(toHex(encode(utf8('a')))).toBe('c40161')
  })
})
