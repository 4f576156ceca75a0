import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concatBytes } from '../../protocol/bytes.ts'
import { P2pErrorCode } from './errors.ts'
import { type DecodedFrame, encodeFrame, encodeVarint, FrameDecoder } from './frame.ts'

function feed(decoder: FrameDecoder, bytes: Uint8Array, cuts: number[]): DecodedFrame[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: DecodedFrame[] = []
  let start = 0
  for (const p of [...points, bytes.length]) {
    out.push(...decoder.push(bytes.subarray(start, p)))
    start = p
  }
  return out
}

describe('frames', () => {
  it('encodes varints as LEB128', () => {
    expect([...encodeVarint(0)]).toEqual([0])
    expect([...encodeVarint(127)]).toEqual([127])
    expect([...encodeVarint(128)]).toEqual([0x80, 0x01])
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02])
    expect(() => encodeVarint(-1)).toThrow(RangeError)
  })

  it('decodes any sequence of frames however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (payloads, cuts) => {
          const wire = concatBytes(...payloads.map(encodeFrame))
          const decoder = new FrameDecoder(300, 'skip')
          const frames = feed(decoder, wire, cuts)
          expect(frames).toEqual(payloads.map((p) => ({ kind: 'frame', bytes: p })))
          expect(decoder.midFrame).toBe(false)
        },
      ),
    )
  })

  it('skips an oversize frame without buffering it and resumes at the next frame', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        const wire = concatBytes(
          encodeFrame(Uint8Array.of(1)),
          encodeFrame(new Uint8Array(5000).fill(9)),
          encodeFrame(Uint8Array.of(2, 3)),
        )
        const frames = feed(new FrameDecoder(100, 'skip'), wire, cuts)
        expect(frames).toEqual([
          { kind: 'frame', bytes: Uint8Array.of(1) },
          { kind: 'oversize', length: 5000 },
          { kind: 'frame', bytes: Uint8Array.of(2, 3) },
        ])
      }),
    )
  })

  it('throws on oversize in throw mode, and on corrupt prefixes', () => {
    expect(() => new FrameDecoder(10, 'throw').push(encodeFrame(new Uint8Array(11)))).toThrow(
      expect.objectContaining({ code: P2pErrorCode.tooLarge }),
    )
    expect(() => new FrameDecoder(10, 'skip').push(new Uint8Array(9).fill(0xff))).toThrow(
      expect.objectContaining({ code: P2pErrorCode.badFrame }),
    )
    expect(() => new FrameDecoder(10, 'skip').push(Uint8Array.of(0x81, 0x00))).toThrow(
      expect.objectContaining({ code: P2pErrorCode.badFrame }),
    )
  })

  it('reports a stream cut inside a frame', () => {
    const decoder = new FrameDecoder(100, 'throw')
    expect(decoder.push(encodeFrame(new Uint8Array(10)).subarray(0, 5))).toEqual([])
    expect(decoder.midFrame).toBe(true)
  })

  it('hands out copies the caller may keep', () => {
    const chunk = encodeFrame(Uint8Array.of(1, 2, 3))
    const [frame] = new FrameDecoder(10, 'skip').push(chunk)
    chunk.fill(0)
    expect(frame).toEqual({ kind: 'frame', bytes: Uint8Array.of(1, 2, 3) })
  })
})
