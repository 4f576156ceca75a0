/** Codes raised by the node's composition root: config files, key files and the CLI. */
import { ArcadeError } from '../protocol/errors.ts'

export const NodeErrorCode = {
  /** A config field is missing or wrong; `details.field` names it (`peers[1].nodeKey`). */
  configInvalid: 'CONFIG_INVALID_FIELD',
  /** The config file is not valid JSON. */
  configNotJson: 'CONFIG_NOT_JSON',
  /** The config file could not be read. */
  configUnreadable: 'CONFIG_UNREADABLE',
  /** A key file is malformed, or its public key does not match its secret key. */
  keyFileInvalid: 'KEY_FILE_INVALID',
  /** A key file could not be read. */
  keyFileUnreadable: 'KEY_FILE_UNREADABLE',
  /** A file the command would write exists already (pass --force to overwrite). */
  fileExists: 'FILE_EXISTS',
} as const
export type NodeErrorCode = (typeof NodeErrorCode)[keyof typeof NodeErrorCode]

export class NodeError extends ArcadeError<NodeErrorCode> {
  constructor(code: NodeErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'NodeError'
  }
}
