/**
 * The RPC's options (data with documented defaults, validated once at start-up) and the context every
 * route module receives.
 *
 * Per-client bounds apply per client IP (an IPv6 client per /64, the block one subscriber usually
 * holds: see rpc/clients.ts); behind a reverse proxy set `trustProxy` so the IP is the real client's.
 * Networks in `allowList` (e.g. a shop's back office, many people behind one address) skip every
 * per-client bound: request rate, waits and streams per client, signature credit. The node-wide
 * bounds (waits, streams) and the per-signer tx limit still apply to them.
 *
 * Worst-case memory of the event streams: `maxStreams × maxStreamBufferBytes` (256 MiB by default)
 * for their backlogs, plus the frames of the last blocks that unfiltered streams share (one copy for
 * all of them, a few MB for a full block).
 */
import { type Client, parseCidr } from './clients.ts'
import type { RpcDeps } from './ports.ts'

/** A token bucket: `max` at most in a burst, refilled at `max` per `timeWindowMs`. */
export interface RateLimit {
  readonly max: number
  readonly timeWindowMs: number
}

/** Signature checks a client may spend on txs whose signatures do not verify. */
export interface SignatureCredit {
  /** Credit of a client that has not failed lately; also the most in flight at once. */
  readonly max: number
  /** Credit regained per second. */
  readonly refillPerSecond: number
}

export interface RpcOptions {
  /** Requests per client (IP) per window; null turns the per-client rate limit off. Default 1,200 per 60 s. */
  readonly rateLimit?: RateLimit | null
  /**
   * Admitted txs per signer key (the decoded signer of each submitted tx; a batch counts each tx),
   * whatever the client. Only admitted txs count, so txs forged in someone's name cannot use up
   * their quota. Null turns it off. Default 600 per 60 s (bursts of 600, 10 per second sustained).
   */
  readonly signerRateLimit?: RateLimit | null
  /**
   * Per-client credit of signature checks: each tx handed to the mempool reserves one; it is given
   * back unless the signature fails, and an admitted tx earns one more (up to `max`). A client out of
   * credit is refused (RPC_SIGNATURE_CREDIT_EXHAUSTED) before any signature is checked. Null turns it
   * off. Default 2,000, refilled at 20 per second.
   */
  readonly signatureCredit?: SignatureCredit | null
  /** Networks (CIDR, or a single address) whose clients skip the per-client bounds. Default none. */
  readonly allowList?: readonly string[]
  /** Most txs in one POST /v1/txs/batch. Default 500. */
  readonly maxBatchTxs?: number
  /** Most encoded tx bytes in one batch. Default 4 MiB. */
  readonly maxBatchBytes?: number
  /** Default and ceiling of `?timeoutMs=` when `?wait=true`. Defaults 10 s and 60 s. */
  readonly waitTimeoutMs?: number
  readonly maxWaitTimeoutMs?: number
  /** Requests waiting with `?wait=true` at once: node-wide and per client. Defaults 1,024 and 16. */
  readonly maxWaits?: number
  readonly maxWaitsPerClient?: number
  /** On an observer, forward tx submissions to this base URL (e.g. `http://validator-1:8545`). */
  readonly forwardTxsTo?: string | null
  readonly forwardTimeoutMs?: number
  /** Comment line sent on idle streams so proxies keep them open. Default 15 s. */
  readonly streamHeartbeatMs?: number
  /** Open event streams: node-wide and per client. Defaults 256 and 4. */
  readonly maxStreams?: number
  readonly maxStreamsPerClient?: number
  /** Journal CSV exports running at once: node-wide and per client. Defaults 8 and 2. */
  readonly maxExports?: number
  readonly maxExportsPerClient?: number
  /**
   * A stream whose unsent backlog passes this many bytes is dropped with a final `dropped` event.
   * A block's frames are checked as a whole: a client that has drained what it was sent gets the
   * next block however large. Default 1 MiB.
   */
  readonly maxStreamBufferBytes?: number
  /**
   * Trust X-Forwarded-For for the client IP: true (any proxy), false, or the proxies' addresses and
   * CIDRs (a validator fronted by observers that forward txs lists the observers). Default false.
   */
  readonly trustProxy?: boolean | readonly string[]
  /** Serve the OpenAPI document and UI at /docs. Default true. */
  readonly docs?: boolean
  /** Version string shown in the OpenAPI document. */
  readonly version?: string
}

export type ResolvedRpcOptions = Required<Omit<RpcOptions, 'forwardTxsTo'>> & {
  readonly forwardTxsTo: string | null
}

