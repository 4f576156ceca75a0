/**
 * Sponsorship: nobody needs a coin. Every tx names a sponsor, checked before its body runs:
 * - the signer itself, when the signer holds a role for the tx: admin, issuer, the manager of the
 *   tx's point, or a staking member or association (their stake is their bond); no quota is used;
 * - otherwise the manager of the tx's point, which must have granted the signer (or everyone using
 *   the point) a quota: txs per period of block time, an optional last height, optional kinds.
 *   The signer's own grant is tried first, then the grant to everyone; each counts separately.
 * Quota is consumed when the tx is included, whether or not its body then succeeds (like a fee):
 * otherwise failing txs would be free spam. Txs rejected before the sponsor check consume nothing.
 */
import type { SignedTx } from '../protocol/tx.ts'
import type { TxBody, TxBodyOf } from '../protocol/tx-body.ts'
import { isTxKind } from '../protocol/tx-body.ts'
import { periodOf } from './amounts.ts'
import { hex, putPoint, requireManager, rolesOf, type TxContext } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { EVERYONE, Keys, keyId } from './keys.ts'
import {
  associationCodec,
  bytesCodec,
  deviceCodec,
  type GrantRecord,
  grantCodec,
  pointCodec,
  quotaUseCodec,
  stakeCodec,
} from './records.ts'
import type { WorkingSet } from './working-set.ts'

export function sponsorGrant(ctx: TxContext, body: TxBodyOf<'sponsor.grant'>): void {
  const p = requireManager(ctx, body.point)
  const grantee = body.grantee === null ? EVERYONE : hex(body.grantee)
  // Rule: no self-grant; the manager sponsors itself without one.
  if (grantee === ctx.signerId) fail(StateErrorCode.selfGrant, 'cannot grant oneself')
  if (body.txsPerPeriod === 0 || body.periodMs === 0)
    fail(StateErrorCode.invalidParam, 'quota and period must be positive')
  if (body.expiresAtHeight !== 0 && body.expiresAtHeight < ctx.height)
    fail(StateErrorCode.invalidParam, 'already expired')
  for (const k of body.kinds) if (!isTxKind(k)) fail(StateErrorCode.invalidParam, `unknown tx kind ${k}`)
  const key = Keys.grant(body.point, grantee)
  const existing = ctx.ws.get(key, grantCodec)
  const live = existing !== undefined && !existing.revoked
  const direct = body.grantee !== null && !live ? 1 : 0
  if (existing === undefined) {
    // First grant to this grantee: list it (the index is append-only; revocation keeps the record).
    ctx.ws.put(Keys.grantIndex(body.point, p.grantCount), bytesCodec, body.grantee ?? new Uint8Array(0))
  }
  putPoint(ctx.ws, body.point, {
    ...p,
    grantCount: p.grantCount + (existing === undefined ? 1 : 0),
    directGrants: p.directGrants + direct,
  })
  ctx.ws.put(key, grantCodec, {
    grantee: body.grantee,
    txsPerPeriod: body.txsPerPeriod,
    periodMs: body.periodMs,
    expiresAtHeight: body.expiresAtHeight,
    kinds: [...body.kinds].sort(),
    revoked: false,
  })
  ctx.events.push({ type: 'grant', point: body.point, grantee: body.grantee, active: true })
}

export function sponsorRevoke(ctx: TxContext, body: TxBodyOf<'sponsor.revoke'>): void {
  const p = requireManager(ctx, body.point)
  const key = Keys.grant(body.point, body.grantee === null ? EVERYONE : hex(body.grantee))
  const g = ctx.ws.get(key, grantCodec)
  if (g === undefined || g.revoked) fail(StateErrorCode.unknownGrant, 'no such grant')
  ctx.ws.put(key, grantCodec, { ...g, revoked: true })
  if (body.grantee !== null) putPoint(ctx.ws, body.point, { ...p, directGrants: p.directGrants - 1 })
  ctx.events.push({ type: 'grant', point: body.point, grantee: body.grantee, active: false })
}

