/**
 * Offline purses (issue 15): an owner (a customer's phone, or a device's owner) locks points into a
 * purse bound to a purse key; offline, the purse key signs payment vouchers (protocol/purse.ts) that
 * merchants' terminals check against a cached certified proof of the purse; back online, the
 * terminals settle them here. Every rule below carries a comment naming it.
 *
 * The books: locking moves points from the owner's balance into the purse (point `totalLocked`, part of
 * totalSupply); a settled voucher pays its merchant out of the purse the way a payment is paid
 * (merchant-books.ts `creditMerchant`: liability first, surplus to float); at close what is left goes back
 * to the owner. Per point: Σ balances + totalLocked + Σ (float − liability) = cumRepaid − cumRedeemed
 * − cumExpired.
 *
 * With point expiry (customer-balance.ts), a purse never lets points outlive their expiry:
 * - Rule (purse lots): the lock debits the owner like any payment (`debitCustomer`: lots soonest
 *   expiry first, the non-expiring part last) and the purse keeps what it took, each lot with its own
 *   expiry (≤ MAX_LOTS lots, from one balance). Vouchers are paid from the purse's soonest-expiring lot
 *   first, its non-expiring part last; at close the rest goes back with `creditTaken`, each lot with the
 *   expiry it had, so a lot that expired meanwhile is burned on return (an `expire` event), and a purse
 *   never refreshes an expiry.
 * - Rule (purse expiry cap): a purse expires no later than the soonest lot it locked (its expiresAtMs is
 *   the earlier of the one asked for and that lot's expiry), so locking is no way to spend points
 *   offline after they expired. A purse of non-expiring points keeps the expiry asked for.
 * - The overdraft charge is a payment from the owner (`payPoints`, lot-aware), after lazy expiry.
 *
 * Settlement (`purse.settle`), per voucher, in counter order within the batch:
 * - any order across batches and terminals, each voucher once (by digest), while block time ≤
 *   settleUntilMs (expiry + PURSE_SETTLEMENT_GRACE_MS), no running total above the locked amount L;
 * - an honest purse's vouchers have distinct counters and their amounts sum to its last running total
 *   ≤ L, so they always settle in full from the purse, whatever order they arrive in, gaps included;
 * - a second, different voucher with a settled counter, or a voucher the purse cannot cover (the
 *   amounts settled would pass L), is evidence of a cloned key: the purse freezes;
 * - a voucher is paid from what is left in the purse, then (overdraft) from the owner's free balance as
 *   far as it goes (a `pay` event from the owner), and the rest is `shortfall`: recorded on the purse,
 *   the merchant's loss and the owner's debt off the ledger.
 * So the purse itself never pays out more than L, and a merchant's total loss on one purse is at most
 * what it accepted from it (the README states the bound and why).
 *
 * Work is bounded: a tx touches the purses of its vouchers (≤ MAX_VOUCHERS_PER_SETTLE), two keys per
 * voucher; nothing scans. A purse closes by `purse.reclaim` (anyone, once its window is over).
 */
import { verify } from '../protocol/crypto.ts'
import {
  MAX_PURSE_LIFETIME_MS,
  PURSE_SETTLEMENT_GRACE_MS,
  type Voucher,
  verifyVoucherSignature,
  voucherDigest,
  voucherShapeError,
  vouchersConflict,
} from '../protocol/purse.ts'
import { pursePossessionSignBytes } from '../protocol/sign-bytes.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { add, requirePositive } from './amounts.ts'
import {
  actingMerchant,
  balanceOf,
  getPoint,
  hex,
  isMerchantSide,
  putPoint,
  sideOf,
  type TxContext,
} from './context.ts'
import { creditTaken, debitCustomer, expireDue } from './customer-balance.ts'
import { fail, StateErrorCode } from './errors.ts'
import { NO_LOTS, takeOldestFirst } from './expiry-lots.ts'
import { Keys, keyId } from './keys.ts'
import { creditMerchant } from './merchant-books.ts'
import { payeeMerchant, payPoints } from './merchants.ts'
import { bytesCodec, type PurseRecord, PurseStatus, purseCodec, uintCodec } from './records.ts'
import type { WorkingSet } from './working-set.ts'

