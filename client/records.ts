/**
 * The two state records an audit reads out of proofs (GET /v1/proofs/:ref): a point and a merchant.
 * state/ owns their layout (the keys in state/keys.ts, the fixed-order tuples in state/records.ts);
 * the browser-safe SDK may not import state/, so the parts it needs are restated here and pinned to
 * state/'s codecs by test/integration/client-records.test.ts.
 *
 * A verified proof is worth something only when it is the proof of the record that was asked for: a
 * node could answer `merchant:P:A` with the (valid) proof of merchant B. `pointRecordKey` and
 * `merchantRecordKey` give the key to compare with the proof's key.
 */
import { type Bytes, concatBytes, utf8 } from '../protocol/bytes.ts'

/** `pt/<point>` (state/keys.ts `Keys.point`). */
export const pointRecordKey = (point: string): Bytes => utf8(`pt/${point}`)

/** `mc/<point>/<the merchant's 32 key bytes>` (state/keys.ts `Keys.merchant`). */
export const merchantRecordKey = (point: string, merchant: Bytes): Bytes =>
  concatBytes(utf8(`mc/${point}/`), merchant)

/** A point record's books (state/records.ts PointRecord). */
export interface ProvenPoint {
  readonly name: string
  /** Σ customer balances + Σ merchant floats. */
  readonly totalSupply: number
  /** Σ merchant liabilities. */
  readonly totalLiability: number
  readonly cumRepaid: number
  readonly cumRedeemed: number
  /** Merchants that ever applied (the listing's length; it only grows). */
  readonly merchantCount: number
  /** Σ points expired out of customers' balances (breakage). */
  readonly cumExpired: number
}

/** A merchant record's books (state/records.ts MerchantRecord). */
export interface ProvenMerchant {
  readonly status: string
  readonly float: number
  readonly liability: number
}

const POINT_TUPLE_LENGTH = 15
const MERCHANT_TUPLE_LENGTH = 7
const isAmount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/**
 * A decoded point tuple `[manager, name, decimals, transferable, totalSupply, totalLiability,
 * cumRepaid, cumRedeemed, merchantCount, grantCount, directGrants, cumExpired, expiryDays,
 * expiryAtMs, hasLots]`; null when it is not one.
 */
export function pointRecordOf(decoded: unknown): ProvenPoint | null {
  if (!Array.isArray(decoded) || decoded.length !== POINT_TUPLE_LENGTH) return null
  const [, name, , , totalSupply, totalLiability, cumRepaid, cumRedeemed, merchantCount] = decoded
  const cumExpired = decoded[11]
  if (typeof name !== 'string') return null
  const amounts = [totalSupply, totalLiability, cumRepaid, cumRedeemed, merchantCount, cumExpired]
  if (!amounts.every(isAmount)) return null
  return { name, totalSupply, totalLiability, cumRepaid, cumRedeemed, merchantCount, cumExpired }
}

/**
 * A decoded merchant tuple `[name, status, creditLimit, float, liability, terminals, anchorCount]`;
 * null when it is not one.
 */
export function merchantRecordOf(decoded: unknown): ProvenMerchant | null {
  if (!Array.isArray(decoded) || decoded.length !== MERCHANT_TUPLE_LENGTH) return null
  const [, status, , float, liability] = decoded
  if (typeof status !== 'string' || !isAmount(float) || !isAmount(liability)) return null
  return { status, float, liability }
}
