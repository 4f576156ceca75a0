/**
 * Merchants, the Region Token model (DESIGN §4, domain-anchors §1) as explicit txs instead of routing
 * by address type. A merchant has a float and a liability, never both above zero (merchant-books.ts):
 * - award: float first, then credit (minted against liability, never above the credit limit);
 * - pay: clears liability first (burned), the surplus adds to the float;
 * - repay (manager, fiat received): clears liability first, the surplus prefunds the float (minted);
 * - redeem (merchant): burns float, the manager pays fiat off the ledger;
 * - refund and cancelled award (refunds.ts): an award's and a payment's movements, reversed.
 * Per point: Σ balances + totalLocked + Σ (float − liability) + campaignBudgets = cumRepaid −
 * cumRedeemed − cumExpired + cumCampaignFunded − cumCampaignReturned (expired points leave customers'
 * balances, customer-balance.ts; totalLocked is what offline purses hold, purses.ts; campaignBudgets
 * what campaigns hold for bonuses, campaigns.ts).
 */
import { type Bytes, compareBytes } from '../protocol/bytes.ts'
import type { CampaignTrigger, TxBodyOf } from '../protocol/tx-body.ts'
import { add, requirePositive, sub } from './amounts.ts'
import { payCampaignBonuses } from './campaigns.ts'
import {
  actingMerchant,
  balanceOf,
  getMerchant,
  getPoint,
  hex,
  isMerchantSide,
  merchantOf,
  putMerchant,
  putPoint,
  requireActive,
  requireManager,
  sideOf,
  type TxContext,
  terminalOwner,
} from './context.ts'
import { creditCustomer, debitCustomer, expireDue, type Taken } from './customer-balance.ts'
import { fail, StateErrorCode } from './errors.ts'
import { awardExpiryOf } from './expiry-policy.ts'
import { Keys, keyId } from './keys.ts'
import { chargeMerchant, creditMerchant } from './merchant-books.ts'
import { bytesCodec, type MerchantRecord, MerchantStatus } from './records.ts'
import { recordAward, recordPayment } from './refunds.ts'

export function merchantApply(ctx: TxContext, body: TxBodyOf<'merchant.apply'>): void {
  getPoint(ctx.ws, body.point)
  if (merchantOf(ctx.ws, body.point, ctx.signerId) !== undefined)
    fail(StateErrorCode.merchantExists, 'already applied')
  // Rule: a merchant key starts with no customer balance and is not a terminal (one role per key).
  if (sideOf(ctx.ws, body.point, ctx.signerId) !== undefined)
    fail(StateErrorCode.roleConflict, 'is a terminal')
  // Points that expired are no balance (lazy expiry, customer-balance.ts).
  expireDue(ctx, body.point, ctx.signerId)
  if (balanceOf(ctx.ws, body.point, ctx.signerId) !== 0)
    fail(StateErrorCode.roleConflict, 'holds a customer balance')
  putMerchant(ctx.ws, body.point, ctx.signerId, {
    name: body.name,
    status: MerchantStatus.applied,
    creditLimit: 0,
    float: 0,
    liability: 0,
    terminals: [],
    anchorCount: 0,
  })
  // Read after the lazy expiry above, which may have written the point record.
  const p = getPoint(ctx.ws, body.point)
  ctx.ws.put(Keys.merchantIndex(body.point, p.merchantCount), bytesCodec, ctx.signer)
  ctx.ws.put(Keys.side(body.point, ctx.signerId), bytesCodec, ctx.signer)
  putPoint(ctx.ws, body.point, { ...p, merchantCount: p.merchantCount + 1 })
  ctx.events.push({
    type: 'merchantStatus',
    point: body.point,
    merchant: ctx.signer,
    status: 'applied',
    creditLimit: 0,
  })
}

