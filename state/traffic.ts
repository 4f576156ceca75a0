/**
 * Traffic: shops record customer events (visit, view, click, purchase) in batches; the point's rules
 * turn them into points, charged to the shop exactly like an award (float first, then credit).
 *
 * Customers appear only as pseudonyms: a key the customer's wallet derives for the point
 * (client/pseudonym.ts), the same at every shop of the point and reversible by no one. Earned points
 * accrue to the pseudonym, unclaimed, until its key claims them into an account (pseudonyms.ts).
 *
 * An event is confirmed when it carries its customer's attestation: the pseudonym's key signed the
 * event at this shop within a window holding the block's time (protocol/traffic-attestation.ts). The
 * point's rules say what each kind earns confirmed and unconfirmed (the shop's word alone). A bad
 * attestation fails the whole batch (STATE_BAD_ATTESTATION): a shop cannot pass off its own word as
 * the customer's.
 *
 * Each event id counts once per shop; a repeated id is counted as a duplicate and earns nothing, so a
 * retried batch is harmless (and an attestation, which signs its event id, counts once). The daily cap
 * holds per pseudonym per point, across shops. The day of the cap and of the per-shop figures is the
 * block's day in JST (UTC+9). Large shops anchor a Merkle root of an off-ledger batch instead
 * (traffic.anchor).
 */
import type { Bytes } from '../protocol/bytes.ts'
import { attestationWindowError, verifyAttestationSignature } from '../protocol/traffic-attestation.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { add, jstDayOf, perMille } from './amounts.ts'
import { payCampaignBonuses } from './campaigns.ts'
import {
  actingMerchant,
  getMerchant,
  getPoint,
  hex,
  putMerchant,
  requireActive,
  requireManager,
  type TxContext,
} from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { Keys } from './keys.ts'
import { chargeMerchant } from './merchant-books.ts'
import { accrueToPseudonym, pseudonymTrafficOf, putPseudonymTraffic } from './pseudonyms.ts'
import {
  anchorCodec,
  bytesCodec,
  EMPTY_SHOP_DAY,
  type KindCounts,
  type ShopDay,
  shopDayCodec,
  type TrafficRules,
  trafficRulesCodec,
  uintCodec,
} from './records.ts'

export function trafficSetRules(ctx: TxContext, body: TxBodyOf<'traffic.setRules'>): void {
  requireManager(ctx, body.point)
  const rules: TrafficRules = {
    confirmed: body.confirmed,
    unconfirmed: body.unconfirmed,
    dailyCapPerCustomer: body.dailyCapPerCustomer,
  }
  ctx.ws.put(Keys.trafficRules(body.point), trafficRulesCodec, rules)
  ctx.events.push({ type: 'trafficRules', point: body.point })
}

type TrafficEvent = TxBodyOf<'traffic.record'>['events'][number]

/** Rule (confirmed): the event's attestation holds, or the batch fails. */
function requireAttestation(
  ctx: TxContext,
  point: string,
  merchant: Bytes,
  e: TrafficEvent,
  at: string,
): void {
  const a = e.attestation
  if (a === null) return
  if (e.pseudonym === null)
    fail(StateErrorCode.badAttestation, `${at}: an attested event names its pseudonym`)
  const windowError = attestationWindowError(a, ctx.timeMs)
  if (windowError !== null) fail(StateErrorCode.badAttestation, `${at}: attestation ${windowError}`)
  const attested = {
    point,
    merchant,
    pseudonym: e.pseudonym,
    eventId: e.eventId,
    kind: e.kind,
    amount: e.amount,
  }
  if (!verifyAttestationSignature(ctx.chainId, attested, a))
    fail(StateErrorCode.badAttestation, `${at}: the pseudonym's key did not sign this event at this shop`)
}

const bump = (counts: KindCounts, kind: keyof KindCounts): KindCounts => ({
  ...counts,
  [kind]: counts[kind] + 1,
})

