/** Messages between the bench's main thread and its load workers (worker_threads). */
import type { Key, LoadSpec } from './load.ts'
import type { LoadMode } from './options.ts'

export interface DriveSpec {
  readonly mode: LoadMode
  /** This client's share of the rates (tx/s) and of the outstanding txs. */
  readonly rateTps: number
  readonly rampStartTps: number
  readonly outstanding: number
  readonly durationSec: number
  readonly batch: number
  /** RPC base URLs to spread requests over. */
  readonly targets: readonly string[]
  /**
   * Send each lane from its own loopback address (http.ts laneAddress), past the nodes' per-IP rate
   * limit; only possible when every target is on loopback.
   */
  readonly laneAddresses: boolean
}

export interface WorkerInput {
  readonly actors: {
    readonly manager: Key
    readonly merchants: readonly Key[]
    readonly terminals: readonly (Key & { readonly merchant: number })[]
    readonly customers: readonly Key[]
  }
  readonly load: LoadSpec
  readonly drive: DriveSpec
}

export type ToWorker = { readonly type: 'go'; readonly startMs: number } | { readonly type: 'stop' }

export type FromWorker =
  | {
      readonly type: 'ready'
      /** 32 bytes per tx, in order. */
      readonly hashes: Uint8Array
      readonly sizes: Uint32Array
      readonly signMs: number
    }
  | {
      readonly type: 'progress'
      readonly submitted: number
      readonly accepted: number
      readonly rejected: number
    }
  | {
      readonly type: 'done'
      /** Absolute ms (timeOrigin + now) of each tx's submission; NaN when never sent. */
      readonly submitMs: Float64Array
      /** 1 when the node admitted the tx. */
      readonly accepted: Uint8Array
      readonly rejectedByCode: Record<string, number>
      readonly requests: number
      readonly endMs: number
    }
  | { readonly type: 'error'; readonly message: string }
