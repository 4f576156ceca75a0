/**
 * Anchored traffic in the SDK. A large shop keeps its traffic off the ledger and anchors a Merkle root
 * of each batch instead (`traffic.anchor`); anyone holding one event of the batch and its inclusion
 * proof can then check it against the chain without trusting the shop or the node that answers.
 *
 * - The shop builds a batch from its events (client/traffic-batch.ts `buildTrafficBatch`, or
 *   client/anchor-file.ts `readTrafficBatch` from JSON or CSV text: leaves per
 *   protocol/traffic-leaf.ts, the root over them in file order, the count and the period, min to max
 *   event time), keeps the batch file (`trafficBatchToJson`; its own log exported in that format
 *   reads back with `trafficBatchFrom`) and anchors the root (`operations.anchorTraffic`).
 * - Later it proves any event of the batch (`proveTrafficEvent`): a proof file `{ event, proof, root }`.
 * - A regulator checks a proof file (`verifyAnchoredEvent`, or `ArcadeClient.verifyAnchoredEvent`):
 *   the anchor record's state proof up to a commit certificate of the validator set its light client
 *   trusts for that height (never the node's word), then, in order: the record is the anchor of this
 *   root in the event's point, it exists, its merchant is the event's, the event's time is within its
 *   period, the proof's size is its count, and the event's leaf leads to the root. A failure is a
 *   CLIENT_ANCHOR_REJECTED whose `details.reason` names the check (AnchorRejection).
 */
import { type Bytes, bytesEqual, toHex } from '../protocol/bytes.ts'
import { type MerkleProof, merkleProof, verifyMerkleProof } from '../protocol/merkle.ts'
import { type TrafficEvent, trafficLeaf } from '../protocol/traffic-leaf.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import { ArcadeClientError, ClientErrorCode, invalidInput } from './errors.ts'
import { addressOf, toHash, toPointId } from './keys.ts'
import type { LightClient, TrustRoot } from './light-client.ts'
import type { VerifiedRecord } from './proof.ts'
import { proofRef } from './queries.ts'
import { anchorRecordKey, anchorRecordOf } from './records.ts'
import {
  type TrafficBatch,
  type TrafficEventJson,
  trafficEventFrom,
  trafficEventToJson,
} from './traffic-batch.ts'
import type { ValidatorsJson } from './types.ts'

export const TRAFFIC_PROOF_FORMAT = 'arcade/traffic-proof/v1'
/** Sibling hashes a proof may carry: enough for any batch a safe integer can count. */
const MAX_PROOF_PATH = 64

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
function uintOf(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw invalidInput(field, 'must be a non-negative integer')
  return value as number
}

/** What a shop hands a regulator for one event: the event, its inclusion proof and the batch's root. */
export interface TrafficProofFile {
  readonly format: typeof TRAFFIC_PROOF_FORMAT
  readonly event: TrafficEventJson
  /** `index` of `size` leaves; `path` the sibling hashes (hex) from the leaf up (protocol/merkle.ts). */
  readonly proof: { readonly index: number; readonly size: number; readonly path: readonly string[] }
  readonly root: string
}

/** A proof file, checked and decoded. */
export interface TrafficProof {
  readonly event: TrafficEvent
  readonly proof: MerkleProof
  readonly root: Bytes
}

/** What a verified event was anchored by. */
export interface AnchoredEvent {
  readonly event: TrafficEventJson
  /** The event's place in its batch. */
  readonly index: number
  readonly point: string
  readonly root: string
  readonly merchant: string
  readonly count: number
  readonly periodStartMs: number
  readonly periodEndMs: number
  /** The block that anchored the batch, and its traffic.anchor tx (hex). */
  readonly height: number
  readonly txHash: string
  /** The certified state the anchor record was proven in. */
  readonly provenAtHeight: number
  readonly provenBlockHash: string
}