export function trafficRecord(ctx: TxContext, body: TxBodyOf<'traffic.record'>): void {
  const point = body.point
  getPoint(ctx.ws, point)
  const merchant = actingMerchant(ctx, point)
  requireActive(getMerchant(ctx.ws, point, merchant.id))
  const rules = ctx.ws.get(Keys.trafficRules(point), trafficRulesCodec)
  const day = jstDayOf(ctx.timeMs)
  const dayKey = Keys.trafficShopDay(point, merchant.id, day)
  let shopDay: ShopDay = ctx.ws.get(dayKey, shopDayCodec) ?? EMPTY_SHOP_DAY
  let recorded = 0
  let confirmedCount = 0
  let duplicates = 0
  let totalPoints = 0
  body.events.forEach((event, i) => {
    const eventKey = Keys.trafficEvent(point, merchant.id, event.eventId)
    if (ctx.ws.get(eventKey, uintCodec) !== undefined) {
      duplicates++
      return
    }
    requireAttestation(ctx, point, merchant.address, event, `events[${i}]`)
    ctx.ws.put(eventKey, uintCodec, ctx.height)
    recorded++
    const confirmed = event.attestation !== null
    if (confirmed) confirmedCount++
    const amount = event.kind === 'purchase' ? event.amount : 0
    let points = 0
    const pseudonym = event.pseudonym
    if (rules !== undefined && pseudonym !== null && rules.dailyCapPerCustomer > 0) {
      const rates = confirmed ? rules.confirmed : rules.unconfirmed
      const earned = add(
        rates[event.kind],
        event.kind === 'purchase' ? perMille(amount, rates.purchasePerMille) : 0,
      )
      // Rule (cap): per pseudonym per point per JST day, whichever shops recorded the events.
      const capKey = Keys.trafficCap(point, day, hex(pseudonym))
      const today = ctx.ws.get(capKey, uintCodec) ?? 0
      points = Math.max(0, Math.min(earned, rules.dailyCapPerCustomer - today))
      if (points > 0) {
        ctx.ws.put(capKey, uintCodec, today + points)
        earnTraffic(ctx, point, merchant, pseudonym, points)
        // Campaign bonuses ride on a rewarded event alone, beyond the cap (which bounds the base).
        payCampaignBonuses(ctx, point, merchant, pseudonym, points, event.kind, 'pseudonym')
      }
    }
    totalPoints = add(totalPoints, points)
    shopDay = {
      ...shopDay,
      confirmed: confirmed ? bump(shopDay.confirmed, event.kind) : shopDay.confirmed,
      unconfirmed: confirmed ? shopDay.unconfirmed : bump(shopDay.unconfirmed, event.kind),
      amount: add(shopDay.amount, amount),
      points: add(shopDay.points, points),
    }
    if (pseudonym !== null) {
      const t = pseudonymTrafficOf(ctx.ws, point, pseudonym)
      putPseudonymTraffic(ctx.ws, point, pseudonym, {
        ...t,
        events: t.events + 1,
        confirmed: t.confirmed + (confirmed ? 1 : 0),
        amount: add(t.amount, amount),
      })
    }
  })
  shopDay = { ...shopDay, duplicates: shopDay.duplicates + duplicates }
  ctx.ws.put(dayKey, shopDayCodec, shopDay)
  ctx.events.push({
    type: 'traffic',
    point,
    merchant: merchant.address,
    recorded,
    confirmed: confirmedCount,
    duplicates,
    points: totalPoints,
  })
}

/** The shop is charged for `points` as for an award; they accrue to the pseudonym, unclaimed. */
function earnTraffic(
  ctx: TxContext,
  point: string,
  merchant: { id: string; address: Bytes },
  pseudonym: Bytes,
  points: number,
): void {
  const record = getMerchant(ctx.ws, point, merchant.id)
  const { fromFloat, onCredit } = chargeMerchant(ctx, point, { id: merchant.id, record }, points)
  accrueToPseudonym(ctx, point, pseudonym, points)
  ctx.events.push({
    type: 'trafficEarned',
    point,
    merchant: merchant.address,
    terminal: ctx.signer,
    pseudonym,
    amount: points,
    fromFloat,
    onCredit,
  })
}

export function trafficAnchor(ctx: TxContext, body: TxBodyOf<'traffic.anchor'>): void {
  getPoint(ctx.ws, body.point)
  const merchant = actingMerchant(ctx, body.point)
  const m = getMerchant(ctx.ws, body.point, merchant.id)
  requireActive(m)
  if (body.count === 0 || body.periodStartMs > body.periodEndMs) {
    fail(StateErrorCode.invalidParam, 'an anchor needs count > 0 and start ≤ end')
  }
  const rootId = hex(body.root)
  if (ctx.ws.get(Keys.anchor(body.point, rootId), anchorCodec) !== undefined) {
    fail(StateErrorCode.anchorExists, 'root already anchored')
  }
  ctx.ws.put(Keys.anchor(body.point, rootId), anchorCodec, {
    merchant: merchant.address,
    count: body.count,
    periodStartMs: body.periodStartMs,
    periodEndMs: body.periodEndMs,
    height: ctx.height,
    txHash: ctx.txHash,
  })
  ctx.ws.put(Keys.anchorIndex(body.point, merchant.id, m.anchorCount), bytesCodec, body.root)
  putMerchant(ctx.ws, body.point, merchant.id, { ...m, anchorCount: m.anchorCount + 1 })
  ctx.events.push({
    type: 'anchor',
    point: body.point,
    merchant: merchant.address,
    root: body.root,
    count: body.count,
  })
}
