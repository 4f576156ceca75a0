/**
 * Traffic anchors (state/traffic.ts `trafficAnchor`): the batches of off-ledger traffic a shop
 * anchored, newest or oldest first, and one batch by its root. The record can be proven too
 * (`/proofs/anchor:ID:ROOTHEX`): what a regulator checks an event of the batch against
 * (protocol/traffic-leaf.ts for the leaves, client/anchors.ts for the check).
 */
import type { FastifyInstance } from 'fastify'
import type { Bytes } from '../../protocol/bytes.ts'
import type { AnchorRecord } from '../../state/records.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { address, hex, parseAddress, parseHash } from '../json.ts'
import type { RouteContext } from '../options.ts'
import * as S from '../schemas.ts'
import { currentQuery } from './ledger.ts'

const withErrors = (ok: Record<string, unknown>) => ({ 200: ok, ...S.errorResponses })
const MAX_PAGE = 100

export const renderAnchor = (point: string, root: Bytes, a: AnchorRecord) => ({
  point,
  root: hex(root),
  merchant: address(a.merchant),
  count: a.count,
  periodStartMs: a.periodStartMs,
  periodEndMs: a.periodEndMs,
  height: a.height,
  txHash: hex(a.txHash),
})

type Order = 'newest' | 'oldest'

export function registerAnchorRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  const q = () => currentQuery(deps.query)
  const requirePoint = (id: string) => {
    const query = q()
    if (query.point(id) === null) throw new RpcError(RpcErrorCode.pointNotFound, 'no such point')
    return query
  }

  app.get<{
    Params: { id: string; address: string }
    Querystring: { order: Order; offset: number; limit: number }
  }>(
    '/points/:id/merchants/:address/anchors',
    {
      schema: {
        summary: "A shop's anchored traffic batches, newest (default) or oldest first",
        description:
          '`offset` counts from the first item of the chosen order; pass `nextOffset` for the next page.',
        tags: ['traffic'],
        params: S.pointMerchantParams,
        querystring: S.object({
          order: { type: 'string', enum: ['newest', 'oldest'], default: 'newest' },
          offset: { ...S.uint, default: 0 },
          limit: S.limitQuery(MAX_PAGE, MAX_PAGE),
        }),
        response: withErrors(S.object({ items: S.arrayOf(S.anchorInfo), nextOffset: S.nullable(S.uint) })),
      },
    },
    async (request) => {
      const { id } = request.params
      const merchant = parseAddress(request.params.address)
      const query = requirePoint(id)
      const record = query.merchant(id, merchant)
      if (record === null) throw new RpcError(RpcErrorCode.merchantNotFound, 'no such merchant of this point')
      const { order, offset, limit } = request.query
      const count = record.anchorCount
      const take = Math.max(0, Math.min(limit, count - offset))
      // Anchors are kept in the order they were made; newest first reads the same range backwards.
      const from = order === 'oldest' ? offset : count - offset - take
      const items = take === 0 ? [] : query.anchors(id, merchant, { offset: from, limit: take })
      if (order === 'newest') items.reverse()
      return {
        items: items.map((a) => renderAnchor(id, a.root, a)),
        nextOffset: offset + take < count ? offset + take : null,
      }
    },
  )

  app.get<{ Params: { id: string; root: string } }>(
    '/points/:id/anchors/:root',
    {
      schema: {
        summary: 'One anchored traffic batch by its root: the shop, event count, period, height and tx',
        tags: ['traffic'],
        params: S.object({ id: S.pointId, root: { type: 'string', maxLength: 200 } }),
        response: withErrors(S.anchorInfo),
      },
    },
    async (request) => {
      const { id } = request.params
      const root = parseHash(request.params.root, 'root')
      const query = requirePoint(id)
      const a = query.anchor(id, root)
      if (a === null) throw new RpcError(RpcErrorCode.anchorNotFound, 'no batch anchored under this root')
      return renderAnchor(id, root, a)
    },
  )
}