export const RPC_DEFAULTS = {
  rateLimit: { max: 1200, timeWindowMs: 60_000 },
  signerRateLimit: { max: 600, timeWindowMs: 60_000 },
  signatureCredit: { max: 2000, refillPerSecond: 20 },
  allowList: [] as readonly string[],
  maxBatchTxs: 500,
  maxBatchBytes: 4 * 1024 * 1024,
  waitTimeoutMs: 10_000,
  maxWaitTimeoutMs: 60_000,
  maxWaits: 1024,
  maxWaitsPerClient: 16,
  forwardTimeoutMs: 10_000,
  streamHeartbeatMs: 15_000,
  maxStreams: 256,
  maxStreamsPerClient: 4,
  maxExports: 8,
  maxExportsPerClient: 2,
  maxStreamBufferBytes: 1024 * 1024,
  trustProxy: false,
} as const

export function resolveRpcOptions(options: RpcOptions): ResolvedRpcOptions {
  const pick = <K extends keyof typeof RPC_DEFAULTS>(key: K) => options[key] ?? RPC_DEFAULTS[key]
  const resolved: ResolvedRpcOptions = {
    rateLimit: options.rateLimit === undefined ? RPC_DEFAULTS.rateLimit : options.rateLimit,
    signerRateLimit:
      options.signerRateLimit === undefined ? RPC_DEFAULTS.signerRateLimit : options.signerRateLimit,
    signatureCredit:
      options.signatureCredit === undefined ? RPC_DEFAULTS.signatureCredit : options.signatureCredit,
    allowList: pick('allowList'),
    maxBatchTxs: pick('maxBatchTxs'),
    maxBatchBytes: pick('maxBatchBytes'),
    waitTimeoutMs: pick('waitTimeoutMs'),
    maxWaitTimeoutMs: pick('maxWaitTimeoutMs'),
    maxWaits: pick('maxWaits'),
    maxWaitsPerClient: pick('maxWaitsPerClient'),
    forwardTxsTo: options.forwardTxsTo ?? null,
    forwardTimeoutMs: pick('forwardTimeoutMs'),
    streamHeartbeatMs: pick('streamHeartbeatMs'),
    maxStreams: pick('maxStreams'),
    maxStreamsPerClient: pick('maxStreamsPerClient'),
    maxExports: pick('maxExports'),
    maxExportsPerClient: pick('maxExportsPerClient'),
    maxStreamBufferBytes: pick('maxStreamBufferBytes'),
    trustProxy: pick('trustProxy'),
    docs: options.docs ?? true,
    version: options.version ?? '0.1.0',
  }
  const positive = [
    'maxBatchTxs',
    'maxBatchBytes',
    'waitTimeoutMs',
    'maxWaitTimeoutMs',
    'maxWaits',
    'maxWaitsPerClient',
    'forwardTimeoutMs',
    'streamHeartbeatMs',
    'maxStreams',
    'maxStreamsPerClient',
    'maxExports',
    'maxExportsPerClient',
    'maxStreamBufferBytes',
  ] as const
  for (const key of positive) positiveInteger(resolved[key], key)
  for (const key of ['rateLimit', 'signerRateLimit'] as const) {
    const limit = resolved[key]
    if (limit === null) continue
    positiveInteger(limit.max, `${key}.max`)
    positiveInteger(limit.timeWindowMs, `${key}.timeWindowMs`)
  }
  if (resolved.signatureCredit !== null) {
    positiveInteger(resolved.signatureCredit.max, 'signatureCredit.max')
    positiveInteger(resolved.signatureCredit.refillPerSecond, 'signatureCredit.refillPerSecond')
  }
  const lists = [['allowList', resolved.allowList]] as [string, readonly string[]][]
  if (typeof resolved.trustProxy !== 'boolean') lists.push(['trustProxy', resolved.trustProxy])
  for (const [name, list] of lists) {
    for (const text of list) {
      if (parseCidr(text) === null)
        throw new TypeError(`rpc option ${name}: ${text} is not an address or CIDR`)
    }
  }
  if (resolved.forwardTxsTo !== null) new URL(resolved.forwardTxsTo) // throws on a bad URL at start-up
  return resolved
}

function positiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`rpc option ${name} must be a positive integer`)
  }
}

/** Open event streams, each with the function that ends it (called on close). */
export interface StreamHub {
  readonly open: Set<() => void>
}

/** What route modules receive: the resolved options, the ports, and who a request's client is. */
export interface RouteContext {
  readonly options: ResolvedRpcOptions
  readonly deps: RpcDeps
  readonly streams: StreamHub
  /** The client a request counts against (rpc/clients.ts); resolved once per request. */
  readonly clientOf: (request: { readonly ip: string }) => Client
  readonly nowMs: () => number
}
