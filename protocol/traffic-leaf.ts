/**
 * The leaf of an off-ledger traffic event: what a shop anchors instead of recording every event on the
 * ledger (`traffic.anchor`). A batch's root is `merkleRoot` (protocol/merkle.ts, RFC 6962: each leaf
 * hashed as SHA-256(0x00 ‖ leaf), inner nodes as SHA-256(0x01 ‖ left ‖ right)) over the leaves of its
 * events in file order. Anyone holding an event and its inclusion proof can then check it against the
 * anchored root, in any language: the layout below is the whole format (no msgpack, no JSON).
 *
 * An event: `{ point, merchant, eventId, kind, pseudonym, amount, timeMs }`, where
 * - point: the point id, 2 to 12 of A-Z and 0-9, starting with a letter;
 * - merchant: the shop's account key (32 bytes; `arc1…` in JSON);
 * - eventId: 1 to 64 characters (Unicode code points), well-formed (no unpaired surrogate), taken as it
 *   is (no normalisation, no trimming): the shop's own id of the event;
 * - kind: `visit`, `view`, `click` or `purchase`;
 * - pseudonym: the customer's per-point pseudonym key (32 bytes; `arc1…` in JSON), or null;
 * - amount: the purchase amount in the point's smallest unit; 0 for every kind but `purchase`;
 * - timeMs: when it happened, ms since 1970-01-01T00:00Z.
 * Integers are 0 to 2^53 − 1 (JavaScript's safe integers).
 *
 * Leaf bytes, in this order (`str(s)` is the UTF-8 bytes of s preceded by their length as 2 bytes,
 * big-endian; `u64(n)` is n as 8 bytes, big-endian):
 *
 *   str("arcade/traffic-leaf/v1")   00 16 61 72 63 …          the version tag (22 bytes)
 *   str(point)                      00 04 53 48 4f 50          "SHOP"
 *   merchant                        32 bytes
 *   str(eventId)
 *   str(kind)
 *   pseudonym                       00 (null) | 01 ‖ 32 bytes
 *   u64(amount)
 *   u64(timeMs)
 *
 * Every field is of fixed size or carries its length, so two different events never give the same
 * leaf. The tag is never reused: a change of layout gets a new version suffix.
 */
import type { Bytes } from './bytes.ts'
import { utf8 } from './bytes.ts'
import { invalidField } from './errors.ts'
import { merkleRoot } from './merkle.ts'
import { pointId, TRAFFIC_KINDS } from './tx-body.ts'

export const TRAFFIC_LEAF_TAG = 'arcade/traffic-leaf/v1'
export const MAX_EVENT_ID_CHARS = 64

export type TrafficKind = (typeof TRAFFIC_KINDS)[number]

/** An off-ledger traffic event, as its leaf commits to it. */
export interface TrafficEvent {
  readonly point: string
  readonly merchant: Bytes
  readonly eventId: string
  readonly kind: TrafficKind
  readonly pseudonym: Bytes | null
  readonly amount: number
  readonly timeMs: number
}

const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isKey = (v: unknown): v is Bytes => v instanceof Uint8Array && v.length === 32

/** Why `e` is not a valid event, naming the field (`eventId: …`); null when it is one. */
export function trafficEventError(e: TrafficEvent): string | null {
  const { pattern } = pointId
  if (typeof e.point !== 'string' || pattern === undefined || !pattern.test(e.point))
    return 'point: must be 2 to 12 of A-Z and 0-9, starting with a letter'
  if (!isKey(e.merchant)) return 'merchant: must be a 32-byte account key'
  if (typeof e.eventId !== 'string' || !e.eventId.isWellFormed())
    return 'eventId: must be well-formed Unicode text'
  const chars = [...e.eventId].length
  if (chars < 1 || chars > MAX_EVENT_ID_CHARS) return 'eventId: must be 1 to 64 characters'
  if (!TRAFFIC_KINDS.includes(e.kind)) return `kind: must be one of ${TRAFFIC_KINDS.join(', ')}`
  if (e.pseudonym !== null && !isKey(e.pseudonym)) return 'pseudonym: must be a 32-byte key or null'
  if (!isUint(e.amount)) return 'amount: must be a non-negative safe integer'
  if (e.kind !== 'purchase' && e.amount !== 0) return 'amount: must be 0 unless the kind is purchase'
  if (!isUint(e.timeMs)) return 'timeMs: must be a non-negative safe integer'
  return null
}

function str(text: string): Bytes {
  const bytes = utf8(text)
  const out = new Uint8Array(2 + bytes.length)
  new DataView(out.buffer).setUint16(0, bytes.length)
  out.set(bytes, 2)
  return out
}

function u64(n: number): Bytes {
  const out = new Uint8Array(8)
  const view = new DataView(out.buffer)
  view.setUint32(0, Math.floor(n / 2 ** 32))
  view.setUint32(4, n >>> 0)
  return out
}

const TAG = str(TRAFFIC_LEAF_TAG)

/** The leaf bytes of an event (layout in this file's header); PROTOCOL_INVALID_FIELD when it is none. */
export function trafficLeaf(e: TrafficEvent): Bytes {
  const error = trafficEventError(e)
  if (error !== null) {
    const at = error.indexOf(':')
    throw invalidField(error.slice(0, at), error.slice(at + 2))
  }
  const parts = [
    TAG,
    str(e.point),
    e.merchant,
    str(e.eventId),
    str(e.kind),
    e.pseudonym === null ? Uint8Array.of(0) : Uint8Array.of(1, ...e.pseudonym),
    u64(e.amount),
    u64(e.timeMs),
  ]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** The root a shop anchors for these events, in this order. */
export function trafficBatchRoot(events: readonly TrafficEvent[]): Bytes {
  return merkleRoot(events.map(trafficLeaf))
}
