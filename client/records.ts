/**
 * The state records an audit or a terminal reads out of proofs (GET /v1/proofs/:ref): a point, a
 * merchant, an offline purse and a traffic anchor.
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
  /** Σ locked in offline purses, not yet paid out or returned (part of totalSupply). */
  readonly totalLocked: number
  /** Σ budgets of campaigns not yet paid out or returned (part of totalSupply). */
  readonly campaignBudgets: number
  /** Σ the manager funded campaigns with, and what its closed campaigns returned. */
  readonly cumCampaignFunded: number
  readonly cumCampaignReturned: number
  /** Σ points traffic earned for pseudonyms and not yet claimed (part of totalSupply). */
  readonly trafficUnclaimed: number
}

/** A merchant record's books (state/records.ts MerchantRecord). */
export interface ProvenMerchant {
  readonly status: string
  readonly float: number
  readonly liability: number
}

const POINT_TUPLE_LENGTH = 22
/** Where the point tuple holds cumExpired, totalLocked and the campaigns' books (state/records.ts pointCodec). */
const POINT_CUM_EXPIRED = 11
const POINT_TOTAL_LOCKED = 15
const POINT_CAMPAIGN_BUDGETS = 18
const MERCHANT_TUPLE_LENGTH = 7
const isAmount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/**
 * A decoded point tuple `[manager, name, decimals, transferable, totalSupply, totalLiability,
 * cumRepaid, cumRedeemed, merchantCount, grantCount, directGrants, cumExpired, expiryDays,
 * expiryAtMs, hasLots, totalLocked, refundWindowMs, liveCampaigns, campaignBudgets, cumCampaignFunded,
 * cumCampaignReturned, trafficUnclaimed]`; null when it is not one.
 */
export function pointRecordOf(decoded: unknown): ProvenPoint | null {
  if (!Array.isArray(decoded) || decoded.length !== POINT_TUPLE_LENGTH) return null
  const [, name, , , totalSupply, totalLiability, cumRepaid, cumRedeemed, merchantCount] = decoded
  const cumExpired: unknown = decoded[POINT_CUM_EXPIRED]
  const totalLocked: unknown = decoded[POINT_TOTAL_LOCKED]
  const [campaignBudgets, cumCampaignFunded, cumCampaignReturned, trafficUnclaimed] = decoded.slice(
    POINT_CAMPAIGN_BUDGETS,
  ) as unknown[]
  if (typeof name !== 'string') return null
  const amounts = [
    totalSupply,
    totalLiability,
    cumRepaid,
    cumRedeemed,
    merchantCount,
    cumExpired,
    totalLocked,
    campaignBudgets,
    cumCampaignFunded,
    cumCampaignReturned,
    trafficUnclaimed,
  ]
  if (!amounts.every(isAmount)) return null
  return {
    name,
    totalSupply,
    totalLiability,
    cumRepaid,
    cumRedeemed,
    merchantCount,
    cumExpired: cumExpired as number,
    totalLocked: totalLocked as number,
    campaignBudgets: campaignBudgets as number,
    cumCampaignFunded: cumCampaignFunded as number,
    cumCampaignReturned: cumCampaignReturned as number,
    trafficUnclaimed: trafficUnclaimed as number,
  }
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

/** `pur/<the purse key's 32 bytes>` (state/keys.ts `Keys.purse`). */
export const purseRecordKey = (purse: Bytes): Bytes => concatBytes(utf8('pur/'), purse)

/** An offline purse record (state/records.ts PurseRecord), as a terminal checks vouchers against it. */
export interface ProvenPurse {
  readonly owner: Bytes
  readonly point: string
  readonly locked: number
  readonly spent: number
  readonly expiresAtMs: number
  readonly settleUntilMs: number
  readonly status: 'open' | 'frozen' | 'closed'
  readonly vouchers: number
  readonly maxCounter: number
  readonly charged: number
  readonly shortfall: number
  readonly returned: number
  readonly openedAtHeight: number
  readonly frozenAtHeight: number
  /** What it holds that expires, `[expiresAtMs, amount]` soonest first (paid out first). */
  readonly lots: readonly (readonly [expiresAtMs: number, amount: number])[]
  /** What it holds that never expires. */
  readonly nonExpiring: number
}

const PURSE_FIELDS = [
  'owner',
  'point',
  'locked',
  'spent',
  'expiresAtMs',
  'settleUntilMs',
  'status',
  'vouchers',
  'maxCounter',
  'charged',
  'shortfall',
  'returned',
  'openedAtHeight',
  'frozenAtHeight',
  'lots',
  'nonExpiring',
] as const satisfies readonly (keyof ProvenPurse)[]
const PURSE_STATUSES: readonly unknown[] = ['open', 'frozen', 'closed']

/** A decoded purse tuple (fields in PURSE_FIELDS order); null when it is not one. */
export function purseRecordOf(decoded: unknown): ProvenPurse | null {
  if (!Array.isArray(decoded) || decoded.length !== PURSE_FIELDS.length) return null
  const out: Record<string, unknown> = {}
  PURSE_FIELDS.forEach((f, i) => {
    out[f] = decoded[i]
  })
  const owner = out.owner
  if (!(owner instanceof Uint8Array) || owner.length !== 32) return null
  if (typeof out.point !== 'string' || !PURSE_STATUSES.includes(out.status)) return null
  for (const f of PURSE_FIELDS) {
    if (f !== 'owner' && f !== 'point' && f !== 'status' && f !== 'lots' && !isAmount(out[f])) return null
  }
  const lots = out.lots
  const isLot = (l: unknown) => Array.isArray(l) && l.length === 2 && isAmount(l[0]) && isAmount(l[1])
  if (!Array.isArray(lots) || !lots.every(isLot)) return null
  return out as unknown as ProvenPurse
}

/** `anc/<point>/<the root's 32 bytes>` (state/keys.ts `Keys.anchor`). */
export const anchorRecordKey = (point: string, root: Bytes): Bytes => concatBytes(utf8(`anc/${point}/`), root)

/** An anchored traffic batch (state/records.ts AnchorRecord). */
export interface ProvenAnchor {
  readonly merchant: Bytes
  readonly count: number
  readonly periodStartMs: number
  readonly periodEndMs: number
  /** The block that anchored it, and the traffic.anchor tx. */
  readonly height: number
  readonly txHash: Bytes
}

/** A decoded anchor tuple `[merchant, count, periodStartMs, periodEndMs, height, txHash]`; null when it is not one. */
export function anchorRecordOf(decoded: unknown): ProvenAnchor | null {
  if (!Array.isArray(decoded) || decoded.length !== 6) return null
  const [merchant, count, periodStartMs, periodEndMs, height, txHash] = decoded
  const isKey = (v: unknown): v is Bytes => v instanceof Uint8Array && v.length === 32
  if (!isKey(merchant) || !isKey(txHash)) return null
  if (![count, periodStartMs, periodEndMs, height].every(isAmount)) return null
  return { merchant, count, periodStartMs, periodEndMs, height, txHash }
}
