/**
 * `/arcade/tx-fetch/1.0.0`: the txs of a compact proposal, asked of the validator that sent it.
 * Request/response, one stream per request, as block sync: the client writes one request frame
 * `[height, ids]` (canonical msgpack; `ids` one bin of 32 × n bytes, 1 ≤ n ≤ `maxTxFetchIds`) and
 * half-closes; the server answers one frame per tx, in the order asked, stopping at the first it does
 * not hold, then an empty frame (so a server that goes away is a truncated answer, never a short one).
 *
 * Only the peers `admits` names (the validators, as for consensus) may ask or be asked. Bounds: the
 * server takes `maxInboundTxFetchStreams` requests per connection at once (more is a strike), serves
 * each peer within `txFetchRequestsPerPeer` and `txFetchBytesPerPeer` (over them it waits), and
 * stops before `maxTxFetchResponseBytes`; a malformed request is a strike. The client splits a long
 * list into requests of `maxTxFetchIds`, and fails the fetch with a coded error on an answer with a
 * tx over `maxTxBytes` (`P2P_TOO_LARGE`), more or fewer txs than asked, or more than
 * `maxTxFetchResponseBytes` in all (`P2P_REQUEST_FAILED`); the whole fetch is bounded by
 * `txFetchTimeoutMs` (`P2P_ABORTED`). Whether each tx hashes to its id is the caller's
 * check (node/compact-proposals.ts): these bytes are opaque here.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Bytes } from '../../protocol/bytes.ts'
import { decodeRaw, encode } from '../../protocol/codec.ts'
import { admitInbound, asError, errorFields, holdFor, openStream, type ProtocolContext } from './context.ts'
import { P2pError, P2pErrorCode } from './errors.ts'
import { Protocols } from './limits.ts'
import { readFrames, writeFrame } from './streams.ts'

const ID_BYTES = 32
const END_OF_RESPONSE: Bytes = new Uint8Array(0)

/** What the node serves: the txs it holds of `ids`, in order, stopping at the first it lacks. */
export interface TxFetchServer {
  serveTxs(height: number, ids: readonly Bytes[]): readonly Bytes[]
}

export interface TxFetchRequest {
  readonly height: number
  readonly ids: readonly Bytes[]
}

/** The largest request frame: the tuple, the height and the ids' bin header around `maxIds` ids. */
export function maxTxFetchRequestBytes(maxIds: number): number {
  return 16 + maxIds * ID_BYTES
}

export function encodeTxFetchRequest(height: number, ids: readonly Bytes[]): Bytes {
  const flat = new Uint8Array(ids.length * ID_BYTES)
  for (let i = 0; i < ids.length; i++) flat.set(ids[i] as Bytes, i * ID_BYTES)
  return encode([height, flat])
}

/** The request in a frame, or `P2P_BAD_FRAME` (oversize, not msgpack, or not `[height ≥ 1, ids]`). */
export function decodeTxFetchRequest(bytes: Bytes, maxIds: number): TxFetchRequest {
  let raw: unknown
  try {
    raw = decodeRaw(bytes, maxTxFetchRequestBytes(maxIds), 'tx fetch request')
  } catch (err) {
    throw new P2pError(P2pErrorCode.badFrame, 'not a valid tx fetch request', errorFields(err))
  }
  if (Array.isArray(raw) && raw.length === 2 && Number.isSafeInteger(raw[0]) && raw[0] >= 1) {
    const flat = raw[1]
    if (flat instanceof Uint8Array && flat.length > 0 && flat.length % ID_BYTES === 0) {
      const count = flat.length / ID_BYTES
      if (count <= maxIds) {
        const ids: Bytes[] = new Array(count)
        for (let i = 0; i < count; i++) ids[i] = flat.subarray(i * ID_BYTES, (i + 1) * ID_BYTES)
        return { height: raw[0] as number, ids }
      }
    }
  }
  throw new P2pError(P2pErrorCode.badFrame, 'not a valid tx fetch request')
}

export class TxFetch {
  readonly #ctx: ProtocolContext
  readonly #server: TxFetchServer | null
  readonly #admits: (peer: string) => boolean
  #abort = new AbortController()
  #running = false

  /** With a null server this host only asks. `admits`: who may ask us and be asked (the validators). */
  constructor(ctx: ProtocolContext, server: TxFetchServer | null, admits: (peer: string) => boolean) {
    this.#ctx = ctx
    this.#server = server
    this.#admits = admits
  }

