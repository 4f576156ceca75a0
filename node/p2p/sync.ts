/**
 * `/arcade/sync/1.0.0`: request/response, one stream per request. The client writes one request frame
 * and half-closes; the server answers with frames and closes. Requests (canonical msgpack):
 * `[0]` status → one frame `[height]`; `[1, fromHeight, maxBlocks]` → one frame per entry (an opaque
 * encoded block with its certificate), at most `maxBlocks`, cut before `maxSyncResponseBytes`.
 * Every response ends with an empty frame, so a server that goes away mid-response (its stream closed
 * gracefully by a shutdown) is a truncated response, never mistaken for "no more blocks".
 * Both ends enforce the limits; a breach fails the exchange and resets the stream, not the connection.
 * The server serves each peer within its request and byte rates (`syncRequestsPerPeer`,
 * `syncBytesPerPeer`): over them it waits before serving or writing, and a malformed request is a strike.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Bytes } from '../../protocol/bytes.ts'
import { decodeRaw, encode } from '../../protocol/codec.ts'
import { admitInbound, asError, errorFields, holdFor, openStream, type ProtocolContext } from './context.ts'
import { P2pError, P2pErrorCode } from './errors.ts'
import { Protocols } from './limits.ts'
import { readFrames, writeFrame } from './streams.ts'

export interface SyncStatus {
  /** Height of the last committed block this peer holds (0 before the first block). */
  readonly height: number
}

/** What the node provides to answer sync requests. Entries are opaque encoded blocks. */
export interface SyncServer {
  serveBlocks(fromHeight: number, maxBlocks: number): Promise<Bytes[]>
  serveStatus(): SyncStatus | Promise<SyncStatus>
}

const STATUS = 0
const BLOCKS = 1
const END_OF_RESPONSE: Bytes = new Uint8Array(0)

type SyncRequest =
  | { readonly kind: 'status' }
  | { readonly kind: 'blocks'; readonly fromHeight: number; readonly maxBlocks: number }

