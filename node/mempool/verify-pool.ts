/**
 * Signature verification spread over worker threads, so admission uses every core. A batch is split
 * into one chunk per worker; with `workers: 0` everything is verified inline (tests, single core).
 */
import { Worker } from 'node:worker_threads'
import { verify } from '../../protocol/crypto.ts'
import type { VerifyRequest, VerifyResponse } from './verify-worker.ts'

export type SignatureItem = readonly [signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array]

export interface SignatureVerifier {
  verifyBatch(items: readonly SignatureItem[]): Promise<boolean[]>
  stop(): Promise<void>
}

export interface VerifyPoolOptions {
  /** Worker threads; 0 verifies on the calling thread. */
  readonly workers: number
  /** Batches smaller than this are verified inline: a round trip to a worker costs more than it saves. */
  readonly minBatchForWorkers: number
}

export const defaultVerifyPoolOptions: VerifyPoolOptions = { workers: 1, minBatchForWorkers: 64 }

export function createVerifyPool(options: VerifyPoolOptions): SignatureVerifier {
  const workers: Worker[] = []
  const pending = new Map<number, (results: readonly boolean[]) => void>()
  let nextId = 0
  let stopped = false

  for (let i = 0; i < options.workers; i++) {
    const worker = new Worker(new URL('./verify-worker.ts', import.meta.url))
    worker.on('message', (response: VerifyResponse) => {
      const resolve = pending.get(response.id)
      pending.delete(response.id)
      resolve?.(response.results)
    })
    worker.unref()
    workers.push(worker)
  }

  const inline = (items: readonly SignatureItem[]) => items.map(([s, m, k]) => verify(s, m, k))

  function onWorker(worker: Worker, items: readonly SignatureItem[]): Promise<readonly boolean[]> {
    const id = nextId++
    return new Promise((resolve) => {
      pending.set(id, resolve)
      worker.postMessage({ id, items } satisfies VerifyRequest)
    })
  }

  return {
    async verifyBatch(items) {
      if (stopped || workers.length === 0 || items.length < options.minBatchForWorkers) return inline(items)
      const chunk = Math.ceil(items.length / workers.length)
      const parts = await Promise.all(
        workers.map((w, i) => onWorker(w, items.slice(i * chunk, (i + 1) * chunk))),
      )
      return parts.flat()
    },
    async stop() {
      if (stopped) return
      stopped = true
      await Promise.all(workers.map((w) => w.terminate()))
      for (const resolve of pending.values()) resolve([])
      pending.clear()
    },
  }
}
