/**
 * Auth map benchmark: bulk build, batched update throughput, proof generation and verification.
 * Run: node_modules/.bin/node bench/auth-map.ts [--size=1000000] [--batch=30000] [--rounds=5]
 * Keys look like state keys (a 1-byte table prefix and a 32-byte account); values are 48 bytes.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { verifyStateProof } from '../protocol/state-proof.ts'
import { type AuthMap, authMapFromEntries } from '../state/auth-map.ts'

const arg = (name: string, fallback: number): number => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`))
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3))
}
const SIZE = arg('size', 1_000_000)
const BATCH = arg('batch', 30_000)
const ROUNDS = arg('rounds', 5)

// Deterministic xorshift bytes, so every run measures the same work.
let seed = 0x9e3779b9
function fill(out: Uint8Array, from: number): Uint8Array {
  for (let i = from; i < out.length; i++) {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    out[i] = seed & 0xff
  }
  return out
}
const keyOf = (i: number): Bytes => {
  const k = new Uint8Array(33)
  k[0] = 0x01
  new DataView(k.buffer).setUint32(1, i)
  return fill(k, 5)
}
const value = (): Bytes => fill(new Uint8Array(48), 0)

const ms = (from: number) => performance.now() - from
/** CPU milliseconds (user + system, all threads) since `from`: steadier than wall time on a busy host. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1000
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

function bulk(size: number): { map: AuthMap; keys: Bytes[]; ms: number } {
  const keys = Array.from({ length: size }, (_, i) => keyOf(i))
  const entries = keys.map((k) => [k, value()] as const)
  global.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const t = performance.now()
  const c = process.cpuUsage()
  const map = authMapFromEntries(entries)
  const took = ms(t)
  const cpu = cpuMs(c)
  global.gc?.()
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20
  console.log(
    `bulk build ${fmt(size)} entries: ${fmt(took)} ms (${fmt((size / took) * 1000)} entries/s), cpu ${fmt(cpu)} ms, tree heap ≈ ${fmt(heapMb)} MiB`,
  )
  return { map, keys, ms: took }
}

function updates(map: AuthMap, keys: Bytes[], label: string): void {
  const times: number[] = []
  const cpus: number[] = []
  let next = keys.length
  let m = map
  for (let r = 0; r < ROUNDS; r++) {
    // Half overwrites of existing keys, half new keys, a tenth of the overwrites being deletes.
    const writes: [Bytes, Bytes | null][] = []
    for (let i = 0; i < BATCH; i++) {
      if (i % 2 === 0) {
        const k = keys[(seed >>> 0) % keys.length] as Bytes
        fill(new Uint8Array(1), 0)
        writes.push([k, i % 20 === 0 ? null : value()])
      } else {
        writes.push([keyOf(next++), value()])
      }
    }
    const t = performance.now()
    const c = process.cpuUsage()
    m = m.update(writes)
    void m.root
    times.push(ms(t))
    cpus.push(cpuMs(c))
  }
  const med = median(times)
  console.log(
    `update ${label}: ${fmt(BATCH)} writes/batch, median ${fmt(med)} ms/batch = ${fmt((BATCH / med) * 1000)} keys/s (batches: ${times.map((x) => fmt(x)).join(', ')} ms; cpu median ${fmt(median(cpus))} ms)`,
  )
}

function proofs(map: AuthMap, keys: Bytes[]): void {
  const n = 20_000
  const probe = Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? (keys[(i * 7919) % keys.length] as Bytes) : keyOf(keys.length * 4 + i),
  )
  let t = performance.now()
  const made = probe.map((k) => map.prove(k))
  const proveMs = ms(t)
  const values = probe.map((k) => map.get(k) ?? null)
  const root = map.root
  t = performance.now()
  let ok = 0
  for (let i = 0; i < n; i++) if (verifyStateProof(root, probe[i] as Bytes, values[i] ?? null, made[i]!)) ok++
  const verifyMs = ms(t)
  if (ok !== n) throw new Error(`only ${ok} of ${n} proofs verified`)
  const depth = made.reduce((s, p) => s + p.siblings.length, 0) / n
  console.log(
    `proofs on ${fmt(map.size)} entries (half inclusion, half absence, mean ${depth.toFixed(1)} siblings): prove ${fmt((n / proveMs) * 1000)}/s, verify ${fmt((n / verifyMs) * 1000)}/s`,
  )
  t = performance.now()
  for (let i = 0; i < n; i++) map.get(probe[i] as Bytes)
  console.log(`get on ${fmt(map.size)} entries: ${fmt((n / ms(t)) * 1000)}/s`)
}

console.log(
  `node ${process.version}, auth map bench (size ${fmt(SIZE)}, batch ${fmt(BATCH)}, ${ROUNDS} rounds)`,
)
const small = bulk(100_000)
updates(small.map, small.keys, 'into 100k')
const large = bulk(SIZE)
updates(large.map, large.keys, `into ${fmt(SIZE)}`)
proofs(large.map, large.keys)
