/**
 * Traffic: shops record customer events (visit, view, click, purchase) in batches; the point's rules
 * turn them into points for the customer, charged to the shop exactly like an award (float first,
 * then credit). Each event id counts once per shop; a repeated id is counted as a duplicate and earns
 * nothing, so a retried batch is harmless. Customers appear only as salted hashes. The day of the
 * daily cap and of the per-shop aggregates is the block's day in JST (UTC+9).
 * Large shops anchor a Merkle root of an off-ledger batch instead (traffic.anchor).
 */
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { add, jstDayOf, perMille } from './amounts.ts'
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
import { awardPoints } from './merchants.ts'
import {
  anchorCodec,
  bytesCodec,
  type CustomerTraffic,
  customerTrafficCodec,
  EMPTY_SHOP_DAY,
  type ShopDay,
  shopDayCodec,
  trafficRulesCodec,
  uintCodec,
} from './records.ts'

export function trafficSetRules(ctx: TxContext, body: TxBodyOf<'traffic.setRules'>): void {
  requireManager(ctx, body.point)
  const { kind: _kind, point, ...rules } = body
  ctx.ws.put(Keys.trafficRules(point), trafficRulesCodec, rules)
  ctx.events.push({ type: 'trafficRules', point })
}

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
  let duplicates = 0
  let totalPoints = 0
  for (const event of body.events) {
    const eventKey = Keys.trafficEvent(point, merchant.id, event.eventId)
    if (ctx.ws.get(eventKey, uintCodec) !== undefined) {
      duplicates++
      continue
    }
    ctx.ws.put(eventKey, uintCodec, ctx.height)
    recorded++
    const amount = event.kind === 'purchase' ? event.amount : 0
    let points = 0
    if (rules !== undefined && event.account !== null && rules.dailyCapPerCustomer > 0) {
      const earned = add(
        rules[event.kind],
        event.kind === 'purchase' ? perMille(amount, rules.purchasePerMille) : 0,
      )
      const capKey = Keys.trafficCap(point, day, hex(event.customerHash))
      const today = ctx.ws.get(capKey, uintCodec) ?? 0
      points = Math.min(earned, rules.dailyCapPerCustomer - today)
      if (points > 0) {
        ctx.ws.put(capKey, uintCodec, today + points)
        // Campaign bonuses ride on a rewarded event alone, beyond the cap (which bounds the base).
        awardPoints(ctx, point, merchant, event.account, points, event.kind)
      } else {
        points = 0
      }
    }
    totalPoints = add(totalPoints, points)
    shopDay = {
      ...shopDay,
      [event.kind]: shopDay[event.kind] + 1,
      amount: add(shopDay.amount, amount),
      points: add(shopDay.points, points),
    }
    const customerKey = Keys.trafficCustomer(point, hex(event.customerHash))
    const c: CustomerTraffic = ctx.ws.get(customerKey, customerTrafficCodec) ?? {
      events: 0,
      amount: 0,
      points: 0,
    }
    ctx.ws.put(customerKey, customerTrafficCodec, {
      events: c.events + 1,
      amount: add(c.amount, amount),
      points: add(c.points, points),
    })
  }
  shopDay = { ...shopDay, duplicates: shopDay.duplicates + duplicates }
  ctx.ws.put(dayKey, shopDayCodec, shopDay)
  ctx.events.push({
    type: 'traffic',
    point,
    merchant: merchant.address,
    recorded,
    duplicates,
    points: totalPoints,
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
