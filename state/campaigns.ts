/**
 * Campaigns (issue 15, "The point's life cycle"): the manager, or a merchant for its own shop, runs a
 * campaign: a bonus on awards or on rewarded traffic kinds, over a time window, optionally limited to
 * a list of merchants, out of a budget. Every rule below carries a comment naming it.
 *
 * The books: a campaign's budget is funded the way every point in a customer's hand is funded, so it
 * is part of totalSupply (point `campaignBudgets`) from the moment it is funded:
 * - the manager's campaign: the budget is minted against the fiat the manager set aside (point
 *   cumCampaignFunded, like a repayment); at close the rest is burned (cumCampaignReturned);
 * - a merchant's campaign: the budget is charged like an award (merchant-books.ts `chargeMerchant`:
 *   float first, then credit within its limit); at close the rest is credited back like a payment
 *   (`creditMerchant`: liability first, then float);
 * - a bonus moves points from the budget to the customer (campaignBudgets − bonus, totalSupply
 *   unchanged), with the point's expiry policy like the award it rides on; a traffic event's bonus
 *   accrues to the customer's pseudonym, unclaimed (pseudonyms.ts), like the points it rides on.
 * Per point: Σ balances + totalLocked + Σ (float − liability) + campaignBudgets = cumRepaid −
 * cumRedeemed − cumExpired + cumCampaignFunded − cumCampaignReturned. Per campaign: funded = paid +
 * remaining + returned, remaining ≥ 0.
 *
 * Rule (bonus): on an award (merchant.award, trigger `award`) or a rewarded traffic event (its kind;
 * traffic's daily cap bounds the base points only), each open campaign of the point, in id order,
 * whose window holds the block time (startMs ≤ t < endMs), whose triggers hold the trigger and whose
 * merchants are empty or hold the awarding merchant pays min(remaining, floor(amount × bonusPerMille /
 * 1000) + flatBonus). Rule (exhausted): a campaign whose budget runs out closes in that same tx.
 * Rule (ended): past its end a campaign pays nothing and keeps its live slot until it is closed: by
 * its owner, the manager, or (since it can pay nothing more) anyone.
 *
 * Work is bounded: a point has at most MAX_LIVE_CAMPAIGNS open campaigns, listed in one index record,
 * so an award reads at most 1 + MAX_LIVE_CAMPAIGNS more records, and none while the point has no live
 * campaign (PointRecord.liveCampaigns, read with the point record the award reads anyway).
 */
import { type Bytes, bytesEqual, compareBytes } from '../protocol/bytes.ts'
import { campaignTermsError, canonicalTriggers, MAX_LIVE_CAMPAIGNS } from '../protocol/campaign.ts'
import type { CampaignTrigger, TxBodyOf } from '../protocol/tx-body.ts'
import { add, perMille, requirePositive } from './amounts.ts'
import { getPoint, hex, merchantOf, putPoint, requireActive, type TxContext } from './context.ts'
import { creditCustomer } from './customer-balance.ts'
import { fail, StateErrorCode } from './errors.ts'
import { awardExpiryOf } from './expiry-policy.ts'
import { Keys, keyId } from './keys.ts'
import { chargeMerchant, creditMerchant } from './merchant-books.ts'
import { accrueToPseudonym } from './pseudonyms.ts'
import {
  CampaignFunder,
  type CampaignIndex,
  type CampaignRecord,
  CampaignStatus,
  campaignCodec,
  campaignIndexCodec,
  type PointRecord,
  textCodec,
} from './records.ts'
import type { WorkingSet } from './working-set.ts'

const NO_CAMPAIGNS: CampaignIndex = { count: 0, live: [] }

function campaignIndexOf(ws: WorkingSet, point: string): CampaignIndex {
  return ws.get(Keys.campaignIndex(point), campaignIndexCodec) ?? NO_CAMPAIGNS
}

function getCampaign(ws: WorkingSet, point: string, campaign: string): CampaignRecord {
  return (
    ws.get(Keys.campaign(point, campaign), campaignCodec) ??
    fail(StateErrorCode.unknownCampaign, `no campaign ${campaign} in ${point}`)
  )
}

