/**
 * Framed I/O over libp2p v3 streams (EventTargets with `send()` / `onDrain()` / `pause()`):
 * - `OutboundChannel`: one long-lived outbound stream per peer and protocol, a bounded FIFO of frames,
 *   small frames coalesced into one write, `send() === false` honoured by waiting for drain;
 * - `attachInbound`: delivers the frames of a long-lived inbound stream in order, pausing the stream
 *   while an async handler runs, skipping (not buffering) oversize frames;
 * - `writeFrame` / `readFrames`: the request/response helpers (oversize fails the exchange).
 */
import type { Stream } from '@libp2p/interface'
import type { Bytes } from '../../protocol/bytes.ts'
import { asError } from './context.ts'
import { P2pError, P2pErrorCode } from './errors.ts'
import { encodeFrame, encodeVarint, FrameDecoder } from './frame.ts'

type Chunk = Uint8Array | Iterable<Uint8Array>

function* chunksOf(data: Chunk): Generator<Uint8Array> {
  if (data instanceof Uint8Array) yield data
  else yield* data
}

/** A frame waiting in the queue: the caller's payload, encoded only when written. */
interface QueuedFrame {
  readonly payload: Bytes
  /** Prefix + payload bytes. */
  readonly size: number
}

function varintLength(n: number): number {
  let length = 1
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) length++
  return length
}

/** Writes prefix + payload into `out` at `offset`; returns the offset after it. */
function writeFrameInto(out: Bytes, offset: number, payload: Bytes): number {
  let at = offset
  let v = payload.length
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80
    v = Math.floor(v / 0x80)
  }
  out[at++] = v
  out.set(payload, at)
  return at + payload.length
}

export interface OutboundChannelOptions {
  readonly maxQueuedBytes: number
  readonly maxCoalesceBytes: number
}

export interface OutboundChannelDeps {
  /** Opens a fresh stream for this channel's peer and protocol. */
  readonly open: (signal: AbortSignal) => Promise<Stream>
  readonly onError: (err: unknown, what: string) => void
}

export class OutboundChannel {
  readonly #options: OutboundChannelOptions
  readonly #deps: OutboundChannelDeps
  readonly #abort = new AbortController()
  /** FIFO as an array and a head index (Array#shift is O(n) on long queues). */
  #queue: QueuedFrame[] = []
  #head = 0
  #queuedBytes = 0
  #stream: Stream | null = null
  #pumping = false
  #idle: PromiseWithResolvers<void> | null = null