/** The purse under a key, in the point named (a purse is of one point). */
function getPurse(ws: WorkingSet, purseId: string, point: string): PurseRecord {
  const purse = ws.get(Keys.purse(purseId), purseCodec)
  if (purse === undefined || purse.point !== point)
    fail(StateErrorCode.unknownPurse, `no such purse in ${point}`)
  return purse
}

/** The point's totalLocked moves with every point that enters or leaves a purse. */
function moveLocked(ctx: TxContext, point: string, delta: number): void {
  if (delta === 0) return
  const p = getPoint(ctx.ws, point)
  putPoint(ctx.ws, point, { ...p, totalLocked: add(p.totalLocked, delta) })
}

export function purseOpen(ctx: TxContext, body: TxBodyOf<'purse.open'>): void {
  getPoint(ctx.ws, body.point)
  requirePositive(body.amount)
  // Rule: the owner locks customer points; merchant-side keys hold none.
  if (isMerchantSide(ctx.ws, body.point, ctx.signerId))
    fail(StateErrorCode.roleConflict, 'owner is a merchant or terminal')
  // Rule (single-use key): a purse key opens one purse, ever, so its vouchers can never be replayed
  // against a later purse. The record stays after the purse closes.
  const purseId = hex(body.purse)
  if (ctx.ws.get(Keys.purse(purseId), purseCodec) !== undefined)
    fail(StateErrorCode.purseExists, 'this purse key has opened a purse')
  // Rule (expiry): after this block, at most MAX_PURSE_LIFETIME_MS beyond it.
  if (body.expiresAtMs <= ctx.timeMs || body.expiresAtMs > ctx.timeMs + MAX_PURSE_LIFETIME_MS) {
    fail(StateErrorCode.badPurseExpiry, 'expiry must be after the block time and within the lifetime', {
      timeMs: ctx.timeMs,
      maxLifetimeMs: MAX_PURSE_LIFETIME_MS,
    })
  }
  // Rule (possession): the purse key signs its consent, so nobody binds a key they do not hold.
  const message = pursePossessionSignBytes(ctx.chainId, ctx.signer, body.purse)
  if (!verify(body.possessionProof, message, body.purse))
    fail(StateErrorCode.badPossessionProof, 'purse key possession proof does not verify')
  // Rule (purse lots): the owner pays the purse like a payment, soonest expiry first.
  const taken = debitCustomer(ctx, body.point, ctx.signerId, body.amount)
  // Rule (purse expiry cap): no later than the soonest lot it locked (after the block time: lazy
  // expiry left only live lots).
  const soonest = taken.lots[0]
  const expiresAtMs = soonest === undefined ? body.expiresAtMs : Math.min(body.expiresAtMs, soonest[0])
  const settleUntilMs = add(expiresAtMs, PURSE_SETTLEMENT_GRACE_MS)
  ctx.ws.put(Keys.purse(purseId), purseCodec, {
    owner: ctx.signer,
    point: body.point,
    locked: body.amount,
    spent: 0,
    expiresAtMs,
    settleUntilMs,
    status: PurseStatus.open,
    vouchers: 0,
    maxCounter: 0,
    charged: 0,
    shortfall: 0,
    returned: 0,
    openedAtHeight: ctx.height,
    frozenAtHeight: 0,
    lots: taken.lots,
    nonExpiring: taken.nonExpiring,
  })
  moveLocked(ctx, body.point, body.amount)
  ctx.events.push({
    type: 'purseOpened',
    point: body.point,
    purse: body.purse,
    owner: ctx.signer,
    amount: body.amount,
    expiresAtMs,
    settleUntilMs,
  })
}

export function purseSettle(ctx: TxContext, body: TxBodyOf<'purse.settle'>): void {
  getPoint(ctx.ws, body.point)
  // Rule: a merchant or one of its terminals settles (the payees are checked per voucher).
  const merchant = actingMerchant(ctx, body.point)
  if (body.vouchers.length === 0) fail(StateErrorCode.invalidParam, 'no vouchers')
  // Rule (counter order): a batch settles in counter order, whatever order it was sent in (stable).
  const ordered = body.vouchers.map((v, i) => ({ v, i }))
  ordered.sort((a, b) => a.v.counter - b.v.counter || a.i - b.i)
  for (const { v } of ordered) settleVoucher(ctx, body.point, merchant.id, v)
}

