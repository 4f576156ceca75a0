/**
 * Signature verification spread over worker threads, so admission uses every core and the main thread
 * only packs and unpacks. A batch is split into at most one chunk per worker, each chunk handed to the
 * worker with the fewest items outstanding, as one transferred buffer (signature-batch.ts). Batches
 * smaller than `minBatchForWorkers`, and everything with `workers: 0`, are verified inline. A worker
 * that dies has its outstanding chunks verified inline and leaves the rotation.
 *
 * A verdict is only ever about a signature: once `stop()` is called, batches still pending and every
 * later call reject with VERIFY_POOL_STOPPED, never a verdict of 0 for a signature nobody checked (a
 * block being executed would otherwise fail as if it carried a bad signature, and its peer be blamed).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { verify } from '../../protocol/crypto.ts'
import { ArcadeError } from '../../protocol/errors.ts'
import { packBatch, type SignedMessage } from './signature-batch.ts'
import type { VerifyRequest, VerifyResponse } from './verify-worker.ts'

export type { SignedMessage } from './signature-batch.ts'

export type SignatureItem = readonly [signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array]

export const VerifyPoolErrorCode = {
  /** The pool was stopped before it could check these signatures: no verdict, not a bad signature. */
  stopped: 'VERIFY_POOL_STOPPED',
} as const
export type VerifyPoolErrorCode = (typeof VerifyPoolErrorCode)[keyof typeof VerifyPoolErrorCode]

export class VerifyPoolError extends ArcadeError<VerifyPoolErrorCode> {
  constructor(code: VerifyPoolErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'VerifyPoolError'
  }
}

export interface SignatureVerifier {
  /**
   * One byte per item, in order: 1 when its signature verifies, else 0. Rejects with
   * VERIFY_POOL_STOPPED (and gives no verdict) once the verifier is stopping.
   */
  verify(items: readonly SignedMessage[]): Promise<Uint8Array>
  /** The tuple form of `verify`, for callers without a `SignedTx` at hand. */
  verifyBatch(items: readonly SignatureItem[]): Promise<boolean[]>
  stop(): Promise<void>
}

export interface VerifyPoolOptions {
  /** Worker threads; 0 verifies on the calling thread. */
  readonly workers: number
  /** Batches smaller than this are verified inline (lower latency when the main thread has time). */
  readonly minBatchForWorkers: number
}

/**
 * One worker per core (at most 8), not one per core but the main thread's: workers only take CPU when
 * there is work, the kernel shares the cores, and on 2 cores a single worker caps a node at one core
 * of Ed25519 (about 12k tx/s) however idle the main thread is.
 */
export function defaultVerifyWorkers(): number {
  return Math.min(8, Math.max(1, availableParallelism()))
}

/**
 * Measured: even one signature sent to a worker costs the main thread about a third of verifying it
 * inline, so by default every batch goes to the workers.
 */
export const defaultVerifyPoolOptions: VerifyPoolOptions = {
  workers: defaultVerifyWorkers(),
  minBatchForWorkers: 1,
}

/** Fewest items per chunk: below this a batch goes to fewer workers rather than in tiny messages. */
const MIN_CHUNK = 16

interface Slot {
  readonly worker: Worker
  /** Items sent and not answered yet. */
  outstanding: number
}

interface Job {
  readonly items: readonly SignedMessage[]
  readonly from: number
  readonly to: number
  readonly out: Uint8Array
  readonly slot: Slot
  readonly done: () => void
  /** Rejects the whole batch the job belongs to (once). */
  readonly fail: (err: Error) => void
}

function stoppedError(): VerifyPoolError {
  return new VerifyPoolError(VerifyPoolErrorCode.stopped, 'the signature verifier is stopped')
}

function verifyInline(items: readonly SignedMessage[], from: number, to: number, out: Uint8Array): void {
  for (let i = from; i < to; i++) {
    const item = items[i] as SignedMessage
    out[i] = verify(item.signature, item.payload, item.signer) ? 1 : 0
  }
}

export function createVerifyPool(options: VerifyPoolOptions): SignatureVerifier {
  const live: Slot[] = []
  const jobs = new Map<number, Job>()
  let nextId = 0
  let stopped = false

  function retire(slot: Slot): void {
    const at = live.indexOf(slot)
    if (at >= 0) live.splice(at, 1)
    if (stopped) return
    for (const [id, job] of jobs) {
      if (job.slot !== slot) continue
      jobs.delete(id)
      verifyInline(job.items, job.from, job.to, job.out)
      job.done()
    }
  }

  for (let i = 0; i < options.workers; i++) {
    const slot: Slot = { worker: new Worker(new URL('./verify-worker.ts', import.meta.url)), outstanding: 0 }
    slot.worker.on('message', (response: VerifyResponse) => {
      const job = jobs.get(response.id)
      if (job === undefined) return
      jobs.delete(response.id)
      slot.outstanding -= job.to - job.from
      job.out.set(response.verdicts, job.from)
      job.done()
    })
    // A crash emits 'error' then 'exit': without a listener the 'error' would throw on this thread.
    slot.worker.on('error', () => {})
    slot.worker.on('exit', () => retire(slot))
    slot.worker.unref()
    live.push(slot)
  }

  function leastBusy(): Slot {
    let best = live[0] as Slot
    for (const slot of live) if (slot.outstanding < best.outstanding) best = slot
    return best
  }

  function verifyItems(items: readonly SignedMessage[]): Promise<Uint8Array> {
    if (stopped) return Promise.reject(stoppedError())
    const n = items.length
    const out = new Uint8Array(n)
    if (live.length === 0 || n === 0 || n < options.minBatchForWorkers) {
      verifyInline(items, 0, n, out)
      return Promise.resolve(out)
    }
    const size = Math.ceil(n / Math.min(live.length, Math.ceil(n / MIN_CHUNK)))
    return new Promise((resolve, reject) => {
      let remaining = Math.ceil(n / size)
      let settled = false
      const done = () => {
        if (--remaining === 0 && !settled) {
          settled = true
          resolve(out)
        }
      }
      const fail = (err: Error) => {
        if (settled) return
        settled = true
        reject(err)
      }
      for (let from = 0; from < n; from += size) {
        const to = Math.min(n, from + size)
        const slot = leastBusy()
        const id = nextId++
        const { buffer } = packBatch(items, from, to)
        slot.outstanding += to - from
        jobs.set(id, { items, from, to, out, slot, done, fail })
        slot.worker.postMessage({ id, buffer } satisfies VerifyRequest, [buffer])
      }
    })
  }

  return {
    verify: verifyItems,
    async verifyBatch(items) {
      const verdicts = await verifyItems(
        items.map(([signature, payload, signer]) => ({ signature, payload, signer })),
      )
      return Array.from(verdicts, (v) => v === 1)
    },
    async stop() {
      if (stopped) return
      stopped = true
      // Whatever is still out gets no verdict: its batch rejects (the bytes stay unread).
      const error = stoppedError()
      for (const job of jobs.values()) job.fail(error)
      jobs.clear()
      const workers = live.splice(0).map((slot) => slot.worker)
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
