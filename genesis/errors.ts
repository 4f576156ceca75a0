/** Codes raised by genesis/: reading and validating a genesis document. */
import { ArcadeError } from '../protocol/errors.ts'

export const GenesisErrorCode = {
  /** The file is not valid JSON (or could not be read). */
  notJson: 'GENESIS_NOT_JSON',
  /** A field is missing or has a wrong value; `details.field` names it (`validators[2].nodeKey`). */
  invalidField: 'GENESIS_INVALID_FIELD',
  /** A value that must be unique appears twice; `details.field` names the second one. */
  duplicate: 'GENESIS_DUPLICATE',
  /** The file could not be read. */
  unreadable: 'GENESIS_UNREADABLE',
} as const
export type GenesisErrorCode = (typeof GenesisErrorCode)[keyof typeof GenesisErrorCode]

export class GenesisError extends ArcadeError<GenesisErrorCode> {
  constructor(code: GenesisErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'GenesisError'
  }
}

export function genesisField(field: string, reason: string): GenesisError {
  return new GenesisError(GenesisErrorCode.invalidField, `${field}: ${reason}`, { field, reason })
}
