/** A small seeded PRNG (sfc32 seeded through splitmix32): the simulator's only source of randomness. */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number
  /** Integer in [0, n). */
  int(n: number): number
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  shuffle<T>(items: T[]): T[]
  /** A child generator, so one part's draws do not shift another's. */
  fork(): Prng
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

export function createPrng(seed: number): Prng {
  const init = splitmix32(seed)
  let a = init()
  let b = init()
  let c = init()
  let d = init()
  const next32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  const prng: Prng = {
    next: () => next32() / 4294967296,
    int: (n) => Math.floor(prng.next() * n),
    chance: (p) => prng.next() < p,
    pick: (items) => items[prng.int(items.length)] as (typeof items)[number],
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = prng.int(i + 1)
        ;[items[i], items[j]] = [items[j] as (typeof items)[number], items[i] as (typeof items)[number]]
      }
      return items
    },
    fork: () => createPrng(next32()),
  }
  return prng
}
