/**
 * Governance by stake. The account of an association in the current validator set proposes a
 * governed action (protocol/tx-body.ts GOVERNED_SCHEMAS) with a deadline; such accounts vote yes or
 * no, one vote per association (a later vote replaces its earlier one), weighted by the power of its
 * node in the set in force when the vote is counted. The vote that takes yes-power × 3 above total
 * power × 2 executes the action in its own tx, with governance authority, atomically: if the action
 * fails nothing of it is written, the proposal ends `failed` with the code, and the vote still counts.
 * A proposal not passed by its deadline expires at the end of that block (expireProposals).
 *
 * Bounds: at most MAX_OPEN_PROPOSALS open at once; a proposal's votes are those of current-set
 * associations only (pruned on every vote), so at most Limits.maxValidators.
 */
import { type Bytes, bytesEqual, compareBytes } from '../protocol/bytes.ts'
import {
  MAX_VOTING_PERIOD_BLOCKS,
  type TxBody,
  type TxBodyOf,
  txBodyFromTuple,
  txBodyToTuple,
} from '../protocol/tx-body.ts'
import type { TxContext } from './context.ts'
import { fail, StateError, StateErrorCode } from './errors.ts'
import { Keys, keyId } from './keys.ts'
import type { LedgerEvent } from './receipt.ts'
import {
  associationCodec,
  type OpenProposals,
  openProposalsCodec,
  type ProposalRecord,
  ProposalStatus,
  proposalCodec,
  uintCodec,
  type ValidatorSetRecord,
  validatorSetCodec,
} from './records.ts'
import type { WorkingSet } from './working-set.ts'

/** Most proposals open at once. */
export const MAX_OPEN_PROPOSALS = 32

export interface Tally {
  readonly yes: number
  readonly no: number
  readonly total: number
}

/** The quorum: more than 2/3 of the current set's power (exact: powers sum to ≤ MAX_TOTAL_STAKE). */
export function passes(tally: Tally): boolean {
  return tally.yes * 3 > tally.total * 2
}

function currentSet(ws: WorkingSet): ValidatorSetRecord {
  return ws.get(Keys.validatorSet, validatorSetCodec) ?? []
}

/** The power of `association`'s node in `set`, 0 when it is not a member (or not an association). */
export function powerOf(ws: WorkingSet, set: ValidatorSetRecord, association: Bytes): number {
  const a = ws.get(Keys.association(keyId(association)), associationCodec)
  if (a === undefined) return 0
  return set.find(([k]) => bytesEqual(k, a.nodeKey))?.[1] ?? 0
}

/** Rule: only the account of an association whose node is in the current set proposes and votes. */
export function requireVoter(ws: WorkingSet, signer: Bytes): number {
  const power = powerOf(ws, currentSet(ws), signer)
  if (power === 0)
    fail(StateErrorCode.notValidatorAssociation, 'signer is not the association of a current validator')
  return power
}

export function tallyOf(ws: WorkingSet, votes: ProposalRecord['votes']): Tally {
  const set = currentSet(ws)
  let yes = 0
  let no = 0
  for (const [association, vote] of votes) {
    const power = powerOf(ws, set, association)
    if (vote) yes += power
    else no += power
  }
  let total = 0
  for (const [, power] of set) total += power
  return { yes, no, total }
}

export function openProposals(ws: WorkingSet): OpenProposals {
  return ws.get(Keys.openProposals, openProposalsCodec) ?? []
}

/** Rule: a deadline lies after this height and within MAX_VOTING_PERIOD_BLOCKS of it. */
export function requireDeadline(deadline: number, height: number): void {
  if (deadline <= height || deadline > height + MAX_VOTING_PERIOD_BLOCKS) {
    fail(StateErrorCode.badDeadline, `deadline must be ${height + 1} to ${height + MAX_VOTING_PERIOD_BLOCKS}`)
  }
}

/** Rule: room for one more open proposal. */
export function requireProposalRoom(open: OpenProposals): void {
  if (open.length >= MAX_OPEN_PROPOSALS)
    fail(StateErrorCode.tooManyProposals, `at most ${MAX_OPEN_PROPOSALS} open proposals`)
}

