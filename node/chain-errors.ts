/** The chain's coded errors (node/chain.ts re-exports them). */
import { ArcadeError } from '../protocol/errors.ts'

export const ChainErrorCode = {
  /** The block does not extend the head: wrong height or parent hash. */
  notNext: 'CHAIN_NOT_NEXT_BLOCK',
  /** The header disagrees with what executing the block gives, or with the chain's rules. */
  invalidBlock: 'CHAIN_INVALID_BLOCK',
  /** A tx in the block does not decode or its signature does not verify. */
  invalidTx: 'CHAIN_INVALID_TX',
  /** The certificate does not prove this block (wrong block, signers or power). */
  badCertificate: 'CHAIN_BAD_CERTIFICATE',
  /** The store belongs to another chain or is inconsistent with itself. */
  corrupt: 'CHAIN_CORRUPT_STORE',
  /** The block's encoding is larger than genesis `maxBlockBytes`. */
  blockTooLarge: 'CHAIN_BLOCK_TOO_LARGE',
  /** Another block is already committed at this height (two certified blocks for one height). */
  conflictingBlock: 'CHAIN_CONFLICTING_BLOCK',
} as const
export type ChainErrorCode = (typeof ChainErrorCode)[keyof typeof ChainErrorCode]

export class ChainError extends ArcadeError<ChainErrorCode> {
  constructor(code: ChainErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'ChainError'
  }
}
