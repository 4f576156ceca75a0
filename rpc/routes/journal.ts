/**
 * The journal: every movement of every point, per point, per account or per merchant, over a height
 * or block-time range, in pages (JSON) or as one streamed CSV (bounded memory: one page at a time,
 * read only as fast as the client takes it; a few exports at once, node-wide and per client).
 */
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Bytes } from '../../protocol/bytes.ts'
import { createClientSlots } from '../client-slots.ts'
import { RpcError, RpcErrorCode, retryLater } from '../errors.ts'
import { JOURNAL_CSV_DOC, JOURNAL_CSV_HEADER, journalCsvLine, renderJournalRow } from '../journal-render.ts'
import { parseAddress } from '../json.ts'
import type { RouteContext } from '../options.ts'
import type { JournalCursor, JournalRequest } from '../ports.ts'
import * as S from '../schemas.ts'
import { currentQuery } from './ledger.ts'

interface JournalQuerystring {
  point: string
  account?: string
  merchant?: string
  fromHeight?: number
  toHeight?: number
  fromTime?: string
  toTime?: string
  cursor?: string
  limit: number
  format?: 'json' | 'csv'
}

const CURSOR_RE = /^(\d{1,16})\.(\d{1,10})\.(\d{1,5})$/
const MS_RE = /^\d{1,16}$/
const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/
/** Rows per store read while streaming a CSV. */
const CSV_PAGE = 1_000

export const formatCursor = (c: JournalCursor): string => `${c.height}.${c.txIndex}.${c.row}`

export function parseJournalCursor(text: string | undefined): JournalCursor | undefined {
  if (text === undefined) return undefined
  const m = CURSOR_RE.exec(text)
  const cursor = m === null ? null : { height: Number(m[1]), txIndex: Number(m[2]), row: Number(m[3]) }
  if (
    cursor === null ||
    !Number.isSafeInteger(cursor.height) ||
    cursor.txIndex > 0xffffffff ||
    cursor.row > 0xffff
  ) {
    throw new RpcError(
      RpcErrorCode.badCursor,
      'cursor: must be "<height>.<txIndex>.<row>" as a page’s next gives it',
    )
  }
  return cursor
}

/** A count of ms since the epoch, or an ISO 8601 date or date-time (with Z or an offset). */
function parseTime(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined
  const ms = MS_RE.test(text) ? Number(text) : ISO_RE.test(text) ? Date.parse(text) : Number.NaN
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RpcError(RpcErrorCode.badRange, `${field}: must be ms since the epoch or an ISO 8601 date-time`)
  }
  return ms
}

const wantsCsv = (request: FastifyRequest<{ Querystring: JournalQuerystring }>): boolean =>
  request.query.format === 'csv' ||
  (request.query.format === undefined && /\btext\/csv\b/i.test(request.headers.accept ?? ''))

