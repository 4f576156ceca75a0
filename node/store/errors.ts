/** Codes raised by node/store/. Tests assert these, never the message text; a code is never reused. */
import { ArcadeError } from '../../protocol/errors.ts'

export const StoreErrorCode = {
  /** The store is not open: never opened, or already closed. */
  closed: 'STORE_CLOSED',
  /** Stored bytes do not have the shape this version writes (or LevelDB reports corruption). */
  corrupt: 'STORE_CORRUPT',
  /** The store belongs to another chain: its chain id or genesis hash differs. */
  wrongChain: 'STORE_WRONG_CHAIN',
  /** The store was written by a layout version this code does not know. */
  unsupportedFormat: 'STORE_UNSUPPORTED_FORMAT',
  /** Another process (or another open handle) holds the database lock. */
  locked: 'STORE_LOCKED',
  /** A block was committed out of order: its height is not head + 1. */
  outOfOrder: 'STORE_OUT_OF_ORDER',
  /** The thing an operation needs does not exist (e.g. a certificate for a block not stored). */
  notFound: 'STORE_NOT_FOUND',
  /** A caller passed a value the store cannot take (a negative limit, an index out of range). */
  invalidArgument: 'STORE_INVALID_ARGUMENT',
} as const
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode]

export class StoreError extends ArcadeError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'StoreError'
  }
}

export function invalidArgument(argument: string, reason: string): StoreError {
  return new StoreError(StoreErrorCode.invalidArgument, `${argument}: ${reason}`, { argument, reason })
}
