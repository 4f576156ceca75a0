/**
 * Ledger reads: accounts, points, merchants, traffic, devices and grants, through state/'s read-only
 * `LedgerQuery` (over the latest committed state) and the `ChainReader` port.
 */
import type { FastifyInstance } from 'fastify'
import type { Bytes } from '../../protocol/bytes.ts'
import type { LedgerQuery, MerchantInfo } from '../../state/query.ts'
import type { DeviceRecord, GrantRecord, PointRecord, ShopDay } from '../../state/records.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { renderJournalRow } from '../journal-render.ts'
import { address, hex, parseAddress } from '../json.ts'
import type { RouteContext } from '../options.ts'
import type { HistoryCursor, LedgerSource } from '../ports.ts'
import * as S from '../schemas.ts'

export const currentQuery = (source: LedgerSource): LedgerQuery =>
  typeof source === 'function' ? source() : source

const renderGrant = (point: string, g: GrantRecord) => ({
  point,
  ...g,
  grantee: g.grantee === null ? null : address(g.grantee),
})
/** A point as JSON; `timeMs` (the head block's) says whether a fixed expiry date has lapsed. */
const renderPoint = (id: string, p: PointRecord, timeMs: number) => ({
  id,
  ...p,
  manager: address(p.manager),
  expiry: {
    afterDays: p.expiryDays,
    atMs: p.expiryAtMs,
    lapsed: p.expiryAtMs > 0 && timeMs >= p.expiryAtMs,
  },
})
const renderDevice = (device: Bytes, d: DeviceRecord) => ({
  device: address(device),
  ...d,
  owner: address(d.owner),
  merchants: d.merchants.map(address),
})

const renderMerchant = (m: MerchantInfo) => ({
  ...m,
  address: address(m.address),
  terminals: m.terminals.map(address),
})

/** A day a shop recorded anything on (kept apart from days it did not). */
const hasTraffic = (d: ShopDay): boolean =>
  d.duplicates +
    Object.values(d.confirmed).reduce((a, b) => a + b, 0) +
    Object.values(d.unconfirmed).reduce((a, b) => a + b, 0) >
  0

const CURSOR_RE = /^(\d{1,16}):(\d{1,10})$/
const POINT_RE = /^[A-Z][A-Z0-9]{1,11}$/

function parseCursor(text: string | undefined): HistoryCursor | undefined {
  if (text === undefined) return undefined
  const m = CURSOR_RE.exec(text)
  if (m === null) throw new RpcError(RpcErrorCode.badRequest, 'before: must be "<height>:<index>"')
  return { height: Number(m[1]), index: Number(m[2]) }
}

function parsePointList(text: string): string[] {
  const ids = text.split(',').filter((id) => id !== '')
  for (const id of ids)
    if (!POINT_RE.test(id)) throw new RpcError(RpcErrorCode.badRequest, 'points: not point ids')
  return ids
}

const offsetPage = S.object({ offset: { ...S.uint, default: 0 }, limit: S.limitQuery(1000, 100) })
const list = (item: Record<string, unknown>) =>
  S.object({ items: S.arrayOf(item), nextOffset: S.nullable(S.uint) })
const withErrors = (ok: Record<string, unknown>) => ({ 200: ok, ...S.errorResponses })
const nextOffset = (page: { offset: number; limit: number }, got: number) =>
  got === page.limit ? page.offset + got : null

/** The point's record, or RPC_POINT_NOT_FOUND. */
export function requirePoint(query: LedgerQuery, id: string): PointRecord {
  const point = query.point(id)
  if (point === null) throw new RpcError(RpcErrorCode.pointNotFound, `no point ${id}`)
  return point
}

