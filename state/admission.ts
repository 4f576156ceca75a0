/**
 * Admission: the cheap stateful checks the mempool runs before it admits a tx (signature already
 * verified), and the sponsor quota a tx would charge, so the mempool can count the quota its waiting
 * txs will use. `height` is the height the tx would be included at (the head's + 1).
 *
 * checkTx refuses, cheapest first, each with the code applyBlock would give:
 *   - what would make a block invalid (apply-block.ts): another chain, expired, expiry beyond the
 *     window, already included;
 *   - what its sponsor cannot pay for: no role to sponsor itself, no usable grant, no quota left in
 *     the last block's period (quota used by txs still in the mempool is the mempool's to count, with
 *     `sponsorSlots`);
 *   - a kind reserved to a role the signer lacks;
 *   - what is sure to fail on a bound: a terminal, device, delegation, point, observer or open
 *     proposal past its limit; an expiry policy that is malformed or whose date has passed; a
 *     campaign past the point's live campaigns, or with terms the rules refuse or already over;
 *   - governance and unjail refusals that need no more than a read: a proposer or voter that is not a
 *     current validator's association, a bad deadline, a closed proposal, a jail not yet over.
 */
import type { SignedTx } from '../protocol/tx.ts'
import type { TxBodyOf, TxKind } from '../protocol/tx-body.ts'
import { getAssociation } from './associations.ts'
import { requireCampaignRoom, requireCampaignTerms } from './campaigns.ts'
import { getPoint, merchantOf, requireAdmin, requireManager, rolesOf, type TxContext } from './context.ts'
import { requireDeviceRoom } from './devices.ts'
import { fail, StateError, StateErrorCode } from './errors.ts'
import { KIND_AUTHORITY } from './executors.ts'
import { checkedPolicy } from './expiry-policy.ts'
import {
  getOpenProposal,
  openProposals,
  requireDeadline,
  requireProposalRoom,
  requireVoter,
} from './governance.ts'
import { Keys, keyBytes, keyId } from './keys.ts'
import type { LedgerState } from './ledger.ts'
import { requireTerminalRoom } from './merchants.ts'
import { observerKeys, requireObserverRoom } from './observers.ts'
import { requirePointRoom } from './points.ts'
import { bytesListCodec, type ChainParams, type Meta, stakeCodec, stringListCodec } from './records.ts'
import { hasTx } from './replay.ts'
import { sponsorQuotas } from './sponsorship.ts'
import { requireDelegationRoom, requireUnjailable } from './staking.ts'
import { epochClockOf, epochOf } from './staking-election.ts'
import { WorkingSet } from './working-set.ts'

/**
 * One read-only view per head state for every admission check against it: the records most txs read
 * (the point, its grant to everyone, the manager's roles) are looked up and decoded once per block
 * instead of once per tx (the mempool re-checks every pooled tx after each block). Held weakly, so a
 * view goes with its state; writing through one is a bug and throws.
 */
class AdmissionView extends WorkingSet {
  override put(): never {
    throw new Error('admission checks are read-only')
  }
  override delete(): never {
    throw new Error('admission checks are read-only')
  }
}
const views = new WeakMap<LedgerState, AdmissionView>()

function viewOf(state: LedgerState): WorkingSet {
  let view = views.get(state)
  if (view === undefined) {
    view = new AdmissionView(state.map, state.cache, state.recent)
    views.set(state, view)
  }
  return view
}

/** The envelope checks 1–3 of apply-block.ts, shared with applyBlock. */
export function envelopeError(tx: SignedTx, chainId: string, height: number, meta: Meta): StateError | null {
  if (tx.chainId !== chainId)
    return new StateError(StateErrorCode.wrongChain, `tx is for chain ${tx.chainId}`)
  if (tx.validUntil < height) return new StateError(StateErrorCode.txExpired, 'tx expired')
  if (tx.validUntil > height + meta.params.maxTxValidityBlocks) {
    return new StateError(StateErrorCode.txExpiryTooFar, 'tx validUntil lies beyond the allowed window')
  }
  return null
}

type BoundCheck<K extends TxKind> = (
  ws: WorkingSet,
  signerId: string,
  body: TxBodyOf<K>,
  params: ChainParams,
  height: number,
  meta: Meta,
) => void

