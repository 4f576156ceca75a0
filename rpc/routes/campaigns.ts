/**
 * Campaigns (state/campaigns.ts): a point's campaigns, in creation order, and one by its id. The
 * record can be proven too (`/proofs/campaign:ID:CAMPAIGN`).
 */
import type { FastifyInstance } from 'fastify'
import { campaignAccount } from '../../protocol/campaign.ts'
import type { CampaignInfo } from '../../state/query.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { address } from '../json.ts'
import type { RouteContext } from '../options.ts'
import * as S from '../schemas.ts'
import { currentQuery } from './ledger.ts'

const withErrors = (ok: Record<string, unknown>) => ({ 200: ok, ...S.errorResponses })
const MAX_PAGE = 100

/** A campaign as JSON; `timeMs` (the head block's) says whether it pays now. */
export const renderCampaign = (point: string, c: CampaignInfo, timeMs: number) => ({
  point,
  campaign: c.id,
  account: address(campaignAccount(point, c.id)),
  owner: address(c.owner),
  funder: c.funder,
  triggers: c.triggers,
  bonusPerMille: c.bonusPerMille,
  flatBonus: c.flatBonus,
  startMs: c.startMs,
  endMs: c.endMs,
  merchants: c.merchants.map(address),
  funded: c.funded,
  remaining: c.remaining,
  paid: c.paid,
  returned: c.returned,
  status: c.status,
  active: c.status === 'open' && c.startMs <= timeMs && timeMs < c.endMs,
  createdAtHeight: c.createdAtHeight,
  closedAtHeight: c.closedAtHeight,
})

const campaignParams = S.object({ id: S.pointId, campaign: { type: 'string', maxLength: 64 } })

export function registerCampaignRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  const q = () => currentQuery(deps.query)
  const requirePoint = (id: string) => {
    const query = q()
    if (query.point(id) === null) throw new RpcError(RpcErrorCode.pointNotFound, 'no such point')
    return query
  }

  app.get<{ Params: { id: string }; Querystring: { offset: number; limit: number } }>(
    '/points/:id/campaigns',
    {
      schema: {
        summary: "A point's campaigns, in order of creation, closed ones included",
        tags: ['campaigns'],
        params: S.pointParams,
        querystring: S.object({ offset: { ...S.uint, default: 0 }, limit: S.limitQuery(MAX_PAGE, MAX_PAGE) }),
        response: withErrors(S.object({ items: S.arrayOf(S.campaignInfo), nextOffset: S.nullable(S.uint) })),
      },
    },
    async (request) => {
      const { id } = request.params
      const query = requirePoint(id)
      const { offset, limit } = request.query
      const items = query.campaigns(id, { offset, limit })
      return {
        items: items.map((c) => renderCampaign(id, c, query.timeMs)),
        nextOffset: items.length === limit ? offset + limit : null,
      }
    },
  )

  app.get<{ Params: { id: string; campaign: string } }>(
    '/points/:id/campaigns/:campaign',
    {
      schema: {
        summary: 'One campaign: its terms, window, merchants and budget (funded, remaining, paid, returned)',
        tags: ['campaigns'],
        params: campaignParams,
        response: withErrors(S.campaignInfo),
      },
    },
    async (request) => {
      const { id, campaign } = request.params
      const query = requirePoint(id)
      const c = query.campaign(id, campaign)
      if (c === null) throw new RpcError(RpcErrorCode.campaignNotFound, 'no such campaign in this point')
      return renderCampaign(id, c, query.timeMs)
    },
  )
}
