import { ArcadeError } from '../../protocol/errors.ts'

export const MempoolErrorCode = {
  /** The pool holds its maximum count or bytes of txs: try again after the next block. */
  full: 'MEMPOOL_FULL',
  /** The same tx (by hash) is already waiting in the pool. */
  duplicate: 'MEMPOOL_DUPLICATE',
  /** The node is stopping or not ready to admit txs. */
  closed: 'MEMPOOL_CLOSED',
  /** Too many txs in one submission. */
  batchTooLarge: 'MEMPOOL_BATCH_TOO_LARGE',
} as const
export type MempoolErrorCode = (typeof MempoolErrorCode)[keyof typeof MempoolErrorCode]

export class MempoolError extends ArcadeError<MempoolErrorCode> {
  constructor(code: MempoolErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'MempoolError'
  }
}
