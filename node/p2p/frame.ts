/**
 * Length-prefixed frames: an unsigned LEB128 varint length (the same prefix libp2p's `lpStream` uses),
 * then that many bytes. The decoder is incremental (chunks arrive split anywhere) and never buffers an
 * oversize frame: in `skip` mode it reports the frame and discards its bytes as they arrive, so the
 * stream stays in sync and the next good frame is delivered; in `throw` mode it fails at the header.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import { P2pError, P2pErrorCode } from './errors.ts'

/** Longest varint accepted: 8 bytes = 56 bits, more than any limit here. */
const MAX_VARINT_BYTES = 8

export function encodeVarint(value: number): Bytes {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode length ${value}`)
  const out: number[] = []
  let v = value
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return Uint8Array.from(out)
}

/** One frame as bytes: prefix and payload copied into a single buffer (use for small payloads). */
export function encodeFrame(payload: Bytes): Bytes {
  const prefix = encodeVarint(payload.length)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix)
  out.set(payload, prefix.length)
  return out
}

export type DecodedFrame =
  | { readonly kind: 'frame'; readonly bytes: Bytes }
  | { readonly kind: 'oversize'; readonly length: number }

export type OversizeMode = 'skip' | 'throw'

export class FrameDecoder {
  readonly #maxFrameBytes: number
  readonly #mode: OversizeMode
  #chunks: Bytes[] = []
  /** Offset into the first chunk of the bytes already consumed. */
  #offset = 0
  #buffered = 0
  /** Length of the frame whose header was read, or -1 while reading a header. */
  #expected = -1
  #skipRemaining = 0

  constructor(maxFrameBytes: number, mode: OversizeMode) {
    this.#maxFrameBytes = maxFrameBytes
    this.#mode = mode
  }

  /** True when the bytes seen so far end inside a frame (a stream ending now was truncated). */
  get midFrame(): boolean {
    return this.#buffered > 0 || this.#expected >= 0 || this.#skipRemaining > 0
  }

  /** Feeds a chunk; returns the frames it completes, in order. Throws `P2P_BAD_FRAME` / `P2P_TOO_LARGE`. */
  push(chunk: Bytes): DecodedFrame[] {
    const out: DecodedFrame[] = []
    let data = chunk
    if (this.#skipRemaining > 0) {
      const n = Math.min(this.#skipRemaining, data.length)
      this.#skipRemaining -= n
      data = data.subarray(n)
    }
    if (data.length > 0) {
      this.#chunks.push(data)
      this.#buffered += data.length
    }
    for (;;) {
      if (this.#expected < 0) {
        const length = this.#readHeader()
        if (length < 0) break
        if (length > this.#maxFrameBytes) {
          if (this.#mode === 'throw') {
            throw new P2pError(P2pErrorCode.tooLarge, 'inbound frame exceeds the limit', {
              size: length,
              limit: this.#maxFrameBytes,
            })
          }
          out.push({ kind: 'oversize', length })
          const n = Math.min(length, this.#buffered)
          this.#discard(n)
          this.#skipRemaining = length - n
          continue
        }
        this.#expected = length
      }
      if (this.#buffered < this.#expected) break
      out.push({ kind: 'frame', bytes: this.#take(this.#expected) })
      this.#expected = -1
    }
    return out
  }

  /** Reads a varint header if complete: its value, or -1 when more bytes are needed. */
  #readHeader(): number {
    let value = 0
    let scale = 1
    let index = 0
    for (let c = 0; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c] as Bytes
      for (let i = c === 0 ? this.#offset : 0; i < chunk.length; i++) {
        const byte = chunk[i] as number
        value += (byte & 0x7f) * scale
        scale *= 0x80
        index++
        if ((byte & 0x80) === 0) {
          if (index > 1 && byte === 0) throw new P2pError(P2pErrorCode.badFrame, 'non-minimal length prefix')
          this.#discard(index)
          return value
        }
        if (index >= MAX_VARINT_BYTES) throw new P2pError(P2pErrorCode.badFrame, 'length prefix too long')
      }
    }
    return -1
  }

  #discard(n: number): void {
    let left = n
    while (left > 0) {
      const first = this.#chunks[0] as Bytes
      const available = first.length - this.#offset
      if (available > left) {
        this.#offset += left
        break
      }
      left -= available
      this.#chunks.shift()
      this.#offset = 0
    }
    this.#buffered -= n
  }

  /** Copies out the next n bytes (a fresh buffer the handler may keep). */
  #take(n: number): Bytes {
    const out = new Uint8Array(n)
    let written = 0
    while (written < n) {
      const first = this.#chunks[0] as Bytes
      const part = first.subarray(this.#offset, this.#offset + (n - written))
      out.set(part, written)
      written += part.length
      if (this.#offset + part.length === first.length) {
        this.#chunks.shift()
        this.#offset = 0
      } else {
        this.#offset += part.length
      }
    }
    this.#buffered -= n
    return out
  }
}