function isHeight(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

export function decodeSyncRequest(bytes: Bytes, maxBytes: number, maxBlocksLimit: number): SyncRequest {
  const raw = decodeRaw(bytes, maxBytes, 'sync request')
  if (Array.isArray(raw) && raw.length === 1 && raw[0] === STATUS) return { kind: 'status' }
  if (Array.isArray(raw) && raw.length === 3 && raw[0] === BLOCKS && isHeight(raw[1]) && isHeight(raw[2])) {
    if (raw[2] >= 1 && raw[2] <= maxBlocksLimit)
      return { kind: 'blocks', fromHeight: raw[1], maxBlocks: raw[2] }
  }
  throw new P2pError(P2pErrorCode.badFrame, 'not a valid sync request')
}

export class BlockSync {
  readonly #ctx: ProtocolContext
  readonly #server: SyncServer | null
  #abort = new AbortController()
  #running = false

  /** With a null server this host only asks (an observer that serves nothing). */
  constructor(ctx: ProtocolContext, server: SyncServer | null) {
    this.#ctx = ctx
    this.#server = server
  }

  async start(): Promise<void> {
    if (this.#running) return
    this.#abort = new AbortController()
    const { libp2p, limits } = this.#ctx
    if (this.#server !== null) {
      await libp2p.handle(Protocols.sync, (stream, connection) => this.#serve(stream, connection), {
        maxInboundStreams: limits.maxStreamsPerConnection,
        maxOutboundStreams: limits.maxOutboundSyncStreams,
      })
    }
    this.#running = true
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#abort.abort(new P2pError(P2pErrorCode.notRunning, 'host stopped'))
    if (this.#server !== null) await this.#ctx.libp2p.unhandle(Protocols.sync)
  }

  /** Asks `peer` for up to `maxBlocks` entries from `fromHeight` on; fewer (or none) is a valid answer. */
  async requestBlocks(
    peer: string,
    fromHeight: number,
    maxBlocks: number,
    signal?: AbortSignal,
  ): Promise<Bytes[]> {
    const { limits } = this.#ctx
    if (!isHeight(fromHeight) || !Number.isSafeInteger(maxBlocks) || maxBlocks < 1) {
      throw new P2pError(P2pErrorCode.badFrame, 'fromHeight must be >= 0 and maxBlocks >= 1')
    }
    const max = Math.min(maxBlocks, limits.maxSyncBlocksPerRequest)
    return this.#exchange(peer, encode([BLOCKS, fromHeight, max]), max, signal)
  }

  async requestStatus(peer: string, signal?: AbortSignal): Promise<SyncStatus> {
    const frames = await this.#exchange(peer, encode([STATUS]), 1, signal)
    const raw = frames[0] === undefined ? undefined : decodeRaw(frames[0], 64, 'sync status')
    if (!Array.isArray(raw) || raw.length !== 1 || !isHeight(raw[0])) {
      throw new P2pError(P2pErrorCode.requestFailed, 'invalid status response', { peer })
    }
    return { height: raw[0] }
  }

  async #exchange(peer: string, request: Bytes, maxFrames: number, signal?: AbortSignal): Promise<Bytes[]> {
    if (!this.#running) throw new P2pError(P2pErrorCode.notRunning, 'host not running')
    const { limits } = this.#ctx
    const sig = AbortSignal.any([signal ?? AbortSignal.timeout(limits.syncTimeoutMs), this.#abort.signal])
    let stream: Stream | undefined
    try {
      stream = await openStream(this.#ctx, peer, Protocols.sync, limits.maxOutboundSyncStreams, sig)
      await writeFrame(stream, request, sig)
      await stream.close({ signal: sig })
      const out: Bytes[] = []
      let total = 0
      let complete = false
      await readFrames(stream, limits.maxSyncEntryBytes, sig, (frame) => {
        if (complete)
          throw new P2pError(P2pErrorCode.requestFailed, 'data after the end of the response', { peer })
        if (frame.length === 0) {
          complete = true
          return
        }
        total += frame.length
        if (out.length >= maxFrames || total > limits.maxSyncResponseBytes) {
          throw new P2pError(P2pErrorCode.requestFailed, 'response exceeds its limits', { peer })
        }
        out.push(frame)
      })
      if (!complete) throw new P2pError(P2pErrorCode.requestFailed, 'response truncated', { peer })
      return out
    } catch (err) {
      if (stream !== undefined && stream.status === 'open') stream.abort(asError(err))
      if (err instanceof P2pError) throw err
      if (sig.aborted) throw new P2pError(P2pErrorCode.aborted, 'sync request aborted', { peer })
      throw new P2pError(P2pErrorCode.requestFailed, 'sync request failed', { peer, ...errorFields(err) })
    }
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const { limits, log, budgets, report } = this.#ctx
    const server = this.#server
    if (server === null) {
      stream.abort(new P2pError(P2pErrorCode.notAllowed, 'this host serves no sync'))
      return
    }
    const from = admitInbound(this.#ctx, stream, connection, Protocols.sync, limits.maxInboundSyncStreams)
    if (from === null) return
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(limits.syncTimeoutMs)])
    // Over its rate, a peer's request waits (its stream open, within maxInboundSyncStreams): a syncing
    // peer is slowed, never refused, since catching up as fast as it may is what an honest one does.
    const hold = async (waitMs: number): Promise<void> => {
      if (waitMs === 0) return
      report.throttled(from, Protocols.sync, waitMs)
      if (!(await holdFor(waitMs, signal))) throw new P2pError(P2pErrorCode.aborted, 'stopped while held')
    }
    try {
      let request: SyncRequest
      try {
        request = await this.#readRequest(stream, signal)
      } catch (err) {
        // A timeout or a reset may be the network's doing; anything else is a malformed request.
        const code = err instanceof P2pError ? err.code : null
        if (code !== P2pErrorCode.aborted && code !== P2pErrorCode.requestFailed) {
          report.refused(from, Protocols.sync, 'bad-frame')
          budgets.strike(from)
        }
        throw err
      }
      // A peer still in debt for the bytes of its last response waits before we read the store again.
      await hold(Math.max(budgets.syncRequest(from), budgets.syncBytes(from, 0)))
      let response: Bytes[]
      if (request.kind === 'status') {
        response = [encode([(await server.serveStatus()).height])]
      } else {
        response = this.#capEntries(
          await server.serveBlocks(request.fromHeight, request.maxBlocks),
          request.maxBlocks,
        )
      }
      for (const frame of response) {
        await hold(budgets.syncBytes(from, frame.length))
        await writeFrame(stream, frame, signal)
      }
      await writeFrame(stream, END_OF_RESPONSE, signal)
      await stream.close({ signal })
    } catch (err) {
      log.debug({ peer: from, ...errorFields(err) }, 'p2p sync serve failed')
      if (stream.status === 'open') stream.abort(asError(err))
    }
  }

  async #readRequest(stream: Stream, signal: AbortSignal): Promise<SyncRequest> {
    const { limits } = this.#ctx
    const frames: Bytes[] = []
    const readSignal = AbortSignal.any([signal, AbortSignal.timeout(limits.syncRequestReadTimeoutMs)])
    await readFrames(stream, limits.maxSyncRequestBytes, readSignal, (frame) => {
      if (frames.length > 0) throw new P2pError(P2pErrorCode.badFrame, 'one request per stream')
      frames.push(frame)
    })
    if (frames[0] === undefined) throw new P2pError(P2pErrorCode.badFrame, 'no request')
    return decodeSyncRequest(frames[0], limits.maxSyncRequestBytes, limits.maxSyncBlocksPerRequest)
  }

  /** Keeps the longest prefix within the count and byte limits (a prefix, so heights stay contiguous). */
  #capEntries(entries: readonly Bytes[], maxBlocks: number): Bytes[] {
    const { limits, log } = this.#ctx
    const out: Bytes[] = []
    let total = 0
    for (const entry of entries) {
      if (out.length >= maxBlocks) break
      if (entry.length === 0 || entry.length > limits.maxSyncEntryBytes) {
        log.warn(
          { size: entry.length, limit: limits.maxSyncEntryBytes },
          'p2p sync entry empty or over the limit',
        )
        break
      }
      if (total + entry.length > limits.maxSyncResponseBytes) break
      total += entry.length
      out.push(entry)
    }
    return out
  }
}
