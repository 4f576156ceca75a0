/**
 * Staking, the DS in DS-PBFT. Members hold stake (from genesis) and delegate it to registered
 * associations; undelegated stake unbonds for `unbondingEpochs` epochs before it is free again
 * (matured lazily, the next time the member's record is touched). Associations are registered by an
 * admin or governance (associations.ts). Double-sign evidence jails an association: the next election
 * leaves it out until it unjails itself after `jailEpochs` epochs. Retired associations are never elected.
 *
 * Bounds: a member's undelegations of one epoch share one unbonding entry (they are released
 * together), and entries of past epochs mature the next time the record is touched, so the list holds
 * at most `unbondingEpochs + 1` entries however many undelegations a member sends; delegations are at
 * most `maxDelegationsPerMember`. Stake is never created after genesis, so every association's
 * delegated stake, and any election's total power, stays within the genesis total (≤ MAX_TOTAL_STAKE).
 */
import { type Bytes, compareBytes } from '../protocol/bytes.ts'
import { type Candidate, electValidators } from '../protocol/election.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { add, requirePositive, sub } from './amounts.ts'
import { getActiveAssociation, getAssociation } from './associations.ts'
import { getMeta, hex, type TxContext } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import { Keys, keyId } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import {
  type AssociationRecord,
  associationCodec,
  bytesCodec,
  type StakeRecord,
  stakeCodec,
  type ValidatorSetRecord,
  validatorSetCodec,
} from './records.ts'
import type { WorkingSet } from './working-set.ts'

export { getMeta }

/** Moves unbonding entries whose epoch has come into the free stake. */
export function matured(
  stake: StakeRecord,
  epoch: number,
  member: Bytes,
  events: LedgerEvent[],
): StakeRecord {
  let free = stake.free
  const unbonding = stake.unbonding.filter(([amount, release]) => {
    if (release > epoch) return true
    free = add(free, amount)
    events.push({ type: 'unbonded', member, amount })
    return false
  })
  return unbonding.length === stake.unbonding.length ? stake : { ...stake, free, unbonding }
}

/** Rule: a member delegates to at most `maxDelegationsPerMember` associations (adding to one is fine). */
export function requireDelegationRoom(
  stake: StakeRecord,
  association: Bytes,
  params: { maxDelegationsPerMember: number },
): void {
  if (stake.delegations.length < params.maxDelegationsPerMember) return
  if (stake.delegations.some(([x]) => compareBytes(x, association) === 0)) return
  fail(StateErrorCode.tooManyDelegations, 'too many delegations')
}

/** Adds `amount` of free stake to a delegation (used by txs and by genesis self-delegation). */
export function delegate(
  ws: WorkingSet,
  params: { maxDelegationsPerMember: number },
  member: Bytes,
  association: Bytes,
  amount: number,
  stake: StakeRecord,
): void {
  // Rule: a retired association takes no new delegations (its delegators may still undelegate).
  const a = getActiveAssociation(ws, association)
  const free = sub(stake.free, amount, StateErrorCode.insufficientStake, 'free stake')
  requireDelegationRoom(stake, association, params)
  const existing = stake.delegations.find(([x]) => compareBytes(x, association) === 0)
  const delegations = [
    ...stake.delegations.filter(([x]) => compareBytes(x, association) !== 0),
    [association, add(existing?.[1] ?? 0, amount)] as const,
  ].sort((x, y) => compareBytes(x[0], y[0]))
  ws.put(Keys.stake(hex(member)), stakeCodec, { ...stake, free, delegations })
  ws.put(Keys.association(hex(association)), associationCodec, { ...a, delegated: add(a.delegated, amount) })
}

function memberStake(ctx: TxContext): StakeRecord {
  const stake = ctx.ws.get(Keys.stake(ctx.signerId), stakeCodec)
  if (stake === undefined) fail(StateErrorCode.insufficientStake, 'signer holds no stake')
  return matured(stake, ctx.epoch, ctx.signer, ctx.events)
}

export function stakingDelegate(ctx: TxContext, body: TxBodyOf<'staking.delegate'>): void {
  requirePositive(body.amount)
  delegate(ctx.ws, ctx.params, ctx.signer, body.association, body.amount, memberStake(ctx))
  ctx.events.push({
    type: 'delegate',
    member: ctx.signer,
    association: body.association,
    amount: body.amount,
  })
}

