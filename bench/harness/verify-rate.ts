/**
 * This machine's Ed25519 verification rate on one core, with the same native `verify` the node uses
 * (protocol/crypto.ts), over a few distinct keys and tx-sized messages.
 */
import { generateKeyPair, sign, verify } from '../../protocol/crypto.ts'

export function measureVerifyRate(durationMs = 1500, keys = 16, windows = 5): number {
  const items = Array.from({ length: keys }, (_, i) => {
    const k = generateKeyPair()
    const message = new Uint8Array(200).fill(i)
    return { message, signature: sign(message, k.secretKey), publicKey: k.publicKey }
  })
  for (const it of items) verify(it.signature, it.message, it.publicKey) // warm the key cache and JIT
  // The best of several short windows: a neighbour's burst or a frequency change can only slow a
  // window down, so the fastest one is the closest to what the core can do.
  let best = 0
  for (let w = 0; w < windows; w++) {
    let count = 0
    const started = performance.now()
    let elapsed = 0
    do {
      for (let j = 0; j < 64; j++) {
        const it = items[(count + j) % keys] as (typeof items)[number]
        if (!verify(it.signature, it.message, it.publicKey)) throw new Error('verify failed in self-test')
      }
      count += 64
      elapsed = performance.now() - started
    } while (elapsed < durationMs / windows)
    best = Math.max(best, (count * 1000) / elapsed)
  }
  return best
}
