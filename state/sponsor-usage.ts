/**
 * Sponsor usage: which txs a point's manager paid for (sponsorship.ts), so that the manager can
 * settle fees in yen. A tx counts when another account signed it, naming the manager as sponsor, and
 * the quota was charged: it was included and got past the sponsor check, whether or not its body
 * then applied (the quota is spent either way, as a fee would be). One record per such tx, kept by
 * the node in the block's batch; a usage statement sums them over a period by kind and by grantee.
 */
import { type Bytes, bytesEqual, bytesKey, compareBytes } from '../protocol/bytes.ts'
import { decodeRaw, encode } from '../protocol/codec.ts'
import { invalidField } from '../protocol/errors.ts'
import type { SignedTx } from '../protocol/tx.ts'
import { StateErrorCode } from './errors.ts'
import type { Period } from './period.ts'
import type { Receipt } from './receipt.ts'

export interface SponsoredTx {
  readonly point: string
  readonly timeMs: number
  readonly kind: string
  /** The signer whose tx the manager paid for. */
  readonly grantee: Bytes
  /** False when the body failed after the quota was charged. */
  readonly applied: boolean
}

/** The failures of the sponsor check itself, which charge nothing. */
const UNCHARGED: ReadonlySet<string> = new Set([StateErrorCode.noQuota, StateErrorCode.sponsorNotAllowed])

/**
 * The sponsored-tx record of an included tx, or null when the signer paid for itself, the sponsor
 * check refused it, or the tx names no point (a failed device.revoke, whose point went with it).
 */
export function sponsoredTxOf(tx: SignedTx, receipt: Receipt, timeMs: number): SponsoredTx | null {
  if (bytesEqual(tx.sponsor, tx.signer)) return null
  if (receipt.status !== 'ok' && receipt.error !== null && UNCHARGED.has(receipt.error)) return null
  const body = tx.body as unknown as { point?: unknown }
  let point = typeof body.point === 'string' ? body.point : null
  for (const e of receipt.events)
    if (point === null && 'point' in e && typeof e.point === 'string') point = e.point
  if (point === null) return null
  return { point, timeMs, kind: tx.body.kind, grantee: tx.signer, applied: receipt.status === 'ok' }
}

export function encodeSponsoredTx(s: SponsoredTx): Bytes {
  return encode([s.point, s.timeMs, s.kind, s.grantee, s.applied])
}

export function decodeSponsoredTx(bytes: Bytes): SponsoredTx {
  const raw = decodeRaw(bytes, 1024, 'sponsored tx')
  if (!Array.isArray(raw) || raw.length !== 5)
    throw invalidField('sponsoredTx', 'must be a tuple of 5 fields')
  const [point, timeMs, kind, grantee, applied] = raw as unknown[]
  if (
    typeof point !== 'string' ||
    !Number.isSafeInteger(timeMs) ||
    typeof kind !== 'string' ||
    !(grantee instanceof Uint8Array && grantee.length === 32) ||
    typeof applied !== 'boolean'
  ) {
    throw invalidField('sponsoredTx', 'has the wrong field types')
  }
  return { point, timeMs: timeMs as number, kind, grantee, applied }
}

export interface UsageCount {
  readonly txs: number
  /** Of `txs`, those whose body failed after the charge. */
  readonly failed: number
}

export interface SponsorUsageStatement {
  readonly point: string
  readonly sponsor: Bytes
  readonly period: Period
  readonly fromHeight: number | null
  readonly toHeight: number | null
  readonly final: boolean
  readonly asOfHeight: number | null
  readonly total: UsageCount
  /** Ascending by kind. */
  readonly byKind: ReadonlyArray<UsageCount & { readonly kind: string }>
  /** Descending by txs, then ascending by grantee. */
  readonly byGrantee: ReadonlyArray<UsageCount & { readonly grantee: Bytes }>
}

/** Most grantees one usage statement lists; a larger one is refused rather than held in memory. */
export const MAX_USAGE_GRANTEES = 100_000

export interface SponsorUsageFold {
  /** One sponsored-tx record of the point, in block order. Returns false past MAX_USAGE_GRANTEES. */
  add(record: SponsoredTx): boolean
  finish(info: {
    sponsor: Bytes
    fromHeight: number | null
    toHeight: number | null
    final: boolean
    asOfHeight: number
  }): SponsorUsageStatement
}

export function createSponsorUsageFold(point: string, period: Period): SponsorUsageFold {
  const kinds = new Map<string, { txs: number; failed: number }>()
  const grantees = new Map<string, { grantee: Bytes; txs: number; failed: number }>()
  const total = { txs: 0, failed: 0 }
  return {
    add(r) {
      if (r.point !== point || r.timeMs < period.startMs || r.timeMs >= period.endMs) return true
      const failed = r.applied ? 0 : 1
      total.txs++
      total.failed += failed
      const k = kinds.get(r.kind) ?? { txs: 0, failed: 0 }
      k.txs++
      k.failed += failed
      kinds.set(r.kind, k)
      const id = bytesKey(r.grantee)
      let g = grantees.get(id)
      if (g === undefined) {
        if (grantees.size >= MAX_USAGE_GRANTEES) return false
        g = { grantee: r.grantee, txs: 0, failed: 0 }
        grantees.set(id, g)
      }
      g.txs++
      g.failed += failed
      return true
    },
    finish(info) {
      return {
        point,
        sponsor: info.sponsor,
        period,
        fromHeight: info.fromHeight,
        toHeight: info.toHeight,
        final: info.final,
        asOfHeight: info.final ? null : info.asOfHeight,
        total: { ...total },
        byKind: [...kinds.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([kind, c]) => ({ kind, ...c })),
        byGrantee: [...grantees.values()]
          .sort((a, b) => b.txs - a.txs || compareBytes(a.grantee, b.grantee))
          .map((g) => ({ ...g })),
      }
    },
  }
}
