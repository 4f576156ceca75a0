/**
 * GET /v1/stream: Server-Sent Events of new blocks and receipts. With `?account=arc1…` only the
 * receipts of txs that touched that account are sent (blocks always are). A block's frame carries the
 * events of the block itself (jailing, expired proposals, applied parameters); a tx's are in its receipt.
 *
 * One subscription to the chain feeds every open stream: each event is rendered once, an unfiltered
 * stream costs nothing per event, and a receipt reaches filtered streams through a map by account.
 * The frames of one block arrive in one synchronous burst and are written at the end of it: one Buffer
 * for all unfiltered streams (shared, not copied per stream), and its own chunk for a filtered one.
 *
 * Bounds: `maxStreams` node-wide and `maxStreamsPerClient` per client (RPC_TOO_MANY_STREAMS). A slow
 * reader is dropped with a final `dropped` event (code RPC_STREAM_LAGGING), then its socket closes:
 * - an unfiltered stream when, as a new block comes, more than `maxStreamBufferBytes` of what it was
 *   sent before is still unsent (a client that has drained gets the next block however large);
 * - a filtered stream when its unsent bytes plus its next chunk would pass `maxStreamBufferBytes`.
 * So private backlogs stay under `maxStreams × maxStreamBufferBytes`; the shared block buffers are
 * held once, for as long as the slowest unfiltered stream still has them queued.
 */
import type { FastifyInstance } from 'fastify'
import { type Bytes, bytesKey } from '../../protocol/bytes.ts'
import { createClientSlots } from '../client-slots.ts'
import { RpcErrorCode, retryLater } from '../errors.ts'
import { accountsOfReceipt, hex, parseAddress, renderEvent, renderReceipt } from '../json.ts'
import type { RouteContext } from '../options.ts'
import type { ChainEvent } from '../ports.ts'
import * as S from '../schemas.ts'

export function renderChainEvent(event: ChainEvent): { name: string; id: string; data: unknown } {
  if (event.type === 'block') {
    return {
      name: 'block',
      id: String(event.height),
      data: {
        height: event.height,
        hash: hex(event.hash),
        timeMs: event.timeMs,
        txCount: event.txCount,
        events: (event.events ?? []).map((e) => renderEvent(e as unknown as Record<string, unknown>)),
      },
    }
  }
  return {
    name: 'receipt',
    id: `${event.receipt.height}:${event.receipt.index}`,
    data: renderReceipt(event.receipt),
  }
}

const frameOf = (event: ChainEvent): string => {
  const { name, id, data } = renderChainEvent(event)
  return `event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`
}

const KEEP_ALIVE = ': keep-alive\n\n'
/** How long a dropped stream's socket may take to take its final event before it is destroyed. */
const DROP_GRACE_MS = 5_000

interface Stream {
  /** `bytesKey` of the filter account, or null for every receipt. */
  readonly accountKey: string | null
  /** Frames of the current burst, for a filtered stream. */
  parts: string[]
  /** Writes a chunk unless the reader lags; `shared` chunks are checked by backlog only. */
  write(chunk: Buffer | string, shared: boolean): void
  /** Ends the stream (a final event first when `reason` is given). */
  end(reason?: string): void
}