  constructor(options: OutboundChannelOptions, deps: OutboundChannelDeps) {
    this.#options = options
    this.#deps = deps
  }

  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** Queues one frame. False when the channel is closed or its queue is full (the frame is dropped). */
  enqueue(payload: Bytes): boolean {
    if (this.#abort.signal.aborted) return false
    const size = varintLength(payload.length) + payload.length
    if (this.#queuedBytes + size > this.#options.maxQueuedBytes) return false
    this.#queue.push({ payload, size })
    this.#queuedBytes += size
    if (!this.#pumping) void this.#pump()
    return true
  }

  /** Resolves once everything queued so far was handed to the stream (or dropped on failure). */
  idle(): Promise<void> {
    if (!this.#pumping) return Promise.resolve()
    this.#idle ??= Promise.withResolvers<void>()
    return this.#idle.promise
  }

  /** Drops the queue and closes the stream gracefully. Harmless twice. */
  close(): void {
    if (this.#abort.signal.aborted) return
    this.#abort.abort()
    this.#drop()
    const stream = this.#stream
    this.#stream = null
    stream?.close().catch((err: unknown) => stream.abort(asError(err)))
  }

  #drop(): void {
    this.#queue = []
    this.#head = 0
    this.#queuedBytes = 0
  }

  get #length(): number {
    return this.#queue.length - this.#head
  }

  #shift(): QueuedFrame {
    const frame = this.#queue[this.#head] as QueuedFrame
    this.#head++
    this.#queuedBytes -= frame.size
    if (this.#head === this.#queue.length) {
      this.#queue = []
      this.#head = 0
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    return frame
  }

  /** The next write: small frames joined into one buffer up to maxCoalesceBytes, or one large frame. */
  #nextWrites(): Bytes[] {
    const first = this.#shift()
    const limit = this.#options.maxCoalesceBytes
    if (first.size > limit / 4) return [encodeVarint(first.payload.length), first.payload]
    let count = 1
    let size = first.size
    while (count < this.#length + 1) {
      const next = this.#queue[this.#head + count - 1] as QueuedFrame
      if (next.size > limit / 4 || size + next.size > limit) break
      size += next.size
      count++
    }
    const joined = new Uint8Array(size)
    let offset = writeFrameInto(joined, 0, first.payload)
    for (let i = 1; i < count; i++) offset = writeFrameInto(joined, offset, this.#shift().payload)
    return [joined]
  }

  async #ensureStream(signal: AbortSignal): Promise<Stream> {
    const current = this.#stream
    if (current !== null && current.writeStatus === 'writable') return current
    const stream = await this.#deps.open(signal)
    stream.addEventListener('close', () => {
      if (this.#stream === stream) this.#stream = null
    })
    this.#stream = stream
    return stream
  }

  async #pump(): Promise<void> {
    this.#pumping = true
    const signal = this.#abort.signal
    try {
      while (this.#length > 0 && !signal.aborted) {
        let stream: Stream
        try {
          stream = await this.#ensureStream(signal)
        } catch (err) {
          // No stream can be opened (peer gone or refusing): what is queued is dropped, not retried.
          if (!signal.aborted) this.#deps.onError(err, 'open stream')
          this.#drop()
          break
        }
        try {
          for (const write of this.#nextWrites()) {
            if (!stream.send(write)) await stream.onDrain({ signal })
          }
        } catch (err) {
          // The stream was reset mid-write: what it held is lost; later frames go on a new stream.
          if (!signal.aborted) this.#deps.onError(err, 'send')
          if (this.#stream === stream) this.#stream = null
          if (stream.status === 'open') stream.abort(asError(err))
        }
      }
    } finally {
      this.#pumping = false
      this.#idle?.resolve()
      this.#idle = null
    }
  }
}

export interface InboundHandlers {
  /** One complete frame; may return a promise, during which the stream is paused (read back-pressure). */
  readonly onFrame: (bytes: Bytes) => void | Promise<void>
  readonly onOversize: (length: number) => void
  readonly onError: (err: unknown, what: string) => void
}

/** Reads a long-lived inbound stream for as long as it lives, delivering frames in order. */
export function attachInbound(stream: Stream, maxFrameBytes: number, handlers: InboundHandlers): void {
  const decoder = new FrameDecoder(maxFrameBytes, 'skip')
  let pending: Bytes[] = []
  let delivering = false

  const deliver = async (): Promise<void> => {
    delivering = true
    let paused = false
    while (pending.length > 0) {
      // Take the whole batch (one chunk can hold thousands of small frames; Array#shift would be O(n)).
      const batch = pending
      pending = []
      for (const frame of batch) {
        try {
          const result = handlers.onFrame(frame)
          if (result instanceof Promise) {
            if (!paused && stream.readStatus === 'readable') {
              stream.pause()
              paused = true
            }
            await result
          }
        } catch (err) {
          handlers.onError(err, 'handler')
        }
      }
    }
    delivering = false
    if (paused && stream.readStatus === 'paused') {
      // Resuming sends a window update: it throws if the connection went away while we held the stream.
      try {
        stream.resume()
      } catch (err) {
        handlers.onError(err, 'resume')
      }
    }
  }

  // We never write on an inbound stream: once the remote has finished, close our side so it is freed.
  stream.addEventListener('end', () => {
    if (decoder.midFrame)
      handlers.onError(new P2pError(P2pErrorCode.badFrame, 'stream ended inside a frame'), 'end')
    stream.close().catch((err: unknown) => stream.abort(asError(err)))
  })
  stream.addEventListener('message', (event) => {
    try {
      for (const chunk of chunksOf(event.data)) {
        for (const frame of decoder.push(chunk)) {
          if (frame.kind === 'frame') pending.push(frame.bytes)
          else handlers.onOversize(frame.length)
        }
      }
    } catch (err) {
      // A corrupt length prefix: the stream cannot be resynchronised, so it is reset (the connection stays).
      handlers.onError(err, 'decode')
      stream.abort(asError(err))
      return
    }
    if (!delivering && pending.length > 0) void deliver()
  })
}

/** Writes one frame with back-pressure. */
export async function writeFrame(stream: Stream, payload: Bytes, signal: AbortSignal): Promise<void> {
  let ok: boolean
  if (payload.length <= 16 * 1024) ok = stream.send(encodeFrame(payload))
  else {
    ok = stream.send(encodeVarint(payload.length))
    ok = stream.send(payload) && ok
  }
  if (!ok) await stream.onDrain({ signal })
}

/**
 * Reads frames until the remote closes its write side, calling `onFrame` for each (it may throw to stop).
 * Rejects on an oversize frame (`P2P_TOO_LARGE`), a corrupt prefix (`P2P_BAD_FRAME`), a stream reset or
 * one ending inside a frame (`P2P_REQUEST_FAILED`), or the signal (`P2P_ABORTED`); the stream is then
 * aborted. Event-based rather than `for await`, so an 'end' that came before we attached is not missed.
 */
export function readFrames(
  stream: Stream,
  maxFrameBytes: number,
  signal: AbortSignal,
  onFrame: (bytes: Bytes) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const decoder = new FrameDecoder(maxFrameBytes, 'throw')
    let done = false
    const finish = (err?: unknown): void => {
      if (done) return
      done = true
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('end', onEnd)
      stream.removeEventListener('close', onClose)
      signal.removeEventListener('abort', onAbort)
      if (err === undefined) resolve()
      else {
        if (stream.status === 'open') stream.abort(asError(err))
        reject(err)
      }
    }
    const onMessage = (event: { data: Chunk }): void => {
      try {
        for (const chunk of chunksOf(event.data)) {
          for (const frame of decoder.push(chunk)) if (frame.kind === 'frame') onFrame(frame.bytes)
        }
      } catch (err) {
        finish(err)
      }
    }
    const onEnd = (): void => {
      // A remote reset also ends the readable side (before 'close' carries the error): not a clean end.
      if (stream.status === 'reset' || stream.status === 'aborted') {
        finish(new P2pError(P2pErrorCode.requestFailed, 'stream reset'))
      } else if (decoder.midFrame) {
        finish(new P2pError(P2pErrorCode.requestFailed, 'stream ended inside a frame'))
      } else finish()
    }
    const onClose = (event: { error?: Error }): void => {
      if (event.error !== undefined) {
        finish(new P2pError(P2pErrorCode.requestFailed, 'stream reset', { cause: event.error.message }))
      } else onEnd()
    }
    const onAbort = (): void => {
      finish(new P2pError(P2pErrorCode.aborted, 'aborted', { cause: String(signal.reason) }))
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort)
    stream.addEventListener('message', onMessage)
    stream.addEventListener('end', onEnd)
    stream.addEventListener('close', onClose)
    if (stream.readableEnded && stream.readBufferLength === 0) onEnd()
  })
}