function setStatus(
  ctx: TxContext,
  point: string,
  merchant: Bytes,
  from: readonly MerchantStatus[],
  change: (m: MerchantRecord) => MerchantRecord,
): MerchantRecord {
  requireManager(ctx, point)
  const m = getMerchant(ctx.ws, point, hex(merchant))
  if (!from.includes(m.status)) fail(StateErrorCode.badMerchantStatus, `merchant is ${m.status}`)
  const next = change(m)
  putMerchant(ctx.ws, point, hex(merchant), next)
  ctx.events.push({
    type: 'merchantStatus',
    point,
    merchant,
    status: next.status,
    creditLimit: next.creditLimit,
  })
  return next
}

export function merchantAdmit(ctx: TxContext, body: TxBodyOf<'merchant.admit'>): void {
  setStatus(ctx, body.point, body.merchant, [MerchantStatus.applied], (m) => ({
    ...m,
    status: MerchantStatus.active,
    creditLimit: body.creditLimit,
  }))
}

export function merchantSetLimit(ctx: TxContext, body: TxBodyOf<'merchant.setLimit'>): void {
  setStatus(ctx, body.point, body.merchant, [MerchantStatus.active, MerchantStatus.suspended], (m) => {
    // Rule: a limit below the current liability is rejected (equal is fine), so liability ≤ limit
    // always holds (the Region Token contract allowed it, domain-anchors §1.6.3).
    if (body.creditLimit < m.liability) {
      fail(StateErrorCode.limitBelowLiability, 'credit limit below current liability', {
        liability: m.liability,
        creditLimit: body.creditLimit,
      })
    }
    return { ...m, creditLimit: body.creditLimit }
  })
}

export function merchantSuspend(ctx: TxContext, body: TxBodyOf<'merchant.suspend'>): void {
  setStatus(ctx, body.point, body.merchant, [MerchantStatus.active], (m) => ({
    ...m,
    status: MerchantStatus.suspended,
  }))
}

export function merchantReinstate(ctx: TxContext, body: TxBodyOf<'merchant.reinstate'>): void {
  setStatus(ctx, body.point, body.merchant, [MerchantStatus.suspended], (m) => ({
    ...m,
    status: MerchantStatus.active,
  }))
}

export function merchantRevoke(ctx: TxContext, body: TxBodyOf<'merchant.revoke'>): void {
  const from = [MerchantStatus.applied, MerchantStatus.active, MerchantStatus.suspended]
  const before = getMerchant(ctx.ws, body.point, hex(body.merchant))
  setStatus(ctx, body.point, body.merchant, from, (m) => ({
    ...m,
    status: MerchantStatus.revoked,
    terminals: [],
  }))
  // Revocation frees its own and its terminals' keys for reuse. The record stays: its liability is
  // still owed and its float can still be redeemed.
  ctx.ws.delete(Keys.side(body.point, hex(body.merchant)), bytesCodec)
  for (const t of before.terminals) {
    ctx.ws.delete(Keys.side(body.point, hex(t)), bytesCodec)
    ctx.events.push({
      type: 'terminal',
      point: body.point,
      merchant: body.merchant,
      terminal: t,
      active: false,
    })
  }
}

/** Rule: a merchant has at most `maxTerminalsPerMerchant` terminals. */
export function requireTerminalRoom(m: MerchantRecord, params: { maxTerminalsPerMerchant: number }): void {
  if (m.terminals.length >= params.maxTerminalsPerMerchant)
    fail(StateErrorCode.tooManyTerminals, 'too many terminals')
}