/** Rule (live campaigns): at most MAX_LIVE_CAMPAIGNS campaigns of a point are not closed. */
export function requireCampaignRoom(p: PointRecord): void {
  if (p.liveCampaigns >= MAX_LIVE_CAMPAIGNS)
    fail(StateErrorCode.tooManyCampaigns, `a point runs at most ${MAX_LIVE_CAMPAIGNS} campaigns at once`)
}

/**
 * Rule (campaign shape), the part that needs no record: the terms (protocol/campaign.ts), a positive
 * budget and an end after `timeMs`. Admission checks it against the head's time (a later block only
 * comes later, so what fails now fails then).
 */
export function requireCampaignTerms(body: TxBodyOf<'campaign.create'>, timeMs: number): void {
  const wrong = campaignTermsError(body)
  if (wrong !== null) fail(StateErrorCode.badCampaign, wrong)
  requirePositive(body.budget, 'budget')
  if (body.endMs <= timeMs)
    fail(StateErrorCode.badCampaign, 'the campaign must end after the block time', {
      endMs: body.endMs,
      timeMs,
    })
}

/** The funder of a campaign the signer creates: the manager, or an active merchant itself. */
function funderOf(ctx: TxContext, p: PointRecord, point: string): CampaignFunder {
  if (keyId(p.manager) === ctx.signerId) return CampaignFunder.manager
  // Rule (who): a merchant itself (a terminal holds no merchant record), and only while active.
  const m =
    merchantOf(ctx.ws, point, ctx.signerId) ??
    fail(StateErrorCode.notMerchant, 'signer is neither the manager nor a merchant of this point')
  requireActive(m)
  return CampaignFunder.merchant
}

/**
 * Moves `amount` into a campaign's budget from its funder (see the header) and reports it. The
 * point's campaignBudgets grows by `amount` either way.
 */
function fundBudget(
  ctx: TxContext,
  point: string,
  campaign: string,
  funder: CampaignFunder,
  amount: number,
  fiatRef: string,
): void {
  let fromFloat = 0
  let onCredit = 0
  if (funder === CampaignFunder.merchant) {
    const m = merchantOf(ctx.ws, point, ctx.signerId)
    if (m === undefined) fail(StateErrorCode.notMerchant, 'signer is not a merchant')
    requireActive(m)
    // Float first, then credit within the limit (merchant-books.ts); the point record moves with it.
    ;({ fromFloat, onCredit } = chargeMerchant(ctx, point, { id: ctx.signerId, record: m }, amount))
    const p = getPoint(ctx.ws, point)
    putPoint(ctx.ws, point, { ...p, campaignBudgets: add(p.campaignBudgets, amount) })
  } else {
    // Minted against the fiat the manager set aside (fiatRef), like a repayment.
    const p = getPoint(ctx.ws, point)
    putPoint(ctx.ws, point, {
      ...p,
      totalSupply: add(p.totalSupply, amount),
      campaignBudgets: add(p.campaignBudgets, amount),
      cumCampaignFunded: add(p.cumCampaignFunded, amount),
    })
  }
  ctx.events.push({
    type: 'campaignFunded',
    point,
    campaign,
    owner: ctx.signer,
    amount,
    fromFloat,
    onCredit,
    fiatRef,
  })
}

