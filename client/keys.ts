/**
 * Wallets (an Ed25519 key pair with its address text) and the parsing of what users type: addresses,
 * point ids, amounts. Everything is checked before a tx is built, with an error naming the field.
 */
import { ADDRESS_PREFIX, decodeAddress, encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { type Bytes, fromHex, toHex } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair, publicKeyFromSecret, SECRET_KEY_BYTES } from '../protocol/crypto.ts'
import { invalidInput } from './errors.ts'

export interface Wallet extends KeyPair {
  /** The account's text form, `arc1…`. */
  readonly address: string
}

export function generateWallet(): Wallet {
  return walletFromKeys(generateKeyPair())
}

/** A wallet from its 32-byte secret (bytes or 64 hex digits). */
export function walletFromSecret(secret: Bytes | string): Wallet {
  let secretKey: Bytes
  if (typeof secret === 'string') {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(secret)) throw invalidInput('secretKey', 'must be 64 hex digits')
    secretKey = fromHex(secret.replace(/^0x/, ''))
  } else secretKey = secret
  if (secretKey.length !== SECRET_KEY_BYTES) throw invalidInput('secretKey', 'must be 32 bytes')
  return walletFromKeys({ secretKey, publicKey: publicKeyFromSecret(secretKey) })
}

export function walletFromKeys(keys: KeyPair): Wallet {
  return { secretKey: keys.secretKey, publicKey: keys.publicKey, address: encodeAddress(keys.publicKey) }
}

/** `arc1…` text of an account key. */
export function addressOf(publicKey: Bytes): string {
  return encodeAddress(publicKey)
}

/** `arcnode1…` text of a node (validator) key. */
export function nodeKeyAddressOf(publicKey: Bytes): string {
  return encodeAddress(publicKey, NODE_KEY_PREFIX)
}

/** An account given as bytes or `arc1…` text; a typo (bad checksum) is refused, never paid. */
export type AddressLike = Bytes | string

export function toAccount(value: AddressLike, field = 'address', prefix = ADDRESS_PREFIX): Bytes {
  if (value instanceof Uint8Array) {
    if (value.length !== 32) throw invalidInput(field, 'must be a 32-byte key')
    return value
  }
  if (typeof value !== 'string') throw invalidInput(field, 'must be an address')
  try {
    return decodeAddress(value.trim(), prefix)
  } catch {
    throw invalidInput(field, `not a valid ${prefix}1… address (check for a typo): ${value.slice(0, 100)}`)
  }
}

export function toNodeKey(value: AddressLike, field = 'nodeKey'): Bytes {
  return toAccount(value, field, NODE_KEY_PREFIX)
}

/** 32 bytes given as bytes or hex (hashes, customer hashes, anchor roots). */
export function toHash(value: Bytes | string, field = 'hash'): Bytes {
  if (value instanceof Uint8Array) {
    if (value.length !== 32) throw invalidInput(field, 'must be 32 bytes')
    return value
  }
  if (typeof value !== 'string' || !/^(0x)?[0-9a-fA-F]{64}$/.test(value)) {
    throw invalidInput(field, 'must be 32 bytes as 64 hex digits')
  }
  return fromHex(value.replace(/^0x/, ''))
}

export const hashHex = toHex

const POINT_RE = /^[A-Z][A-Z0-9]{1,11}$/

export function toPointId(value: string, field = 'point'): string {
  if (typeof value !== 'string' || !POINT_RE.test(value)) {
    throw invalidInput(field, 'must be 2 to 12 upper-case letters and digits, starting with a letter')
  }
  return value
}

const CAMPAIGN_RE = /^[a-z0-9][a-z0-9-]{0,31}$/

/** A campaign id: 1 to 32 lower-case letters, digits and dashes, not starting with a dash. */
export function toCampaignId(value: string, field = 'campaign'): string {
  if (typeof value !== 'string' || !CAMPAIGN_RE.test(value)) {
    throw invalidInput(
      field,
      'must be 1 to 32 lower-case letters, digits and dashes, not starting with a dash',
    )
  }
  return value
}

/**
 * An amount in the smallest unit. Text may be an integer (`1500`), or with `decimals` given a decimal
 * (`15.00` with 2 decimals is 1500); more fractional digits than `decimals`, signs, exponents and
 * anything above 2^53 − 1 are refused.
 */
export function parseAmount(value: number | string, decimals = 0, field = 'amount'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw invalidInput(field, 'must be a non-negative integer')
    return value
  }
  const m = /^(\d+)(?:\.(\d+))?$/.exec(typeof value === 'string' ? value.trim().replaceAll('_', '') : '')
  if (m === null) throw invalidInput(field, `not an amount: ${String(value).slice(0, 40)}`)
  const fraction = m[2] ?? ''
  if (fraction.length > decimals) {
    throw invalidInput(field, `at most ${decimals} decimal place(s) for this point`)
  }
  const units =
    BigInt(m[1] as string) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidInput(field, 'is too large')
  return Number(units)
}

/** The display text of an amount in the smallest unit: `formatAmount(1500, 2)` is `15.00`. */
export function formatAmount(units: number, decimals = 0): string {
  if (decimals === 0) return String(units)
  const text = String(units).padStart(decimals + 1, '0')
  return `${text.slice(0, -decimals)}.${text.slice(-decimals)}`
}

/** Milliseconds from `90000`, `500ms`, `30s`, `15m`, `24h` or `7d` (periods of limits and quotas). */
export function parseDurationMs(text: string, field = 'period'): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(typeof text === 'string' ? text.trim() : '')
  if (m === null)
    throw invalidInput(field, 'must be milliseconds or a number with ms, s, m, h or d (e.g. 1d)')
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] as number
  const ms = Number(m[1]) * unit
  if (!Number.isSafeInteger(ms) || ms <= 0) throw invalidInput(field, 'must be a positive duration')
  return ms
}

const JST_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/

/**
 * An instant for a fixed expiry date: ms since the epoch, an ISO 8601 date-time with its zone
 * (`2027-04-01T00:00+09:00`), or a bare date `2027-04-01`, which means 00:00 JST that day (points
 * usable through 31 March). The ledger rounds it up to 00:00 JST in any case.
 */
export function parseExpiryDateMs(text: string, field = 'date'): number {
  const t = typeof text === 'string' ? text.trim() : ''
  let ms = Number.NaN
  const day = JST_DATE_RE.exec(t)
  if (/^\d{1,16}$/.test(t)) ms = Number(t)
  else if (day !== null) ms = Date.parse(`${t}T00:00:00+09:00`)
  else if (DATE_TIME_RE.test(t)) ms = Date.parse(t)
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw invalidInput(
      field,
      'must be a date (2027-04-01, 00:00 JST), an ISO 8601 date-time with a zone, or ms',
    )
  }
  return ms
}