export function merchantAddTerminal(ctx: TxContext, body: TxBodyOf<'merchant.addTerminal'>): void {
  // Rule: only the merchant itself (not a terminal) manages its terminals.
  const m =
    merchantOf(ctx.ws, body.point, ctx.signerId) ??
    fail(StateErrorCode.notMerchant, 'signer is not a merchant')
  requireActive(m)
  const t = hex(body.terminal)
  const side = sideOf(ctx.ws, body.point, t)
  if (side !== undefined && keyId(side) !== t) fail(StateErrorCode.terminalExists, 'already a terminal')
  if (side !== undefined) fail(StateErrorCode.roleConflict, 'is a merchant')
  expireDue(ctx, body.point, t)
  if (balanceOf(ctx.ws, body.point, t) !== 0)
    fail(StateErrorCode.roleConflict, 'terminal key holds a customer balance')
  requireTerminalRoom(m, ctx.params)
  const terminals = [...m.terminals, body.terminal].sort(compareBytes)
  putMerchant(ctx.ws, body.point, ctx.signerId, { ...m, terminals })
  ctx.ws.put(Keys.side(body.point, t), bytesCodec, ctx.signer)
  ctx.events.push({
    type: 'terminal',
    point: body.point,
    merchant: ctx.signer,
    terminal: body.terminal,
    active: true,
  })
}

export function merchantRemoveTerminal(ctx: TxContext, body: TxBodyOf<'merchant.removeTerminal'>): void {
  const m =
    merchantOf(ctx.ws, body.point, ctx.signerId) ??
    fail(StateErrorCode.notMerchant, 'signer is not a merchant')
  const t = hex(body.terminal)
  const owner = terminalOwner(ctx.ws, body.point, t)
  if (owner === undefined || keyId(owner) !== ctx.signerId)
    fail(StateErrorCode.unknownTerminal, 'not its terminal')
  // The index entry goes too, so the key is reusable (Region Token bricked it, domain-anchors §1.6.2).
  ctx.ws.delete(Keys.side(body.point, t), bytesCodec)
  putMerchant(ctx.ws, body.point, ctx.signerId, {
    ...m,
    terminals: m.terminals.filter((x) => keyId(x) !== t),
  })
  ctx.events.push({
    type: 'terminal',
    point: body.point,
    merchant: ctx.signer,
    terminal: body.terminal,
    active: false,
  })
}

/**
 * Gives `amount` points to a customer on the merchant's account: float first, then credit. Shared by
 * merchant.award (trigger `award`) and traffic rewards (the event's kind); the point's live campaigns
 * then pay their bonuses on it (campaigns.ts).
 */
export function awardPoints(
  ctx: TxContext,
  point: string,
  merchant: { id: string; address: Bytes },
  customer: Bytes,
  amount: number,
  trigger: CampaignTrigger,
): void {
  requirePositive(amount)
  const m = getMerchant(ctx.ws, point, merchant.id)
  requireActive(m)
  const customerId = hex(customer)
  // Rule: no self-dealing: a merchant or terminal cannot award points to a merchant-side key.
  if (isMerchantSide(ctx.ws, point, customerId))
    fail(StateErrorCode.roleConflict, 'customer is a merchant or terminal')
  // Float first, then credit (merchant-books.ts); the award is a lot under the point's policy now
  // (expiry-policy.ts), or never expires.
  const { fromFloat, onCredit } = chargeMerchant(ctx, point, { id: merchant.id, record: m }, amount)
  creditCustomer(ctx, point, customerId, amount, awardExpiryOf(getPoint(ctx.ws, point), ctx.timeMs))
  ctx.events.push({
    type: 'award',
    point,
    merchant: merchant.address,
    terminal: ctx.signer,
    customer,
    amount,
    fromFloat,
    onCredit,
  })
  payCampaignBonuses(ctx, point, merchant, customer, amount, trigger)
}

export function merchantAward(ctx: TxContext, body: TxBodyOf<'merchant.award'>): void {
  getPoint(ctx.ws, body.point)
  const merchant = actingMerchant(ctx, body.point)
  awardPoints(ctx, body.point, merchant, body.customer, body.amount, 'award')
  recordAward(ctx, body.point, merchant.address, body.customer, body.amount)
}

/** The active merchant a payment to `payee` (the merchant or one of its terminals) goes to. */
export function payeeMerchant(
  ctx: TxContext,
  point: string,
  payee: Bytes,
): { address: Bytes; id: string; record: MerchantRecord } {
  const merchant =
    sideOf(ctx.ws, point, hex(payee)) ?? fail(StateErrorCode.unknownMerchant, 'payee is not a merchant')
  const id = hex(merchant)
  const record = getMerchant(ctx.ws, point, id)
  requireActive(record)
  return { address: merchant, id, record }
}