/** The kinds that grow a bounded list or need a standing, and the check their executor makes first. */
const BOUND_CHECKS: { readonly [K in TxKind]?: BoundCheck<K> } = {
  'point.create': (ws, _signerId, body, _params, _height, meta) => {
    requirePointRoom(ws.get(Keys.points, stringListCodec) ?? [])
    checkedPolicy(body.expiry ?? null, meta.timeMs, false)
  },
  'point.setExpiry': (_ws, _signerId, body, _params, _height, meta) =>
    checkedPolicy(body, meta.timeMs, false),
  'campaign.create': (ws, _signerId, body, _params, _height, meta) => {
    requireCampaignRoom(getPoint(ws, body.point))
    requireCampaignTerms(body, meta.timeMs)
  },
  'merchant.addTerminal': (ws, signerId, body, params) => {
    const m = merchantOf(ws, body.point, signerId)
    if (m !== undefined) requireTerminalRoom(m, params)
  },
  'device.bind': (ws, signerId, _body, params) =>
    requireDeviceRoom(ws.get(Keys.ownerDevices(signerId), bytesListCodec) ?? [], params),
  'staking.delegate': (ws, signerId, body, params) => {
    const stake = ws.get(Keys.stake(signerId), stakeCodec)
    if (stake !== undefined) requireDelegationRoom(stake, body.association, params)
  },
  'observer.admit': (ws) => requireObserverRoom(observerKeys(ws)),
  'staking.unjail': (ws, signerId, _body, _params, height, meta) =>
    requireUnjailable(getAssociation(ws, keyBytes(signerId)), epochOf(height, epochClockOf(meta))),
  'gov.propose': (ws, signerId, body, _params, height) => {
    requireVoter(ws, keyBytes(signerId))
    requireDeadline(body.deadline, height)
    requireProposalRoom(openProposals(ws))
  },
  'gov.vote': (ws, signerId, body) => {
    requireVoter(ws, keyBytes(signerId))
    getOpenProposal(ws, body.proposal)
  },
}

export function checkTx(
  state: LedgerState,
  tx: SignedTx,
  ctx: { readonly chainId: string; readonly height: number },
): StateError | null {
  const envelope = envelopeError(tx, ctx.chainId, ctx.height, state.meta)
  if (envelope !== null) return envelope
  if (hasTx(state.replay, tx.validUntil, keyId(tx.hash))) {
    return new StateError(StateErrorCode.txDuplicate, 'tx already included')
  }
  const ws = viewOf(state)
  const signerId = keyId(tx.signer)
  try {
    // What chargeSponsor checks without consuming, from every slot the tx may charge: the mempool
    // asks `sponsorSlots` for the same slots next, and gets them from the memo instead of reading again.
    const quotas = sponsorQuotas(ws, tx, signerId, ctx.height, state.meta.timeMs, false)
    slotsMemo.set(tx, { state, height: ctx.height, slots: quotaSlotsOf(quotas) })
    if (quotas !== null && !quotas.some((q) => q.used < q.limit))
      fail(StateErrorCode.noQuota, 'no sponsor quota left for this tx')
    const authority = KIND_AUTHORITY[tx.body.kind]
    const probe = { ws, signerId } as TxContext
    if (authority === 'admin') requireAdmin(probe)
    else if (authority === 'issuer' && !rolesOf(ws, signerId).issuer)
      fail(StateErrorCode.notIssuer, 'not an issuer')
    else if (authority === 'manager' && 'point' in tx.body) requireManager(probe, tx.body.point)
    else if ('point' in tx.body && tx.body.kind !== 'point.create') getPoint(ws, tx.body.point)
    const bound = BOUND_CHECKS[tx.body.kind] as BoundCheck<TxKind> | undefined
    bound?.(ws, signerId, tx.body as never, state.meta.params, ctx.height, state.meta)
  } catch (err) {
    if (err instanceof StateError) return err
    throw err
  }
  return null
}

/** One sponsor quota a tx would charge: its key, and how many txs it pays for before it runs out. */
export interface QuotaSlot {
  readonly key: string
  readonly remaining: number
}

/**
 * The quota slots a tx would charge, in the order applyBlock tries them (the signer's own grant,
 * then the grant to everyone), each with what is left of it in the head state's period: the first
 * with quota left pays. Empty when the tx charges no quota (self-sponsored), or when its sponsor may
 * not pay at all (which checkTx refuses). Pure, like checkTx.
 */
export function sponsorSlots(
  state: LedgerState,
  tx: SignedTx,
  ctx: { readonly height: number },
): QuotaSlot[] {
  const memo = slotsMemo.get(tx)
  if (memo !== undefined && memo.state === state && memo.height === ctx.height) return memo.slots
  const signerId = keyId(tx.signer)
  if (keyId(tx.sponsor) === signerId) return []
  const ws = viewOf(state)
  try {
    return quotaSlotsOf(sponsorQuotas(ws, tx, signerId, ctx.height, state.meta.timeMs, false))
  } catch (err) {
    if (err instanceof StateError) return []
    throw err
  }
}

function quotaSlotsOf(quotas: ReturnType<typeof sponsorQuotas>): QuotaSlot[] {
  return (quotas ?? []).map((q) => ({ key: q.key, remaining: Math.max(0, q.limit - q.used) }))
}

/**
 * The slots `checkTx` computed for a tx, for the state and height it checked against: admission asks
 * checkTx and then sponsorSlots about the same tx on the same head, and each read the grants and
 * quota records (about 12 µs a tx on the bench). Keyed weakly by the tx, so it dies with the tx; a
 * different head (another state object or height) computes afresh, so answers are those of a pure
 * function of (state, tx, height).
 */
const slotsMemo = new WeakMap<SignedTx, { state: LedgerState; height: number; slots: QuotaSlot[] }>()
