/**
 * Governance and membership reads: proposals with their votes and tally against the current set, the
 * observers admitted on chain, and the ledger parameters in force with the change governance
 * scheduled for the next epoch boundary.
 */
import type { FastifyInstance } from 'fastify'
import { bytesKey } from '../../protocol/bytes.ts'
import type { LedgerQuery, ProposalInfo } from '../../state/query.ts'
import type { ProposalStatus } from '../../state/records.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { address, nodeKey, renderValue } from '../json.ts'
import type { RouteContext } from '../options.ts'
import * as S from '../schemas.ts'
import { currentQuery } from './ledger.ts'

const withErrors = (ok: Record<string, unknown>) => ({ 200: ok, ...S.errorResponses })

/** Each proposal costs a record read and one per vote: pages are small. */
const proposalsQuery = S.object(
  { status: S.proposalStatus, offset: { ...S.uint, default: 0 }, limit: S.limitQuery(100, 20) },
  ['status'],
)

/** The least yes power with yes × 3 > total × 2 (governance.ts `passes`). */
export const neededPower = (total: number): number => Math.floor((total * 2) / 3) + 1

function renderProposal(p: ProposalInfo, powers: ReadonlyMap<string, number>) {
  return {
    id: p.id,
    proposer: address(p.proposer),
    action: renderValue(p.action),
    deadline: p.deadline,
    height: p.height,
    status: p.status,
    error: p.error,
    votes: p.votes.map(([association, yes]) => ({
      association: address(association),
      yes,
      power: powers.get(bytesKey(association)) ?? 0,
    })),
    tally: { ...p.tally, needed: neededPower(p.tally.total) },
  }
}

/** Every association's power in the current set, by account. */
const powersOf = (query: LedgerQuery) =>
  new Map(query.associations().map((a) => [bytesKey(a.address), a.power] as const))

export function registerGovernanceRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  const q = () => currentQuery(deps.query)

  app.get<{ Querystring: { status?: ProposalStatus; offset: number; limit: number } }>(
    '/gov/proposals',
    {
      schema: {
        summary: 'Governance proposals, newest first, optionally of one status; page on with ?offset=',
        description:
          'A proposal passes with yes votes of more than 2/3 of the current validator set’s power, and its ' +
          'action executes in the tx of the vote that passed it. `tally` counts each vote with the power its ' +
          'association has now.',
        tags: ['governance'],
        querystring: proposalsQuery,
        response: withErrors(S.object({ items: S.arrayOf(S.proposal), nextOffset: S.nullable(S.uint) })),
      },
    },
    async (request) => {
      const { status, offset, limit } = request.query
      const query = q()
      const items = query.proposals(status === undefined ? {} : { status }, { offset, limit })
      const powers = powersOf(query)
      return {
        items: items.map((p) => renderProposal(p, powers)),
        nextOffset: items.length === limit ? offset + limit : null,
      }
    },
  )

  app.get<{ Params: { id: number } }>(
    '/gov/proposals/:id',
    {
      schema: {
        summary: 'One proposal: its action, deadline, status, votes and tally against the current set',
        tags: ['governance'],
        params: S.object({ id: { ...S.uint, description: 'the proposal id (from 0)' } }),
        response: withErrors(S.proposal),
      },
    },
    async (request) => {
      const query = q()
      const p = query.proposal(request.params.id)
      if (p === null) throw new RpcError(RpcErrorCode.proposalNotFound, `no proposal ${request.params.id}`)
      return renderProposal(p, powersOf(query))
    },
  )

  app.get(
    '/observers',
    {
      schema: {
        summary: 'The observer nodes admitted on chain (regulators), by node key',
        tags: ['governance'],
        response: withErrors(S.object({ items: S.arrayOf(S.object({ nodeKey: S.nodeKey, name: S.text })) })),
      },
    },
    async () => ({
      items: q()
        .observers()
        .map((o) => ({ nodeKey: nodeKey(o.nodeKey), name: o.name })),
    }),
  )

  app.get(
    '/params',
    {
      schema: {
        summary: 'The ledger parameters in force, and those governance scheduled for the next epoch',
        description:
          '`pending` (null when nothing is scheduled) takes effect with the block that closes the epoch: ' +
          'from `pendingFromHeight` on.',
        tags: ['governance'],
        response: withErrors(
          S.object({
            height: S.uint,
            current: S.ledgerParams,
            pending: S.nullable(S.ledgerParams),
            pendingFromHeight: S.nullable(S.uint),
            epoch: S.object({
              epoch: S.uint,
              epochLength: S.uint,
              anchorHeight: S.uint,
              anchorEpoch: S.uint,
              nextBoundary: S.uint,
            }),
          }),
        ),
      },
    },
    async () => {
      const query = q()
      const pending = query.pendingParams()
      // The block at the end of this epoch applies them (state/params.ts): the next one runs with them.
      return {
        height: query.height,
        current: query.params,
        pending,
        pendingFromHeight: pending === null ? null : query.epoch.nextBoundary + 1,
        epoch: query.epoch,
      }
    },
  )
}
