import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeAddress } from '../protocol/address.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import { merkleRoot } from '../protocol/merkle.ts'
import { type TrafficEvent, trafficLeaf } from '../protocol/traffic-leaf.ts'
import { readTrafficBatch } from './anchor-file.ts'
import {
  AnchorRejection,
  checkAnchoredEvent,
  proveTrafficEvent,
  type TrafficProofFile,
  trafficProofFrom,
} from './anchors.ts'
import { ArcadeClientError, ClientErrorCode } from './errors.ts'
import type { VerifiedRecord } from './proof.ts'
import { anchorRecordKey } from './records.ts'
import {
  buildTrafficBatch,
  type TrafficBatch,
  type TrafficEventJson,
  trafficBatchFrom,
  trafficBatchToJson,
} from './traffic-batch.ts'

const key = (n: number): Bytes => new Uint8Array(32).fill(n)
const SHOP = encodeAddress(key(1))
const OTHER_SHOP = encodeAddress(key(2))
const PSEUDONYM = encodeAddress(key(3))
const TX = key(9)

const events: TrafficEventJson[] = [
  {
    point: 'SHOP',
    merchant: SHOP,
    eventId: 'e1',
    kind: 'visit',
    pseudonym: PSEUDONYM,
    amount: 0,
    timeMs: 1_000,
  },
  {
    point: 'SHOP',
    merchant: SHOP,
    eventId: 'e2',
    kind: 'purchase',
    pseudonym: null,
    amount: 990,
    timeMs: 3_000,
  },
  {
    point: 'SHOP',
    merchant: SHOP,
    eventId: 'e3',
    kind: 'view',
    pseudonym: PSEUDONYM,
    amount: 0,
    timeMs: 2_000,
  },
]

/** What `verifyRecord` returns for the anchor record of `batch` (as state/ stores it). */
function anchored(
  batch: Pick<TrafficBatch, 'point' | 'root' | 'count' | 'periodStartMs' | 'periodEndMs'>,
  over: { merchant?: Bytes; count?: number; start?: number; end?: number; absent?: boolean } = {},
): VerifiedRecord {
  const decoded = [
    over.merchant ?? key(1),
    over.count ?? batch.count,
    over.start ?? batch.periodStartMs,
    over.end ?? batch.periodEndMs,
    7,
    TX,
  ]
  return {
    key: anchorRecordKey(batch.point, batch.root),
    value: over.absent ? null : new Uint8Array(1),
    decoded: over.absent ? null : decoded,
    height: 9,
    stateRoot: key(5),
    blockHash: key(6),
  }
}

function rejection(run: () => unknown): { code: string; reason: unknown } {
  try {
    run()
  } catch (err) {
    if (!(err instanceof ArcadeClientError)) throw err
    // An invalid input names its field; a rejected anchor its check.
    const invalid = err.code === ClientErrorCode.invalidInput
    return { code: err.code, reason: invalid ? err.details.field : err.details.reason }
  }
  throw new Error('expected a failure')
}

