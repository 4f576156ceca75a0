/**
 * The error catalogue of the RPC: every error response is `{ code, message }` with a stable code, and
 * this file is the single map from a code (ours, or an ArcadeError code raised by protocol/, state/ or
 * the mempool) to an HTTP status. Unknown codes map by prefix, then by a few suffix conventions, with a
 * safe 4xx default: an error that carries a code is a refusal of the input, never a 500. Only a thrown
 * value with no code (a bug) becomes RPC_INTERNAL. A code is never reused for another meaning.
 */
import { ArcadeError, isArcadeError } from '../protocol/errors.ts'

/** Codes the RPC itself raises. */
export const RpcErrorCode = {
  /** No route for this method and path. */
  notFound: 'RPC_NOT_FOUND',
  /** Params, query or body fail the route's JSON Schema, or the body is not valid JSON. */
  badRequest: 'RPC_BAD_REQUEST',
  /** A hex or base64 field (tx bytes, a hash, a key) cannot be decoded. */
  badEncoding: 'RPC_BAD_ENCODING',
  /** The body is larger than this route accepts. */
  bodyTooLarge: 'RPC_BODY_TOO_LARGE',
  /** A path parameter longer than any valid one. */
  uriTooLong: 'RPC_URI_TOO_LONG',
  /** The content type is not one this route accepts. */
  unsupportedMediaType: 'RPC_UNSUPPORTED_MEDIA_TYPE',
  /** Too many requests from this client; see the Retry-After header. */
  rateLimited: 'RPC_RATE_LIMITED',
  /**
   * `?wait=true` refused: too many requests wait already, node-wide or from this client. Nothing was
   * submitted: retry later, or without `?wait` and poll `GET /v1/txs/:hash`.
   */
  tooManyWaits: 'RPC_TOO_MANY_WAITS',
  /** An event stream refused: too many are open, node-wide or from this client. */
  tooManyStreams: 'RPC_TOO_MANY_STREAMS',
  /**
   * Sent in the final `dropped` event of a stream, never as a status: the client read too slowly and
   * its unsent backlog passed the stream buffer. Reconnect (with `?account=` to get less).
   */
  streamLagging: 'RPC_STREAM_LAGGING',
  /** This signer key had more txs admitted than its limit allows; retry after Retry-After. */
  signerRateLimited: 'RPC_SIGNER_RATE_LIMITED',
  /**
   * This client's submissions failed signature checks faster than its credit refills: its txs are
   * refused before any signature is checked, until the credit comes back (Retry-After).
   */
  signatureCreditExhausted: 'RPC_SIGNATURE_CREDIT_EXHAUSTED',
  /** A JSON body nested deeper, or with more values, than any route accepts. */
  jsonTooComplex: 'RPC_JSON_TOO_COMPLEX',
  /** This node is an observer: it serves reads and refuses writes. */
  readOnly: 'RPC_READ_ONLY',
  /** The node is catching up with the chain and does not admit txs yet. */
  syncing: 'RPC_SYNCING',
  /** The observer could not reach the node it forwards txs to. */
  forwardFailed: 'RPC_FORWARD_FAILED',
  /** A batch holds more txs than allowed. */
  batchTooLarge: 'RPC_BATCH_TOO_LARGE',
  /** A journal `cursor` that is not `<height>.<txIndex>.<row>` as a page's `next` gives it. */
  badCursor: 'RPC_BAD_CURSOR',
  /** A range whose start is after its end, or a time that is not a date or a count of ms. */
  badRange: 'RPC_BAD_RANGE',
  /** A journal CSV export refused: too many run already, node-wide or from this client. */
  tooManyExports: 'RPC_TOO_MANY_EXPORTS',
  /** A statement period that is not YYYY-MM or YYYY-MM-DD, an unknown time zone, or a period not begun. */
  badPeriod: 'RPC_BAD_PERIOD',
  /** A statement with more lines than one answer may hold (e.g. over 100,000 grantees). */
  statementTooLarge: 'RPC_STATEMENT_TOO_LARGE',
  blockNotFound: 'RPC_BLOCK_NOT_FOUND',
  txNotFound: 'RPC_TX_NOT_FOUND',
  pointNotFound: 'RPC_POINT_NOT_FOUND',
  merchantNotFound: 'RPC_MERCHANT_NOT_FOUND',
  deviceNotFound: 'RPC_DEVICE_NOT_FOUND',
  /** No offline purse under this key. */
  purseNotFound: 'RPC_PURSE_NOT_FOUND',
  /** No refundable payment or cancellable award of this point under this tx hash (or it was pruned). */
  refundRecordNotFound: 'RPC_REFUND_RECORD_NOT_FOUND',
  /** No campaign with this id in the point. */
  campaignNotFound: 'RPC_CAMPAIGN_NOT_FOUND',
  /** No traffic batch anchored under this root in the point. */
  anchorNotFound: 'RPC_ANCHOR_NOT_FOUND',
  /** No governance proposal with this id (ids count up from 0). */
  proposalNotFound: 'RPC_PROPOSAL_NOT_FOUND',
  /** No state record under this key (an absence proof is still served by /proofs). */
  recordNotFound: 'RPC_RECORD_NOT_FOUND',
  /** This node does not offer this read (e.g. it keeps no point index). */
  notSupported: 'RPC_NOT_SUPPORTED',
  /** The explorer's files could not be built on this node (the node's log says why); retry later. */
  explorerUnavailable: 'RPC_EXPLORER_UNAVAILABLE',
  /** A bug: something threw without a code. The message never leaks internals. */
  internal: 'RPC_INTERNAL',
} as const
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode]

