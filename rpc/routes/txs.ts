/**
 * Tx submission and lookup. A tx is decoded and statelessly validated here (shape, canonical form,
 * chain id: protocol/tx.ts) so the mempool only ever sees well-formed txs; the mempool then checks the
 * signature, expiry, duplicates and quota and decides. Observers refuse writes, or forward them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Bytes } from '../../protocol/bytes.ts'
import { decodeRaw } from '../../protocol/codec.ts'
import { invalidField } from '../../protocol/errors.ts'
import { Limits } from '../../protocol/limits.ts'
import { decodeTx, txHashOfEncoded } from '../../protocol/tx.ts'
import type { Receipt } from '../../state/receipt.ts'
import { createClientSlots } from '../client-slots.ts'
import { codeAndMessage, RpcError, RpcErrorCode, retryLater, statusOfCode } from '../errors.ts'
import { forwardTx } from '../forward.ts'
import { address, hex, parseHash, parseTxText, renderReceipt } from '../json.ts'
import type { RouteContext } from '../options.ts'
import type { AdmissionResult, DecodedTx, NodeStatus } from '../ports.ts'
import * as S from '../schemas.ts'
import { createSubmitGuard } from '../submit-guard.ts'
import { createCommitWaiters, type PendingWait } from '../wait.ts'

/** What the tx routes answer with 400 and 429 (the OpenAPI document lists them). */
const TX_BAD_REQUEST_CODES = [
  RpcErrorCode.badRequest,
  RpcErrorCode.badEncoding,
  RpcErrorCode.jsonTooComplex,
  'PROTOCOL_MALFORMED',
  'PROTOCOL_INVALID_FIELD',
  'PROTOCOL_NON_CANONICAL',
  'PROTOCOL_WRONG_CHAIN',
]
const TX_RATE_CODES = [
  RpcErrorCode.rateLimited,
  RpcErrorCode.tooManyWaits,
  RpcErrorCode.signatureCreditExhausted,
]
const WAIT_AND_CREDIT_HELP =
  '?wait=true is refused with 429 RPC_TOO_MANY_WAITS, before anything is submitted, when too many ' +
  'requests wait already (node-wide or from this client): retry, or submit without ?wait and poll ' +
  'GET /v1/txs/{hash}. A client whose txs fail signature checks faster than its credit refills is ' +
  'refused with 429 RPC_SIGNATURE_CREDIT_EXHAUSTED before any signature is checked.'

/** A JSON body carries the tx as hex (twice its size), plus a little framing. */
export const TX_ROUTE_BODY_LIMIT = 2 * Limits.maxTxBytes + 1024

const MSGPACK_TYPES = ['application/msgpack', 'application/x-msgpack', 'application/octet-stream']
const bodyOf = (json: Record<string, unknown>) => ({
  content: {
    'application/json': { schema: json },
    ...Object.fromEntries(MSGPACK_TYPES.map((t) => [t, { schema: S.msgpackBody }])),
  },
})

export interface WaitQuery {
  wait: boolean
  timeoutMs?: number
}
type TxBody = Buffer | { tx: string }
type BatchBody = Buffer | { txs: string[] }

/** One tx's outcome, as the JSON the routes return (keys in the order of `S.admission`). */
export interface TxResult {
  hash: string | null
  accepted: boolean
  code?: string
  message?: string
  status?: 'pending' | 'committed'
  height?: number
  index?: number
  receipt?: unknown
}

const asBytes = (b: Buffer): Bytes => new Uint8Array(b.buffer, b.byteOffset, b.length)

function tryHash(bytes: Bytes): string | null {
  try {
    return hex(txHashOfEncoded(bytes))
  } catch {
    return null
  }
}

/** An accepted tx's result after waiting: pending, or committed with its receipt. */
function waitedResult(hash: string, r: Receipt | null): TxResult {
  return r === null
    ? { hash, accepted: true, status: 'pending' }
    : {
        hash,
        accepted: true,
        status: 'committed',
        height: r.height,
        index: r.index,
        receipt: renderReceipt(r, hash),
      }
}

/**
 * The batch response, written by `JSON.stringify` (about twice as fast as the schema serializer on
 * large batches). Same bytes: every result and receipt is built in its schema's key order with no
 * other keys (rpc/txs.test.ts compares the two).
 */