describe('a traffic batch', () => {
  it('has the leaves of its events in order, their root, the count and the period min to max', () => {
    const batch = buildTrafficBatch(events)
    expect(batch.count).toBe(3)
    expect([batch.periodStartMs, batch.periodEndMs]).toEqual([1_000, 3_000])
    expect(batch.point).toBe('SHOP')
    expect(toHex(batch.root)).toBe(toHex(merkleRoot(batch.events.map(trafficLeaf))))
    // Point and merchant can be given once for the batch.
    const bare = events.map(({ point: _p, merchant: _m, ...rest }) => rest)
    expect(toHex(buildTrafficBatch(bare, { point: 'SHOP', merchant: SHOP }).root)).toBe(toHex(batch.root))
    // Another order is another batch.
    expect(toHex(buildTrafficBatch([...events].reverse()).root)).not.toBe(toHex(batch.root))
  })

  it("refuses an empty batch, a repeated eventId, and another point's or shop's event", () => {
    const invalid = (run: () => unknown) => rejection(run)
    expect(invalid(() => buildTrafficBatch([]))).toEqual({
      code: ClientErrorCode.invalidInput,
      reason: 'events',
    })
    expect(invalid(() => buildTrafficBatch([...events, events[0] as TrafficEventJson])).reason).toBe(
      'events[3].eventId',
    )
    expect(
      invalid(() => buildTrafficBatch([...events, { ...events[0], eventId: 'x', merchant: OTHER_SHOP }])),
    ).toMatchObject({ reason: 'events[3].merchant' })
    expect(
      invalid(() => buildTrafficBatch([...events, { ...events[0], eventId: 'x', point: 'MALL' }])),
    ).toMatchObject({ reason: 'events[3].point' })
    expect(invalid(() => buildTrafficBatch(events, { merchant: OTHER_SHOP })).reason).toBe(
      'events[0].merchant',
    )
    expect(invalid(() => buildTrafficBatch([{ ...events[0], kind: 'tip' }])).reason).toBe('events[0].kind')
    expect(invalid(() => buildTrafficBatch([{ ...events[0], timeMs: -1 }])).reason).toBe('events[0].timeMs')
    expect(invalid(() => buildTrafficBatch([{ ...events[0], amount: 5 }])).reason).toBe('events[0].amount')
    expect(invalid(() => buildTrafficBatch(events, { periodStartMs: 1_001 })).reason).toBe('period')
  })

  it('round-trips through its batch file; a file whose events were changed is refused', () => {
    const batch = buildTrafficBatch(events, { periodStartMs: 0, periodEndMs: 86_399_999 })
    const file = JSON.parse(JSON.stringify(trafficBatchToJson(batch)))
    expect(file).toMatchObject({
      format: 'arcade/traffic-batch/v1',
      count: 3,
      periodStartMs: 0,
      root: toHex(batch.root),
    })
    const back = trafficBatchFrom(file)
    expect(toHex(back.root)).toBe(toHex(batch.root))
    expect(back.periodEndMs).toBe(86_399_999)
    const edited = {
      ...file,
      events: file.events.map((e: TrafficEventJson, i: number) => (i === 1 ? { ...e, amount: 1 } : e)),
    }
    expect(rejection(() => trafficBatchFrom(edited)).reason).toBe('batch.root')
    expect(rejection(() => trafficBatchFrom({ ...file, count: 4 })).reason).toBe('batch.count')
    expect(rejection(() => trafficBatchFrom({ ...file, format: 'v0' })).reason).toBe('batch.format')
  })

  it('reads events from CSV, JSON and a batch file alike', () => {
    const csv =
      'eventId,kind,pseudonym,amount,timeMs\n' +
      `e1,visit,${PSEUDONYM},,1000\n` +
      'e2,purchase,,990,3000\n' +
      `"e3",view,${PSEUDONYM},0,2000\n`
    const root = toHex(buildTrafficBatch(events).root)
    expect(toHex(readTrafficBatch(csv, { point: 'SHOP', merchant: SHOP }).root)).toBe(root)
    expect(toHex(readTrafficBatch(JSON.stringify({ events }), {}).root)).toBe(root)
    const file = JSON.stringify(trafficBatchToJson(buildTrafficBatch(events)))
    expect(toHex(readTrafficBatch(file, { point: 'SHOP', merchant: SHOP }).root)).toBe(root)
    expect(rejection(() => readTrafficBatch(file, { merchant: OTHER_SHOP })).reason).toBe('merchant')
    expect(rejection(() => readTrafficBatch('eventId,kind\ne1,visit\n', {})).reason).toBe('file')
    expect(rejection(() => readTrafficBatch('eventId,kind,timeMs,tip\ne1,visit,1,2\n', {})).reason).toBe(
      'file',
    )
    expect(rejection(() => readTrafficBatch(`eventId,kind,timeMs\ne1,visit\n`, {})).reason).toBe('line 2')
  })
})