/** The unbonding list with `amount` more released at `releaseEpoch`: merged into that epoch's entry. */
function withUnbonding(
  unbonding: StakeRecord['unbonding'],
  amount: number,
  releaseEpoch: number,
): StakeRecord['unbonding'] {
  const i = unbonding.findIndex(([, release]) => release === releaseEpoch)
  if (i < 0) return [...unbonding, [amount, releaseEpoch] as const]
  const merged = unbonding.slice()
  merged[i] = [add((unbonding[i] as readonly [number, number])[0], amount), releaseEpoch] as const
  return merged
}

export function stakingUndelegate(ctx: TxContext, body: TxBodyOf<'staking.undelegate'>): void {
  requirePositive(body.amount)
  const stake = memberStake(ctx)
  const current = stake.delegations.find(([x]) => compareBytes(x, body.association) === 0)?.[1] ?? 0
  const left = sub(current, body.amount, StateErrorCode.insufficientDelegation, 'delegation')
  const a = ctx.ws.get(Keys.association(hex(body.association)), associationCodec) as AssociationRecord
  const releaseEpoch = ctx.epoch + ctx.params.unbondingEpochs
  const delegations = stake.delegations
    .map(([x, n]) => (compareBytes(x, body.association) === 0 ? ([x, left] as const) : ([x, n] as const)))
    .filter(([, n]) => n > 0)
  ctx.ws.put(Keys.stake(ctx.signerId), stakeCodec, {
    ...stake,
    delegations,
    unbonding: withUnbonding(stake.unbonding, body.amount, releaseEpoch),
  })
  ctx.ws.put(Keys.association(hex(body.association)), associationCodec, {
    ...a,
    delegated: a.delegated - body.amount,
  })
  ctx.events.push({
    type: 'undelegate',
    member: ctx.signer,
    association: body.association,
    amount: body.amount,
    releaseEpoch,
  })
}

/**
 * Jails the association running `nodeKey` in `epoch` (the block's), until `jailEpochs` epochs later.
 * Returns false when no association runs it.
 */
export function jail(ws: WorkingSet, nodeKey: Bytes, epoch: number, events: LedgerEvent[]): boolean {
  const association = ws.get(Keys.nodeKey(hex(nodeKey)), bytesCodec)
  if (association === undefined) return false
  const a = ws.get(Keys.association(keyId(association)), associationCodec) as AssociationRecord
  if (!a.jailed) {
    const jailedUntilEpoch = epoch + getMeta(ws).params.jailEpochs
    ws.put(Keys.association(keyId(association)), associationCodec, { ...a, jailed: true, jailedUntilEpoch })
    events.push({ type: 'jailed', association, nodeKey })
  }
  return true
}

/** Rule: a jailed association may unjail itself once its jail period is over (`epoch`: the block's). */
export function requireUnjailable(a: AssociationRecord, epoch: number): void {
  if (!a.jailed) fail(StateErrorCode.notJailed, 'association is not jailed')
  if (epoch < a.jailedUntilEpoch) {
    fail(StateErrorCode.jailNotOver, `jailed until epoch ${a.jailedUntilEpoch}`)
  }
}

export function stakingUnjail(ctx: TxContext, _body: TxBodyOf<'staking.unjail'>): void {
  const a = getAssociation(ctx.ws, ctx.signer)
  requireUnjailable(a, ctx.epoch)
  ctx.ws.put(Keys.association(ctx.signerId), associationCodec, { ...a, jailed: false })
  ctx.events.push({ type: 'unjailed', association: ctx.signer, nodeKey: a.nodeKey })
}

/** Runs the election over every registered association and stores the result. */
export function runElection(ws: WorkingSet): ValidatorSetRecord {
  const meta = getMeta(ws)
  const candidates: Candidate[] = []
  for (let seq = 0; seq < meta.associationCount; seq++) {
    const address = ws.get(Keys.associationIndex(seq), bytesCodec) as Bytes
    const a = ws.get(Keys.association(keyId(address)), associationCodec) as AssociationRecord
    if (!a.retired) candidates.push(a)
  }
  const previous = ws.get(Keys.validatorSet, validatorSetCodec) ?? []
  const next = electValidators(candidates, meta.params, previous)
  if (next !== previous) ws.put(Keys.validatorSet, validatorSetCodec, next)
  return next
}
