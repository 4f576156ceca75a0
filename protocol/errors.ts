/**
 * The coded error base every folder builds on. Tests and the RPC error map look at `code`, never at the
 * message text. A code is never reused for another meaning: add a new one instead.
 */
export class ArcadeError<Code extends string = string> extends Error {
  readonly code: Code
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: Code, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'ArcadeError'
    this.code = code
    this.details = details
  }
}

export function isArcadeError(value: unknown): value is ArcadeError {
  return value instanceof ArcadeError
}

/** Codes raised by protocol/: decoding, stateless validation and signatures. */
export const ProtocolErrorCode = {
  /** The input is larger than the limit for its kind; rejected before decoding. */
  tooLarge: 'PROTOCOL_TOO_LARGE',
  /** The bytes are not valid msgpack, or trail extra bytes. */
  malformed: 'PROTOCOL_MALFORMED',
  /** Decoded fine but the shape or a field is wrong; `details.field` names it. */
  invalidField: 'PROTOCOL_INVALID_FIELD',
  /** The encoding is valid msgpack but not the canonical form of its value. */
  nonCanonical: 'PROTOCOL_NON_CANONICAL',
  /** A message meant for another chain. */
  wrongChain: 'PROTOCOL_WRONG_CHAIN',
  /** A signature does not verify. */
  badSignature: 'PROTOCOL_BAD_SIGNATURE',
  /** An address string whose prefix, length or checksum is wrong. */
  badAddress: 'PROTOCOL_BAD_ADDRESS',
  /** A tx body kind this version does not know. */
  unknownKind: 'PROTOCOL_UNKNOWN_KIND',
  /** A Merkle or state proof that does not verify against its root. */
  badProof: 'PROTOCOL_BAD_PROOF',
} as const
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode]

export class ProtocolError extends ArcadeError<ProtocolErrorCode> {
  constructor(code: ProtocolErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'ProtocolError'
  }
}

/** Shorthand for the most common stateless failure: a field with the wrong value or shape. */
export function invalidField(field: string, reason: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.invalidField, `${field}: ${reason}`, { field, reason })
}
