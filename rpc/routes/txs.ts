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
import { codeAndMessage, RpcError, RpcErrorCode, statusOfCode } from '../errors.ts'
import { hex, parseHash, parseTxText, renderReceipt } from '../json.ts'
import type { RouteContext } from '../options.ts'
import type { AdmissionResult, DecodedTx, NodeStatus } from '../ports.ts'
import * as S from '../schemas.ts'
import { createCommitWaiters } from '../wait.ts'

/** A JSON body carries the tx as hex (twice its size), plus a little framing. */
export const TX_ROUTE_BODY_LIMIT = 2 * Limits.maxTxBytes + 1024

const MSGPACK_TYPES = ['application/msgpack', 'application/x-msgpack', 'application/octet-stream']
const bodyOf = (json: Record<string, unknown>) => ({
  content: {
    'application/json': { schema: json },
    ...Object.fromEntries(MSGPACK_TYPES.map((t) => [t, { schema: S.msgpackBody }])),
  },
})

interface WaitQuery {
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
  const waitQuery = S.object(
    {
      wait: { type: 'boolean', default: false, description: 'wait until committed (or the timeout)' },
      timeoutMs: { type: 'integer', minimum: 1, maximum: options.maxWaitTimeoutMs },
    },
    ['wait', 'timeoutMs'],
  )

  /** The node's status when it takes writes; otherwise forwards (returns the reply) or refuses. */
  async function admitWrites(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<NodeStatus | FastifyReply> {
    const status = await deps.chain.status()
    if (status.role === 'observer') {
      if (options.forwardTxsTo !== null) return forward(request, reply, options.forwardTxsTo)
      throw new RpcError(RpcErrorCode.readOnly, 'this node is an observer: it serves reads and refuses txs')
    }
    if (status.syncing) throw new RpcError(RpcErrorCode.syncing, 'the node is syncing; retry later')
    return status
  }

  async function forward(request: FastifyRequest, reply: FastifyReply, base: string): Promise<FastifyReply> {
    const fetchFn = deps.fetch ?? globalThis.fetch
    const body = Buffer.isBuffer(request.body) ? request.body : JSON.stringify(request.body)
    let status: number
    let text: string
    const url = forwardUrl(base, request.routeOptions.url ?? '', request.query as WaitQuery)
    try {
      const res = await fetchFn(url, {
        method: 'POST',
        headers: {
          'content-type': request.headers['content-type'] ?? 'application/json',
          // The client's address, for a target that trusts this observer as a proxy (per-client bounds).
          'x-forwarded-for': request.ip,
        },
        body,
        signal: AbortSignal.timeout(options.forwardTimeoutMs),
      })
      status = res.status
      text = await res.text()
      JSON.parse(text)
    } catch {
      throw new RpcError(RpcErrorCode.forwardFailed, 'could not forward the tx to the configured node')
    }
    // Relayed as-is: a string body is not re-serialized.
    return reply.status(status).type('application/json').send(text)
  }

  function abortOnClose(reply: FastifyReply): AbortSignal {
    const controller = new AbortController()
    reply.raw.once('close', () => controller.abort())
    return controller.signal
  }

  const waitTimeout = (q: WaitQuery) => q.timeoutMs ?? options.waitTimeoutMs

  app.post<{ Body: TxBody | undefined; Querystring: WaitQuery }>(
    '/txs',
    {
      bodyLimit: TX_ROUTE_BODY_LIMIT,
      schema: {
        summary: 'Submit one signed tx (raw msgpack, or JSON {"tx": hex or base64})',
        description:
          '202 when admitted to the mempool; with ?wait=true, 200 with the receipt once committed, or ' +
          '202 with status "pending" when the timeout passes first. A refusal answers with its code.',
        tags: ['txs'],
        querystring: waitQuery,
        body: bodyOf(S.txBodyJson),
        response: { 200: S.admission, 202: S.admission, ...S.errorResponses },
      },
    },
    async (request, reply) => {
      const admitted = await admitWrites(request, reply)
      if (!('chainId' in admitted)) return admitted
      const bytes = txBytesOf(request.body)
      const tx = decodeTx(bytes, admitted.chainId)
      const watcher = request.query.wait ? commits.watch([tx.hash]) : null
      try {
        const [result] = await deps.submitter.submit([{ bytes, tx }])
        if (result === undefined) throw new Error('submitter returned no result')
        const hash = hex(tx.hash)
        if (!result.accepted) {
          const { code, message } = admissionFields(result) as { code: string; message: string }
          return reply.status(statusOfCode(code)).send({ code, message, hash })
        }
        if (watcher === null) return reply.status(202).send({ hash, accepted: true, status: 'pending' })
        const [committed] = await watcher.wait([tx.hash], waitTimeout(request.query), abortOnClose(reply))
        const done = waitedResult(hash, committed ?? null)
        return reply.status(done.status === 'committed' ? 200 : 202).send(done)
      } finally {
        watcher?.dispose()
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
        description: `At most ${options.maxBatchTxs} txs. Answers 200 with one result per tx, in order.`,
        tags: ['txs'],
        querystring: waitQuery,
        body: bodyOf(batchJson),
        response: { 200: S.object({ results: S.arrayOf(S.admission) }), ...S.errorResponses },
      },
    },
    async (request, reply) => {
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
        const admissions = valid.length === 0 ? [] : await deps.submitter.submit(valid)
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
          for (const [i, a] of accepted.entries())
            results[a.at] = waitedResult(a.hashHex, committed[i] ?? null)
        }
        return reply.status(200).type('application/json').send(batchResponseJson(results))
      } finally {
        watcher?.dispose()
      }
    },
  )

  app.get<{ Params: { hash: string } }>(
    '/txs/:hash',
    {
      schema: {
        summary: 'A tx by hash: pending, committed (height, index, receipt) or failed (its code)',
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
            },
            ['height', 'index', 'error', 'receipt'],
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
      }
    },
  )
}

/**
 * Where an observer forwards a submission: the configured base, the route's own path (never the
 * request target, whose absolute form `POST http://169.254.169.254/v1/txs` would name another host),
 * and only the known query parameters, re-encoded from their validated values.
 */
export function forwardUrl(base: string, routePath: string, query: WaitQuery): URL {
  const url = new URL(base)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${routePath}`
  url.search = ''
  if (query.wait) url.searchParams.set('wait', 'true')
  if (query.timeoutMs !== undefined) url.searchParams.set('timeoutMs', String(query.timeoutMs))
  url.hash = ''
  return url
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