export function campaignCreate(ctx: TxContext, body: TxBodyOf<'campaign.create'>): void {
  const point = body.point
  const p = getPoint(ctx.ws, point)
  requireCampaignRoom(p)
  requireCampaignTerms(body, ctx.timeMs)
  // Rule (unique id): an id names one campaign of the point forever, closed ones included.
  if (ctx.ws.get(Keys.campaign(point, body.campaign), campaignCodec) !== undefined)
    fail(StateErrorCode.campaignExists, `campaign ${body.campaign} exists in ${point}`)
  const funder = funderOf(ctx, p, point)
  let merchants = [...body.merchants].sort(compareBytes)
  if (funder === CampaignFunder.merchant) {
    // Rule (own shop): a merchant's campaign pays on its own awards alone.
    if (merchants.length > 1 || (merchants.length === 1 && !bytesEqual(merchants[0]!, ctx.signer)))
      fail(StateErrorCode.badCampaign, "a merchant's campaign is for its own shop only")
    merchants = [ctx.signer]
  } else {
    // Rule (listed merchants): each one a merchant of the point (any status: it may be admitted later).
    for (const m of merchants) {
      if (merchantOf(ctx.ws, point, hex(m)) === undefined)
        fail(StateErrorCode.badCampaign, 'a listed merchant is not a merchant of this point')
    }
  }
  ctx.ws.put(Keys.campaign(point, body.campaign), campaignCodec, {
    owner: ctx.signer,
    funder,
    triggers: canonicalTriggers(body.triggers),
    bonusPerMille: body.bonusPerMille,
    flatBonus: body.flatBonus,
    startMs: body.startMs,
    endMs: body.endMs,
    merchants,
    funded: body.budget,
    remaining: body.budget,
    paid: 0,
    returned: 0,
    status: CampaignStatus.open,
    createdAtHeight: ctx.height,
    closedAtHeight: 0,
  })
  const index = campaignIndexOf(ctx.ws, point)
  ctx.ws.put(Keys.campaignSeq(point, index.count), textCodec, body.campaign)
  ctx.ws.put(Keys.campaignIndex(point), campaignIndexCodec, {
    count: index.count + 1,
    live: [...index.live, body.campaign].sort(),
  })
  ctx.events.push({
    type: 'campaignCreated',
    point,
    campaign: body.campaign,
    owner: ctx.signer,
    budget: body.budget,
  })
  fundBudget(ctx, point, body.campaign, funder, body.budget, body.fiatRef)
  const after = getPoint(ctx.ws, point)
  putPoint(ctx.ws, point, { ...after, liveCampaigns: after.liveCampaigns + 1 })
}

export function campaignFund(ctx: TxContext, body: TxBodyOf<'campaign.fund'>): void {
  getPoint(ctx.ws, body.point)
  requirePositive(body.amount)
  const c = getCampaign(ctx.ws, body.point, body.campaign)
  // Rule (owner): only the campaign's owner tops it up, funded the way it was created.
  if (keyId(c.owner) !== ctx.signerId)
    fail(StateErrorCode.notCampaignOwner, 'only the owner funds its campaign')
  if (c.status !== CampaignStatus.open) fail(StateErrorCode.campaignClosed, 'the campaign is closed')
  // Rule (ended): a campaign past its end pays nothing more; it is for closing, not funding.
  if (ctx.timeMs >= c.endMs) fail(StateErrorCode.campaignEnded, 'the campaign has ended')
  ctx.ws.put(Keys.campaign(body.point, body.campaign), campaignCodec, {
    ...c,
    funded: add(c.funded, body.amount),
    remaining: add(c.remaining, body.amount),
  })
  fundBudget(ctx, body.point, body.campaign, c.funder, body.amount, body.fiatRef)
}

/** Closes an open campaign, its rest going back to its funder (see the header); returns nothing. */
function closeCampaign(ctx: TxContext, point: string, campaign: string, c: CampaignRecord): void {
  const rest = c.remaining
  let liabilityCleared = 0
  let toFloat = 0
  if (rest > 0 && c.funder === CampaignFunder.merchant) {
    const id = keyId(c.owner)
    // A merchant in any status gets its rest back (a revoked one still owes or redeems).
    const m = merchantOf(ctx.ws, point, id) ?? fail(StateErrorCode.corruptState, 'campaign owner vanished')
    ;({ liabilityCleared, toFloat } = creditMerchant(ctx, point, { id, record: m }, rest))
  }
  ctx.ws.put(Keys.campaign(point, campaign), campaignCodec, {
    ...c,
    remaining: 0,
    returned: add(c.returned, rest),
    status: CampaignStatus.closed,
    closedAtHeight: ctx.height,
  })
  const index = campaignIndexOf(ctx.ws, point)
  ctx.ws.put(Keys.campaignIndex(point), campaignIndexCodec, {
    ...index,
    live: index.live.filter((id) => id !== campaign),
  })
  // Read after creditMerchant, which may have burned liability from the point's supply.
  const p = getPoint(ctx.ws, point)
  const burned = c.funder === CampaignFunder.manager ? rest : 0
  putPoint(ctx.ws, point, {
    ...p,
    liveCampaigns: p.liveCampaigns - 1,
    campaignBudgets: p.campaignBudgets - rest,
    totalSupply: p.totalSupply - burned,
    cumCampaignReturned: add(p.cumCampaignReturned, burned),
  })
  ctx.events.push({
    type: 'campaignClosed',
    point,
    campaign,
    owner: c.owner,
    returned: rest,
    liabilityCleared,
    toFloat,
  })
}

