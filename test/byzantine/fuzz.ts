/**
 * Frame fuzzing from an admitted peer: a raw libp2p connection holding the Byzantine validator's key
 * (its own host stopped first: a peer gets two connections at most)
 * writes mutated and random frames on every protocol (consensus, tx gossip, sync) of one honest node,
 * at a steady rate, for a bounded time. The mutations start from real traffic (messages the harness
 * received, txs it can sign) so that many frames decode far enough to reach deep checks.
 *
 * Seeded: a failure names its seed, and `ARCADE_FUZZ_SEED` replays it.
 */
import { encodeFrame } from '../../node/p2p/frame.ts'
import { Protocols } from '../../node/p2p/index.ts'
import { type RawPeer, startRawPeer } from '../../node/p2p/testing.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { encode } from '../../protocol/codec.ts'
import type { KeyPair } from '../../protocol/crypto.ts'

/** xorshift32: small, fast and reproducible. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x1_0000_0000
  }
}

/** One mutation of `seed` bytes: bit flips, a truncation, an extension, a splice, or noise. */
export function mutate(seed: Bytes, random: () => number): Bytes {
  const pick = (n: number) => Math.floor(random() * n)
  const out = Uint8Array.from(seed)
  switch (pick(6)) {
    case 0: {
      for (let i = 0, n = 1 + pick(4); i < n && out.length > 0; i++) {
        const at = pick(out.length)
        out[at] = (out[at] as number) ^ (1 << pick(8))
      }
      return out
    }
    case 1:
      return out.subarray(0, pick(out.length + 1))
    case 2: {
      const extra = Uint8Array.from({ length: 1 + pick(64) }, () => pick(256))
      const joined = new Uint8Array(out.length + extra.length)
      joined.set(out)
      joined.set(extra, out.length)
      return joined
    }
    case 3: {
      // A msgpack header byte at a random place: lengths and types that lie about what follows.
      if (out.length === 0) return Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff)
      out[pick(out.length)] = [0xc4, 0xc5, 0xc6, 0xdc, 0xdd, 0xde, 0xdf, 0xd4, 0xc7][pick(9)] as number
      return out
    }
    case 4:
      return Uint8Array.from({ length: pick(512) }, () => pick(256))
    default:
      return encode([pick(8), pick(2 ** 31), [out], null, -1])
  }
}

/** A tx batch holds non-empty byte strings: an empty one would make the whole frame corrupt. */
function nonEmpty(bytes: Bytes): Bytes {
  return bytes.length === 0 ? Uint8Array.of(0xc0) : bytes
}

export interface FuzzReport {
  readonly seed: number
  readonly consensusFrames: number
  readonly txFrames: number
  readonly syncRequests: number
  /** Streams the target reset or refused (its bounds at work, not a failure). */
  readonly streamErrors: number
}

/**
 * Writes fuzzed frames to `target` for `durationMs` at about `framesPerSecond` per protocol. `seeds`
 * supplies real consensus messages and tx batches to mutate (it is read again on every frame).
 */
export async function fuzzPeer(options: {
  key: KeyPair
  target: { nodeKey: Bytes; host: string; port: number }
  durationMs: number
  framesPerSecond: number
  seed: number
  consensusSeeds: () => readonly Bytes[]
  txSeeds: () => readonly Bytes[]
}): Promise<FuzzReport> {
  const random = prng(options.seed)
  const raw: RawPeer = await startRawPeer(options.key)
  let consensusFrames = 0
  let txFrames = 0
  let syncRequests = 0
  let streamErrors = 0
  type Open = Awaited<ReturnType<RawPeer['openStream']>>
  const streams: Partial<Record<'consensus' | 'txs', Open | null>> = {}
  const streamFor = async (which: 'consensus' | 'txs'): Promise<Open | null> => {
    const open = streams[which]
    if (open != null && open.status === 'open') return open
    try {
      streams[which] = await raw.openStream(options.target, Protocols[which])
    } catch {
      streamErrors++
      streams[which] = null
    }
    return streams[which] ?? null
  }
  const choose = (pool: readonly Bytes[]): Bytes =>
    pool.length === 0 ? new Uint8Array(0) : (pool[Math.floor(random() * pool.length)] as Bytes)
  const deadline = Date.now() + options.durationMs
  const tickMs = 20
  const perTick = Math.max(1, Math.round((options.framesPerSecond * tickMs) / 1000))
  // Frames a protocol cannot even parse (a corrupt tx batch, a malformed sync request) are strikes,
  // and a peer has 16, forgiven one per 5 s: those go out once per CORRUPT_EVERY_MS so that the fuzz
  // keeps its connection; everything else decodes at the framing level and is fuzzed inside.
  const CORRUPT_EVERY_MS = 6_000
  let nextCorruptAt = Date.now() + CORRUPT_EVERY_MS
  let syncInFlight: Promise<void> | null = null
  const pick = (n: number) => Math.floor(random() * n)
  const syncRequest = (corrupt: boolean): Bytes => {
    if (corrupt) return mutate(encode([1, pick(100), 4]), random)
    const heights = [0, 1, pick(1_000), 2 ** 31, Number.MAX_SAFE_INTEGER]
    return random() < 0.3 ? encode([0]) : encode([1, heights[pick(heights.length)] as number, 1 + pick(64)])
  }
  try {
    while (Date.now() < deadline) {
      const corrupt = Date.now() >= nextCorruptAt
      if (corrupt) nextCorruptAt += CORRUPT_EVERY_MS
      for (const which of ['consensus', 'txs'] as const) {
        const stream = await streamFor(which)
        if (stream === null) continue
        for (let i = 0; i < perTick; i++) {
          const payload =
            which === 'consensus'
              ? mutate(choose(options.consensusSeeds()), random)
              : corrupt && i === 0
                ? mutate(encode([choose(options.txSeeds())]), random)
                : encode(
                    Array.from({ length: 1 + pick(4) }, () =>
                      nonEmpty(mutate(choose(options.txSeeds()), random)),
                    ),
                  )
          try {
            if (!stream.send(encodeFrame(payload)))
              await stream.onDrain({ signal: AbortSignal.timeout(1_000) })
          } catch {
            streamErrors++
            break
          }
          if (which === 'consensus') consensusFrames++
          else txFrames++
        }
      }
      // Up to 10 sync requests a second (the budget is 16), one at a time, each answer read to its end.
      if (syncInFlight === null && random() < 0.2) {
        syncRequests++
        syncInFlight = raw
          .openStream(options.target, Protocols.sync)
          .then(async (stream) => {
            stream.send(encodeFrame(syncRequest(corrupt)))
            await stream.close({ signal: AbortSignal.timeout(2_000) }).catch(() => {})
            const timer = setTimeout(() => stream.abort(new Error('fuzz: sync answer too slow')), 5_000)
            try {
              for await (const _ of stream) {
                // drained: the answer's content is not the point
              }
            } finally {
              clearTimeout(timer)
            }
          })
          .catch(() => {
            streamErrors++
          })
          .finally(() => {
            syncInFlight = null
          })
      }
      await new Promise((r) => setTimeout(r, tickMs))
    }
  } finally {
    await raw.stop()
  }
  return { seed: options.seed, consensusFrames, txFrames, syncRequests, streamErrors }
}
