/**
 * Refunds (state/refunds.ts): what a till asks before it refunds a payment or cancels an award, both
 * named by their tx hash. A record exists while the point had a refund window when the tx was made,
 * until the refund sweep prunes it after its deadline.
 */
import type { FastifyInstance } from 'fastify'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { address, hex, parseHash } from '../json.ts'
import type { RouteContext } from '../options.ts'
import * as S from '../schemas.ts'
import { currentQuery, requirePoint } from './ledger.ts'

const withErrors = (ok: Record<string, unknown>) => ({ 200: ok, ...S.errorResponses })
const iso = (ms: number) => new Date(ms).toISOString()

export function registerRefundRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  app.get<{ Params: { id: string; hash: string } }>(
    '/points/:id/payments/:hash',
    {
      schema: {
        summary: 'A payment its merchant may still refund, and how much',
        description:
          'Only payments (merchant.pay, device.pay) made while the point had a refund window have a ' +
          'record; `refundable` is what may still be refunded at the head block time.',
        tags: ['points', 'refunds'],
        params: S.pointHashParams,
        response: withErrors(S.refundablePaymentInfo),
      },
    },
    async (request) => {
      const query = currentQuery(deps.query)
      const { id } = request.params
      requirePoint(query, id)
      const txHash = parseHash(request.params.hash, 'hash')
      const p = query.refundablePayment(id, txHash)
      if (p === null) throw new RpcError(RpcErrorCode.refundRecordNotFound, 'no refundable payment')
      const open = query.timeMs <= p.refundableUntilMs
      return {
        point: id,
        payment: hex(txHash),
        merchant: address(p.merchant),
        payer: address(p.payer),
        amount: p.amount,
        refunded: p.refunded,
        refundable: open ? p.amount - p.refunded : 0,
        refundableUntilMs: p.refundableUntilMs,
        refundableUntil: iso(p.refundableUntilMs),
      }
    },
  )

  app.get<{ Params: { id: string; hash: string } }>(
    '/points/:id/awards/:hash',
    {
      schema: {
        summary: 'An award its merchant may still cancel',
        description:
          'Only awards (merchant.award) made while the point had a refund window have a record; ' +
          'a cancellation also needs the customer to still hold the points.',
        tags: ['points', 'refunds'],
        params: S.pointHashParams,
        response: withErrors(S.cancellableAwardInfo),
      },
    },
    async (request) => {
      const query = currentQuery(deps.query)
      const { id } = request.params
      requirePoint(query, id)
      const txHash = parseHash(request.params.hash, 'hash')
      const a = query.cancellableAward(id, txHash)
      if (a === null) throw new RpcError(RpcErrorCode.refundRecordNotFound, 'no cancellable award')
      return {
        point: id,
        award: hex(txHash),
        merchant: address(a.merchant),
        customer: address(a.customer),
        amount: a.amount,
        cancelled: a.cancelled,
        cancellable: !a.cancelled && query.timeMs <= a.cancellableUntilMs,
        cancellableUntilMs: a.cancellableUntilMs,
        cancellableUntil: iso(a.cancellableUntilMs),
      }
    },
  )
}