export function registerJournalRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps, options } = ctx
  const exports = createClientSlots({ max: options.maxExports, maxPerClient: options.maxExportsPerClient })

  function parseRequest(q: JournalQuerystring): Omit<JournalRequest, 'limit'> {
    if (q.account !== undefined && q.merchant !== undefined) {
      throw new RpcError(RpcErrorCode.badRequest, 'account and merchant: give one or neither')
    }
    if (currentQuery(deps.query).point(q.point) === null) {
      throw new RpcError(RpcErrorCode.pointNotFound, `no point ${q.point}`)
    }
    const fromTimeMs = parseTime(q.fromTime, 'fromTime')
    const toTimeMs = parseTime(q.toTime, 'toTime')
    if (q.fromHeight !== undefined && q.toHeight !== undefined && q.fromHeight > q.toHeight) {
      throw new RpcError(RpcErrorCode.badRange, 'fromHeight is after toHeight')
    }
    if (fromTimeMs !== undefined && toTimeMs !== undefined && fromTimeMs > toTimeMs) {
      throw new RpcError(RpcErrorCode.badRange, 'fromTime is after toTime')
    }
    const who: { account?: Bytes; merchant?: Bytes } =
      q.account !== undefined
        ? { account: parseAddress(q.account) }
        : q.merchant !== undefined
          ? { merchant: parseAddress(q.merchant) }
          : {}
    const after = parseJournalCursor(q.cursor)
    return {
      point: q.point,
      ...who,
      ...(q.fromHeight === undefined ? {} : { fromHeight: q.fromHeight }),
      ...(q.toHeight === undefined ? {} : { toHeight: q.toHeight }),
      ...(fromTimeMs === undefined ? {} : { fromTimeMs }),
      ...(toTimeMs === undefined ? {} : { toTimeMs }),
      ...(after === undefined ? {} : { after }),
    }
  }

  app.get<{ Querystring: JournalQuerystring }>(
    '/journal',
    {
      schema: {
        summary:
          'The journal: every movement of a point, per account or merchant, by height or time, JSON or CSV',
        description:
          'Rows ascending by (height, txIndex, row). JSON pages: follow `next` as `cursor` until it is null ' +
          '(a page may hold fewer than `limit` rows while `next` is set). CSV (`format=csv` or `Accept: text/csv`): ' +
          'the whole range from `cursor`, streamed, `limit` ignored. Times: ms since the epoch or ISO 8601 ' +
          '(e.g. 2026-11-01T00:00:00+09:00), matched against block times. CSV columns, in this order: ' +
          JOURNAL_CSV_DOC +
          '.',
        tags: ['journal'],
        querystring: S.object(
          {
            point: S.pointId,
            account: { type: 'string', maxLength: 128 },
            merchant: { type: 'string', maxLength: 128 },
            fromHeight: S.uint,
            toHeight: S.uint,
            fromTime: { type: 'string', maxLength: 40 },
            toTime: { type: 'string', maxLength: 40 },
            cursor: { type: 'string', maxLength: 40 },
            limit: S.limitQuery(1000, 100),
            format: { type: 'string', enum: ['json', 'csv'] },
          },
          [
            'account',
            'merchant',
            'fromHeight',
            'toHeight',
            'fromTime',
            'toTime',
            'cursor',
            'limit',
            'format',
          ],
        ),
        response: {
          200: S.object({ items: S.arrayOf(S.freeObject), next: S.nullable(S.text) }),
          ...S.errorResponses,
          ...S.refusals({ 429: [RpcErrorCode.rateLimited, RpcErrorCode.tooManyExports] }),
        },
      },
    },
    async (request, reply) => {
      const read = deps.chain.journal?.bind(deps.chain)
      if (read === undefined) throw new RpcError(RpcErrorCode.notSupported, 'this node keeps no journal')
      const base = parseRequest(request.query)
      if (!wantsCsv(request)) {
        const page = await read({ ...base, limit: request.query.limit })
        return {
          items: page.rows.map(renderJournalRow),
          next: page.next === null ? null : formatCursor(page.next),
        }
      }
      return streamCsv(request, reply, base, read)
    },
  )

  function streamCsv(
    request: FastifyRequest<{ Querystring: JournalQuerystring }>,
    reply: FastifyReply,
    base: Omit<JournalRequest, 'limit'>,
    read: NonNullable<RouteContext['deps']['chain']['journal']>,
  ): FastifyReply {
    const grant = exports.acquire(ctx.clientOf(request))
    if ('refused' in grant) {
      const who = grant.refused === 'node' ? 'the node' : 'this client'
      throw retryLater(RpcErrorCode.tooManyExports, `${who} has too many exports running; retry later`, 5)
    }
    const { release } = grant
    async function* lines(): AsyncGenerator<string> {
      try {
        yield JOURNAL_CSV_HEADER
        let after = base.after
        for (;;) {
          const page = await read({ ...base, ...(after === undefined ? {} : { after }), limit: CSV_PAGE })
          let chunk = ''
          for (const row of page.rows) chunk += journalCsvLine(row)
          if (chunk !== '') yield chunk
          if (page.next === null) return
          after = page.next
        }
      } finally {
        release()
      }
    }
    const stream = Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 })
    // A client that goes away ends the read loop and frees the slot at once (release is idempotent:
    // a generator destroyed before its first read never runs its finally).
    reply.raw.once('close', () => {
      release()
      stream.destroy()
    })
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="journal-${base.point}.csv"`)
      .send(stream)
  }
}
