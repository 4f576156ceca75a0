/**
 * GET /v1/stream: Server-Sent Events of new blocks and receipts. With `?account=arc1…` only the
 * receipts of txs that touched that account are sent (blocks always are). A client that falls behind
 * by more than `maxStreamBufferBytes` is disconnected rather than buffered without bound.
 */
import type { FastifyInstance } from 'fastify'
import { type Bytes, bytesEqual } from '../../protocol/bytes.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { accountsOfReceipt, hex, parseAddress, renderReceipt } from '../json.ts'
import type { RouteContext } from '../options.ts'
import type { ChainEvent } from '../ports.ts'
import * as S from '../schemas.ts'

export function renderChainEvent(event: ChainEvent): { name: string; id: string; data: unknown } {
  if (event.type === 'block') {
    return {
      name: 'block',
      id: String(event.height),
      data: { height: event.height, hash: hex(event.hash), timeMs: event.timeMs, txCount: event.txCount },
    }
  }
  return {
    name: 'receipt',
    id: `${event.receipt.height}:${event.receipt.index}`,
    data: renderReceipt(event.receipt),
  }
}

function touches(event: ChainEvent, account: Bytes | null): boolean {
  if (account === null || event.type === 'block') return true
  const accounts = event.accounts ?? accountsOfReceipt(event.receipt)
  return accounts.some((a) => bytesEqual(a, account))
}

export function registerStreamRoutes(app: FastifyInstance, { options, deps, streams }: RouteContext): void {
  app.get<{ Querystring: { account?: string } }>(
    '/stream',
    {
      schema: {
        summary: 'Server-Sent Events: `block` and `receipt` events; ?account= filters receipts',
        tags: ['chain'],
        querystring: S.object({ account: S.account }, ['account']),
        response: {
          200: {
            description: 'an event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...S.errorResponses,
        },
      },
    },
    async (request, reply) => {
      const account = request.query.account === undefined ? null : parseAddress(request.query.account)
      if (streams.open.size >= options.maxStreamClients) {
        void reply.header('retry-after', '5')
        throw new RpcError(RpcErrorCode.rateLimited, 'too many open streams; retry later')
      }
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      raw.write(': connected\n\n')
      let ended = false
      const end = () => {
        if (ended) return
        ended = true
        unsubscribe()
        clearInterval(heartbeat)
        streams.open.delete(end)
        raw.end()
      }
      const send = (chunk: string) => {
        if (ended) return
        if (raw.writableLength > options.maxStreamBufferBytes) return end()
        raw.write(chunk)
      }
      const unsubscribe = deps.events.subscribe((event) => {
        if (!touches(event, account)) return
        const { name, id, data } = renderChainEvent(event)
        send(`event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`)
      })
      const heartbeat = setInterval(() => send(': keep-alive\n\n'), options.streamHeartbeatMs)
      streams.open.add(end)
      raw.once('close', end)
    },
  )
}