/** A payer's points go to the merchant named by `payee` (the merchant or one of its terminals). */
export function payPoints(
  ctx: TxContext,
  point: string,
  payer: Bytes,
  payee: Bytes,
  amount: number,
  device: Bytes | null,
): { merchant: Bytes; taken: Taken } {
  requirePositive(amount)
  getPoint(ctx.ws, point)
  const merchant = payeeMerchant(ctx, point, payee)
  const payerId = hex(payer)
  if (isMerchantSide(ctx.ws, point, payerId))
    fail(StateErrorCode.roleConflict, 'payer is a merchant or terminal')
  // Oldest expiry first, the non-expiring part last (customer-balance.ts).
  const taken = debitCustomer(ctx, point, payerId, amount)
  const { liabilityCleared, toFloat } = creditMerchant(ctx, point, merchant, amount)
  ctx.events.push({
    type: 'pay',
    point,
    merchant: merchant.address,
    payer,
    amount,
    liabilityCleared,
    toFloat,
    device,
  })
  return { merchant: merchant.address, taken }
}

export function merchantPay(ctx: TxContext, body: TxBodyOf<'merchant.pay'>): void {
  const paid = payPoints(ctx, body.point, ctx.signer, body.payee, body.amount, null)
  recordPayment(ctx, body.point, paid.merchant, ctx.signer, body.amount, paid.taken)
}

export function merchantRepay(ctx: TxContext, body: TxBodyOf<'merchant.repay'>): void {
  const p = requireManager(ctx, body.point)
  requirePositive(body.amount)
  const merchantId = hex(body.merchant)
  const m = getMerchant(ctx.ws, body.point, merchantId)
  // Suspended and revoked merchants can still settle their debt (as in Region Token).
  if (m.status === MerchantStatus.applied) fail(StateErrorCode.badMerchantStatus, 'merchant not admitted')
  const liabilityCleared = Math.min(m.liability, body.amount)
  const toFloat = body.amount - liabilityCleared
  putMerchant(ctx.ws, body.point, merchantId, {
    ...m,
    liability: m.liability - liabilityCleared,
    float: add(m.float, toFloat),
  })
  putPoint(ctx.ws, body.point, {
    ...p,
    totalSupply: add(p.totalSupply, toFloat),
    totalLiability: p.totalLiability - liabilityCleared,
    cumRepaid: add(p.cumRepaid, body.amount),
  })
  ctx.events.push({
    type: 'repay',
    point: body.point,
    merchant: body.merchant,
    amount: body.amount,
    liabilityCleared,
    toFloat,
    fiatRef: body.fiatRef,
  })
}

export function merchantRedeem(ctx: TxContext, body: TxBodyOf<'merchant.redeem'>): void {
  const p = getPoint(ctx.ws, body.point)
  requirePositive(body.amount)
  // Rule: only the merchant itself redeems (not a terminal); allowed in any admitted status.
  const m =
    merchantOf(ctx.ws, body.point, ctx.signerId) ??
    fail(StateErrorCode.notMerchant, 'signer is not a merchant')
  if (m.status === MerchantStatus.applied) fail(StateErrorCode.badMerchantStatus, 'merchant not admitted')
  const float = sub(m.float, body.amount, StateErrorCode.insufficientFloat, 'float')
  putMerchant(ctx.ws, body.point, ctx.signerId, { ...m, float })
  putPoint(ctx.ws, body.point, {
    ...p,
    totalSupply: p.totalSupply - body.amount,
    cumRedeemed: add(p.cumRedeemed, body.amount),
  })
  ctx.events.push({
    type: 'redeem',
    point: body.point,
    merchant: ctx.signer,
    amount: body.amount,
    fiatRef: body.fiatRef,
  })
}
