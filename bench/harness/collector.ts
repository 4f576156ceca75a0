/**
 * Commits as one node sees them, from two event streams (GET /v1/stream):
 * - a blocks-only stream (receipts filtered out with an account no tx touches): each block's height,
 *   header time, tx count and arrival time. Its tx hashes come from GET /v1/blocks/:height and are
 *   matched to the load's txs; the block's arrival is their commit time (for latency).
 * - a full stream for the receipts: counts and failure codes. The node closes a stream whose client
 *   lags by more than its buffer (1 MiB by default), which a block of a few thousand receipts can
 *   exceed in one burst; then `receiptStreamError` says so and the receipt counts stop there.
 * Only heights above `fromHeight` count (the setup's blocks come before it).
 */
import { subscribeStream } from '../../client/stream.ts'
import type { StreamEvent } from '../../client/types.ts'
import { encodeAddress } from '../../protocol/address.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import type { HttpPool } from './http.ts'

export interface BlockSeen {
  readonly height: number
  readonly timeMs: number
  readonly arrivedMs: number
  readonly txCount: number
}

/** The source address of the block fetches (their own rate-limit bucket at the node). */
const FETCH_ADDRESS = '127.0.250.2'

export class CommitCollector {
  readonly blocks: BlockSeen[] = []
  /** Commit time (absolute ms) per load tx index; NaN until its block is seen. */
  readonly commitMs: Float64Array
  committedTxs = 0
  receipts = 0
  matched = 0
  readonly failedByCode = new Map<string, number>()
  blockStreamError: string | null = null
  receiptStreamError: string | null = null
  fetchErrors = 0
  fromHeight = Number.POSITIVE_INFINITY
  private readonly index: Map<string, number>
  private readonly http: HttpPool
  private rpcUrl = ''
  private fetching: Promise<void> = Promise.resolve()
  private pendingFetches = 0
  private waiters: (() => void)[] = []
  private readonly stops: (() => void)[] = []

  constructor(options: { index: Map<string, number>; size: number }, deps: { http: HttpPool }) {
    this.index = options.index
    this.http = deps.http
    this.commitMs = new Float64Array(options.size).fill(Number.NaN)
  }

  /** Opens both streams; resolves once the server has accepted them. */
  async open(rpcUrl: string): Promise<void> {
    this.rpcUrl = rpcUrl
    const nobody = encodeAddress(generateKeyPair().publicKey)
    const stream = (account: string | undefined, onError: (message: string) => void) =>
      new Promise<void>((resolve, reject) => {
        const stop = subscribeStream(
          rpcUrl,
          globalThis.fetch,
          account === undefined ? {} : { account },
          (e) => this.onEvent(e, account !== undefined),
          {
            onOpen: resolve,
            onError: (err) => {
              onError(`${err.code}: ${err.message}`)
              reject(err)
              this.wake()
            },
          },
        )
        this.stops.push(stop)
      })
    await Promise.all([
      stream(nobody, (m) => {
        this.blockStreamError = m
      }),
      stream(undefined, (m) => {
        this.receiptStreamError = m
      }),
    ])
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop()
  }

  /** Txs of blocks whose hashes are still being fetched. */
  get pending(): number {
    return this.pendingFetches
  }

  onEvent(e: StreamEvent, blocksOnly: boolean): void {
    const now = performance.timeOrigin + performance.now()
    if (e.type === 'block') {
      if (!blocksOnly || e.data.height <= this.fromHeight) return
      const block: BlockSeen = {
        height: e.data.height,
        timeMs: e.data.timeMs,
        arrivedMs: now,
        txCount: e.data.txCount,
      }
      this.blocks.push(block)
      this.committedTxs += block.txCount
      if (block.txCount > 0) this.fetchHashes(block)
    } else {
      const r = e.data
      if (blocksOnly || r.height <= this.fromHeight) return
      this.receipts++
      if (r.status !== 'ok')
        this.failedByCode.set(r.error ?? 'FAILED', (this.failedByCode.get(r.error ?? 'FAILED') ?? 0) + 1)
    }
    this.wake()
  }

  /** Matches a block's tx hashes to the load, one fetch at a time in height order. */
  private fetchHashes(block: BlockSeen): void {
    this.pendingFetches++
    this.fetching = this.fetching.then(async () => {
      try {
        const res = await this.http.get(`${this.rpcUrl}/v1/blocks/${block.height}`, FETCH_ADDRESS, 30_000)
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
        const { txs } = JSON.parse(res.body) as { txs: string[] }
        for (const hash of txs) {
          const i = this.index.get(hash)
          if (i !== undefined && Number.isNaN(this.commitMs[i] as number)) {
            this.commitMs[i] = block.arrivedMs
            this.matched++
          }
        }
      } catch {
        this.fetchErrors++
      } finally {
        this.pendingFetches--
        this.wake()
      }
    })
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** Resolves true as soon as `done()` holds after an event, or false at the timeout. */
  async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    while (!done()) {
      const left = deadline - performance.now()
      if (left <= 0 || this.blockStreamError !== null) return done()
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return true
  }
}