export function registerStreamRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { options, deps, streams: hub } = ctx
  const slots = createClientSlots({ max: options.maxStreams, maxPerClient: options.maxStreamsPerClient })
  const unfiltered = new Set<Stream>()
  const byAccount = new Map<string, Set<Stream>>()
  let unsubscribe: (() => void) | null = null
  let heartbeat: ReturnType<typeof setInterval> | null = null

  // The burst under way: frames for the unfiltered streams, and the filtered streams given some.
  let sharedParts: string[] = []
  const touched = new Set<Stream>()
  let flushQueued = false

  const flush = () => {
    flushQueued = false
    if (sharedParts.length > 0) {
      const shared = Buffer.from(sharedParts.join(''))
      sharedParts = []
      for (const stream of unfiltered) stream.write(shared, true)
    }
    for (const stream of touched) {
      const chunk = stream.parts.join('')
      stream.parts = []
      stream.write(chunk, false)
    }
    touched.clear()
  }

  const give = (stream: Stream, frame: string) => {
    stream.parts.push(frame)
    touched.add(stream)
  }

  const onEvent = (event: ChainEvent) => {
    const frame = frameOf(event)
    if (unfiltered.size > 0) sharedParts.push(frame)
    if (event.type === 'block') {
      for (const set of byAccount.values()) for (const stream of set) give(stream, frame)
    } else if (byAccount.size > 0) {
      const seen: string[] = []
      for (const account of event.accounts ?? accountsOfReceipt(event.receipt)) {
        const key = bytesKey(account)
        if (seen.includes(key)) continue
        seen.push(key)
        for (const stream of byAccount.get(key) ?? []) give(stream, frame)
      }
    }
    if (!flushQueued) {
      flushQueued = true
      queueMicrotask(flush)
    }
  }

  const add = (stream: Stream) => {
    if (stream.accountKey === null) unfiltered.add(stream)
    else {
      const set = byAccount.get(stream.accountKey) ?? new Set()
      set.add(stream)
      byAccount.set(stream.accountKey, set)
    }
    unsubscribe ??= deps.events.subscribe(onEvent)
    heartbeat ??= setInterval(() => {
      for (const stream of unfiltered) stream.write(KEEP_ALIVE, false)
      for (const set of byAccount.values()) for (const stream of set) stream.write(KEEP_ALIVE, false)
    }, options.streamHeartbeatMs)
  }

  const remove = (stream: Stream) => {
    touched.delete(stream)
    if (stream.accountKey === null) unfiltered.delete(stream)
    else {
      const set = byAccount.get(stream.accountKey)
      set?.delete(stream)
      if (set?.size === 0) byAccount.delete(stream.accountKey)
    }
    if (unfiltered.size > 0 || byAccount.size > 0) return
    unsubscribe?.()
    unsubscribe = null
    if (heartbeat !== null) clearInterval(heartbeat)
    heartbeat = null
  }

  app.get<{ Querystring: { account?: string } }>(
    '/stream',
    {
      schema: {
        summary:
          'Server-Sent Events: `block` (with the block’s own events) and `receipt` events; ?account= filters receipts',
        description:
          `At most ${options.maxStreams} streams per node and ${options.maxStreamsPerClient} per client ` +
          '(429 RPC_TOO_MANY_STREAMS). A client that reads too slowly (more than ' +
          `${options.maxStreamBufferBytes} bytes unsent) gets a final \`dropped\` event with code ` +
          'RPC_STREAM_LAGGING and the stream ends; reconnect, with ?account= to get less.',
        tags: ['chain'],
        querystring: S.object({ account: S.account }, ['account']),
        response: {
          200: {
            description: 'an event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...S.refusals({ 429: [RpcErrorCode.rateLimited, RpcErrorCode.tooManyStreams] }),
          ...S.errorResponses,
        },
      },
    },
    async (request, reply) => {
      const account: Bytes | null =
        request.query.account === undefined ? null : parseAddress(request.query.account)
      const grant = slots.acquire(ctx.clientOf(request))
      if ('refused' in grant) {
        const who = grant.refused === 'node' ? 'this node' : 'this client'
        throw retryLater(RpcErrorCode.tooManyStreams, `${who} has too many open streams; retry later`, 5)
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
      const limit = options.maxStreamBufferBytes
      const stream: Stream = {
        accountKey: account === null ? null : bytesKey(account),
        parts: [],
        write(chunk, shared) {
          if (ended) return
          const backlog = raw.writableLength
          const lagging = shared ? backlog > limit : backlog + chunk.length > limit
          if (lagging) return stream.end('the client read too slowly: its unsent backlog passed the limit')
          raw.write(chunk)
        },
        end(reason) {
          if (ended) return
          ended = true
          remove(stream)
          hub.open.delete(closeStream)
          // The connection served this stream alone: it closes once the last bytes are handed to the
          // kernel (which still sends them), without waiting for the client to close its side.
          const closeConnection = () => raw.socket?.destroy()
          if (reason === undefined) {
            raw.end(closeConnection)
            return
          }
          const data = JSON.stringify({ code: RpcErrorCode.streamLagging, message: reason })
          raw.end(`event: dropped\ndata: ${data}\n\n`, closeConnection)
          // A reader that never reads would hold its backlog forever: the socket goes after a grace.
          const grace = setTimeout(() => raw.destroy(), DROP_GRACE_MS)
          grace.unref()
          raw.once('close', () => clearTimeout(grace))
          request.log.info({ client: ctx.clientOf(request).key }, 'event stream dropped: slow reader')
        },
      }
      const closeStream = () => stream.end()
      hub.open.add(closeStream)
      add(stream)
      // The slot is held until the socket is gone, so dropped sockets in their grace count too.
      raw.once('close', () => {
        stream.end()
        grant.release()
      })
    },
  )
}
