/**
 * A long-lived, one-way framed protocol (consensus, tx gossip): per connected peer one outbound stream
 * fed by a bounded queue, and inbound streams whose frames reach `onFrame(from, bytes)` in order.
 * Sends never reject: a frame for a peer that is not connected, or whose queue is full, is dropped and
 * `send` returns false (consensus recovers from loss by its own timeouts and retransmission).
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Bytes } from '../../protocol/bytes.ts'
import { errorFields, openStream, type ProtocolContext } from './context.ts'
import { P2pError, P2pErrorCode } from './errors.ts'
import { attachInbound, OutboundChannel } from './streams.ts'

export interface FramedProtocolOptions {
  readonly protocol: string
  readonly maxFrameBytes: number
}

export interface FramedProtocolDeps {
  readonly ctx: ProtocolContext
  readonly onFrame: (from: string, bytes: Bytes) => void | Promise<void>
}

export class FramedProtocol {
  readonly #options: FramedProtocolOptions
  readonly #deps: FramedProtocolDeps
  readonly #channels = new Map<string, OutboundChannel>()
  #running = false

  constructor(options: FramedProtocolOptions, deps: FramedProtocolDeps) {
    this.#options = options
    this.#deps = deps
  }

  async start(): Promise<void> {
    if (this.#running) return
    const { libp2p, limits } = this.#deps.ctx
    await libp2p.handle(this.#options.protocol, (stream, connection) => this.#inbound(stream, connection), {
      maxInboundStreams: limits.maxLongLivedStreams,
      maxOutboundStreams: limits.maxLongLivedStreams,
    })
    this.#running = true
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
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

  #sendChecked(peer: string, bytes: Bytes): boolean {
    if (!this.#running || this.#deps.ctx.connectionTo(peer) === null) return false
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
    const { ctx, onFrame } = this.#deps
    const { protocol, maxFrameBytes } = this.#options
    const from = ctx.peerOf(connection.remotePeer)
    if (from === null) {
      stream.abort(new P2pError(P2pErrorCode.notAllowed, 'peer not allowed'))
      return
    }
    attachInbound(stream, maxFrameBytes, {
      onFrame: (bytes) => onFrame(from, bytes),
      onOversize: (length) =>
        ctx.log.warn(
          { peer: from, protocol, size: length, limit: maxFrameBytes },
          'p2p oversize frame skipped',
        ),
      onError: (err, what) =>
        ctx.log.warn({ peer: from, protocol, what, ...errorFields(err) }, 'p2p inbound error'),
    })
  }
}
