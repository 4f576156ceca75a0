import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concatBytes, fromHex, toHex, utf8 } from './bytes.ts'
import { sha256 } from './crypto.ts'
import { isArcadeError, ProtocolErrorCode } from './errors.ts'
import { merkleLeafHash, merkleNodeHash, merkleProof, merkleRoot, verifyMerkleProof } from './merkle.ts'
import { TRAFFIC_LEAF_TAG, type TrafficEvent, trafficBatchRoot, trafficLeaf } from './traffic-leaf.ts'

const MERCHANT = new Uint8Array(32).fill(0x11)
const PSEUDONYM = new Uint8Array(32).fill(0x22)

// Test vectors: the same bytes come out of the 12-line Python in the README (struct.pack('>H'/'>Q')).
const VECTORS: { event: TrafficEvent; leaf: string; leafHash: string }[] = [
  {
    event: {
      point: 'SHOP',
      merchant: MERCHANT,
      eventId: 'pos-0001',
      kind: 'purchase',
      pseudonym: PSEUDONYM,
      amount: 1500,
      timeMs: 1_767_225_600_000,
    },
    leaf:
      '00166172636164652f747261666669632d6c6561662f7631' + // str("arcade/traffic-leaf/v1")
      '000453484f50' + // str("SHOP")
      '11'.repeat(32) + // merchant
      '0008706f732d30303031' + // str("pos-0001")
      '00087075726368617365' + // str("purchase")
      `01${'22'.repeat(32)}` + // pseudonym present
      '00000000000005dc' + // amount 1500
      '0000019b76daa800', // timeMs 1767225600000
    leafHash: 'de98e1902b5ade5b193c799ae6cdf9013f306ddb5e0141d5ad64a84cdd08cb4a',
  },
  {
    event: {
      point: 'SHOP',
      merchant: MERCHANT,
      eventId: '来店-2',
      kind: 'visit',
      pseudonym: null,
      amount: 0,
      timeMs: 1_767_225_660_000,
    },
    leaf:
      '00166172636164652f747261666669632d6c6561662f7631000453484f50' +
      '11'.repeat(32) +
      '0008e69da5e5ba972d32' + // str("来店-2"): 8 UTF-8 bytes
      '00057669736974' + // str("visit")
      '00' + // no pseudonym
      '0000000000000000' +
      '0000019b76db9260',
    leafHash: '5996eec458e77833e57d468192d8c5daa43f05f4745dbf180bf7d2ce2dadc8e5',
  },
  {
    event: {
      point: 'SHOP',
      merchant: MERCHANT,
      eventId: 'v3',
      kind: 'view',
      pseudonym: PSEUDONYM,
      amount: 0,
      timeMs: Number.MAX_SAFE_INTEGER,
    },
    leaf:
      '00166172636164652f747261666669632d6c6561662f7631000453484f50' +
      '11'.repeat(32) +
      '00027633' +
      '000476696577' +
      `01${'22'.repeat(32)}` +
      '0000000000000000' +
      '001fffffffffffff',
    leafHash: 'df6bbfd022a955921d311792d1953d3c6d2b4d7cf0b98c29d0f5cc0d2544c065',
  },
]
const VECTOR_ROOT = '2bbbce4caaa9a758e00204de3e1afba5ae57d8ed2b3100844d66a23f558f0d5e'

const base = (VECTORS[0] as (typeof VECTORS)[number]).event

function codeOf(run: () => unknown): { code: unknown; field: unknown } {
  try {
    run()
  } catch (err) {
    if (isArcadeError(err)) return { code: err.code, field: err.details.field }
    throw err
  }
  throw new Error('expected a failure')
}

