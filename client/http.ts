/**
 * The SDK's HTTP layer over `fetch` (browser and Node alike): JSON in and out, msgpack bodies for txs,
 * a timeout per request, and every failure turned into an ArcadeClientError carrying the RPC's code
 * and HTTP status (or a CLIENT_* code when the RPC was not reached or answered nonsense).
 */
import type { Bytes } from '../protocol/bytes.ts'
import { ArcadeClientError, ClientErrorCode } from './errors.ts'

export type FetchFn = typeof globalThis.fetch

export interface HttpOptions {
  /** Base URL of a node's RPC, e.g. `http://127.0.0.1:26601`. */
  readonly url: string
  readonly timeoutMs: number
  readonly headers?: Readonly<Record<string, string>>
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>
  readonly json?: unknown
  readonly msgpack?: Bytes
  readonly signal?: AbortSignal
  readonly timeoutMs?: number
}

export function buildUrl(base: string, path: string, query: RequestOptions['query'] = {}): URL {
  const url = new URL(`/v1${path}`, base)
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v))
  return url
}

function combine(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined)
  return present.length === 1 ? (present[0] as AbortSignal) : AbortSignal.any(present)
}

export class Http {
  readonly options: HttpOptions
  readonly fetch: FetchFn

  constructor(options: HttpOptions, fetchFn: FetchFn) {
    this.options = options
    this.fetch = fetchFn
  }

  /** Sends a request and returns the parsed JSON of a 2xx answer; throws a coded error otherwise. */
  async request<T>(method: 'GET' | 'POST', path: string, opts: RequestOptions = {}): Promise<T> {
    const { status, body } = await this.requestRaw(method, path, opts)
    if (status >= 200 && status < 300) return body as T
    throw errorFromBody(status, body)
  }

  /** Like `request` but hands back the status and body of any answer. */
  async requestRaw(
    method: 'GET' | 'POST',
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ status: number; body: unknown }> {
    const url = buildUrl(this.options.url, path, opts.query)
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers }
    let body: RequestInit['body']
    if (opts.msgpack !== undefined) {
      headers['content-type'] = 'application/msgpack'
      body = opts.msgpack as Uint8Array<ArrayBuffer>
    } else if (opts.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(opts.json)
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.options.timeoutMs)
    let res: Response
    let text: string
    try {
      res = await this.fetch(url, { method, headers, body, signal: combine([timeout, opts.signal]) })
      text = await res.text()
    } catch (err) {
      if (timeout.aborted) {
        throw new ArcadeClientError(ClientErrorCode.timeout, `${method} ${url.pathname} timed out`, null, {
          url: url.href,
        })
      }
      if (opts.signal?.aborted) throw opts.signal.reason
      throw new ArcadeClientError(
        ClientErrorCode.network,
        `cannot reach ${url.origin}: ${(err as Error).message}`,
        null,
        {
          url: url.href,
        },
      )
    }
    let parsed: unknown
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      throw new ArcadeClientError(
        ClientErrorCode.badResponse,
        `${method} ${url.pathname}: answer is not JSON`,
        res.status,
      )
    }
    return { status: res.status, body: parsed }
  }
}

/** The RPC's `{code, message}` error body as an ArcadeClientError. */
export function errorFromBody(status: number, body: unknown): ArcadeClientError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const code = typeof b.code === 'string' ? b.code : ClientErrorCode.badResponse
  const message = typeof b.message === 'string' ? b.message : `HTTP ${status}`
  return new ArcadeClientError(code, message, status, typeof b.hash === 'string' ? { hash: b.hash } : {})
}
