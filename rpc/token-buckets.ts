/**
 * Token buckets by key (a client, a signer): each holds at most `capacity` tokens and regains
 * `refillPerSecond`. A full bucket is the same as none, so memory holds only keys that spent lately;
 * at `maxKeys` the full ones are dropped, then the oldest, so an outsider inventing keys cannot grow
 * the map (dropping a bucket only gives its key a fresh one, which a new key would get anyway).
 */

export interface TokenBucketOptions {
  readonly capacity: number
  readonly refillPerSecond: number
  /** Keys tracked at once. Default 100,000. */
  readonly maxKeys?: number
}

export interface TokenBucketDeps {
  readonly nowMs: () => number
}

export interface TokenBuckets {
  /** Tokens `key` has now. */
  available(key: string): number
  /** Takes up to `n` whole tokens and returns how many it took (0 when the bucket is empty). */
  take(key: string, n: number): number
  /** Gives back (or grants) `n` tokens, up to the capacity. */
  give(key: string, n: number): void
  /** Keys held (those not full). */
  readonly size: number
}

interface Bucket {
  tokens: number
  atMs: number
}

export function createTokenBuckets(options: TokenBucketOptions, deps: TokenBucketDeps): TokenBuckets {
  const { capacity, refillPerSecond } = options
  const maxKeys = options.maxKeys ?? 100_000
  const buckets = new Map<string, Bucket>()

  const level = (bucket: Bucket, now: number): number =>
    Math.min(capacity, bucket.tokens + ((now - bucket.atMs) * refillPerSecond) / 1000)

  const makeRoom = (now: number) => {
    for (const [key, bucket] of buckets) if (level(bucket, now) >= capacity) buckets.delete(key)
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break
      buckets.delete(key)
    }
  }

  /** The bucket of `key` brought up to date, created (full) when absent. */
  const current = (key: string, now: number): Bucket => {
    const bucket = buckets.get(key)
    if (bucket !== undefined) {
      bucket.tokens = level(bucket, now)
      bucket.atMs = now
      return bucket
    }
    if (buckets.size >= maxKeys) makeRoom(now)
    const fresh = { tokens: capacity, atMs: now }
    buckets.set(key, fresh)
    return fresh
  }

  const settle = (key: string, bucket: Bucket) => {
    if (bucket.tokens >= capacity) buckets.delete(key)
  }

  return {
    get size() {
      return buckets.size
    },
    available(key) {
      const bucket = buckets.get(key)
      return bucket === undefined ? capacity : level(bucket, deps.nowMs())
    },
    take(key, n) {
      const bucket = current(key, deps.nowMs())
      const taken = Math.max(0, Math.min(n, Math.floor(bucket.tokens)))
      bucket.tokens -= taken
      settle(key, bucket)
      return taken
    },
    give(key, n) {
      if (n <= 0) return
      const bucket = buckets.get(key)
      if (bucket === undefined) return // full already
      const now = deps.nowMs()
      bucket.tokens = Math.min(capacity, level(bucket, now) + n)
      bucket.atMs = now
      settle(key, bucket)
    },
  }
}
