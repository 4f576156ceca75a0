/**
 * Offline purses (state/purses.ts): a purse's record by its key. A terminal caches the purse's state
 * proof too (`/proofs/purse:ADDR`, with the commit certificate of its block) to check vouchers offline.
 */
import type { FastifyInstance } from 'fastify'
import type { Bytes } from '../../protocol/bytes.ts'
import type { PurseRecord } from '../../state/records.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { address, parseAddress } from '../json.ts'
import type { RouteContext } from '../options.ts'
import * as S from '../schemas.ts'
import { currentQuery } from './ledger.ts'

const withErrors = (ok: Record<string, unknown>) => ({ 200: ok, ...S.errorResponses })

export const renderPurse = (purse: Bytes, p: PurseRecord) => ({
  purse: address(purse),
  ...p,
  owner: address(p.owner),
  remaining: p.locked - p.spent,
  lots: p.lots.map(([expiresAtMs, amount]) => ({
    expiresAtMs,
    expiresAt: new Date(expiresAtMs).toISOString(),
    amount,
  })),
})

export function registerPurseRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  app.get<{ Params: { address: string } }>(
    '/purses/:address',
    {
      schema: {
        summary: 'An offline purse: its owner, locked and spent amounts, expiry, status and counters',
        description:
          'A terminal checking vouchers offline caches `GET /v1/proofs/purse:ADDR` (the same record, with ' +
          'its state proof and the commit certificate of its block) instead of trusting this answer.',
        tags: ['purses'],
        params: S.addressParams,
        response: withErrors(S.purseInfo),
      },
    },
    async (request) => {
      const key = parseAddress(request.params.address)
      const purse = currentQuery(deps.query).purse(key)
      if (purse === null) throw new RpcError(RpcErrorCode.purseNotFound, 'no such purse')
      return renderPurse(key, purse)
    },
  )
}