export function campaignClose(ctx: TxContext, body: TxBodyOf<'campaign.close'>): void {
  const p = getPoint(ctx.ws, body.point)
  const c = getCampaign(ctx.ws, body.point, body.campaign)
  if (c.status !== CampaignStatus.open) fail(StateErrorCode.campaignClosed, 'the campaign is closed')
  // Rule (who closes): the owner or the manager at any time; anyone once it has ended (it can pay
  // nothing more, and its live slot should not wait on its owner).
  const mayClose =
    keyId(c.owner) === ctx.signerId || keyId(p.manager) === ctx.signerId || ctx.timeMs >= c.endMs
  if (!mayClose) fail(StateErrorCode.notCampaignOwner, 'only the owner or the manager closes a campaign')
  closeCampaign(ctx, body.point, body.campaign, c)
}

/**
 * Rule (bonus), see the header: what the live campaigns of the point pay the customer on an award of
 * `amount` by `merchant` for `trigger`. Called after the award itself; free while the point has no
 * live campaign.
 */
export function payCampaignBonuses(
  ctx: TxContext,
  point: string,
  merchant: { id: string; address: Bytes },
  customer: Bytes,
  amount: number,
  trigger: CampaignTrigger,
  /** Who `customer` is: an account (an award) or a pseudonym (traffic, whose bonus accrues unclaimed). */
  to: 'account' | 'pseudonym' = 'account',
): void {
  if (getPoint(ctx.ws, point).liveCampaigns === 0) return
  const customerId = keyId(customer)
  for (const id of campaignIndexOf(ctx.ws, point).live) {
    const c = getCampaign(ctx.ws, point, id)
    if (ctx.timeMs < c.startMs || ctx.timeMs >= c.endMs) continue
    if (!c.triggers.includes(trigger)) continue
    if (c.merchants.length > 0 && !c.merchants.some((m) => keyId(m) === merchant.id)) continue
    const bonus = Math.min(c.remaining, add(perMille(amount, c.bonusPerMille), c.flatBonus))
    if (bonus <= 0) continue
    // The bonus is a lot under the point's policy now, like the award it rides on; a pseudonym's
    // accrues with its traffic points until claimed.
    if (to === 'pseudonym') accrueToPseudonym(ctx, point, customer, bonus)
    else creditCustomer(ctx, point, customerId, bonus, awardExpiryOf(getPoint(ctx.ws, point), ctx.timeMs))
    const paid: CampaignRecord = { ...c, remaining: c.remaining - bonus, paid: add(c.paid, bonus) }
    ctx.ws.put(Keys.campaign(point, id), campaignCodec, paid)
    // Read after creditCustomer (lazy expiry may have written the point record).
    const p = getPoint(ctx.ws, point)
    putPoint(ctx.ws, point, { ...p, campaignBudgets: p.campaignBudgets - bonus })
    ctx.events.push({
      type: 'campaignBonus',
      point,
      campaign: id,
      merchant: merchant.address,
      customer,
      amount: bonus,
      toPseudonym: to === 'pseudonym',
    })
    // Rule (exhausted): the campaign closes in the tx that spent its last point.
    if (paid.remaining === 0) closeCampaign(ctx, point, id, paid)
  }
}