export function govPropose(ctx: TxContext, body: TxBodyOf<'gov.propose'>): void {
  requireVoter(ctx.ws, ctx.signer)
  requireDeadline(body.deadline, ctx.height)
  const open = openProposals(ctx.ws)
  requireProposalRoom(open)
  const id = ctx.ws.get(Keys.proposalCount, uintCodec) ?? 0
  ctx.ws.put(Keys.proposal(id), proposalCodec, {
    proposer: ctx.signer,
    action: txBodyToTuple(body.action as TxBody),
    deadline: body.deadline,
    height: ctx.height,
    status: ProposalStatus.open,
    error: null,
    votes: [],
  })
  ctx.ws.put(Keys.proposalCount, uintCodec, id + 1)
  ctx.ws.put(Keys.openProposals, openProposalsCodec, [...open, [id, body.deadline] as const])
  ctx.events.push({
    type: 'proposed',
    proposal: id,
    proposer: ctx.signer,
    action: body.action.kind,
    deadline: body.deadline,
  })
}

/** Rule: votes go to an existing, open proposal. */
export function getOpenProposal(ws: WorkingSet, id: number): ProposalRecord {
  const p = ws.get(Keys.proposal(id), proposalCodec)
  if (p === undefined) fail(StateErrorCode.unknownProposal, `no proposal ${id}`)
  if (p.status !== ProposalStatus.open) fail(StateErrorCode.proposalClosed, `proposal ${id} is ${p.status}`)
  return p
}

/** How governance runs a governed body (executors.ts passes its `execute`, which lists govVote itself). */
export type RunBody = (ctx: TxContext, body: TxBody) => void

export function govVote(ctx: TxContext, body: TxBodyOf<'gov.vote'>, run: RunBody): void {
  const power = requireVoter(ctx.ws, ctx.signer)
  const p = getOpenProposal(ctx.ws, body.proposal)
  const set = currentSet(ctx.ws)
  // One vote per association; votes of associations that left the set no longer count and are dropped.
  const votes = [
    ...p.votes.filter(([a]) => !bytesEqual(a, ctx.signer) && powerOf(ctx.ws, set, a) > 0),
    [ctx.signer, body.yes] as const,
  ].sort((x, y) => compareBytes(x[0], y[0]))
  ctx.events.push({ type: 'voted', proposal: body.proposal, association: ctx.signer, yes: body.yes, power })
  if (!passes(tallyOf(ctx.ws, votes))) {
    ctx.ws.put(Keys.proposal(body.proposal), proposalCodec, { ...p, votes })
    return
  }
  const action = txBodyFromTuple(p.action)
  const error = executeAction(ctx, body.proposal, action, run)
  const status = error === null ? ProposalStatus.passed : ProposalStatus.failed
  ctx.ws.put(Keys.proposal(body.proposal), proposalCodec, { ...p, votes, status, error })
  closeProposal(ctx.ws, body.proposal)
}

/** Runs a passed action with governance authority; its writes and events stay only if it succeeds. */
function executeAction(ctx: TxContext, id: number, action: TxBody, run: RunBody): string | null {
  const events: LedgerEvent[] = []
  try {
    ctx.ws.attempt(() => run({ ...ctx, events, governance: true }, action))
  } catch (err) {
    const error = err instanceof StateError ? err.code : StateErrorCode.internalError
    ctx.events.push({ type: 'proposalFailed', proposal: id, action: action.kind, error })
    return error
  }
  ctx.events.push({ type: 'proposalPassed', proposal: id, action: action.kind }, ...events)
  return null
}

function closeProposal(ws: WorkingSet, id: number): void {
  ws.put(
    Keys.openProposals,
    openProposalsCodec,
    openProposals(ws).filter(([x]) => x !== id),
  )
}

/** At the end of every block: open proposals whose deadline is this height (or earlier) expire. */
export function expireProposals(ws: WorkingSet, height: number, events: LedgerEvent[]): void {
  const open = openProposals(ws)
  if (!open.some(([, deadline]) => deadline <= height)) return
  for (const [id, deadline] of open) {
    if (deadline > height) continue
    const p = ws.get(Keys.proposal(id), proposalCodec) as ProposalRecord
    ws.put(Keys.proposal(id), proposalCodec, { ...p, status: ProposalStatus.expired })
    events.push({ type: 'proposalExpired', proposal: id })
  }
  ws.put(
    Keys.openProposals,
    openProposalsCodec,
    open.filter(([, deadline]) => deadline > height),
  )
}