/** Which check refused an anchored event (`details.reason` of CLIENT_ANCHOR_REJECTED). */
export const AnchorRejection = {
  /** The anchor record's state proof, block header, certificate or validator set does not check out. */
  certifiedProof: 'certified-proof',
  /** The node proved another record than this root's anchor, or one that is no anchor. */
  record: 'record',
  /** Proven absent: no batch of the event's point was ever anchored under this root. */
  notAnchored: 'not-anchored',
  /** The event is of another point than the one the caller checks. */
  point: 'point',
  /** The batch was anchored by another merchant than the event names. */
  merchant: 'merchant',
  /** The event's time is outside the anchored period. */
  period: 'period',
  /** The proof is for a batch of another size than the anchored count. */
  count: 'count',
  /** The event's leaf does not lead to the root by this proof: the event or the proof was altered. */
  merkleProof: 'merkle-proof',
} as const
export type AnchorRejection = (typeof AnchorRejection)[keyof typeof AnchorRejection]

function reject(reason: AnchorRejection, message: string, details: Record<string, unknown> = {}): never {
  throw new ArcadeClientError(ClientErrorCode.anchorRejected, message, null, { reason, ...details })
}

/** The proof file of one event of a batch, found by its eventId. */
export function proveTrafficEvent(batch: TrafficBatch, eventId: string): TrafficProofFile {
  const index = batch.events.findIndex((e) => e.eventId === eventId)
  if (index < 0) throw invalidInput('eventId', `no event ${JSON.stringify(eventId)} in this batch`)
  const proof = merkleProof(batch.leaves, index)
  return {
    format: TRAFFIC_PROOF_FORMAT,
    event: trafficEventToJson(batch.events[index] as TrafficEvent),
    proof: { index: proof.index, size: proof.size, path: proof.path.map(toHex) },
    root: toHex(batch.root),
  }
}

/** A proof file (or a TrafficProof as is), every field checked. Throws CLIENT_INVALID_INPUT. */
export function trafficProofFrom(input: TrafficProofFile | TrafficProof | unknown): TrafficProof {
  if (!isObject(input)) throw invalidInput('proof file', 'must be a JSON object')
  if (
    input.root instanceof Uint8Array &&
    isObject(input.event) &&
    input.event.merchant instanceof Uint8Array
  ) {
    const p = input as unknown as TrafficProof
    return { event: trafficEventFrom(p.event), proof: p.proof, root: toHash(p.root, 'root') }
  }
  if (input.format !== undefined && input.format !== TRAFFIC_PROOF_FORMAT)
    throw invalidInput('format', `must be ${JSON.stringify(TRAFFIC_PROOF_FORMAT)}`)
  const event = trafficEventFrom(input.event, 'event')
  const p = input.proof
  if (!isObject(p)) throw invalidInput('proof', 'must be { index, size, path }')
  const size = uintOf(p.size, 'proof.size')
  const index = uintOf(p.index, 'proof.index')
  if (size < 1 || index >= size) throw invalidInput('proof.index', 'must be below proof.size')
  if (!Array.isArray(p.path) || p.path.length > MAX_PROOF_PATH)
    throw invalidInput('proof.path', `must be a list of at most ${MAX_PROOF_PATH} hashes`)
  const path = p.path.map((h, i) => toHash(String(h), `proof.path[${i}]`))
  return { event, proof: { index, size, path }, root: toHash(String(input.root ?? ''), 'root') }
}

export interface CheckAnchorOptions {
  /** The point the caller supervises: an event of another point is refused (reason `point`). */
  readonly point?: string
}

/**
 * The checks after the anchor record's proof has verified (`record`, from `verifyRecord` of
 * `proofRef.anchor(event.point, root)`), in the order of this file's header. Returns what anchored
 * the event; throws CLIENT_ANCHOR_REJECTED with the reason.
 */
