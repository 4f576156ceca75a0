/**
 * Pseudonyms: the key a customer's wallet derives for one point (client/pseudonym.ts), under which
 * every shop of the point records its traffic. Points its traffic earns accrue to the pseudonym,
 * funded when earned (charged to the shop, or paid from a campaign's budget) and held in the point's
 * `trafficUnclaimed` (part of totalSupply), until the pseudonym's key signs a traffic.claim that
 * moves them into an account of the customer's choosing. Until then nothing on the ledger ties the
 * pseudonym to an account; the claim links the two, and only those two.
 *
 * The books: Σ balances + totalLocked + Σ (float − liability) + campaignBudgets + trafficUnclaimed =
 * cumRepaid − cumRedeemed − cumExpired + cumCampaignFunded − cumCampaignReturned.
 */
import type { Bytes } from '../protocol/bytes.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { add, requirePositive } from './amounts.ts'
import { getPoint, isMerchantSide, putPoint, type TxContext } from './context.ts'
import { creditCustomer } from './customer-balance.ts'
import { fail, StateErrorCode } from './errors.ts'
import { awardExpiryOf } from './expiry-policy.ts'
import { Keys, keyId } from './keys.ts'
import { NO_PSEUDONYM_TRAFFIC, type PseudonymTraffic, pseudonymTrafficCodec } from './records.ts'
import type { WorkingSet } from './working-set.ts'

export function pseudonymTrafficOf(ws: WorkingSet, point: string, pseudonym: Bytes): PseudonymTraffic {
  return ws.get(Keys.trafficPseudonym(point, keyId(pseudonym)), pseudonymTrafficCodec) ?? NO_PSEUDONYM_TRAFFIC
}

export function putPseudonymTraffic(
  ws: WorkingSet,
  point: string,
  pseudonym: Bytes,
  record: PseudonymTraffic,
): void {
  ws.put(Keys.trafficPseudonym(point, keyId(pseudonym)), pseudonymTrafficCodec, record)
}

/** Points the caller has funded (out of totalSupply's other terms) accrue to a pseudonym, unclaimed. */
export function accrueToPseudonym(ctx: TxContext, point: string, pseudonym: Bytes, amount: number): void {
  const t = pseudonymTrafficOf(ctx.ws, point, pseudonym)
  putPseudonymTraffic(ctx.ws, point, pseudonym, {
    ...t,
    points: add(t.points, amount),
    unclaimed: add(t.unclaimed, amount),
  })
  const p = getPoint(ctx.ws, point)
  putPoint(ctx.ws, point, { ...p, trafficUnclaimed: add(p.trafficUnclaimed, amount) })
}

/**
 * traffic.claim, signed by the pseudonym's key: `amount` of its unclaimed points move into `account`,
 * a lot under the point's expiry policy now (as an award is). The account may not be a merchant's or
 * a terminal's: traffic a shop records cannot end up on the shop's side.
 */
export function trafficClaim(ctx: TxContext, body: TxBodyOf<'traffic.claim'>): void {
  const { point, account, amount } = body
  getPoint(ctx.ws, point)
  requirePositive(amount)
  const accountId = keyId(account)
  if (isMerchantSide(ctx.ws, point, accountId))
    fail(StateErrorCode.roleConflict, 'the claiming account is a merchant or terminal')
  const t = pseudonymTrafficOf(ctx.ws, point, ctx.signer)
  if (amount > t.unclaimed) {
    fail(StateErrorCode.claimExceedsUnclaimed, 'claims more than the pseudonym has unclaimed', {
      unclaimed: t.unclaimed,
      amount,
    })
  }
  putPseudonymTraffic(ctx.ws, point, ctx.signer, { ...t, unclaimed: t.unclaimed - amount })
  const p = getPoint(ctx.ws, point)
  putPoint(ctx.ws, point, { ...p, trafficUnclaimed: p.trafficUnclaimed - amount })
  creditCustomer(ctx, point, accountId, amount, awardExpiryOf(getPoint(ctx.ws, point), ctx.timeMs))
  ctx.events.push({ type: 'trafficClaimed', point, pseudonym: ctx.signer, account, amount })
}
