/**
 * A shop's batch of off-ledger traffic (client/anchors.ts says what it is for): its events in leaf
 * order (protocol/traffic-leaf.ts), their leaves and root, the count and period `traffic.anchor`
 * states, and the batch file the shop keeps (`trafficBatchToJson`, read back with `trafficBatchFrom`).
 */
import { type Bytes, bytesEqual, toHex } from '../protocol/bytes.ts'
import { merkleRoot } from '../protocol/merkle.ts'
import {
  type TrafficEvent,
  type TrafficKind,
  trafficEventError,
  trafficLeaf,
} from '../protocol/traffic-leaf.ts'
import { invalidInput } from './errors.ts'
import { type AddressLike, addressOf, toAccount, toHash, toPointId } from './keys.ts'

export const TRAFFIC_BATCH_FORMAT = 'arcade/traffic-batch/v1'

/** An off-ledger traffic event as JSON (batch and proof files): keys as `arc1…`. */
export interface TrafficEventJson {
  readonly point: string
  readonly merchant: string
  readonly eventId: string
  readonly kind: TrafficKind
  /** The customer's per-point pseudonym, or null. */
  readonly pseudonym: string | null
  /** The purchase amount; 0 for other kinds. */
  readonly amount: number
  readonly timeMs: number
}

/** A batch: its events in leaf order, their leaves, the root and what `traffic.anchor` states. */
export interface TrafficBatch {
  readonly point: string
  readonly merchant: Bytes
  readonly events: readonly TrafficEvent[]
  readonly leaves: readonly Bytes[]
  readonly root: Bytes
  readonly count: number
  readonly periodStartMs: number
  readonly periodEndMs: number
}

