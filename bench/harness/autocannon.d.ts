/**
 * The part of autocannon's API (a CommonJS package without bundled types) that bench/harness/reads.ts
 * uses: one run against a URL with a rotating request path, and its result.
 */
declare module 'autocannon' {
  namespace autocannon {
    /** hdr-histogram-percentiles-obj: requests per second sampled each second, or latency in ms. */
    interface Histogram {
      readonly average: number
      readonly mean: number
      readonly stddev: number
      readonly min: number
      readonly max: number
      readonly total: number
      readonly p50: number
      readonly p90: number
      readonly p99: number
    }
    interface RequestParams {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string
    }
    interface Options {
      readonly url: string
      readonly connections?: number
      /** Seconds. */
      readonly duration?: number
      readonly pipelining?: number
      /** Seconds a response may take before it counts as a timeout. */
      readonly timeout?: number
      /** Called with each response body; a falsy answer counts in `mismatches`. */
      readonly verifyBody?: (body: string) => boolean
      readonly requests?: readonly {
        readonly setupRequest?: (req: RequestParams, context: Record<string, unknown>) => RequestParams
      }[]
    }
    interface Result {
      readonly requests: Histogram
      readonly latency: Histogram
      /** Seconds. */
      readonly duration: number
      /** Connection errors, timeouts included. */
      readonly errors: number
      readonly timeouts: number
      readonly non2xx: number
      readonly mismatches: number
      readonly '2xx': number
      readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>
    }
    interface Instance extends Promise<Result> {
      stop(): void
    }
  }
  function autocannon(options: autocannon.Options): autocannon.Instance
  export = autocannon
}
