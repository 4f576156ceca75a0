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
    const { res, url, bytes } = await this.exchange(method, path, opts, 'application/json')
    const text = new TextDecoder().decode(bytes)
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

  /**
   * A GET whose 2xx answer is kept as the exact bytes sent, with its headers (a statement, whose hash
   * is over those bytes); any other answer throws the coded error its JSON body names.
   */
  async requestBytes(
    path: string,
    opts: RequestOptions & { accept?: string } = {},
  ): Promise<{ bytes: Uint8Array; headers: Headers }> {
    const { res, bytes } = await this.exchange('GET', path, opts, opts.accept ?? '*/*')
    if (res.status >= 200 && res.status < 300) return { bytes, headers: res.headers }
    let body: unknown = null
    try {
      body = JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      // Not JSON: errorFromBody reports the bare status.
    }
    throw errorFromBody(res.status, body)
  }

  /** Sends one request and reads the whole answer, mapping timeouts and network failures to codes. */
  private async exchange(
    method: 'GET' | 'POST',
    path: string,
    opts: RequestOptions,
    accept: string,
  ): Promise<{ res: Response; url: URL; bytes: Uint8Array }> {
    const url = buildUrl(this.options.url, path, opts.query)
    const headers: Record<string, string> = { accept, ...this.options.headers }
    let body: RequestInit['body']
    if (opts.msgpack !== undefined) {
      headers['content-type'] = 'application/msgpack'
      body = opts.msgpack as Uint8Array<ArrayBuffer>
    } else if (opts.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(opts.json)
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.options.timeoutMs)
    try {
      const res = await this.fetch(url, { method, headers, body, signal: combine([timeout, opts.signal]) })
      return { res, url, bytes: new Uint8Array(await res.arrayBuffer()) }
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
        { url: url.href },
      )
    }
  }
}

/**
 * Streams a text answer (a CSV export) as decoded chunks, holding one chunk at a time. The timeout
 * covers the wait for the answer to start, not the whole download (an export may be long); abort
 * with `signal`. A non-2xx answer is read as the RPC's JSON error.
 */
export async function* streamText(
  http: Http,
  path: string,
  opts: RequestOptions & { readonly accept: string },
): AsyncGenerator<string> {
  const url = buildUrl(http.options.url, path, opts.query)
  const headers = { ...http.options.headers, accept: opts.accept }
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? http.options.timeoutMs)
  const signal = combine([controller.signal, opts.signal])
  let res: Response
  try {
    res = await http.fetch(url, { method: 'GET', headers, signal })
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason
    const code = controller.signal.aborted ? ClientErrorCode.timeout : ClientErrorCode.network
    throw new ArcadeClientError(code, `GET ${url.pathname}: ${(err as Error).message}`, null, {
      url: url.href,
    })
  } finally {
    clearTimeout(timer)
  }
  if (res.status < 200 || res.status >= 300) {
    const text = await res.text()
    let body: unknown = null
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: errorFromBody falls back to CLIENT_BAD_RESPONSE
    }
    throw errorFromBody(res.status, body)
  }
  if (res.body === null) return
  const decoder = new TextDecoder()
  const reader = res.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const text = decoder.decode(value, { stream: true })
      if (text !== '') yield text
    }
    const rest = decoder.decode()
    if (rest !== '') yield rest
  } finally {
    reader.releaseLock()
    await res.body.cancel().catch(() => {})
  }
}

/** The RPC's `{code, message}` error body as an ArcadeClientError. */
export function errorFromBody(status: number, body: unknown): ArcadeClientError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const code = typeof b.code === 'string' ? b.code : ClientErrorCode.badResponse
  const message = typeof b.message === 'string' ? b.message : `HTTP ${status}`
  return new ArcadeClientError(code, message, status, typeof b.hash === 'string' ? { hash: b.hash } : {})
}