function settleVoucher(ctx: TxContext, point: string, merchantId: string, v: Voucher): void {
  // Rule (voucher shape), and a voucher of this point.
  const shape = voucherShapeError(v)
  if (shape !== null) fail(StateErrorCode.voucherInvalid, shape)
  if (v.point !== point) fail(StateErrorCode.voucherInvalid, `voucher of point ${v.point}`)
  // Rule (payee): a merchant settles only what is payable to itself or one of its terminals.
  const side = sideOf(ctx.ws, point, hex(v.payee))
  if (side === undefined || keyId(side) !== merchantId)
    fail(StateErrorCode.voucherNotPayee, 'the voucher pays another merchant')
  const payee = payeeMerchant(ctx, point, v.payee)
  // Rule (signature): the purse key signed it, for this chain (the chain id is in the signed bytes).
  if (!verifyVoucherSignature(ctx.chainId, v))
    fail(StateErrorCode.voucherBadSignature, 'the purse key did not sign this voucher for this chain')
  const purseId = hex(v.purse)
  const purse = getPurse(ctx.ws, purseId, point)
  // Rule (settlement window): while block time ≤ expiry + grace, and never once closed.
  if (purse.status === PurseStatus.closed) fail(StateErrorCode.purseClosed, 'the purse is closed')
  if (ctx.timeMs > purse.settleUntilMs)
    fail(StateErrorCode.purseSettlementOver, 'the settlement window of this purse is over')
  // Rule (beyond the purse): a running total above the locked amount is no voucher a terminal takes.
  if (v.cumulative > purse.locked)
    fail(StateErrorCode.voucherBeyondPurse, 'running total above the locked amount', {
      cumulative: v.cumulative,
      locked: purse.locked,
    })
  // Rule (each voucher once; one counter, one voucher): the first voucher at a counter is kept by
  // digest under the counter; a different one at that counter is a cloned key's, kept by its digest.
  const digest = voucherDigest(ctx.chainId, v)
  const counterKey = Keys.purseCounter(purseId, v.counter)
  const first = ctx.ws.get(counterKey, bytesCodec)
  let conflict = false
  if (first === undefined) {
    ctx.ws.put(counterKey, bytesCodec, digest)
  } else {
    if (keyId(first) === keyId(digest)) fail(StateErrorCode.voucherReplayed, 'voucher already settled')
    const otherKey = Keys.purseVoucher(purseId, keyId(digest))
    if (ctx.ws.get(otherKey, uintCodec) !== undefined)
      fail(StateErrorCode.voucherReplayed, 'voucher already settled')
    ctx.ws.put(otherKey, uintCodec, v.counter)
    conflict = true
  }
  // Rule (overdraft): the purse pays what it still holds; the rest is beyond the purse.
  const fromPurse = Math.min(v.amount, purse.locked - purse.spent)
  const over = v.amount - fromPurse
  // Rule (cloned key): a used counter or an overdraft freezes the purse (terminals then refuse it).
  const reason = conflict ? 'counter' : over > 0 ? 'overdraft' : null
  let freezes = false
  if (reason !== null && purse.status === PurseStatus.open) {
    freezes = true
    ctx.events.push({
      type: 'purseFrozen',
      point,
      purse: v.purse,
      owner: purse.owner,
      counter: v.counter,
      reason,
    })
  }
  const paid =
    fromPurse > 0 ? creditMerchant(ctx, point, payee, fromPurse) : { liabilityCleared: 0, toFloat: 0 }
  // Rule (overdraft charge): the owner's free balance covers the overdraft as far as it goes (what is
  // left after lazy expiry: expired points pay nothing); a key that became merchant-side holds no
  // customer balance, so it covers nothing.
  const ownerId = hex(purse.owner)
  let charged = 0
  if (over > 0 && !isMerchantSide(ctx.ws, point, ownerId)) {
    expireDue(ctx, point, ownerId)
    charged = Math.min(over, balanceOf(ctx.ws, point, ownerId))
  }
  const shortfall = over - charged
  // Rule (purse lots): the purse pays from its soonest-expiring lot first, its non-expiring part last.
  const took = takeOldestFirst(purse.lots, fromPurse)
  ctx.ws.put(Keys.purse(purseId), purseCodec, {
    ...purse,
    spent: purse.spent + fromPurse,
    lots: took.lots,
    nonExpiring: purse.nonExpiring - (fromPurse - took.fromLots),
    status: freezes ? PurseStatus.frozen : purse.status,
    frozenAtHeight: freezes ? ctx.height : purse.frozenAtHeight,
    vouchers: purse.vouchers + 1,
    maxCounter: Math.max(purse.maxCounter, v.counter),
    charged: add(purse.charged, charged),
    shortfall: add(purse.shortfall, shortfall),
  })
  moveLocked(ctx, point, -fromPurse)
  ctx.events.push({
    type: 'purseVoucher',
    point,
    purse: v.purse,
    owner: purse.owner,
    merchant: payee.address,
    payee: v.payee,
    counter: v.counter,
    amount: v.amount,
    fromPurse,
    liabilityCleared: paid.liabilityCleared,
    toFloat: paid.toFloat,
    shortfall,
  })
  if (charged > 0) payPoints(ctx, point, purse.owner, v.payee, charged, null)
}

