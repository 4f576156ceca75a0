/**
 * What a tx executor sees: the working set, the block's height and time, the signer, and the list
 * its events go to. Plus the lookups every family shares (points, balances, merchants, roles).
 */
import type { Bytes } from '../protocol/bytes.ts'
import { fail, StateErrorCode } from './errors.ts'
import { Keys, keyId } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import {
  bytesCodec,
  type ChainParams,
  type MerchantRecord,
  MerchantStatus,
  type Meta,
  merchantCodec,
  metaCodec,
  type PointRecord,
  pointCodec,
  type Roles,
  rolesCodec,
  uintCodec,
} from './records.ts'
import type { WorkingSet } from './working-set.ts'

export interface TxContext {
  readonly ws: WorkingSet
  readonly chainId: string
  readonly height: number
  readonly timeMs: number
  readonly params: ChainParams
  /** The epoch of `height` (staking-election.ts `epochOf`, under the anchor in force for this block). */
  readonly epoch: number
  readonly signer: Bytes
  readonly signerId: string
  /** The running tx's hash and its key id: what a later refund or cancellation names it by. */
  readonly txHash: Bytes
  readonly txHashId: string
  readonly events: LedgerEvent[]
  /**
   * True while a passed proposal's action runs: the authority is the validators' stake, not the
   * signer (who cast the deciding vote).
   */
  readonly governance?: boolean
}

export const hex = keyId

export function getMeta(ws: WorkingSet): Meta {
  return ws.get(Keys.meta, metaCodec) ?? fail(StateErrorCode.corruptState, 'no meta record')
}

export function rolesOf(ws: WorkingSet, accountId: string): Roles {
  return ws.get(Keys.roles(accountId), rolesCodec) ?? { admin: false, issuer: false }
}

export function requireAdmin(ctx: TxContext): void {
  // Rule: role grants and association registration are the admins' (the consortium's) alone.
  if (!rolesOf(ctx.ws, ctx.signerId).admin) fail(StateErrorCode.notAdmin, 'signer is not an admin')
}

/**
 * Rule: governed actions (roles, associations, observers, parameters) are the consortium's: an admin
 * (the genesis bootstrap, until governance revokes it) or a passed proposal.
 */
export function requireAdminOrGovernance(ctx: TxContext): void {
  if (ctx.governance !== true) requireAdmin(ctx)
}

export function getPoint(ws: WorkingSet, point: string): PointRecord {
  return ws.get(Keys.point(point), pointCodec) ?? fail(StateErrorCode.unknownPoint, `unknown point ${point}`)
}

export function putPoint(ws: WorkingSet, point: string, record: PointRecord): void {
  ws.put(Keys.point(point), pointCodec, record)
}

export function requireManager(ctx: TxContext, point: string): PointRecord {
  const record = getPoint(ctx.ws, point)
  // Rule: only the point's manager admits merchants, sets limits and records repayments
  // (the Region Token contract let anyone, domain-anchors §1.6.1).
  if (keyId(record.manager) !== ctx.signerId)
    fail(StateErrorCode.notManager, `signer is not the manager of ${point}`)
  return record
}

export function balanceOf(ws: WorkingSet, point: string, accountId: string): number {
  return ws.get(Keys.balance(point, accountId), uintCodec) ?? 0
}

/**
 * Zero balances are deleted, so the state holds no empty records. The raw record: customer balances
 * change through customer-balance.ts (creditCustomer / debitCustomer), which keeps their lots right.
 */
export function setBalance(ws: WorkingSet, point: string, accountId: string, amount: number): void {
  const key = Keys.balance(point, accountId)
  if (amount === 0) ws.delete(key, uintCodec)
  else ws.put(key, uintCodec, amount)
}

export function merchantOf(ws: WorkingSet, point: string, merchantId: string): MerchantRecord | undefined {
  return ws.get(Keys.merchant(point, merchantId), merchantCodec)
}

export function getMerchant(ws: WorkingSet, point: string, merchantId: string): MerchantRecord {
  return merchantOf(ws, point, merchantId) ?? fail(StateErrorCode.unknownMerchant, 'unknown merchant')
}

export function putMerchant(ws: WorkingSet, point: string, merchantId: string, record: MerchantRecord): void {
  ws.put(Keys.merchant(point, merchantId), merchantCodec, record)
}

/** The merchant a merchant-side key acts for (itself, for a merchant), or undefined for a customer. */
export function sideOf(ws: WorkingSet, point: string, accountId: string): Bytes | undefined {
  return ws.get(Keys.side(point, accountId), bytesCodec)
}

/** The merchant a terminal key belongs to, if it is a terminal. */
export function terminalOwner(ws: WorkingSet, point: string, terminalId: string): Bytes | undefined {
  const merchant = sideOf(ws, point, terminalId)
  return merchant !== undefined && keyId(merchant) !== terminalId ? merchant : undefined
}

/**
 * True when the account plays a merchant-side role in the point (a merchant not revoked, or a
 * terminal). Such keys never hold customer balances (domain-anchors §1.6.6).
 */
export function isMerchantSide(ws: WorkingSet, point: string, accountId: string): boolean {
  return sideOf(ws, point, accountId) !== undefined
}

/** Resolves the signer to the merchant it acts for: the merchant itself, or one of its terminals. */
export function actingMerchant(ctx: TxContext, point: string): { id: string; address: Bytes } {
  const merchant = sideOf(ctx.ws, point, ctx.signerId)
  if (merchant === undefined)
    fail(StateErrorCode.notTerminal, 'signer is neither a merchant nor a terminal of this point')
  return { id: keyId(merchant), address: merchant }
}

export function requireActive(m: MerchantRecord): void {
  if (m.status !== MerchantStatus.active) fail(StateErrorCode.merchantNotActive, `merchant is ${m.status}`)
}