export class RpcError extends ArcadeError<RpcErrorCode> {
  constructor(code: RpcErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'RpcError'
  }
}

/** Exact codes first: ours, and the ones from other folders whose status is not their prefix's. */
const EXACT: Readonly<Record<string, number>> = {
  [RpcErrorCode.notFound]: 404,
  [RpcErrorCode.badRequest]: 400,
  [RpcErrorCode.badEncoding]: 400,
  [RpcErrorCode.bodyTooLarge]: 413,
  [RpcErrorCode.unsupportedMediaType]: 415,
  [RpcErrorCode.uriTooLong]: 414,
  [RpcErrorCode.rateLimited]: 429,
  [RpcErrorCode.tooManyWaits]: 429,
  [RpcErrorCode.tooManyStreams]: 429,
  [RpcErrorCode.streamLagging]: 429,
  [RpcErrorCode.signerRateLimited]: 429,
  [RpcErrorCode.signatureCreditExhausted]: 429,
  [RpcErrorCode.jsonTooComplex]: 400,
  [RpcErrorCode.readOnly]: 403,
  [RpcErrorCode.syncing]: 503,
  [RpcErrorCode.forwardFailed]: 502,
  [RpcErrorCode.batchTooLarge]: 413,
  [RpcErrorCode.badCursor]: 400,
  [RpcErrorCode.badRange]: 400,
  [RpcErrorCode.tooManyExports]: 429,
  [RpcErrorCode.badPeriod]: 400,
  [RpcErrorCode.statementTooLarge]: 413,
  [RpcErrorCode.blockNotFound]: 404,
  [RpcErrorCode.txNotFound]: 404,
  [RpcErrorCode.pointNotFound]: 404,
  [RpcErrorCode.merchantNotFound]: 404,
  [RpcErrorCode.deviceNotFound]: 404,
  [RpcErrorCode.purseNotFound]: 404,
  [RpcErrorCode.refundRecordNotFound]: 404,
  [RpcErrorCode.campaignNotFound]: 404,
  [RpcErrorCode.anchorNotFound]: 404,
  [RpcErrorCode.proposalNotFound]: 404,
  [RpcErrorCode.recordNotFound]: 404,
  [RpcErrorCode.notSupported]: 501,
  [RpcErrorCode.explorerUnavailable]: 503,
  [RpcErrorCode.internal]: 500,
  // protocol/: a tx over the byte limit is a body too large, whatever route it came through.
  PROTOCOL_TOO_LARGE: 413,
  // state/: a tx for another chain is malformed for this node; a corrupt store is this node's fault.
  STATE_WRONG_CHAIN: 400,
  STATE_CORRUPT: 500,
  // mempool/: bounded, so full means "come back later", not "your tx is wrong".
  MEMPOOL_FULL: 503,
  MEMPOOL_CLOSED: 503,
  MEMPOOL_DUPLICATE: 409,
  MEMPOOL_ALREADY_INCLUDED: 409,
  MEMPOOL_RATE_LIMITED: 429,
  MEMPOOL_NOT_READY: 503,
  MEMPOOL_SYNCING: 503,
  // node/mempool: the signature workers are stopping with the node: nothing was judged, retry elsewhere.
  VERIFY_POOL_STOPPED: 503,
}