export function checkAnchoredEvent(
  input: TrafficProofFile | TrafficProof,
  record: VerifiedRecord,
  options: CheckAnchorOptions = {},
): AnchoredEvent {
  const { event, proof, root } = trafficProofFrom(input)
  const rootHex = toHex(root)
  if (options.point !== undefined && toPointId(options.point) !== event.point)
    reject(AnchorRejection.point, `the event is of point ${event.point}, not ${options.point}`)
  if (!bytesEqual(record.key, anchorRecordKey(event.point, root)))
    reject(AnchorRejection.record, 'the node proved another record than the anchor of this root')
  if (record.value === null)
    reject(AnchorRejection.notAnchored, `no batch of ${event.point} is anchored under root ${rootHex}`, {
      provenAtHeight: record.height,
    })
  const anchor = anchorRecordOf(record.decoded)
  if (anchor === null) return reject(AnchorRejection.record, 'the proven record is not an anchor')
  if (!bytesEqual(anchor.merchant, event.merchant))
    reject(AnchorRejection.merchant, `the batch was anchored by ${addressOf(anchor.merchant)}`, {
      anchoredBy: addressOf(anchor.merchant),
    })
  if (event.timeMs < anchor.periodStartMs || event.timeMs > anchor.periodEndMs)
    reject(
      AnchorRejection.period,
      `the event's time ${event.timeMs} is outside the anchored period ${anchor.periodStartMs} to ${anchor.periodEndMs}`,
    )
  if (proof.size !== anchor.count)
    reject(AnchorRejection.count, `the proof is for ${proof.size} events, the batch has ${anchor.count}`)
  if (!verifyMerkleProof(root, trafficLeaf(event), proof))
    reject(AnchorRejection.merkleProof, "the event's leaf does not lead to the anchored root")
  return {
    event: trafficEventToJson(event),
    index: proof.index,
    point: event.point,
    root: rootHex,
    merchant: addressOf(anchor.merchant),
    count: anchor.count,
    periodStartMs: anchor.periodStartMs,
    periodEndMs: anchor.periodEndMs,
    height: anchor.height,
    txHash: toHex(anchor.txHash),
    provenAtHeight: record.height,
    provenBlockHash: toHex(record.blockHash),
  }
}

export interface VerifyAnchorOptions extends CheckAnchorOptions {
  /** As `ArcadeClient.verifyRecord`: the root of trust (the genesis document, a checkpoint, a cache). */
  readonly trust?: LightClient | TrustRoot
  readonly validators?: ValidatorSet | ValidatorsJson
  readonly timeoutMs?: number
}

/** What `verifyAnchoredEvent` needs of a client (an ArcadeClient is one). */
export interface AnchorSource {
  verifyRecord(
    ref: string,
    opts: Pick<VerifyAnchorOptions, 'trust' | 'validators' | 'timeoutMs'>,
  ): Promise<VerifiedRecord>
}

/**
 * The regulator's check of a proof file against an (untrusted) node: the anchor record's certified
 * proof, then `checkAnchoredEvent`. A failed certified proof is reason `certified-proof`
 * (`details.proofFailure` says which link); a missing trust root, an unsigned head or an unreachable
 * node keep their own codes.
 */
export async function verifyAnchoredEvent(
  source: AnchorSource,
  input: TrafficProofFile | TrafficProof,
  options: VerifyAnchorOptions = {},
): Promise<AnchoredEvent> {
  const parsed = trafficProofFrom(input)
  const { point } = parsed.event
  if (options.point !== undefined && toPointId(options.point) !== point)
    reject(AnchorRejection.point, `the event is of point ${point}, not ${options.point}`)
  let record: VerifiedRecord
  try {
    record = await source.verifyRecord(proofRef.anchor(point, parsed.root), {
      ...(options.trust === undefined ? {} : { trust: options.trust }),
      ...(options.validators === undefined ? {} : { validators: options.validators }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    })
  } catch (err) {
    if (err instanceof ArcadeClientError && err.code === ClientErrorCode.proofInvalid)
      reject(AnchorRejection.certifiedProof, `the anchor record's proof does not verify: ${err.message}`, {
        proofFailure: err.details.reason,
      })
    throw err
  }
  return checkAnchoredEvent(parsed, record, options)
}
