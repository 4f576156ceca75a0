/**
 * Roles and points (ERC-20 parity): role.grant/revoke, point.create, transfer, approve, transferFrom.
 * Customer balances only: merchants and terminals hold no balance (they use award/pay/redeem).
 */
import { bytesEqual } from '../protocol/bytes.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { requirePositive, sub } from './amounts.ts'
import {
  getPoint,
  hex,
  isMerchantSide,
  putPoint,
  requireAdminOrGovernance,
  rolesOf,
  type TxContext,
} from './context.ts'
import { creditTaken, debitCustomer } from './customer-balance.ts'
import { fail, StateErrorCode } from './errors.ts'
import { checkedPolicy, hasPolicy } from './expiry-policy.ts'
import { Keys } from './keys.ts'
import { pointCodec, rolesCodec, stringListCodec, uintCodec } from './records.ts'

export function roleGrant(ctx: TxContext, body: TxBodyOf<'role.grant'>): void {
  requireAdminOrGovernance(ctx)
  const who = hex(body.account)
  const roles = rolesOf(ctx.ws, who)
  ctx.ws.put(Keys.roles(who), rolesCodec, { ...roles, [body.role]: true })
  ctx.events.push({ type: 'role', account: body.account, role: body.role, active: true })
}

export function roleRevoke(ctx: TxContext, body: TxBodyOf<'role.revoke'>): void {
  requireAdminOrGovernance(ctx)
  const who = hex(body.account)
  // Rule: an admin cannot drop its own admin role, so the consortium can never lock itself out by
  // accident (governance may: that is how the bootstrap key is retired).
  if (who === ctx.signerId && body.role === 'admin' && ctx.governance !== true)
    fail(StateErrorCode.invalidParam, 'cannot revoke own admin role')
  const roles = { ...rolesOf(ctx.ws, who), [body.role]: false }
  if (!roles.admin && !roles.issuer) ctx.ws.delete(Keys.roles(who), rolesCodec)
  else ctx.ws.put(Keys.roles(who), rolesCodec, roles)
  ctx.events.push({ type: 'role', account: body.account, role: body.role, active: false })
}

export const MAX_DECIMALS = 18

/**
 * Most points one chain holds (a regional programme has a handful). The list of point ids is one
 * record (13 KiB at this bound), read whole by the RPC.
 */
export const MAX_POINTS = 1_000

/** Rule: point.create needs room in the list of points. */
export function requirePointRoom(points: readonly string[]): void {
  if (points.length >= MAX_POINTS)
    fail(StateErrorCode.tooManyPoints, `a chain holds at most ${MAX_POINTS} points`)
}

export function pointCreate(ctx: TxContext, body: TxBodyOf<'point.create'>): void {
  // Rule: only an issuer creates a point; it becomes the point's manager.
  if (!rolesOf(ctx.ws, ctx.signerId).issuer) fail(StateErrorCode.notIssuer, 'signer is not an issuer')
  if (body.decimals > MAX_DECIMALS)
    fail(StateErrorCode.invalidParam, `decimals must be at most ${MAX_DECIMALS}`)
  if (ctx.ws.get(Keys.point(body.point), pointCodec) !== undefined) {
    fail(StateErrorCode.pointExists, `point ${body.point} exists`)
  }
  const points = ctx.ws.get(Keys.points, stringListCodec) ?? []
  requirePointRoom(points)
  const expiry = checkedPolicy(body.expiry ?? null, ctx.timeMs)
  putPoint(ctx.ws, body.point, {
    manager: ctx.signer,
    name: body.name,
    decimals: body.decimals,
    transferable: body.transferable,
    totalSupply: 0,
    totalLiability: 0,
    cumRepaid: 0,
    cumRedeemed: 0,
    merchantCount: 0,
    grantCount: 0,
    directGrants: 0,
    cumExpired: 0,
    ...expiry,
    hasLots: hasPolicy(expiry),
    totalLocked: 0,
    refundWindowMs: 0,
    liveCampaigns: 0,
    campaignBudgets: 0,
    cumCampaignFunded: 0,
    cumCampaignReturned: 0,
    trafficUnclaimed: 0,
  })
  ctx.ws.put(Keys.points, stringListCodec, [...points, body.point])
  ctx.events.push({ type: 'pointCreated', point: body.point, manager: ctx.signer })
  if (hasPolicy(expiry)) {
    ctx.events.push({
      type: 'expiryPolicy',
      point: body.point,
      afterDays: expiry.expiryDays,
      atMs: expiry.expiryAtMs,
    })
  }
}

/**
 * Moves a customer balance; shared by transfer and transferFrom. Rule (transfers keep expiry): the
 * sender's lots move oldest first with their own expiry dates, so a transfer never refreshes them.
 */
function moveCustomerPoints(
  ctx: TxContext,
  point: string,
  fromId: string,
  toId: string,
  amount: number,
): void {
  const record = getPoint(ctx.ws, point)
  // Rule: a non-transferable point moves only between customers and merchants, never customer↔customer.
  if (!record.transferable)
    fail(StateErrorCode.notTransferable, `${point} is not transferable between customers`)
  requirePositive(amount)
  if (fromId === toId) fail(StateErrorCode.selfTransfer, 'sender and recipient are the same')
  // Rule: merchants and terminals hold no customer balance; pay them with merchant.pay.
  if (isMerchantSide(ctx.ws, point, fromId) || isMerchantSide(ctx.ws, point, toId)) {
    fail(StateErrorCode.roleConflict, 'merchants and terminals use award, pay and redeem')
  }
  creditTaken(ctx, point, toId, debitCustomer(ctx, point, fromId, amount))
}

export function pointTransfer(ctx: TxContext, body: TxBodyOf<'point.transfer'>): void {
  moveCustomerPoints(ctx, body.point, ctx.signerId, hex(body.to), body.amount)
  ctx.events.push({
    type: 'transfer',
    point: body.point,
    from: ctx.signer,
    to: body.to,
    amount: body.amount,
    spender: null,
  })
}

export function pointApprove(ctx: TxContext, body: TxBodyOf<'point.approve'>): void {
  getPoint(ctx.ws, body.point)
  const spender = hex(body.spender)
  if (spender === ctx.signerId) fail(StateErrorCode.selfTransfer, 'cannot approve oneself')
  const key = Keys.allowance(body.point, ctx.signerId, spender)
  // Setting (not adding) the allowance, as ERC-20 does; 0 removes it.
  if (body.amount === 0) ctx.ws.delete(key, uintCodec)
  else ctx.ws.put(key, uintCodec, body.amount)
  ctx.events.push({
    type: 'approval',
    point: body.point,
    owner: ctx.signer,
    spender: body.spender,
    amount: body.amount,
  })
}

export function pointTransferFrom(ctx: TxContext, body: TxBodyOf<'point.transferFrom'>): void {
  const from = hex(body.from)
  const key = Keys.allowance(body.point, from, ctx.signerId)
  const allowance = ctx.ws.get(key, uintCodec) ?? 0
  if (bytesEqual(body.from, ctx.signer))
    fail(StateErrorCode.selfTransfer, 'use point.transfer for own balance')
  const left = sub(allowance, body.amount, StateErrorCode.insufficientAllowance, 'allowance')
  moveCustomerPoints(ctx, body.point, from, hex(body.to), body.amount)
  if (left === 0) ctx.ws.delete(key, uintCodec)
  else ctx.ws.put(key, uintCodec, left)
  ctx.events.push({
    type: 'transfer',
    point: body.point,
    from: body.from,
    to: body.to,
    amount: body.amount,
    spender: ctx.signer,
  })
}
