/**
 * Devices (M2M): an owner binds a device key with spending limits; the device pays merchants from the
 * owner's balance within them; the owner revokes it at once. Binding needs both the owner's signature
 * (the tx) and the device's proof of possession over `devicePossessionSignBytes(chainId, owner, device)`,
 * so nobody can bind a key they do not hold. Periods are counted in block time.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { verify } from '../protocol/crypto.ts'
import { devicePossessionSignBytes } from '../protocol/sign-bytes.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { add, periodOf, requirePositive } from './amounts.ts'
import { getPoint, hex, isMerchantSide, sideOf, type TxContext } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { Keys, keyId } from './keys.ts'
import { payPoints } from './merchants.ts'
import { bytesListCodec, deviceCodec } from './records.ts'
import { recordPayment } from './refunds.ts'

/** Rule: an owner binds at most `maxDevicesPerOwner` devices. */
export function requireDeviceRoom(devices: readonly Bytes[], params: { maxDevicesPerOwner: number }): void {
  if (devices.length >= params.maxDevicesPerOwner) fail(StateErrorCode.tooManyDevices, 'too many devices')
}

export function deviceBind(ctx: TxContext, body: TxBodyOf<'device.bind'>): void {
  getPoint(ctx.ws, body.point)
  const deviceId = hex(body.device)
  if (deviceId === ctx.signerId) fail(StateErrorCode.invalidParam, 'a device cannot be its own owner')
  if (body.periodMs === 0 || body.maxPerTx === 0 || body.maxPerPeriod === 0) {
    fail(StateErrorCode.invalidParam, 'periodMs, maxPerTx and maxPerPeriod must be positive')
  }
  if (ctx.ws.get(Keys.device(deviceId), deviceCodec) !== undefined)
    fail(StateErrorCode.deviceExists, 'device is bound')
  // Rule: the owner spends customer points; merchant-side keys own no devices.
  if (isMerchantSide(ctx.ws, body.point, ctx.signerId))
    fail(StateErrorCode.roleConflict, 'owner is a merchant')
  const message = devicePossessionSignBytes(ctx.chainId, ctx.signer, body.device)
  if (!verify(body.possessionProof, message, body.device)) {
    fail(StateErrorCode.badPossessionProof, 'device possession proof does not verify')
  }
  const listKey = Keys.ownerDevices(ctx.signerId)
  const devices = ctx.ws.get(listKey, bytesListCodec) ?? []
  requireDeviceRoom(devices, ctx.params)
  ctx.ws.put(listKey, bytesListCodec, [...devices, body.device])
  ctx.ws.put(Keys.device(deviceId), deviceCodec, {
    owner: ctx.signer,
    point: body.point,
    maxPerTx: body.maxPerTx,
    maxPerPeriod: body.maxPerPeriod,
    periodMs: body.periodMs,
    merchants: body.merchants,
    period: periodOf(ctx.timeMs, body.periodMs),
    spent: 0,
  })
  ctx.events.push({ type: 'device', device: body.device, owner: ctx.signer, point: body.point, active: true })
}

export function devicePay(ctx: TxContext, body: TxBodyOf<'device.pay'>): void {
  const d =
    ctx.ws.get(Keys.device(ctx.signerId), deviceCodec) ?? fail(StateErrorCode.unknownDevice, 'unbound device')
  if (keyId(d.owner) !== hex(body.owner)) fail(StateErrorCode.notOwner, 'device is bound to another owner')
  if (d.point !== body.point) fail(StateErrorCode.invalidParam, `device is bound to point ${d.point}`)
  requirePositive(body.amount)
  if (body.amount > d.maxPerTx) fail(StateErrorCode.deviceLimitExceeded, 'above the per-tx limit')
  const period = periodOf(ctx.timeMs, d.periodMs)
  const spentBefore = period === d.period ? d.spent : 0
  const spent = add(spentBefore, body.amount)
  if (spent > d.maxPerPeriod) fail(StateErrorCode.deviceLimitExceeded, 'above the per-period limit')
  if (d.merchants.length > 0) {
    const payeeId = hex(body.payee)
    const merchantId = keyId(sideOf(ctx.ws, body.point, payeeId) ?? body.payee)
    if (!d.merchants.some((m) => keyId(m) === merchantId)) {
      fail(StateErrorCode.merchantNotAllowed, 'merchant is not on the device allow-list')
    }
  }
  const paid = payPoints(ctx, body.point, d.owner, body.payee, body.amount, ctx.signer)
  recordPayment(ctx, body.point, paid.merchant, d.owner, body.amount, paid.taken)
  ctx.ws.put(Keys.device(ctx.signerId), deviceCodec, { ...d, period, spent })
}

export function deviceRevoke(ctx: TxContext, body: TxBodyOf<'device.revoke'>): void {
  const deviceId = hex(body.device)
  const d =
    ctx.ws.get(Keys.device(deviceId), deviceCodec) ?? fail(StateErrorCode.unknownDevice, 'unbound device')
  // Rule: only the owner revokes; effective for the next tx (even later in the same block).
  if (keyId(d.owner) !== ctx.signerId) fail(StateErrorCode.notOwner, 'signer does not own the device')
  ctx.ws.delete(Keys.device(deviceId), deviceCodec)
  const listKey = Keys.ownerDevices(ctx.signerId)
  const devices = (ctx.ws.get(listKey, bytesListCodec) ?? []).filter((x) => keyId(x) !== deviceId)
  if (devices.length === 0) ctx.ws.delete(listKey, bytesListCodec)
  else ctx.ws.put(listKey, bytesListCodec, devices)
  ctx.events.push({ type: 'device', device: body.device, owner: ctx.signer, point: d.point, active: false })
}
