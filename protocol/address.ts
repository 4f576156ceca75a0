/**
 * The text form of an account: bech32m (BIP-350) of the 32-byte public key with a human-readable
 * prefix, e.g. `arc1…`. The checksum catches any single-character typo (and up to four), so a
 * mistyped address is rejected, never paid.
 */
import { bech32m } from '@scure/base'
import type { Bytes } from './bytes.ts'
import { ProtocolError, ProtocolErrorCode } from './errors.ts'

export const ADDRESS_PREFIX = 'arc'
/** Node (validator/observer) keys get their own prefix so they are never confused with accounts. */
export const NODE_KEY_PREFIX = 'arcnode'

export function encodeAddress(publicKey: Bytes, prefix: string = ADDRESS_PREFIX): string {
  if (publicKey.length !== 32) throw new TypeError('an address is a 32-byte public key')
  return bech32m.encode(prefix, bech32m.toWords(publicKey))
}

export function decodeAddress(text: string, prefix: string = ADDRESS_PREFIX): Bytes {
  let decoded: { prefix: string; words: number[] }
  try {
    if (typeof text !== 'string') throw new Error('not a string')
    decoded = bech32m.decode(text as `${string}1${string}`)
  } catch (err) {
    throw new ProtocolError(
      ProtocolErrorCode.badAddress,
      `not a valid address: ${String(text).slice(0, 100)}`,
      {
        reason: err instanceof Error ? err.message : String(err),
      },
    )
  }
  if (decoded.prefix !== prefix) {
    throw new ProtocolError(
      ProtocolErrorCode.badAddress,
      `address prefix must be ${prefix}, not ${decoded.prefix}`,
      {
        reason: 'prefix',
      },
    )
  }
  const bytes = bech32m.fromWords(decoded.words)
  if (bytes.length !== 32) {
    throw new ProtocolError(ProtocolErrorCode.badAddress, 'address must encode 32 bytes', {
      reason: 'length',
    })
  }
  return bytes
}

export function isAddress(text: string, prefix: string = ADDRESS_PREFIX): boolean {
  try {
    decodeAddress(text, prefix)
    return true
  } catch {
    return false
  }
}
