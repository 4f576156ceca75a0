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

/**
 * The frame and filter accounts of the event last seen. The node hands every subscriber the same event
 * object in turn, so each event is rendered once, not once per stream.
 */
function createFrameCache() {
  let framed: ChainEvent | null = null
  let frame = ''
  let listed: ChainEvent | null = null
  let accounts: readonly Bytes[] = []
  return {
    frame(event: ChainEvent): string {
      if (event !== framed) {
        const { name, id, data } = renderChainEvent(event)
        frame = `event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`
        framed = event
      }
      return frame
    },
    touches(event: ChainEvent, account: Bytes | null): boolean {
      if (account === null || event.type === 'block') return true
      if (event !== listed) {
        accounts = event.accounts ?? accountsOfReceipt(event.receipt)
        listed = event
      }
      return accounts.some((a) => bytesEqual(a, account))
    },
  }
}

export function registerStreamRoutes(app: FastifyInstance, { options, deps, streams }: RouteContext): void {
  const frames = createFrameCache()
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
      // Frames of one block arrive in one synchronous burst: write them as one chunk, not one each.
      let buffered = ''
      let flushQueued = false
      const flush = () => {
        flushQueued = false
        if (ended || buffered === '') return
        raw.write(buffered)
        buffered = ''
      }
      const end = () => {
        if (ended) return
        flush()
        ended = true
        unsubscribe()
        clearInterval(heartbeat)
        streams.open.delete(end)
        raw.end()
      }
      const send = (chunk: string) => {
        if (ended) return
        if (raw.writableLength + buffered.length > options.maxStreamBufferBytes) {
          buffered = '' // a lagging client is dropped, not fed
          return end()
        }
        buffered += chunk
        if (!flushQueued) {
          flushQueued = true
          queueMicrotask(flush)
        }
      }
      const unsubscribe = deps.events.subscribe((event) => {
        if (frames.touches(event, account)) send(frames.frame(event))
      })
      const heartbeat = setInterval(() => send(': keep-alive\n\n'), options.streamHeartbeatMs)
      streams.open.add(end)
      raw.once('close', end)
    },
  )
}