/** The shop's batch file: every event of the batch in leaf order, and what was anchored. */
export interface TrafficBatchFile {
  readonly format: typeof TRAFFIC_BATCH_FORMAT
  readonly point: string
  readonly merchant: string
  /** Hex of the Merkle root over the events' leaves, in this order. */
  readonly root: string
  readonly count: number
  readonly periodStartMs: number
  readonly periodEndMs: number
  readonly events: readonly TrafficEventJson[]
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** A uint given as a number or as decimal text (a CSV cell). */
function uintOf(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value
  if (!Number.isSafeInteger(n) || (n as number) < 0)
    throw invalidInput(field, 'must be a non-negative integer')
  return n as number
}

/**
 * One event from JSON (or a TrafficEvent as is), every field checked; `defaults` fill a missing point
 * or merchant. Throws CLIENT_INVALID_INPUT naming the field (`events[3].kind`).
 */
export function trafficEventFrom(
  input: unknown,
  at = 'event',
  defaults: { readonly point?: string; readonly merchant?: AddressLike } = {},
): TrafficEvent {
  if (!isObject(input)) throw invalidInput(at, 'must be an object')
  const point = input.point ?? defaults.point
  const merchant = input.merchant ?? defaults.merchant
  if (point === undefined) throw invalidInput(`${at}.point`, 'is missing')
  if (merchant === undefined) throw invalidInput(`${at}.merchant`, 'is missing')
  const pseudonym = input.pseudonym
  const event: TrafficEvent = {
    point: toPointId(String(point), `${at}.point`),
    merchant: toAccount(merchant as AddressLike, `${at}.merchant`),
    eventId: typeof input.eventId === 'string' ? input.eventId : String(input.eventId ?? ''),
    kind: input.kind as TrafficKind,
    pseudonym:
      pseudonym === undefined || pseudonym === null || pseudonym === ''
        ? null
        : toAccount(pseudonym as AddressLike, `${at}.pseudonym`),
    amount: input.amount === undefined || input.amount === '' ? 0 : uintOf(input.amount, `${at}.amount`),
    timeMs: uintOf(input.timeMs, `${at}.timeMs`),
  }
  const error = trafficEventError(event)
  if (error !== null) {
    const colon = error.indexOf(':')
    throw invalidInput(`${at}.${error.slice(0, colon)}`, error.slice(colon + 2))
  }
  return event
}

export const trafficEventToJson = (e: TrafficEvent): TrafficEventJson => ({
  point: e.point,
  merchant: addressOf(e.merchant),
  eventId: e.eventId,
  kind: e.kind,
  pseudonym: e.pseudonym === null ? null : addressOf(e.pseudonym),
  amount: e.amount,
  timeMs: e.timeMs,
})

export interface BatchOptions {
  /** The batch's point and shop: what events that leave them out get, and what every event must name. */
  readonly point?: string
  readonly merchant?: AddressLike
  /** The period to anchor, if not min to max event time: it must contain every event. */
  readonly periodStartMs?: number
  readonly periodEndMs?: number
}

/**
 * A batch of one shop's events, in this order (the order of the leaves): at least one, each eventId
 * once, all of one point and merchant. Throws CLIENT_INVALID_INPUT naming the event.
 */
export function buildTrafficBatch(
  input: readonly (TrafficEvent | TrafficEventJson | Record<string, unknown>)[],
  options: BatchOptions = {},
): TrafficBatch {
  if (!Array.isArray(input) || input.length === 0) throw invalidInput('events', 'must not be empty')
  const first = trafficEventFrom(input[0], 'events[0]', options)
  if (options.point !== undefined && first.point !== toPointId(options.point))
    throw invalidInput('events[0].point', `the batch is of point ${options.point}`)
  if (options.merchant !== undefined && !bytesEqual(first.merchant, toAccount(options.merchant, 'merchant')))
    throw invalidInput('events[0].merchant', "the batch is another shop's")
  const defaults = { point: first.point, merchant: first.merchant }
  const seen = new Map<string, number>()
  const events = input.map((raw, i) => {
    const at = `events[${i}]`
    const e = i === 0 ? first : trafficEventFrom(raw, at, defaults)
    if (e.point !== first.point) throw invalidInput(`${at}.point`, `a batch is of one point (${first.point})`)
    if (!bytesEqual(e.merchant, first.merchant))
      throw invalidInput(`${at}.merchant`, `a batch is one shop's (${addressOf(first.merchant)})`)
    const earlier = seen.get(e.eventId)
    if (earlier !== undefined) throw invalidInput(`${at}.eventId`, `repeats events[${earlier}]`)
    seen.set(e.eventId, i)
    return e
  })
  let min = first.timeMs
  let max = first.timeMs
  for (const e of events) {
    if (e.timeMs < min) min = e.timeMs
    if (e.timeMs > max) max = e.timeMs
  }
  const periodStartMs =
    options.periodStartMs === undefined ? min : uintOf(options.periodStartMs, 'periodStartMs')
  const periodEndMs = options.periodEndMs === undefined ? max : uintOf(options.periodEndMs, 'periodEndMs')
  if (periodStartMs > min || periodEndMs < max)
    throw invalidInput('period', `must contain every event's time (${min} to ${max})`)
  const leaves = events.map(trafficLeaf)
  return {
    point: first.point,
    merchant: first.merchant,
    events,
    leaves,
    root: merkleRoot(leaves),
    count: events.length,
    periodStartMs,
    periodEndMs,
  }
}

export function trafficBatchToJson(batch: TrafficBatch): TrafficBatchFile {
  return {
    format: TRAFFIC_BATCH_FORMAT,
    point: batch.point,
    merchant: addressOf(batch.merchant),
    root: toHex(batch.root),
    count: batch.count,
    periodStartMs: batch.periodStartMs,
    periodEndMs: batch.periodEndMs,
    events: batch.events.map(trafficEventToJson),
  }
}

/**
 * A batch file read back (the SDK's, or a shop's log exported in that format): its events rebuild
 * the root, which must be the one it states, as must the count; the period must contain them all.
 */
export function trafficBatchFrom(file: unknown): TrafficBatch {
  if (!isObject(file)) throw invalidInput('batch', 'must be a JSON object')
  if (file.format !== TRAFFIC_BATCH_FORMAT)
    throw invalidInput('batch.format', `must be ${JSON.stringify(TRAFFIC_BATCH_FORMAT)}`)
  if (!Array.isArray(file.events)) throw invalidInput('batch.events', 'must be a list')
  const batch = buildTrafficBatch(file.events, {
    point: String(file.point ?? ''),
    merchant: file.merchant as AddressLike,
    periodStartMs: file.periodStartMs as number,
    periodEndMs: file.periodEndMs as number,
  })
  if (!bytesEqual(batch.root, toHash(String(file.root ?? ''), 'batch.root')))
    throw invalidInput('batch.root', 'is not the root of its events (an event was changed, added or moved)')
  if (file.count !== batch.count) throw invalidInput('batch.count', `must be ${batch.count}, its events`)
  return batch
}