export function batchResponseJson(results: readonly TxResult[]): string {
  return JSON.stringify({ results })
}

function admissionFields(r: AdmissionResult): Pick<TxResult, 'accepted' | 'code' | 'message'> {
  if (r.accepted) return { accepted: true }
  return {
    accepted: false,
    code: r.code ?? 'MEMPOOL_REJECTED',
    message: r.message ?? 'rejected by the mempool',
  }
}

export function registerTxRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { options, deps } = ctx
  const commits = createCommitWaiters(deps.events)
  app.addHook('onClose', async () => commits.close())
  const waits = createClientSlots({ max: options.maxWaits, maxPerClient: options.maxWaitsPerClient })
  const guard = createSubmitGuard(options, { submitter: deps.submitter, nowMs: ctx.nowMs })

  /** A slot for a `?wait=true` request (released in `finally`), or a 429 before anything is done. */
  function waitSlot(request: FastifyRequest<{ Querystring: WaitQuery }>): (() => void) | null {
    if (!request.query.wait) return null
    const grant = waits.acquire(ctx.clientOf(request))
    if ('release' in grant) return grant.release
    const who = grant.refused === 'node' ? 'this node' : 'this client'
    throw retryLater(
      RpcErrorCode.tooManyWaits,
      `${who} has too many requests waiting for commits: retry later, or without ?wait and poll`,
      1,
    )
  }
  const waitQuery = S.object(
    {
      wait: { type: 'boolean', default: false, description: 'wait until committed (or the timeout)' },
      timeoutMs: { type: 'integer', minimum: 1, maximum: options.maxWaitTimeoutMs },
    },
    ['wait', 'timeoutMs'],
  )

  const waitTimeout = (q: WaitQuery) => q.timeoutMs ?? options.waitTimeoutMs

  /** The node's status when it takes writes; otherwise forwards (returns the reply) or refuses. */
  async function admitWrites(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<NodeStatus | FastifyReply> {
    const status = await deps.chain.status()
    if (status.role === 'observer') {
      if (options.forwardTxsTo !== null) {
        const query = request.query as WaitQuery
        const waitMs = query.wait ? waitTimeout(query) : 0
        return forwardTx(request, reply, {
          base: options.forwardTxsTo,
          query,
          // A forwarded wait lasts as long as the target waits, plus the usual time to answer.
          timeoutMs: options.forwardTimeoutMs + waitMs,
          fetch: deps.fetch ?? globalThis.fetch,
        })
      }
      throw new RpcError(RpcErrorCode.readOnly, 'this node is an observer: it serves reads and refuses txs')
    }
    if (status.syncing) throw new RpcError(RpcErrorCode.syncing, 'the node is syncing; retry later')
    return status
  }

  function abortOnClose(reply: FastifyReply): AbortSignal {
    const controller = new AbortController()
    reply.raw.once('close', () => controller.abort())
    return controller.signal
  }

  app.post<{ Body: TxBody | undefined; Querystring: WaitQuery }>(
    '/txs',
    {
      bodyLimit: TX_ROUTE_BODY_LIMIT,
      schema: {
        summary: 'Submit one signed tx (raw msgpack, or JSON {"tx": hex or base64})',
        description:
          '202 when admitted to the mempool; with ?wait=true, 200 with the receipt once committed, or ' +
          '202 with status "pending" when the timeout passes first. A refusal answers with its code. ' +
          WAIT_AND_CREDIT_HELP,
        tags: ['txs'],
        querystring: waitQuery,
        body: bodyOf(S.txBodyJson),
        response: {
          200: S.admission,
          202: S.admission,
          ...S.refusals({
            400: TX_BAD_REQUEST_CODES,
            429: [...TX_RATE_CODES, RpcErrorCode.signerRateLimited],
          }),
          ...S.errorResponses,
        },
      },
    },
    async (request, reply) => {
      const releaseWait = waitSlot(request)
      let watcher: PendingWait | null = null
      try {
        const admitted = await admitWrites(request, reply)
        if (!('chainId' in admitted)) return admitted
        const bytes = txBytesOf(request.body)
        const tx = decodeTx(bytes, admitted.chainId)
        watcher = request.query.wait ? commits.watch([tx.hash]) : null
        const [result] = await guard.submit(ctx.clientOf(request), [{ bytes, tx }])
        if (result === undefined) throw new Error('submitter returned no result')
        const hash = hex(tx.hash)
        if (!result.accepted) {
          const { code, message } = admissionFields(result) as { code: string; message: string }
          const status = statusOfCode(code)
          if (status === 429) void reply.header('retry-after', '1')
          return reply.status(status).send({ code, message, hash })
        }
        if (watcher === null) return reply.status(202).send({ hash, accepted: true, status: 'pending' })
        const [committed] = await watcher.wait([tx.hash], waitTimeout(request.query), abortOnClose(reply))
        const done = waitedResult(hash, committed ?? null)
        return reply.status(done.status === 'committed' ? 200 : 202).send(done)
      } finally {
        watcher?.dispose()
        releaseWait?.()
      }
    },
  )

  const batchJson = S.object({
    txs: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description: `hex or base64 encoded txs, at most ${options.maxBatchTxs}`,
    },
  })

  app.post<{ Body: BatchBody | undefined; Querystring: WaitQuery }>(
    '/txs/batch',
    {
      bodyLimit: 2 * options.maxBatchBytes + 4 * options.maxBatchTxs + 1024,
      schema: {
        summary: 'Submit many signed txs (a msgpack array of encoded txs, or JSON {"txs": [...]})',
        description:
          `At most ${options.maxBatchTxs} txs. Answers 200 with one result per tx, in order; a tx over its ` +
          "signer's limit (RPC_SIGNER_RATE_LIMITED) or past the client's signature credit " +
          `(RPC_SIGNATURE_CREDIT_EXHAUSTED) is refused in its result. ${WAIT_AND_CREDIT_HELP}`,
        tags: ['txs'],
        querystring: waitQuery,
        body: bodyOf(batchJson),
        response: {
          200: S.object({ results: S.arrayOf(S.admission) }),
          ...S.refusals({ 400: TX_BAD_REQUEST_CODES, 413: [RpcErrorCode.batchTooLarge], 429: TX_RATE_CODES }),
          ...S.errorResponses,
        },
      },
    },
    async (request, reply) => {
      const releaseWait = waitSlot(request)
      try {
        return await submitBatch(request, reply)
      } finally {
        releaseWait?.()
      }
    },
  )

  async function submitBatch(
    request: FastifyRequest<{ Body: BatchBody | undefined; Querystring: WaitQuery }>,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const admitted = await admitWrites(request, reply)
    if (!('chainId' in admitted)) return admitted
    if (request.body === undefined || request.body === null) throw missingBody()
    const items = batchItems(request.body, options.maxBatchTxs, options.maxBatchBytes)
    const results: TxResult[] = new Array(items.length)
    const valid: (DecodedTx & { at: number })[] = []
    for (const [at, item] of items.entries()) {
      let bytes: Bytes | null = null
      try {
        bytes = typeof item === 'string' ? parseTxText(item, `txs[${at}]`) : item
        valid.push({ at, bytes, tx: decodeTx(bytes, admitted.chainId) })
      } catch (err) {
        const { code, message } = codeAndMessage(err)
        results[at] = { hash: bytes === null ? null : tryHash(bytes), accepted: false, code, message }
      }
    }
    const watcher = request.query.wait ? commits.watch(valid.map((v) => v.tx.hash)) : null
    try {
      const admissions = valid.length === 0 ? [] : await guard.submit(ctx.clientOf(request), valid)
      if (admissions.length !== valid.length)
        throw new Error('submitter returned the wrong number of results')
      const accepted: { at: number; hash: Bytes; hashHex: string }[] = []
      for (const [i, v] of valid.entries()) {
        const fields = admissionFields(admissions[i] as AdmissionResult)
        const hashHex = hex(v.tx.hash)
        results[v.at] = { hash: hashHex, ...fields, ...(fields.accepted ? { status: 'pending' } : {}) }
        if (fields.accepted) accepted.push({ at: v.at, hash: v.tx.hash, hashHex })
      }
      if (watcher !== null && accepted.length > 0) {
        const signal = abortOnClose(reply)
        const committed = await watcher.wait(
          accepted.map((a) => a.hash),
          waitTimeout(request.query),
          signal,
        )
        for (const [i, a] of accepted.entries()) results[a.at] = waitedResult(a.hashHex, committed[i] ?? null)
      }
      return reply.status(200).type('application/json').send(batchResponseJson(results))
    } finally {
      watcher?.dispose()
    }
  }

  app.get<{ Params: { hash: string } }>(
    '/txs/:hash',
    {
      schema: {
        summary:
          'A tx by hash: pending, committed (height, index, receipt; kind, signer, sponsor) or failed (its code)',
        tags: ['txs'],
        params: S.hashParams,
        response: {
          200: S.object(
            {
              hash: S.hexBytes,
              status: { type: 'string', enum: ['pending', 'committed', 'failed'] },
              height: S.uint,
              index: S.uint,
              error: S.nullable(S.text),
              receipt: S.receipt,
              tx: S.object({
                kind: S.text,
                signer: S.account,
                sponsor: S.account,
                nonce: S.uint,
                validUntil: S.uint,
              }),
            },
            ['height', 'index', 'error', 'receipt', 'tx'],
          ),
          ...S.errorResponses,
        },
      },
    },
    async (request) => {
      const hash = parseHash(request.params.hash, 'hash')
      const found = await deps.chain.txByHash(hash)
      if (found === null) throw new RpcError(RpcErrorCode.txNotFound, 'no tx with this hash')
      if (found.status === 'pending') return { hash: hex(hash), status: 'pending' }
      const { receipt } = found
      return {
        hash: hex(hash),
        status: receipt.status === 'ok' ? 'committed' : 'failed',
        height: receipt.height,
        index: receipt.index,
        error: receipt.error,
        receipt: renderReceipt(receipt),
        ...(found.tx === undefined ? {} : { tx: renderTxFields(found.tx) }),
      }
    },
  )
}

