/**
 * An observer's forwarding of tx submissions to the validator named in `forwardTxsTo`. The target is
 * fixed: the configured base, the route's own path (never the request target, whose absolute form
 * `POST http://169.254.169.254/v1/txs` would name another host), and only the known query parameters,
 * re-encoded from their validated values. The answer is relayed as it came.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { RpcError, RpcErrorCode } from './errors.ts'

export interface ForwardQuery {
  readonly wait: boolean
  readonly timeoutMs?: number
}

export interface ForwardTarget {
  readonly base: string
  readonly query: ForwardQuery
  readonly timeoutMs: number
  readonly fetch: typeof globalThis.fetch
}

/** The URL a submission to `routePath` (e.g. `/v1/txs`) is forwarded to. */
export function forwardUrl(base: string, routePath: string, query: ForwardQuery): URL {
  const url = new URL(base)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${routePath}`
  url.search = ''
  url.hash = ''
  if (query.wait) url.searchParams.set('wait', 'true')
  if (query.timeoutMs !== undefined) url.searchParams.set('timeoutMs', String(query.timeoutMs))
  return url
}

export async function forwardTx(
  request: FastifyRequest,
  reply: FastifyReply,
  target: ForwardTarget,
): Promise<FastifyReply> {
  const body = Buffer.isBuffer(request.body) ? request.body : JSON.stringify(request.body)
  const url = forwardUrl(target.base, request.routeOptions.url ?? '', target.query)
  let status: number
  let text: string
  try {
    const res = await target.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': request.headers['content-type'] ?? 'application/json',
        // The client's address, for a target that trusts this observer as a proxy (per-client bounds).
        'x-forwarded-for': request.ip,
      },
      body,
      signal: AbortSignal.timeout(target.timeoutMs),
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
