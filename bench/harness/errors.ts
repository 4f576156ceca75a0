/** Codes raised by the benchmark harness (bench/). */
import { ArcadeError } from '../../protocol/errors.ts'

export const BenchErrorCode = {
  /** A command-line flag is missing, unknown or out of range; `details.flag` names it. */
  badFlag: 'BENCH_BAD_FLAG',
  /** A node process exited or its RPC never answered while the network was starting. */
  nodeStartFailed: 'BENCH_NODE_START_FAILED',
  /** A setup tx (point, grant, merchant, terminal, award) was refused or failed. */
  setupFailed: 'BENCH_SETUP_FAILED',
  /** A load worker failed (signing or driving the load). */
  workerFailed: 'BENCH_WORKER_FAILED',
  /** The event stream of the measured node closed during the run. */
  streamLost: 'BENCH_STREAM_LOST',
  /** The read bench's observer did not catch up, or did not serve a funded account as funded. */
  observerNotReady: 'BENCH_OBSERVER_NOT_READY',
} as const
export type BenchErrorCode = (typeof BenchErrorCode)[keyof typeof BenchErrorCode]

export class BenchError extends ArcadeError<BenchErrorCode> {
  constructor(code: BenchErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'BenchError'
  }
}

export const badFlag = (flag: string, reason: string): BenchError =>
  new BenchError(BenchErrorCode.badFlag, `--${flag}: ${reason}`, { flag, reason })
