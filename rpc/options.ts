/**
 * The RPC's options (data with documented defaults, validated once at start-up) and the context every
 * route module receives.
 */
import type { RpcDeps } from './ports.ts'

export interface RpcOptions {
  /** Requests per client (by IP) per window; null turns rate limiting off. Default 1,200 per 60 s. */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number } | null
  /** Most txs in one POST /v1/txs/batch. Default 500. */
  readonly maxBatchTxs?: number
  /** Most encoded tx bytes in one batch. Default 4 MiB. */
  readonly maxBatchBytes?: number
  /** Default and ceiling of `?timeoutMs=` when `?wait=true`. Defaults 10 s and 60 s. */
  readonly waitTimeoutMs?: number
  readonly maxWaitTimeoutMs?: number
  /** On an observer, forward tx submissions to this base URL (e.g. `http://validator-1:8545`). */
  readonly forwardTxsTo?: string | null
  readonly forwardTimeoutMs?: number
  /** Comment line sent on idle streams so proxies keep them open. Default 15 s. */
  readonly streamHeartbeatMs?: number
  /** A stream whose client lags by more than this many buffered bytes is closed. Default 16 MiB. */
  readonly maxStreamBufferBytes?: number
  readonly maxStreamClients?: number
  /** Trust X-Forwarded-For (behind a reverse proxy) for the client IP. Default false. */
  readonly trustProxy?: boolean
  /** Serve the OpenAPI document and UI at /docs. Default true. */
  readonly docs?: boolean
  /** Version string shown in the OpenAPI document. */
  readonly version?: string
}

export type ResolvedRpcOptions = Required<Omit<RpcOptions, 'forwardTxsTo'>> & {
  readonly forwardTxsTo: string | null
}

export function resolveRpcOptions(options: RpcOptions): ResolvedRpcOptions {
  const resolved: ResolvedRpcOptions = {
    rateLimit: options.rateLimit === undefined ? { max: 1200, timeWindowMs: 60_000 } : options.rateLimit,
    maxBatchTxs: options.maxBatchTxs ?? 500,
    maxBatchBytes: options.maxBatchBytes ?? 4 * 1024 * 1024,
    waitTimeoutMs: options.waitTimeoutMs ?? 10_000,
    maxWaitTimeoutMs: options.maxWaitTimeoutMs ?? 60_000,
    forwardTxsTo: options.forwardTxsTo ?? null,
    forwardTimeoutMs: options.forwardTimeoutMs ?? 10_000,
    streamHeartbeatMs: options.streamHeartbeatMs ?? 15_000,
    // A 5,000-tx block writes a few MB of receipts at once: allow a few such blocks in flight.
    maxStreamBufferBytes: options.maxStreamBufferBytes ?? 16 * 1024 * 1024,
    maxStreamClients: options.maxStreamClients ?? 1000,
    trustProxy: options.trustProxy ?? false,
    docs: options.docs ?? true,
    version: options.version ?? '0.1.0',
  }
  const positive = ['maxBatchTxs', 'maxBatchBytes', 'waitTimeoutMs', 'maxWaitTimeoutMs'] as const
  for (const key of positive) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] <= 0) {
      throw new TypeError(`rpc option ${key} must be a positive integer`)
    }
  }
  if (resolved.forwardTxsTo !== null) new URL(resolved.forwardTxsTo) // throws on a bad URL at start-up
  return resolved
}

/** Open event streams, each with the function that ends it (called on close). */
export interface StreamHub {
  readonly open: Set<() => void>
}

/** What route modules receive: the resolved options and the ports. */
export interface RouteContext {
  readonly options: ResolvedRpcOptions
  readonly deps: RpcDeps
  readonly streams: StreamHub
}