describe('traffic leaf', () => {
  it('matches the test vectors byte for byte, and their root', () => {
    for (const v of VECTORS) {
      const leaf = trafficLeaf(v.event)
      expect(toHex(leaf)).toBe(v.leaf)
      expect(toHex(merkleLeafHash(leaf))).toBe(v.leafHash)
      expect(toHex(merkleLeafHash(leaf))).toBe(toHex(sha256(concatBytes(Uint8Array.of(0), leaf))))
    }
    const [a, b, c] = VECTORS.map((v) => fromHex(v.leafHash))
    const root = trafficBatchRoot(VECTORS.map((v) => v.event))
    expect(toHex(root)).toBe(VECTOR_ROOT)
    // RFC 6962 shape: three leaves split 2 + 1.
    expect(toHex(root)).toBe(toHex(merkleNodeHash(merkleNodeHash(a as never, b as never), c as never)))
    expect(TRAFFIC_LEAF_TAG).toBe('arcade/traffic-leaf/v1')
  })

  it('every field changes the leaf, and a length prefix keeps shifted text apart', () => {
    const leaf = toHex(trafficLeaf(base))
    const variants: TrafficEvent[] = [
      { ...base, point: 'SHOQ' },
      { ...base, merchant: new Uint8Array(32).fill(0x12) },
      { ...base, eventId: 'pos-0002' },
      { ...base, kind: 'click', amount: 0 },
      { ...base, pseudonym: null },
      { ...base, pseudonym: new Uint8Array(32).fill(0x23) },
      { ...base, amount: 1501 },
      { ...base, timeMs: base.timeMs + 1 },
    ]
    const seen = new Set([leaf])
    for (const v of variants) seen.add(toHex(trafficLeaf(v)))
    expect(seen.size).toBe(variants.length + 1)
    // "AB" + "C" and "A" + "BC" in adjacent text fields are different leaves.
    const x = trafficLeaf({ ...base, point: 'AB', eventId: 'C' })
    const y = trafficLeaf({ ...base, point: 'A1', eventId: 'BC' })
    expect(toHex(x)).not.toBe(toHex(y))
  })

  it('refuses what is not an event, naming the field', () => {
    const bad: [Partial<TrafficEvent> & Record<string, unknown>, string][] = [
      [{ point: 'shop' }, 'point'],
      [{ point: 'S' }, 'point'],
      [{ merchant: new Uint8Array(31) }, 'merchant'],
      [{ eventId: '' }, 'eventId'],
      [{ eventId: 'x'.repeat(65) }, 'eventId'],
      [{ eventId: '\ud800' }, 'eventId'],
      [{ kind: 'tip' as never }, 'kind'],
      [{ pseudonym: new Uint8Array(3) }, 'pseudonym'],
      [{ amount: -1 }, 'amount'],
      [{ amount: 1.5 }, 'amount'],
      [{ kind: 'visit', amount: 5 }, 'amount'],
      [{ timeMs: 2 ** 53 }, 'timeMs'],
    ]
    for (const [change, field] of bad) {
      expect(codeOf(() => trafficLeaf({ ...base, ...change }))).toEqual({
        code: ProtocolErrorCode.invalidField,
        field,
      })
    }
    // 64 characters are allowed even when they take 4 UTF-8 bytes (and 2 UTF-16 units) each.
    expect(trafficLeaf({ ...base, eventId: '😀'.repeat(64) }).length).toBe(
      trafficLeaf({ ...base, eventId: 'x' }).length + 255,
    )
    expect(utf8('😀').length).toBe(4)
  })

  it('round trip: every event of a random batch proves against its root; another leaf does not', () => {
    const eventArb = fc.record({
      point: fc.constantFrom('SHOP', 'AB', 'SHOTEN2026'),
      merchant: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      eventId: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }),
      kind: fc.constantFrom('visit', 'view', 'click', 'purchase' as const),
      pseudonym: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 })),
      amount: fc.nat(),
      timeMs: fc.maxSafeNat(),
    })
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 30 }), (raw) => {
        const events: TrafficEvent[] = raw.map((e) => ({
          ...e,
          amount: e.kind === 'purchase' ? e.amount : 0,
        }))
        const leaves = events.map(trafficLeaf)
        const root = merkleRoot(leaves)
        expect(toHex(trafficBatchRoot(events))).toBe(toHex(root))
        leaves.forEach((leaf, i) => {
          const proof = merkleProof(leaves, i)
          expect(verifyMerkleProof(root, leaf, proof)).toBe(true)
          const e = events[i] as TrafficEvent
          const other = trafficLeaf({ ...e, timeMs: e.timeMs === 0 ? 1 : e.timeMs - 1 })
          expect(verifyMerkleProof(root, other, proof)).toBe(false)
        })
      }),
      { numRuns: 60 },
    )
  })
})
