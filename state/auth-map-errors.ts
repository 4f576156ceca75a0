/**
 * Codes raised by the authenticated map (state/auth-map.ts). They mark a bug in the caller (the state
 * machine must never write an out-of-range key or value), so no tx input can reach them unchecked.
 * To be folded into state/errors.ts once that file exists; the codes stay the same.
 */
import { ArcadeError } from '../protocol/errors.ts'

export const AuthMapErrorCode = {
  /** A key that is empty or longer than MAX_STATE_KEY_BYTES. */
  badKey: 'STATE_AUTH_MAP_BAD_KEY',
  /** A value longer than MAX_STATE_VALUE_BYTES, or not bytes. */
  badValue: 'STATE_AUTH_MAP_BAD_VALUE',
} as const
export type AuthMapErrorCode = (typeof AuthMapErrorCode)[keyof typeof AuthMapErrorCode]

export class AuthMapError extends ArcadeError<AuthMapErrorCode> {
  constructor(code: AuthMapErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'AuthMapError'
  }
}
