/** Codes raised by consensus/. Tests assert these codes, never the message text. */
import { ArcadeError } from '../protocol/errors.ts'

export const ConsensusErrorCode = {
  /** Options out of range at start-up; `details.field` names the option. */
  badOptions: 'CONSENSUS_BAD_OPTIONS',
  /** A validator set that cannot produce a leader schedule. */
  badValidatorSet: 'CONSENSUS_BAD_VALIDATOR_SET',
} as const
export type ConsensusErrorCode = (typeof ConsensusErrorCode)[keyof typeof ConsensusErrorCode]

export class ConsensusError extends ArcadeError<ConsensusErrorCode> {
  constructor(code: ConsensusErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'ConsensusError'
  }
}
