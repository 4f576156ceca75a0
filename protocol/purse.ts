/**
 * Offline purse vouchers: what a purse key signs, the voucher's identity, and the stateless rules both
 * the ledger (state/purses.ts) and a terminal's offline check (client/purse.ts) apply.
 *
 * A voucher commits to (chain id, point, purse, payee, counter, amount, cumulative) under its own
 * domain tag (sign-bytes.ts `purseVoucherSignBytes`):
 * - `counter` numbers the purse's vouchers 1, 2, 3, … in the order the purse signs them;
 * - `cumulative` is the running total the purse has signed for, this voucher included.
 * An honest purse therefore signs vouchers with distinct counters whose amounts sum to its last
 * `cumulative`, which it keeps within the locked amount. Two different vouchers with one counter, or
 * vouchers whose amounts together pass the locked amount, can only come from a key that signed
 * outside that rule (a cloned key): that is the evidence the ledger acts on.
 *
 * The voucher's digest (SHA-256 of its signed bytes) is its identity: the same content under another
 * signature is the same voucher, never a second payment.
 */
import { type Bytes, bytesEqual } from './bytes.ts'
import { decodeRaw, encode } from './codec.ts'
import { sha256, sign, verify } from './crypto.ts'
import { fromTuple, type Infer, toTuple } from './schema.ts'
import { purseVoucherSignBytes } from './sign-bytes.ts'
import { voucher as voucherSchema } from './tx-body.ts'

export type Voucher = Infer<typeof voucherSchema>
export type VoucherFields = Omit<Voucher, 'signature'>

/** How long after a purse's expiry its vouchers may still be settled (terminals coming back online). */
export const PURSE_SETTLEMENT_GRACE_MS = 7 * 86_400_000
/** Furthest a purse's expiry may lie beyond the block that opens it. */
export const MAX_PURSE_LIFETIME_MS = 366 * 86_400_000
/** One encoded voucher (a QR code or an NFC frame carries it): about 200 bytes, with room. */
export const MAX_VOUCHER_BYTES = 512

export function voucherSignBytes(chainId: string, v: VoucherFields): Bytes {
  return purseVoucherSignBytes(chainId, v.point, v.purse, v.payee, v.counter, v.amount, v.cumulative)
}

/** The voucher's identity: the SHA-256 of what its purse key signs (the signature is not part of it). */
export function voucherDigest(chainId: string, v: VoucherFields): Bytes {
  return sha256(voucherSignBytes(chainId, v))
}

/** Signs a voucher with the purse's secret key. */
export function signVoucher(chainId: string, fields: VoucherFields, purseSecretKey: Bytes): Voucher {
  return { ...fields, signature: sign(voucherSignBytes(chainId, fields), purseSecretKey) }
}

/** True when the purse key (`v.purse`) signed this voucher for this chain. Never throws. */
export function verifyVoucherSignature(chainId: string, v: Voucher): boolean {
  return verify(v.signature, voucherSignBytes(chainId, v), v.purse)
}

/**
 * Rule (voucher shape): a counter from 1, a positive amount, and an amount within the running total
 * it is part of. Null when the voucher keeps it, else what is wrong.
 */
export function voucherShapeError(v: VoucherFields): string | null {
  if (v.counter < 1) return 'counter must be at least 1'
  if (v.amount < 1) return 'amount must be positive'
  if (v.amount > v.cumulative) return 'amount above the running total it is part of'
  return null
}

/**
 * Rule (cloned key): two vouchers of one purse with one counter but different content. Both must
 * also be signed by the purse key (`verifyVoucherSignature`) to be evidence.
 */
export function vouchersConflict(chainId: string, a: VoucherFields, b: VoucherFields): boolean {
  if (a.counter !== b.counter || a.point !== b.point) return false
  return bytesEqual(a.purse, b.purse) && !bytesEqual(voucherDigest(chainId, a), voucherDigest(chainId, b))
}

/** A voucher as compact bytes (its schema tuple), for a QR code or an NFC frame. */
export function encodeVoucher(v: Voucher): Bytes {
  return encode(toTuple(voucherSchema, v))
}

/** Decodes and checks the shape of a voucher's bytes (not its signature: see verifyVoucherSignature). */
export function decodeVoucher(bytes: Bytes): Voucher {
  return fromTuple(voucherSchema, decodeRaw(bytes, MAX_VOUCHER_BYTES, 'voucher'), 'voucher') as Voucher
}