export function registerLedgerRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  const { chain } = deps
  const q = () => currentQuery(deps.query)

  async function knownPoints(): Promise<readonly string[]> {
    if (deps.pointIds === undefined) {
      throw new RpcError(RpcErrorCode.notSupported, 'this node keeps no point index: name them with ?points=')
    }
    return [...(await deps.pointIds())].sort()
  }

  app.get<{ Params: { address: string }; Querystring: { points?: string } }>(
    '/accounts/:address',
    {
      schema: {
        summary: 'An account: roles, and balances and fee grants per point (all points, or ?points=A,B)',
        tags: ['accounts'],
        params: S.addressParams,
        querystring: S.object({ points: { type: 'string', maxLength: 1300 } }, ['points']),
        response: withErrors(
          S.object({
            address: S.account,
            height: S.uint,
            roles: S.arrayOf(S.text),
            balances: S.arrayOf(S.object({ point: S.pointId, amount: S.amount })),
            grants: S.arrayOf(S.grant),
          }),
        ),
      },
    },
    async (request) => {
      const key = parseAddress(request.params.address)
      const points =
        request.query.points === undefined ? await knownPoints() : parsePointList(request.query.points)
      const query = q()
      const roles = query.roles(key)
      const grants = points.flatMap((p) => {
        const g = query.grant(p, key)
        return g === null ? [] : [renderGrant(p, g)]
      })
      return {
        address: address(key),
        height: query.height,
        roles: (['admin', 'issuer'] as const).filter((r) => roles[r]),
        balances: points
          .map((point) => ({ point, amount: query.balance(point, key) }))
          .filter((b) => b.amount > 0),
        grants,
      }
    },
  )

  app.get<{ Params: { address: string }; Querystring: { limit: number; before?: string } }>(
    '/accounts/:address/history',
    {
      schema: {
        summary: 'Txs that touched an account, newest first; page on with ?before=<next>',
        tags: ['accounts'],
        params: S.addressParams,
        querystring: S.object({ limit: S.limitQuery(100, 20), before: { type: 'string', maxLength: 40 } }, [
          'before',
        ]),
        response: withErrors(
          S.object({
            items: S.arrayOf(
              S.object(
                {
                  height: S.uint,
                  index: S.uint,
                  txHash: S.hexBytes,
                  kind: S.text,
                  status: { type: 'string', enum: ['ok', 'failed'] },
                  error: S.nullable(S.text),
                  movements: {
                    ...S.arrayOf(S.freeObject),
                    description:
                      'the tx’s journal rows naming this account (amounts and counterparties), at most 8',
                  },
                  moreMovements: S.bool,
                },
                ['movements', 'moreMovements'],
              ),
            ),
            next: S.nullable(S.text),
          }),
        ),
      },
    },
    async (request) => {
      const key = parseAddress(request.params.address)
      const { limit } = request.query
      const before = parseCursor(request.query.before)
      const items = await chain.accountHistory(key, before === undefined ? { limit } : { limit, before })
      const last = items.at(-1)
      return {
        items: items.map((e) => ({
          ...e,
          txHash: hex(e.txHash),
          ...(e.movements === undefined ? {} : { movements: e.movements.map(renderJournalRow) }),
        })),
        next: items.length === limit && last !== undefined ? `${last.height}:${last.index}` : null,
      }
    },
  )

  app.get<{ Params: { address: string } }>(
    '/accounts/:address/devices',
    {
      schema: {
        summary: 'Devices bound to an owner account, with their spending limits',
        tags: ['devices'],
        params: S.addressParams,
        response: withErrors(S.object({ items: S.arrayOf(S.deviceInfo) })),
      },
    },
    async (request) => {
      const query = q()
      const devices = query.devicesOf(parseAddress(request.params.address))
      return {
        items: devices.flatMap((d) => {
          const record = query.device(d)
          return record === null ? [] : [renderDevice(d, record)]
        }),
      }
    },
  )

  app.get(
    '/points',
    {
      schema: {
        summary: 'Every regional point, by id',
        tags: ['points'],
        response: withErrors(S.object({ items: S.arrayOf(S.pointInfo) })),
      },
    },
    async () => {
      const ids = await knownPoints()
      const query = q()
      return {
        items: ids.flatMap((id) => {
          const p = query.point(id)
          return p === null ? [] : [renderPoint(id, p, query.timeMs)]
        }),
      }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/points/:id',
    {
      schema: {
        summary: 'A point: manager, supply, liability, fiat totals, counts and traffic rules',
        tags: ['points'],
        params: S.pointParams,
        response: withErrors(S.pointDetail),
      },
    },
    async (request) => {
      const query = q()
      const { id } = request.params
      return {
        ...renderPoint(id, requirePoint(query, id), query.timeMs),
        trafficRules: query.trafficRules(id),
      }
    },
  )

  app.get<{ Params: { id: string; address: string } }>(
    '/points/:id/accounts/:address/lots',
    {
      schema: {
        summary: "What of a customer's balance expires when, and the balance it may spend now",
        description:
          'At the head block time: `balance` is what the customer may spend, `lots` what expires when ' +
          '(soonest first; each at a 00:00 JST), `nonExpiring` what never does. `stored` is the balance ' +
          'record, which still holds `expiredUnswept` until a tx touches the account or the sweep reaches it.',
        tags: ['accounts', 'points'],
        params: S.pointMerchantParams,
        response: withErrors(S.lotsInfo),
      },
    },
    async (request) => {
      const query = q()
      const { id } = request.params
      requirePoint(query, id)
      const account = parseAddress(request.params.address)
      const info = query.lots(id, account)
      return {
        point: id,
        account: address(account),
        height: query.height,
        timeMs: query.timeMs,
        ...info,
        lots: info.lots.map((l) => ({ ...l, expiresAt: new Date(l.expiresAtMs).toISOString() })),
      }
    },
  )

  app.get<{ Params: { id: string }; Querystring: { offset: number; limit: number } }>(
    '/points/:id/merchants',
    {
      schema: {
        summary: "A point's merchants, in order of application, with float, liability and limit",
        tags: ['merchants'],
        params: S.pointParams,
        querystring: offsetPage,
        response: withErrors(list(S.merchantInfo)),
      },
    },
    async (request) => {
      const query = q()
      const { id } = request.params
      requirePoint(query, id)
      const items = query.merchants(id, request.query)
      return {
        items: items.map((m) => ({ point: id, ...renderMerchant(m) })),
        nextOffset: nextOffset(request.query, items.length),
      }
    },
  )

  app.get<{ Params: { id: string; address: string } }>(
    '/points/:id/merchants/:address',
    {
      schema: {
        summary: 'One merchant of a point: status, credit limit, float, liability, terminals',
        tags: ['merchants'],
        params: S.pointMerchantParams,
        response: withErrors(S.merchantInfo),
      },
    },
    async (request) => {
      const { id } = request.params
      const merchant = q().merchant(id, parseAddress(request.params.address))
      if (merchant === null)
        throw new RpcError(RpcErrorCode.merchantNotFound, 'no such merchant of this point')
      return { point: id, ...renderMerchant(merchant) }
    },
  )

  app.get<{ Params: { id: string; address: string }; Querystring: { fromDay: number; toDay: number } }>(
    '/points/:id/merchants/:address/traffic',
    {
      schema: {
        summary: 'Traffic a merchant recorded per JST day number, newest first; days with none are left out',
        tags: ['traffic'],
        params: S.pointMerchantParams,
        querystring: S.object({ fromDay: S.uint, toDay: S.uint }),
        response: withErrors(S.object({ items: S.arrayOf(S.shopDay) })),
      },
    },
    async (request) => {
      const { fromDay, toDay } = request.query
      if (toDay < fromDay || toDay - fromDay > 366) {
        throw new RpcError(RpcErrorCode.badRequest, 'toDay must be within 366 days after fromDay')
      }
      const { id } = request.params
      const merchant = parseAddress(request.params.address)
      const query = q()
      const items = []
      for (let day = toDay; day >= fromDay; day--) {
        const d = query.shopDay(id, merchant, day)
        if (hasTraffic(d)) items.push({ day, ...d })
      }
      return { items }
    },
  )

  app.get<{ Params: { id: string; day: number }; Querystring: { offset: number; limit: number } }>(
    '/points/:id/traffic/days/:day',
    {
      schema: {
        summary:
          "The association's traffic figures for one JST day: per shop (in the merchant listing's " +
          'order, paged over merchants), events by kind, confirmed and unconfirmed; shops with none are left out',
        tags: ['traffic'],
        params: S.object({ id: S.pointId, day: S.uint }),
        querystring: offsetPage,
        response: withErrors(list(S.shopDayOfMerchant)),
      },
    },
    async (request) => {
      const query = q()
      const { id, day } = request.params
      requirePoint(query, id)
      const merchants = query.merchants(id, request.query)
      const items = []
      for (const m of merchants) {
        const d = query.shopDay(id, m.address, day)
        if (hasTraffic(d)) items.push({ merchant: address(m.address), name: m.name, ...d })
      }
      return { items, nextOffset: nextOffset(request.query, merchants.length) }
    },
  )

  app.get<{ Params: { id: string; address: string } }>(
    '/points/:id/pseudonyms/:address/traffic',
    {
      schema: {
        summary:
          "A customer's traffic in a point by its pseudonym: events, points earned and not yet claimed " +
          '(a wallet proves it with /v1/proofs/pseudonym:POINT:ADDR)',
        tags: ['traffic'],
        params: S.pointMerchantParams,
        response: withErrors(S.pseudonymTraffic),
      },
    },
    async (request) => {
      const query = q()
      const { id } = request.params
      requirePoint(query, id)
      const pseudonym = parseAddress(request.params.address)
      return { point: id, pseudonym: address(pseudonym), ...query.pseudonymTraffic(id, pseudonym) }
    },
  )

  app.get<{ Params: { id: string }; Querystring: { offset: number; limit: number } }>(
    '/points/:id/grants',
    {
      schema: {
        summary: "Fee grants (tx quotas) a point's manager gives",
        tags: ['grants'],
        params: S.pointParams,
        querystring: offsetPage,
        response: withErrors(list(S.grant)),
      },
    },
    async (request) => {
      const query = q()
      const { id } = request.params
      requirePoint(query, id)
      const items = query.grants(id, request.query)
      return {
        items: items.map((g) => renderGrant(id, g)),
        nextOffset: nextOffset(request.query, items.length),
      }
    },
  )

  app.get<{ Params: { address: string } }>(
    '/devices/:address',
    {
      schema: {
        summary: 'A device key: its owner, point, limits and use this period',
        tags: ['devices'],
        params: S.addressParams,
        response: withErrors(S.deviceInfo),
      },
    },
    async (request) => {
      const key = parseAddress(request.params.address)
      const device = q().device(key)
      if (device === null) throw new RpcError(RpcErrorCode.deviceNotFound, 'no such device')
      return renderDevice(key, device)
    },
  )
}
