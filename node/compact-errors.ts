/** Why a compact proposal was not completed (node/compact-rebuild.ts, node/compact-proposals.ts). */
import { ArcadeError } from '../protocol/errors.ts'

export const CompactErrorCode = {
  /** It names more txs than a block of its height may hold (`maxBlockTxs` in force). */
  tooManyTxs: 'COMPACT_TOO_MANY_TXS',
  /** Its signature does not verify, or it is signed by another than the peer that sent it. */
  unauthenticated: 'COMPACT_UNAUTHENTICATED',
  /** A fetched tx is not a canonical tx envelope, or does not hash to the id it was asked for. */
  wrongTx: 'COMPACT_WRONG_TX',
  /** Every tx came from its sender and the tx root still differs: the sender's header lies. */
  rootMismatch: 'COMPACT_ROOT_MISMATCH',
  /** Fetching the missing txs from the sender failed (timeout, refusal, short or oversize answer). */
  fetchFailed: 'COMPACT_FETCH_FAILED',
  /** A newer compact proposal from the same sender took its place while it waited for txs. */
  replaced: 'COMPACT_REPLACED',
  /** Its height was committed while it waited for txs, or before it arrived. */
  stale: 'COMPACT_STALE',
} as const
export type CompactErrorCode = (typeof CompactErrorCode)[keyof typeof CompactErrorCode]

export class CompactError extends ArcadeError<CompactErrorCode> {
  constructor(code: CompactErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'CompactError'
  }
}
