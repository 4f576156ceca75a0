/**
 * Associations: the consortium's members that run validator nodes. Registered, updated and retired by
 * an admin or by governance; an association's own account moves its server (setAddresses). Their p2p
 * addresses and RPC URLs are what peers dial and clients find (validated by the tx schemas).
 */
import { type Bytes, bytesEqual } from '../protocol/bytes.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { getMeta, hex, requireAdminOrGovernance, type TxContext } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { Keys, keyId } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import {
  type AssociationRecord,
  associationCodec,
  bytesCodec,
  metaCodec,
  observerCodec,
  validatorSetCodec,
} from './records.ts'
import type { WorkingSet } from './working-set.ts'

export interface NewAssociation {
  readonly association: Bytes
  readonly name: string
  readonly nodeKey: Bytes
  readonly p2p: string | null
  readonly rpc: string | null
}

/** Rule: a node key runs one association, and is no observer's. */
function requireFreeNodeKey(ws: WorkingSet, nodeKey: Bytes): void {
  const id = hex(nodeKey)
  if (
    ws.get(Keys.nodeKey(id), bytesCodec) !== undefined ||
    ws.get(Keys.observer(id), observerCodec) !== undefined
  ) {
    fail(StateErrorCode.nodeKeyInUse, 'node key in use')
  }
}

/** The one way an association comes to be (genesis and staking.registerAssociation). */
export function registerAssociation(ws: WorkingSet, input: NewAssociation, events: LedgerEvent[]): void {
  const a = hex(input.association)
  if (ws.get(Keys.association(a), associationCodec) !== undefined)
    fail(StateErrorCode.associationExists, 'registered')
  requireFreeNodeKey(ws, input.nodeKey)
  const meta = getMeta(ws)
  ws.put(Keys.association(a), associationCodec, {
    name: input.name,
    nodeKey: input.nodeKey,
    delegated: 0,
    jailed: false,
    seq: meta.associationCount,
    p2p: input.p2p,
    rpc: input.rpc,
    retired: false,
    jailedUntilEpoch: 0,
  })
  ws.put(Keys.associationIndex(meta.associationCount), bytesCodec, input.association)
  ws.put(Keys.nodeKey(hex(input.nodeKey)), bytesCodec, input.association)
  ws.put(Keys.meta, metaCodec, { ...meta, associationCount: meta.associationCount + 1 })
  events.push({ type: 'association', association: input.association, nodeKey: input.nodeKey })
}

export function getAssociation(ws: WorkingSet, association: Bytes): AssociationRecord {
  return (
    ws.get(Keys.association(keyId(association)), associationCodec) ??
    fail(StateErrorCode.unknownAssociation, 'unknown association')
  )
}

/** An association that is not retired (retired ones take no new delegations or changes). */
export function getActiveAssociation(ws: WorkingSet, association: Bytes): AssociationRecord {
  const a = getAssociation(ws, association)
  if (a.retired) fail(StateErrorCode.associationRetired, 'association is retired')
  return a
}

export function inCurrentSet(ws: WorkingSet, nodeKey: Bytes): boolean {
  return (ws.get(Keys.validatorSet, validatorSetCodec) ?? []).some(([k]) => bytesEqual(k, nodeKey))
}

export function stakingRegister(ctx: TxContext, body: TxBodyOf<'staking.registerAssociation'>): void {
  requireAdminOrGovernance(ctx)
  registerAssociation(ctx.ws, body, ctx.events)
}

export function associationUpdate(ctx: TxContext, body: TxBodyOf<'association.update'>): void {
  requireAdminOrGovernance(ctx)
  const a = getActiveAssociation(ctx.ws, body.association)
  if (!bytesEqual(a.nodeKey, body.nodeKey)) {
    // Rule: a validator's node key changes only while it is out of the set, so the set in force, the
    // evidence against it and the node-key index always agree.
    if (inCurrentSet(ctx.ws, a.nodeKey))
      fail(StateErrorCode.associationInSet, 'cannot change the node key of a current validator')
    requireFreeNodeKey(ctx.ws, body.nodeKey)
    ctx.ws.delete(Keys.nodeKey(hex(a.nodeKey)), bytesCodec)
    ctx.ws.put(Keys.nodeKey(hex(body.nodeKey)), bytesCodec, body.association)
  }
  const { name, nodeKey, p2p, rpc } = body
  ctx.ws.put(Keys.association(hex(body.association)), associationCodec, { ...a, name, nodeKey, p2p, rpc })
  ctx.events.push({ type: 'associationUpdated', association: body.association, nodeKey })
}

export function associationRetire(ctx: TxContext, body: TxBodyOf<'association.retire'>): void {
  requireAdminOrGovernance(ctx)
  const a = getActiveAssociation(ctx.ws, body.association)
  ctx.ws.put(Keys.association(hex(body.association)), associationCodec, { ...a, retired: true })
  ctx.events.push({ type: 'associationRetired', association: body.association })
}

/** Signed by the association's own account: it moved its server. */
export function associationSetAddresses(ctx: TxContext, body: TxBodyOf<'association.setAddresses'>): void {
  const a = getActiveAssociation(ctx.ws, ctx.signer)
  ctx.ws.put(Keys.association(ctx.signerId), associationCodec, { ...a, p2p: body.p2p, rpc: body.rpc })
  ctx.events.push({ type: 'associationUpdated', association: ctx.signer, nodeKey: a.nodeKey })
}
