/**
 * A long-lived, one-way framed protocol (consensus, tx gossip): per connected peer one outbound stream
 * fed by a bounded queue, and inbound streams whose frames reach `onFrame(from, bytes)` in order.
 * Sends never reject: a frame for a peer that is not connected, or whose queue is full, is dropped and
 * `send` returns false (consensus recovers from loss by its own timeouts and retransmission).
 *
 * Inbound, before anything decodes a frame: the peer must pass `admits` (consensus: a validator), its
 * stream opens are rate-limited, and each frame spends from its frame and byte budgets; over budget,
 * the frame waits and the peer's stream is paused meanwhile. A corrupt or oversize frame is a strike.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Bytes } from '../../protocol/bytes.ts'
import { admitInbound, errorFields, holdFor, openStream, type ProtocolContext } from './context.ts'
import { P2pError, P2pErrorCode } from './errors.ts'
import type { BudgetedProtocol } from './peer-budget.ts'
import { attachInbound, OutboundChannel } from './streams.ts'

export interface FramedProtocolOptions {
  readonly protocol: string
  /** Which per-peer rates apply to inbound frames. */
  readonly budget: BudgetedProtocol
  readonly maxFrameBytes: number
}

export interface FramedProtocolDeps {
  readonly ctx: ProtocolContext
  readonly onFrame: (from: string, bytes: Bytes) => void | Promise<void>
  /** Whose frames are taken, and to whom we send; omitted: every allowed peer. */
  readonly admits?: (peer: string) => boolean
}

export class FramedProtocol {
  readonly #options: FramedProtocolOptions
  readonly #deps: FramedProtocolDeps
  readonly #channels = new Map<string, OutboundChannel>()
  #abort = new AbortController()
  #running = false

  constructor(options: FramedProtocolOptions, deps: FramedProtocolDeps) {
    this.#options = options
    this.#deps = deps
  }

  async start(): Promise<void> {
    if (this.#running) return
    const { libp2p, limits } = this.#deps.ctx
    this.#abort = new AbortController()
    await libp2p.handle(this.#options.protocol, (stream, connection) => this.#inbound(stream, connection), {
      maxInboundStreams: limits.maxStreamsPerConnection,
      maxOutboundStreams: limits.maxLongLivedStreams,
    })
    this.#running = true
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#abort.abort()
    for (const channel of this.#channels.values()) channel.close()
    this.#channels.clear()
    await this.#deps.ctx.libp2p.unhandle(this.#options.protocol)
  }

  /** Queues a frame for `peer`. Throws `P2P_TOO_LARGE` for an oversize frame; false when dropped. */
  send(peer: string, bytes: Bytes): boolean {
    this.#checkSize(bytes)
    return this.#sendChecked(peer, bytes)
  }

  /** Queues a frame for every connected allowed peer; returns how many accepted it. */
  broadcast(peers: readonly string[], bytes: Bytes): number {
    this.#checkSize(bytes)
    let accepted = 0
    for (const peer of peers) if (this.#sendChecked(peer, bytes)) accepted++
    return accepted
  }

  /** Resolves when every frame queued so far has been handed to its stream (or dropped). */
  async flush(): Promise<void> {
    await Promise.all([...this.#channels.values()].map((c) => c.idle()))
  }

  /** Called by the host when the last connection to `peer` closed: drops its queue and stream. */
  peerDisconnected(peer: string): void {
    this.#channels.get(peer)?.close()
    this.#channels.delete(peer)
  }

  #checkSize(bytes: Bytes): void {
    if (bytes.length > this.#options.maxFrameBytes) {
      throw new P2pError(P2pErrorCode.tooLarge, 'message exceeds the protocol limit', {
        protocol: this.#options.protocol,
        size: bytes.length,
        limit: this.#options.maxFrameBytes,
      })
    }
  }

  /** Whether `peer` may use this protocol with us (both ways). */
  admits(peer: string): boolean {
    return this.#deps.admits?.(peer) ?? true
  }

  #sendChecked(peer: string, bytes: Bytes): boolean {
    if (!this.#running || !this.admits(peer) || this.#deps.ctx.connectionTo(peer) === null) return false
    let channel = this.#channels.get(peer)
    if (channel === undefined) {
      const { ctx } = this.#deps
      const { protocol } = this.#options
      channel = new OutboundChannel(
        { maxQueuedBytes: ctx.limits.maxQueuedBytesPerPeer, maxCoalesceBytes: ctx.limits.maxCoalesceBytes },
        {
          open: (signal) => openStream(ctx, peer, protocol, ctx.limits.maxLongLivedStreams, signal),
          onError: (err, what) =>
            ctx.log.debug({ peer, protocol, what, ...errorFields(err) }, 'p2p send failed'),
        },
      )
      this.#channels.set(peer, channel)
    }
    const accepted = channel.enqueue(bytes)
    if (!accepted)
      this.#deps.ctx.log.debug({ peer, protocol: this.#options.protocol }, 'p2p queue full, dropped')
    return accepted
  }

  #inbound(stream: Stream, connection: Connection): void {
    const { ctx } = this.#deps
    const { protocol, maxFrameBytes } = this.#options
    const from = admitInbound(ctx, stream, connection, protocol, ctx.limits.maxLongLivedStreams)
    if (from === null) return
    if (!this.admits(from)) {
      ctx.report.refused(from, protocol, 'not-a-validator')
      stream.abort(new P2pError(P2pErrorCode.notAllowed, 'peer may not use this protocol'))
      return
    }
    attachInbound(stream, maxFrameBytes, {
      onFrame: (bytes) => this.#deliver(from, bytes),
      onOversize: (length) => {
        ctx.log.warn(
          { peer: from, protocol, size: length, limit: maxFrameBytes },
          'p2p oversize frame skipped',
        )
        ctx.report.refused(from, protocol, 'oversize')
        // A strike, not a charge: the length is the peer's claim (up to 2^56), its bytes are skipped unread.
        ctx.budgets.strike(from)
      },
      onError: (err, what) => {
        ctx.log.warn({ peer: from, protocol, what, ...errorFields(err) }, 'p2p inbound error')
        if (what === 'decode') {
          ctx.report.refused(from, protocol, 'bad-frame')
          ctx.budgets.strike(from)
        }
      },
    })
  }

  /** Delivers one frame now, or after the peer's budget allows it (its stream paused meanwhile). */
  #deliver(from: string, bytes: Bytes): void | Promise<void> {
    const { ctx, onFrame } = this.#deps
    const { protocol, budget } = this.#options
    // Membership can change while a stream is open (a validator set change).
    if (!this.admits(from)) {
      ctx.report.refused(from, protocol, 'not-a-validator')
      return
    }
    const waitMs = ctx.budgets.frame(from, budget, bytes.length)
    if (waitMs === 0) return onFrame(from, bytes)
    ctx.report.throttled(from, protocol, waitMs)
    return holdFor(waitMs, this.#abort.signal).then((waited) => {
      if (!waited || !this.#running || ctx.connectionTo(from) === null || !this.admits(from)) return
      return onFrame(from, bytes)
    })
  }
}
