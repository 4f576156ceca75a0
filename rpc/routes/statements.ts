/**
 * Statements of a point for a period: the settlement statement per merchant and the sponsor usage
 * of the point's manager, as JSON or CSV. The body's SHA-256 travels in `x-statement-sha256` (and as
 * the ETag): a final statement is the same bytes on every node. Each statement folds the journal
 * from the period's start, so it takes one of the few export slots while it runs, like a CSV export.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isArcadeError } from '../../protocol/errors.ts'
import { DEFAULT_TIME_ZONE, type Period, parsePeriod } from '../../state/period.ts'
import { MAX_USAGE_GRANTEES } from '../../state/sponsor-usage.ts'
import { createClientSlots } from '../client-slots.ts'
import { RpcError, RpcErrorCode, retryLater } from '../errors.ts'
import type { RouteContext } from '../options.ts'
import * as S from '../schemas.ts'
import { type RenderedStatement, renderSettlement, renderUsage } from '../statement-render.ts'
import { currentQuery } from './ledger.ts'

interface StatementRequest {
  Params: { id: string }
  Querystring: { period: string; timeZone?: string; format?: 'json' | 'csv' }
}

const querystring = S.object(
  {
    period: { type: 'string', minLength: 7, maxLength: 10, description: 'YYYY-MM or YYYY-MM-DD' },
    timeZone: { type: 'string', maxLength: 64, description: `IANA name; default ${DEFAULT_TIME_ZONE}` },
    format: { type: 'string', enum: ['json', 'csv'] },
  },
  ['timeZone', 'format'],
)

const responses = {
  200: { ...S.freeObject, description: 'The statement (JSON, or CSV with format=csv or Accept: text/csv)' },
  ...S.errorResponses,
  ...S.refusals({
    400: [RpcErrorCode.badPeriod],
    404: [RpcErrorCode.pointNotFound],
    413: [RpcErrorCode.statementTooLarge],
    429: [RpcErrorCode.rateLimited, RpcErrorCode.tooManyExports],
  }),
}

const HASH_NOTE =
  'The SHA-256 of the body is in the `x-statement-sha256` header: once the period is over (`final`), ' +
  'every node gives the same bytes. Periods are calendar months or days in `timeZone` ' +
  `(default ${DEFAULT_TIME_ZONE}); an open period gives a provisional statement (final false, asOfHeight set).`

export function registerStatementRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps, options } = ctx
  const slots = createClientSlots({ max: options.maxExports, maxPerClient: options.maxExportsPerClient })

  function periodOf(request: FastifyRequest<StatementRequest>): Period {
    const { id } = request.params
    const q = currentQuery(deps.query)
    if (q.point(id) === null) throw new RpcError(RpcErrorCode.pointNotFound, `no point ${id}`)
    let period: Period
    try {
      period = parsePeriod(request.query.period, request.query.timeZone ?? DEFAULT_TIME_ZONE)
    } catch (err) {
      if (isArcadeError(err)) throw new RpcError(RpcErrorCode.badPeriod, err.message)
      throw err
    }
    if (q.timeMs < period.startMs) {
      throw new RpcError(RpcErrorCode.badPeriod, `the period ${period.label} has not begun on this chain`)
    }
    return period
  }

  const formatOf = (request: FastifyRequest<StatementRequest>): 'json' | 'csv' =>
    request.query.format ?? (/\btext\/csv\b/i.test(request.headers.accept ?? '') ? 'csv' : 'json')

  async function withSlot<T>(request: FastifyRequest, run: () => Promise<T>): Promise<T> {
    const grant = slots.acquire(ctx.clientOf(request))
    if ('refused' in grant) {
      const who = grant.refused === 'node' ? 'the node' : 'this client'
      throw retryLater(RpcErrorCode.tooManyExports, `${who} has too many exports running; retry later`, 5)
    }
    try {
      return await run()
    } finally {
      grant.release()
    }
  }

  function send(reply: FastifyReply, r: RenderedStatement, format: 'json' | 'csv'): FastifyReply {
    const disposition = format === 'csv' ? 'attachment' : 'inline'
    return reply
      .type(r.contentType)
      .header('x-statement-sha256', r.sha256)
      .header('etag', `"${r.sha256}"`)
      .header('content-disposition', `${disposition}; filename="${r.filename}"`)
      .send(Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength))
  }

  app.get<StatementRequest>(
    '/points/:id/statement',
    {
      schema: {
        summary: 'Settlement statement of a point for a month or a day, per merchant, JSON or CSV',
        description:
          'Per merchant: opening and closing float and liability; awards (from float, on credit), payments ' +
          'received (to float, clearing liability), repayments, redemptions; owedToManager (the closing ' +
          'liability), owedToMerchant (the redemptions) and net = owedToMerchant − owedToManager (positive: ' +
          'the manager pays the merchant). The books identity at both ends. ' +
          HASH_NOTE,
        tags: ['statements'],
        params: S.pointParams,
        querystring,
        response: responses,
      },
    },
    async (request, reply) => {
      const read = deps.chain.statement?.bind(deps.chain)
      if (read === undefined) throw new RpcError(RpcErrorCode.notSupported, 'this node keeps no journal')
      const period = periodOf(request)
      const format = formatOf(request)
      const statement = await withSlot(request, async () => read(request.params.id, period))
      return send(reply, renderSettlement(statement, format), format)
    },
  )

  app.get<StatementRequest>(
    '/points/:id/sponsor-usage',
    {
      schema: {
        summary: "Sponsor usage of a point's manager for a month or a day: txs paid for, by kind and grantee",
        description:
          'Counts the txs that other accounts signed with the manager as sponsor and that spent its quota ' +
          '(included and past the sponsor check; `failed` counts those whose body then failed). ' +
          `At most ${MAX_USAGE_GRANTEES} grantees (RPC_STATEMENT_TOO_LARGE beyond; ask for a day). ` +
          HASH_NOTE,
        tags: ['statements'],
        params: S.pointParams,
        querystring,
        response: responses,
      },
    },
    async (request, reply) => {
      const read = deps.chain.sponsorUsage?.bind(deps.chain)
      if (read === undefined) throw new RpcError(RpcErrorCode.notSupported, 'this node keeps no journal')
      const period = periodOf(request)
      const format = formatOf(request)
      const usage = await withSlot(request, async () => read(request.params.id, period))
      if (usage === null) {
        throw new RpcError(
          RpcErrorCode.statementTooLarge,
          `more than ${MAX_USAGE_GRANTEES} grantees in ${period.label}: ask for one day at a time`,
        )
      }
      return send(reply, renderUsage(usage, format), format)
    },
  )
}