describe('checkAnchoredEvent', () => {
  const batch = buildTrafficBatch(events)
  const proofOf = (id: string) => JSON.parse(JSON.stringify(proveTrafficEvent(batch, id))) as TrafficProofFile

  it('accepts every event of the anchored batch and returns the anchor', () => {
    for (const e of events) {
      const a = checkAnchoredEvent(proofOf(e.eventId), anchored(batch))
      expect(a).toMatchObject({
        event: e,
        point: 'SHOP',
        root: toHex(batch.root),
        merchant: SHOP,
        count: 3,
        periodStartMs: 1_000,
        periodEndMs: 3_000,
        height: 7,
        txHash: toHex(TX),
        provenAtHeight: 9,
      })
    }
    expect(checkAnchoredEvent(proofOf('e2'), anchored(batch)).index).toBe(1)
  })

  it('names the check that fails', () => {
    const reason = (proof: TrafficProofFile, record = anchored(batch), point?: string) =>
      rejection(() => checkAnchoredEvent(proof, record, point === undefined ? {} : { point }))
    const p = proofOf('e2')
    const r = (reason: AnchorRejection) => ({ code: ClientErrorCode.anchorRejected, reason })
    expect(reason(p, anchored(batch), 'MALL')).toEqual(r(AnchorRejection.point))
    expect(reason(p, { ...anchored(batch), key: anchorRecordKey('SHOP', key(4)) })).toEqual(
      r(AnchorRejection.record),
    )
    expect(reason(p, anchored(batch, { absent: true }))).toEqual(r(AnchorRejection.notAnchored))
    expect(reason(p, { ...anchored(batch), decoded: [1, 2] })).toEqual(r(AnchorRejection.record))
    expect(reason(p, anchored(batch, { merchant: key(2) }))).toEqual(r(AnchorRejection.merchant))
    expect(reason(p, anchored(batch, { end: 2_999 }))).toEqual(r(AnchorRejection.period))
    expect(reason(p, anchored(batch, { count: 4 }))).toEqual(r(AnchorRejection.count))
    expect(reason({ ...p, event: { ...p.event, amount: 991 } })).toEqual(r(AnchorRejection.merkleProof))
    const path = [...p.proof.path]
    path[0] = toHex(sha256(Uint8Array.of(1)))
    expect(reason({ ...p, proof: { ...p.proof, path } })).toEqual(r(AnchorRejection.merkleProof))
    expect(reason({ ...p, proof: { ...p.proof, index: 2 } })).toEqual(r(AnchorRejection.merkleProof))
  })

  it('refuses a proof file that is no proof file, naming the field', () => {
    const p = proofOf('e1')
    expect(rejection(() => trafficProofFrom({ ...p, root: 'zz' })).reason).toBe('root')
    expect(rejection(() => trafficProofFrom({ ...p, proof: { ...p.proof, index: 3 } })).reason).toBe(
      'proof.index',
    )
    expect(rejection(() => trafficProofFrom({ ...p, proof: { ...p.proof, path: ['00'] } })).reason).toBe(
      'proof.path[0]',
    )
    expect(rejection(() => trafficProofFrom({ ...p, format: 'x' })).reason).toBe('format')
    expect(
      rejection(() => trafficProofFrom({ ...p, event: { ...p.event, pseudonym: 'arc1nope' } })).reason,
    ).toBe('event.pseudonym')
  })
})

describe('property: anchored batches', () => {
  const eventArb = fc.record({
    eventId: fc.string({ minLength: 1, maxLength: 12 }),
    kind: fc.constantFrom('visit', 'view', 'click', 'purchase'),
    pseudonym: fc.option(fc.integer({ min: 0, max: 255 })),
    amount: fc.nat(),
    timeMs: fc.nat(),
  })
  const mutations = ['eventId', 'kind', 'pseudonym', 'amount', 'timeMs', 'merchant', 'point'] as const

  it('every event of a random batch verifies; any mutation of one is refused', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(eventArb, { minLength: 1, maxLength: 40, selector: (e) => e.eventId }),
        fc.nat(),
        fc.constantFrom(...mutations),
        (raw, pick, mutation) => {
          const list: TrafficEvent[] = raw.map((e) => ({
            point: 'SHOP',
            merchant: key(1),
            eventId: e.eventId,
            kind: e.kind as TrafficEvent['kind'],
            pseudonym: e.pseudonym === null ? null : key(e.pseudonym),
            amount: e.kind === 'purchase' ? e.amount : 0,
            timeMs: e.timeMs,
          }))
          const batch = buildTrafficBatch(list)
          const record = anchored(batch)
          for (const e of list) {
            const a = checkAnchoredEvent(proveTrafficEvent(batch, e.eventId), record)
            expect(a.event.eventId).toBe(e.eventId)
          }
          const target = list[pick % list.length] as TrafficEvent
          const proof = proveTrafficEvent(batch, target.eventId)
          const e = proof.event
          const changed: TrafficEventJson = {
            eventId: { ...e, eventId: `${e.eventId}!` },
            kind: { ...e, kind: e.kind === 'view' ? 'click' : 'view', amount: 0 },
            pseudonym: { ...e, pseudonym: e.pseudonym === null ? PSEUDONYM : null },
            amount: { ...e, kind: 'purchase', amount: e.kind === 'purchase' ? e.amount + 1 : 1 },
            timeMs: { ...e, timeMs: e.timeMs === batch.periodStartMs ? e.timeMs + 1 : e.timeMs - 1 },
            merchant: { ...e, merchant: OTHER_SHOP },
            point: { ...e, point: 'SHOQ' },
          }[mutation] as TrafficEventJson
          let failure: unknown = null
          try {
            checkAnchoredEvent({ ...proof, event: changed }, record)
          } catch (err) {
            failure = err
          }
          expect(failure).toBeInstanceOf(ArcadeClientError)
          expect((failure as ArcadeClientError).code).toBe(ClientErrorCode.anchorRejected)
        },
      ),
      { numRuns: 80 },
    )
  })
})