  async start(): Promise<void> {
    if (this.#running) return
    this.#abort = new AbortController()
    const { libp2p, limits } = this.#ctx
    if (this.#server !== null) {
      await libp2p.handle(Protocols.txFetch, (stream, connection) => this.#serve(stream, connection), {
        maxInboundStreams: limits.maxStreamsPerConnection,
        maxOutboundStreams: limits.maxOutboundTxFetchStreams,
      })
    }
    this.#running = true
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#abort.abort(new P2pError(P2pErrorCode.notRunning, 'host stopped'))
    if (this.#server !== null) await this.#ctx.libp2p.unhandle(Protocols.txFetch)
  }

  /**
   * The txs of `ids` (ids of a proposal at `height`) from `peer`, in order: exactly one per id, or a
   * rejection with a P2P_* code. Bounded by `txFetchTimeoutMs` and the caller's signal.
   */
  async fetchTxs(
    peer: string,
    height: number,
    ids: readonly Bytes[],
    signal?: AbortSignal,
  ): Promise<Bytes[]> {
    if (!this.#running) throw new P2pError(P2pErrorCode.notRunning, 'host not running')
    if (!this.#admits(peer)) throw new P2pError(P2pErrorCode.notAllowed, 'peer may not serve txs', { peer })
    const { limits } = this.#ctx
    if (!Number.isSafeInteger(height) || height < 1 || ids.some((id) => id.length !== ID_BYTES)) {
      throw new P2pError(P2pErrorCode.badFrame, 'height must be >= 1 and ids 32 bytes each')
    }
    const timeout = AbortSignal.timeout(limits.txFetchTimeoutMs)
    const sig = AbortSignal.any(
      signal === undefined ? [timeout, this.#abort.signal] : [signal, timeout, this.#abort.signal],
    )
    const out: Bytes[] = []
    const budget = { bytes: limits.maxTxFetchResponseBytes }
    for (let from = 0; from < ids.length; from += limits.maxTxFetchIds) {
      const chunk = ids.slice(from, from + limits.maxTxFetchIds)
      for (const tx of await this.#exchange(peer, height, chunk, budget, sig)) out.push(tx)
    }
    return out
  }

  async #exchange(
    peer: string,
    height: number,
    ids: readonly Bytes[],
    budget: { bytes: number },
    sig: AbortSignal,
  ): Promise<Bytes[]> {
    const { limits } = this.#ctx
    let stream: Stream | undefined
    try {
      stream = await openStream(this.#ctx, peer, Protocols.txFetch, limits.maxOutboundTxFetchStreams, sig)
      await writeFrame(stream, encodeTxFetchRequest(height, ids), sig)
      await stream.close({ signal: sig })
      const out: Bytes[] = []
      let complete = false
      await readFrames(stream, limits.maxTxBytes, sig, (frame) => {
        if (complete)
          throw new P2pError(P2pErrorCode.requestFailed, 'data after the end of the answer', { peer })
        if (frame.length === 0) {
          complete = true
          return
        }
        budget.bytes -= frame.length
        if (out.length >= ids.length || budget.bytes < 0) {
          throw new P2pError(P2pErrorCode.requestFailed, 'answer exceeds its limits', { peer })
        }
        out.push(frame)
      })
      if (!complete) throw new P2pError(P2pErrorCode.requestFailed, 'answer truncated', { peer })
      if (out.length !== ids.length) {
        throw new P2pError(P2pErrorCode.requestFailed, 'peer lacks some of the txs', {
          peer,
          asked: ids.length,
          got: out.length,
        })
      }
      return out
    } catch (err) {
      if (stream !== undefined && stream.status === 'open') stream.abort(asError(err))
      if (err instanceof P2pError) throw err
      if (sig.aborted) throw new P2pError(P2pErrorCode.aborted, 'tx fetch aborted', { peer })
      throw new P2pError(P2pErrorCode.requestFailed, 'tx fetch failed', { peer, ...errorFields(err) })
    }
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const { limits, log, budgets, report } = this.#ctx
    const server = this.#server
    if (server === null) {
      stream.abort(new P2pError(P2pErrorCode.notAllowed, 'this host serves no txs'))
      return
    }
    const protocol = Protocols.txFetch
    const from = admitInbound(this.#ctx, stream, connection, protocol, limits.maxInboundTxFetchStreams)
    if (from === null) return
    if (!this.#admits(from)) {
      report.refused(from, protocol, 'not-a-validator')
      stream.abort(new P2pError(P2pErrorCode.notAllowed, 'peer may not use this protocol'))
      return
    }
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(limits.txFetchTimeoutMs)])
    const hold = async (waitMs: number): Promise<void> => {
      if (waitMs === 0) return
      report.throttled(from, protocol, waitMs)
      if (!(await holdFor(waitMs, signal))) throw new P2pError(P2pErrorCode.aborted, 'stopped while held')
    }
    try {
      let request: TxFetchRequest
      try {
        request = await this.#readRequest(stream, signal)
      } catch (err) {
        // A timeout or a reset may be the network's doing; anything else is a malformed request.
        const code = err instanceof P2pError ? err.code : null
        if (code !== P2pErrorCode.aborted && code !== P2pErrorCode.requestFailed) {
          report.refused(from, protocol, 'bad-frame')
          budgets.strike(from)
        }
        throw err
      }
      await hold(Math.max(budgets.txFetchRequest(from), budgets.txFetchBytes(from, 0)))
      // The asker may have given up while it was held: then there is nothing to look up.
      if (stream.status !== 'open') return
      let total = 0
      for (const tx of server.serveTxs(request.height, request.ids).slice(0, request.ids.length)) {
        // A prefix within the limits: the client fails a short answer, so stopping early costs us nothing.
        if (tx.length === 0 || tx.length > limits.maxTxBytes) break
        total += tx.length
        if (total > limits.maxTxFetchResponseBytes) break
        await hold(budgets.txFetchBytes(from, tx.length))
        await writeFrame(stream, tx, signal)
      }
      await writeFrame(stream, END_OF_RESPONSE, signal)
      await stream.close({ signal })
    } catch (err) {
      log.debug({ peer: from, ...errorFields(err) }, 'p2p tx fetch serve failed')
      if (stream.status === 'open') stream.abort(asError(err))
    }
  }

  async #readRequest(stream: Stream, signal: AbortSignal): Promise<TxFetchRequest> {
    const { limits } = this.#ctx
    const maxBytes = maxTxFetchRequestBytes(limits.maxTxFetchIds)
    const frames: Bytes[] = []
    const readSignal = AbortSignal.any([signal, AbortSignal.timeout(limits.syncRequestReadTimeoutMs)])
    await readFrames(stream, maxBytes, readSignal, (frame) => {
      if (frames.length > 0) throw new P2pError(P2pErrorCode.badFrame, 'one request per stream')
      frames.push(frame)
    })
    if (frames[0] === undefined) throw new P2pError(P2pErrorCode.badFrame, 'no request')
    return decodeTxFetchRequest(frames[0], limits.maxTxFetchIds)
  }
}
