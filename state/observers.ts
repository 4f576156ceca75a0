/**
 * Observers: regulators' read-only nodes, named in genesis or admitted and removed by an admin or by
 * governance. The sorted list of node keys (Keys.observers) is what the p2p gater reads; each
 * observer's record holds its name. Bounded by MAX_OBSERVERS.
 */
import { type Bytes, bytesEqual, compareBytes } from '../protocol/bytes.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { hex, requireAdminOrGovernance, type TxContext } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { Keys } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import { bytesCodec, bytesListCodec, observerCodec } from './records.ts'
import type { WorkingSet } from './working-set.ts'

/** Most observers admitted at once (genesis refuses more too). */
export const MAX_OBSERVERS = 256

export function observerKeys(ws: WorkingSet): readonly Bytes[] {
  return ws.get(Keys.observers, bytesListCodec) ?? []
}

/** Rule: observer.admit needs room in the list. */
export function requireObserverRoom(keys: readonly Bytes[]): void {
  if (keys.length >= MAX_OBSERVERS)
    fail(StateErrorCode.tooManyObservers, `at most ${MAX_OBSERVERS} observers`)
}

export function admitObserver(ws: WorkingSet, nodeKey: Bytes, name: string, events: LedgerEvent[]): void {
  const id = hex(nodeKey)
  if (ws.get(Keys.observer(id), observerCodec) !== undefined)
    fail(StateErrorCode.observerExists, 'already admitted')
  // Rule: a node key is either a validator's or an observer's.
  if (ws.get(Keys.nodeKey(id), bytesCodec) !== undefined) fail(StateErrorCode.nodeKeyInUse, 'node key in use')
  const keys = observerKeys(ws)
  requireObserverRoom(keys)
  ws.put(Keys.observer(id), observerCodec, { name })
  ws.put(Keys.observers, bytesListCodec, [...keys, nodeKey].sort(compareBytes))
  events.push({ type: 'observerAdmitted', nodeKey, name })
}

export function observerAdmit(ctx: TxContext, body: TxBodyOf<'observer.admit'>): void {
  requireAdminOrGovernance(ctx)
  admitObserver(ctx.ws, body.nodeKey, body.name, ctx.events)
}

export function observerRemove(ctx: TxContext, body: TxBodyOf<'observer.remove'>): void {
  requireAdminOrGovernance(ctx)
  const id = hex(body.nodeKey)
  if (ctx.ws.get(Keys.observer(id), observerCodec) === undefined)
    fail(StateErrorCode.unknownObserver, 'not an observer')
  ctx.ws.delete(Keys.observer(id), observerCodec)
  const keys = observerKeys(ctx.ws).filter((k) => !bytesEqual(k, body.nodeKey))
  if (keys.length === 0) ctx.ws.delete(Keys.observers, bytesListCodec)
  else ctx.ws.put(Keys.observers, bytesListCodec, keys)
  ctx.events.push({ type: 'observerRemoved', nodeKey: body.nodeKey })
}