export function purseEvidence(ctx: TxContext, body: TxBodyOf<'purse.evidence'>): void {
  getPoint(ctx.ws, body.point)
  const { first, second } = body
  if (first.point !== body.point || second.point !== body.point)
    fail(StateErrorCode.voucherInvalid, 'vouchers of another point')
  // Rule (cloned key): two different vouchers of one purse with one counter, both signed by its key.
  if (!vouchersConflict(ctx.chainId, first, second))
    fail(StateErrorCode.vouchersNotConflicting, 'not two different vouchers of one purse and counter')
  if (!verifyVoucherSignature(ctx.chainId, first) || !verifyVoucherSignature(ctx.chainId, second))
    fail(StateErrorCode.voucherBadSignature, 'the purse key did not sign both vouchers for this chain')
  const purseId = hex(first.purse)
  const purse = getPurse(ctx.ws, purseId, body.point)
  if (purse.status === PurseStatus.closed) fail(StateErrorCode.purseClosed, 'the purse is closed')
  if (purse.status === PurseStatus.frozen) fail(StateErrorCode.purseFrozen, 'the purse is frozen already')
  ctx.ws.put(Keys.purse(purseId), purseCodec, {
    ...purse,
    status: PurseStatus.frozen,
    frozenAtHeight: ctx.height,
  })
  ctx.events.push({
    type: 'purseFrozen',
    point: body.point,
    purse: first.purse,
    owner: purse.owner,
    counter: first.counter,
    reason: 'counter',
  })
}

export function purseReclaim(ctx: TxContext, body: TxBodyOf<'purse.reclaim'>): void {
  getPoint(ctx.ws, body.point)
  const purseId = hex(body.purse)
  const purse = getPurse(ctx.ws, purseId, body.point)
  if (purse.status === PurseStatus.closed) fail(StateErrorCode.purseClosed, 'the purse is closed')
  // Rule (return): what is left goes back only once no voucher can settle any more. Anyone may
  // close it then (the points go to the owner either way): nothing scans for expired purses.
  if (ctx.timeMs <= purse.settleUntilMs)
    fail(StateErrorCode.purseNotOver, 'vouchers may still settle', { settleUntilMs: purse.settleUntilMs })
  const ownerId = hex(purse.owner)
  // Rule: the remainder returns to a customer balance, which a merchant-side key cannot hold.
  if (isMerchantSide(ctx.ws, body.point, ownerId))
    fail(StateErrorCode.roleConflict, 'the owner is now a merchant or terminal')
  const returned = purse.locked - purse.spent
  // The owner's own lots expired by now leave first (their events before the return's).
  expireDue(ctx, body.point, ownerId)
  moveLocked(ctx, body.point, -returned)
  ctx.ws.put(Keys.purse(purseId), purseCodec, {
    ...purse,
    status: PurseStatus.closed,
    returned,
    lots: NO_LOTS,
    nonExpiring: 0,
  })
  ctx.events.push({
    type: 'purseClosed',
    point: body.point,
    purse: body.purse,
    owner: purse.owner,
    returned,
  })
  // Rule (purse lots): what is left goes back with the expiries it left with; a lot that expired
  // while locked is burned on arrival (an `expire` event after the return).
  if (returned > 0)
    creditTaken(ctx, body.point, ownerId, { lots: purse.lots, nonExpiring: purse.nonExpiring })
}