/** The point a tx acts in, which decides who may sponsor it. */
export function pointOfTx(ws: WorkingSet, body: TxBody): string | null {
  if ('point' in body) return body.point
  if (body.kind === 'device.revoke') return ws.get(Keys.device(hex(body.device)), deviceCodec)?.point ?? null
  return null
}

function maySelfSponsor(ws: WorkingSet, signerId: string, point: string | null): boolean {
  const roles = rolesOf(ws, signerId)
  if (roles.admin || roles.issuer) return true
  if (point !== null) {
    const p = ws.get(Keys.point(point), pointCodec)
    if (p !== undefined && keyId(p.manager) === signerId) return true
  }
  return (
    ws.get(Keys.stake(signerId), stakeCodec) !== undefined ||
    ws.get(Keys.association(signerId), associationCodec) !== undefined
  )
}

function grantUsable(g: GrantRecord | undefined, kind: string, height: number): g is GrantRecord {
  return (
    g !== undefined &&
    !g.revoked &&
    (g.expiresAtHeight === 0 || height <= g.expiresAtHeight) &&
    (g.kinds.length === 0 || g.kinds.includes(kind))
  )
}

/** One quota a tx may charge: its use record, and how many txs it pays for in the current period. */
export interface QuotaSlotUse {
  /** The key of the quota-use record (`qu/<point>/<signer>/<grantee>`): one count per signer and grant. */
  readonly key: string
  readonly period: number
  readonly used: number
  readonly limit: number
}

/**
 * Who pays for a tx: null when the signer sponsors itself (no quota is used), else the usable grants
 * of the manager that the tx may charge, in the order tried (the signer's own grant, then the grant to
 * everyone), counted at `timeMs`; with `untilFree`, only up to the first with quota left (what
 * charging needs). Throws STATE_SPONSOR_NOT_ALLOWED when the named sponsor may not pay.
 */
export function sponsorQuotas(
  ws: WorkingSet,
  tx: SignedTx,
  signerId: string,
  height: number,
  timeMs: number,
  untilFree: boolean,
): QuotaSlotUse[] | null {
  const point = pointOfTx(ws, tx.body)
  const sponsorId = keyId(tx.sponsor)
  if (sponsorId === signerId) {
    if (maySelfSponsor(ws, signerId, point)) return null
    fail(StateErrorCode.sponsorNotAllowed, 'signer holds no role that lets it sponsor itself')
  }
  if (point === null)
    fail(StateErrorCode.sponsorNotAllowed, 'only self-sponsored txs may act outside a point')
  const p = ws.get(Keys.point(point), pointCodec)
  if (p === undefined || keyId(p.manager) !== sponsorId) {
    fail(StateErrorCode.sponsorNotAllowed, 'the sponsor must be the manager of the tx point')
  }
  const slots: QuotaSlotUse[] = []
  for (const grantee of p.directGrants > 0 ? [signerId, EVERYONE] : [EVERYONE]) {
    const g = ws.get(Keys.grant(point, grantee), grantCodec)
    if (!grantUsable(g, tx.body.kind, height)) continue
    const key = Keys.quotaUse(point, signerId, grantee)
    const period = periodOf(timeMs, g.periodMs)
    const use = ws.get(key, quotaUseCodec)
    const used = use !== undefined && use.period === period ? use.used : 0
    slots.push({ key, period, used, limit: g.txsPerPeriod })
    if (untilFree && used < g.txsPerPeriod) break
  }
  return slots
}

/**
 * The ante check: may this tx's sponsor pay for it? Consumes one unit of quota, from the first slot
 * with some left, when `consume` is set (applyBlock); checkTx only looks. Throws
 * STATE_SPONSOR_NOT_ALLOWED or STATE_NO_QUOTA.
 */
export function chargeSponsor(
  ws: WorkingSet,
  tx: SignedTx,
  signerId: string,
  height: number,
  timeMs: number,
  consume: boolean,
): void {
  const slots = sponsorQuotas(ws, tx, signerId, height, timeMs, true)
  if (slots === null) return
  for (const slot of slots) {
    if (slot.used >= slot.limit) continue
    if (consume) ws.put(slot.key, quotaUseCodec, { period: slot.period, used: slot.used + 1 })
    return
  }
  fail(StateErrorCode.noQuota, 'no sponsor quota left for this tx')
}