/** By folder prefix: protocol/ and certificates are malformed input, state/ and mempool/ are rule refusals. */
const PREFIXES: readonly (readonly [string, number])[] = [
  ['PROTOCOL_', 400],
  ['CERT_', 400],
  ['STATE_', 422],
  ['MEMPOOL_', 422],
  ['RPC_', 400],
]

/** Conventions for codes not in the table, checked before the prefix so a new MEMPOOL_X_FULL is a 503. */
const SUFFIXES: readonly (readonly [RegExp, number])[] = [
  [/_NOT_FOUND$/, 404],
  [/_(DUPLICATE|ALREADY_[A-Z_]+)$/, 409],
  [/_TOO_LARGE$/, 413],
  [/_RATE_LIMITED$/, 429],
  [/_(FULL|NOT_READY|SYNCING|UNAVAILABLE)$/, 503],
]

/** The HTTP status of a code; unknown codes get a 4xx, never a 5xx (a coded error is a refusal). */
export function statusOfCode(code: string): number {
  const exact = EXACT[code]
  if (exact !== undefined) return exact
  for (const [pattern, status] of SUFFIXES) if (pattern.test(code)) return status
  for (const [prefix, status] of PREFIXES) if (code.startsWith(prefix)) return status
  return 400
}

/** Fastify's own errors carry FST_* codes and a status; they are re-coded by their status. */
const BY_FRAMEWORK_STATUS: Readonly<Record<number, RpcErrorCode>> = {
  400: RpcErrorCode.badRequest,
  404: RpcErrorCode.notFound,
  413: RpcErrorCode.bodyTooLarge,
  414: RpcErrorCode.uriTooLong,
  415: RpcErrorCode.unsupportedMediaType,
  429: RpcErrorCode.rateLimited,
}

export interface ErrorResponse {
  readonly status: number
  readonly body: { readonly code: string; readonly message: string }
  /** Seconds for a Retry-After header (a refusal that passes with time). */
  readonly retryAfterSec?: number
}

/** An RpcError for a refusal that passes with time: the response carries Retry-After. */
export function retryLater(code: RpcErrorCode, message: string, retryAfterSec: number): RpcError {
  return new RpcError(code, message, { retryAfterSec: Math.max(1, Math.ceil(retryAfterSec)) })
}

const INTERNAL: ErrorResponse = {
  status: 500,
  body: { code: RpcErrorCode.internal, message: 'internal error' },
}

/** The values a schema's enum allows, named after a refused one (`status must be … (open, passed)`). */
function allowedValues(validation: unknown): string {
  const first = Array.isArray(validation) ? (validation[0] as { params?: { allowedValues?: unknown } }) : null
  const values = first?.params?.allowedValues
  return Array.isArray(values) && values.length <= 16 ? ` (${values.map(String).join(', ')})` : ''
}

/** Turns anything thrown in a handler, hook or parser into a catalogued response. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (isArcadeError(err)) {
    const { retryAfterSec } = err.details
    return {
      status: statusOfCode(err.code),
      body: { code: err.code, message: err.message },
      ...(typeof retryAfterSec === 'number' ? { retryAfterSec } : {}),
    }
  }
  if (typeof err !== 'object' || err === null) return INTERNAL
  const { statusCode, message, validation } = err as {
    statusCode?: unknown
    message?: unknown
    validation?: unknown
  }
  const text = typeof message === 'string' ? message : 'request refused'
  if (validation !== undefined) {
    return { status: 400, body: { code: RpcErrorCode.badRequest, message: text + allowedValues(validation) } }
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = BY_FRAMEWORK_STATUS[statusCode] ?? RpcErrorCode.badRequest
    return { status: statusOfCode(code), body: { code, message: text } }
  }
  return INTERNAL
}

/** The per-tx result form of an error, for batch responses. */
export function codeAndMessage(err: unknown): { code: string; message: string } {
  return toErrorResponse(err).body
}