/** Who signed a committed tx, who sponsored it, and its kind (our own block's bytes: decoded, not re-checked). */
function renderTxFields(bytes: Bytes) {
  const tx = decodeTx(bytes)
  return {
    kind: tx.body.kind,
    signer: address(tx.signer),
    sponsor: address(tx.sponsor),
    nonce: tx.nonce,
    validUntil: tx.validUntil,
  }
}

const missingBody = () =>
  new RpcError(RpcErrorCode.badRequest, 'a body is required: application/msgpack bytes or application/json')

/** The bytes of a single-tx body, whichever way it came (the JSON shape is checked by the schema). */
function txBytesOf(body: TxBody | undefined): Bytes {
  if (Buffer.isBuffer(body)) return asBytes(body)
  if (typeof body?.tx !== 'string') throw missingBody()
  return parseTxText(body.tx, 'tx')
}

/** The batch's items: raw tx bytes (msgpack body) or tx texts (JSON body), within the limits. */
function batchItems(body: BatchBody, maxTxs: number, maxBytes: number): (Bytes | string)[] {
  if (!Buffer.isBuffer(body)) {
    if (body.txs.length > maxTxs)
      throw new RpcError(RpcErrorCode.batchTooLarge, `a batch holds at most ${maxTxs} txs`)
    return body.txs
  }
  // msgpack framing adds at most 5 bytes per item and 5 for the array header.
  const raw = decodeRaw(asBytes(body), maxBytes + 5 * maxTxs + 5, 'batch')
  if (!Array.isArray(raw) || raw.length === 0) throw invalidField('batch', 'must be a non-empty list of txs')
  if (raw.length > maxTxs) {
    throw new RpcError(RpcErrorCode.batchTooLarge, `a batch holds at most ${maxTxs} txs`)
  }
  let total = 0
  for (const [i, item] of raw.entries()) {
    if (!(item instanceof Uint8Array)) throw invalidField(`batch[${i}]`, 'must be the bytes of an encoded tx')
    total += item.length
  }
  if (total > maxBytes)
    throw new RpcError(RpcErrorCode.batchTooLarge, `a batch holds at most ${maxBytes} bytes`)
  return raw as Bytes[]
}
