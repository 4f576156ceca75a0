/**
 * Scenario families. Each turns a seed's PRNG into a concrete run: validator powers, epochs (and in the
 * key-change families, which keys are in the set: see key-epochs.ts), network faults before GST,
 * crashes, byzantine validators (below a third of the stake unless the family is `accountable`), tx
 * load, and what the checks must find.
 */
import type { ConsensusOptions } from '../../consensus/options.ts'
import type { Prng } from './prng.ts'
import type { NetworkConfig } from './world.ts'

/**
 * twins, vote-all, equivocate, outsider: see byzantine.ts; forge, flood, same-hash: protocol attacks
 * (adversary.ts). An outsider is honest while its key is in the set and attacks at the heights where it
 * is not (before it joins, after it left), so it holds no power where it misbehaves.
 */
export type ByzantineKind = 'twins' | 'vote-all' | 'equivocate' | 'forge' | 'flood' | 'same-hash' | 'outsider'

export interface Scenario {
  readonly name: string
  /** What this seed drew within its family (the key change of the key families), for reports. */
  readonly variant?: string
  /**
   * Powers per epoch, one entry per key (the same keys in every list); the first is epoch 0. A power of
   * 0 means the key is not in that epoch's set: a key first seen with power in a later epoch joins there
   * (a key never seen before), one whose power drops to 0 leaves. The lists cycle, unless `lastEpochStays`.
   */
  readonly epochPowers: readonly (readonly number[])[]
  readonly epochLength: number
  /** After the last list its set stays (no cycling back to epoch 0). */
  readonly lastEpochStays?: boolean
  /** Nodes whose process first starts late (a new validator coming up); the others start at 0. */
  readonly lateStarts?: readonly { keyIndex: number; atMs: number }[]
  /**
   * An honest node whose key has left the set for good stops this long after it committed the last
   * height of its membership (its operator shuts it down); null or absent: it keeps following the chain.
   */
  readonly leaverStopMs?: number | null
  /** A node that starts (or restarts) first catches up from its peers, as the node's start-up does. */
  readonly catchUpOnStart?: boolean
  /** A planted bug (to show the checks catch it): each node's chain puts every new set in one height late. */
  readonly plantLateSet?: boolean
  readonly byzantine: readonly { keyIndex: number; kind: ByzantineKind }[]
  readonly crashes: readonly { keyIndex: number; atMs: number; restartMs: number | null }[]
  readonly network: NetworkConfig
  readonly options: Partial<ConsensusOptions>
  readonly maxTxsPerBlock: number
  readonly txBytes: number
  readonly txBursts: readonly (readonly [number, number])[]
  readonly durationMs: number
  readonly ed25519: boolean
  readonly expect: {
    readonly accountableOnly: boolean
    readonly liveness: boolean
    readonly minProgressAfterGst: number
    readonly fairness: boolean
    /**
     * Progress resumes after each boundary: every live honest node commits past this many set-changing
     * boundaries above its height at GST (fewer when the schedule has fewer changes left).
     */
    readonly minBoundariesAfterGst?: number
  }
}

export const fastTimers: Partial<ConsensusOptions> = {
  viewTimeoutBaseMs: 400,
  viewTimeoutIncrementMs: 200,
  viewTimeoutCapMs: 2000,
  emptyBlockIntervalMs: 500,
  txPollMs: 100,
}

function powers(prng: Prng, n: number, max: number): number[] {
  return Array.from({ length: n }, () => 1 + prng.int(max))
}

/** Picks byzantine keys holding less than a third of every epoch's power (or at least a third). */
export function pickByzantine(
  prng: Prng,
  epochs: readonly (readonly number[])[],
  kinds: readonly ByzantineKind[],
  atLeastThird: boolean,
): { keyIndex: number; kind: ByzantineKind }[] {
  const n = (epochs[0] as readonly number[]).length
  const order = prng.shuffle(Array.from({ length: n }, (_, i) => i))
  const chosen: number[] = []
  const share = (set: readonly number[]) =>
    chosen.reduce((a, i) => a + (set[i] as number), 0) * 3 - set.reduce((a, b) => a + b, 0)
  for (const i of order) {
    chosen.push(i)
    const ok = atLeastThird ? epochs.every((e) => share(e) >= 0) : epochs.every((e) => share(e) < 0)
    if (atLeastThird && ok) break
    if (!atLeastThird && !ok) {
      chosen.pop()
      break
    }
    if (!atLeastThird && prng.chance(0.4)) break
  }
  return chosen.map((keyIndex) => ({ keyIndex, kind: prng.pick(kinds) }))
}

export function bursts(prng: Prng, durationMs: number): [number, number][] {
  const out: [number, number][] = []
  for (let t = 0; t < durationMs; t += 200 + prng.int(1500))
    if (prng.chance(0.6)) out.push([t, 1 + prng.int(20)])
  return out
}

export function network(prng: Prng, n: number, gstMs: number, faulty: boolean, wire = false): NetworkConfig {
  const partitions: NetworkConfig['partitions'][number][] = []
  if (faulty) {
    for (let t = 0; t < gstMs; t += 500 + prng.int(1500)) {
      if (!prng.chance(0.5)) continue
      const order = prng.shuffle(Array.from({ length: n }, (_, i) => i))
      const cut = 1 + prng.int(n - 1)
      partitions.push({
        startMs: t,
        endMs: Math.min(gstMs, t + 300 + prng.int(2000)),
        groups: [order.slice(0, cut), order.slice(cut)],
      })
    }
  }
  return {
    minDelayMs: 1 + prng.int(5),
    maxDelayMs: 10 + prng.int(faulty ? 150 : 40),
    lossRate: faulty ? prng.next() * 0.3 : 0,
    duplicateRate: prng.next() * 0.1,
    gstMs,
    partitions,
    wire,
  }
}

const base = (prng: Prng, n: number) => {
  const p = powers(prng, n, 5)
  return { epochPowers: [p], epochLength: 1_000_000, p }
}

export type Family = (prng: Prng) => Scenario

const attackTurns = ['faulty', 'forged', 'flooded', 'same-hash']

/** One member holding less than a third of the power (in every epoch), picked at random. */
function oneMinority(prng: Prng, epochs: readonly (readonly number[])[]): number {
  const n = (epochs[0] as readonly number[]).length
  const eligible = Array.from({ length: n }, (_, i) => i).filter((i) =>
    epochs.every((e) => (e[i] as number) * 3 < e.reduce((a, b) => a + b, 0)),
  )
  return prng.pick(eligible)
}

/**
 * One byzantine member (below a third of the power) running a protocol attack from adversary.ts on a
 * network that is faulty until GST; the honest members must stay safe, bounded and live.
 */
function attacked(name: string, kind: 'forge' | 'flood' | 'same-hash'): Family {
  return (prng) => {
    const n = 4 + prng.int(3)
    const { epochPowers } = base(prng, n)
    const gstMs = 1000 + prng.int(2000)
    return {
      name,
      epochPowers,
      epochLength: 1_000_000,
      byzantine: [{ keyIndex: oneMinority(prng, epochPowers), kind }],
      crashes: [],
      network: network(prng, n, gstMs, true),
      options: fastTimers,
      maxTxsPerBlock: 20,
      txBytes: 32,
      // Txs keep coming, so a byzantine leader always has a block with txs to swap.
      txBursts: Array.from({ length: Math.ceil((gstMs + 4000) / 400) }, (_, i) => [i * 400, 5] as const),
      durationMs: gstMs + 4000,
      ed25519: false,
      expect: { accountableOnly: false, liveness: true, minProgressAfterGst: 2, fairness: false },
    }
  }
}

export const families: Record<string, Family> = {
  forged: attacked('forged', 'forge'),
  flooded: attacked('flooded', 'flood'),
  'same-hash': attacked('same-hash', 'same-hash'),
  calm(prng) {
    const n = 4 + prng.int(4)
    const { epochPowers } = base(prng, n)
    return {
      name: 'calm',
      epochPowers,
      epochLength: 1_000_000,
      byzantine: [],
      crashes: [],
      network: { ...network(prng, n, 0, false), maxDelayMs: 20 },
      options: { ...fastTimers, viewTimeoutBaseMs: 1000 },
      maxTxsPerBlock: 50,
      txBytes: 32,
      txBursts: bursts(prng, 3000),
      durationMs: 3000,
      ed25519: false,
      expect: { accountableOnly: false, liveness: true, minProgressAfterGst: 4, fairness: true },
    }
  },
  faulty(prng) {
    const n = 4 + prng.int(4)
    const { epochPowers } = base(prng, n)
    const gstMs = 2000 + prng.int(3000)
    const byzantine = prng.chance(0.7)
      ? pickByzantine(prng, epochPowers, ['twins', 'vote-all', 'equivocate'], false)
      : []
    const crashes = Array.from({ length: prng.int(3) }, () => {
      const atMs = prng.int(gstMs)
      return { keyIndex: prng.int(n), atMs, restartMs: atMs + 100 + prng.int(gstMs - atMs + 500) }
    }).filter((c) => !byzantine.some((b) => b.keyIndex === c.keyIndex))
    return {
      name: 'faulty',
      epochPowers,
      epochLength: 1_000_000,
      byzantine,
      crashes,
      network: network(prng, n + byzantine.filter((b) => b.kind === 'twins').length, gstMs, true),
      options: fastTimers,
      maxTxsPerBlock: 20,
      txBytes: 32,
      txBursts: bursts(prng, gstMs + 6000),
      durationMs: Math.max(gstMs, ...crashes.map((c) => c.restartMs)) + 6000,
      ed25519: false,
      expect: { accountableOnly: false, liveness: true, minProgressAfterGst: 2, fairness: false },
    }
  },
  epochs(prng) {
    const n = 4 + prng.int(3)
    const epochPowers = [powers(prng, n, 5), powers(prng, n, 5), powers(prng, n, 9)]
    const gstMs = 1000 + prng.int(2000)
    const byzantine = pickByzantine(prng, epochPowers, ['vote-all', 'equivocate', 'twins'], false)
    return {
      name: 'epochs',
      epochPowers,
      epochLength: 2 + prng.int(3),
      byzantine,
      crashes: [],
      network: network(prng, n + byzantine.filter((b) => b.kind === 'twins').length, gstMs, true),
      options: fastTimers,
      maxTxsPerBlock: 20,
      txBytes: 32,
      txBursts: bursts(prng, gstMs + 6000),
      durationMs: gstMs + 6000,
      ed25519: false,
      expect: { accountableOnly: false, liveness: true, minProgressAfterGst: 3, fairness: false },
    }
  },
  accountable(prng) {
    const n = 4 + prng.int(3)
    const { epochPowers } = base(prng, n)
    const byzantine = pickByzantine(prng, epochPowers, ['twins', 'vote-all', 'equivocate'], true)
    const instances = n + byzantine.filter((b) => b.kind === 'twins').length
    return {
      name: 'accountable',
      epochPowers,
      epochLength: 1_000_000,
      byzantine,
      crashes: [],
      network: network(prng, instances, 3000, true),
      options: fastTimers,
      maxTxsPerBlock: 20,
      txBytes: 32,
      txBursts: bursts(prng, 6000),
      durationMs: 6000,
      ed25519: false,
      expect: { accountableOnly: true, liveness: false, minProgressAfterGst: 0, fairness: false },
    }
  },
  /** Two twins (half the stake) with one honest node on each side of a lasting split: a fork is forced. */
  fork(prng) {
    const n = 4
    const byz = prng.shuffle([0, 1, 2, 3]).slice(0, 2).sort()
    const sideA: number[] = []
    const sideB: number[] = []
    let index = 0
    let honestSide = 0
    for (let k = 0; k < n; k++) {
      if (byz.includes(k)) {
        sideA.push(index++)
        sideB.push(index++)
      } else {
        ;(honestSide++ === 0 ? sideA : sideB).push(index++)
      }
    }
    return {
      name: 'fork',
      epochPowers: [[1, 1, 1, 1]],
      epochLength: 1_000_000,
      byzantine: byz.map((keyIndex) => ({ keyIndex, kind: 'twins' as const })),
      crashes: [],
      network: {
        ...network(prng, 6, 0, false),
        partitions: [{ startMs: 0, endMs: 1e9, groups: [sideA, sideB] }],
      },
      options: fastTimers,
      maxTxsPerBlock: 20,
      txBytes: 32,
      txBursts: bursts(prng, 3000),
      durationMs: 3000,
      ed25519: false,
      expect: { accountableOnly: true, liveness: false, minProgressAfterGst: 0, fairness: false },
    }
  },
  ed25519(prng) {
    const n = 4
    const { epochPowers } = base(prng, n)
    const gstMs = 1000 + prng.int(1000)
    const byzantine = pickByzantine(prng, epochPowers, ['equivocate', 'vote-all'], false)
    return {
      name: 'ed25519',
      epochPowers,
      epochLength: 1_000_000,
      byzantine,
      crashes: [],
      network: network(prng, n, gstMs, true, true),
      options: fastTimers,
      maxTxsPerBlock: 20,
      txBytes: 32,
      txBursts: bursts(prng, gstMs + 5000),
      durationMs: gstMs + 5000,
      ed25519: true,
      expect: { accountableOnly: false, liveness: true, minProgressAfterGst: 2, fairness: false },
    }
  },
}

/** The key-change families (key-scenarios.ts) that take turns with epochs in one of its two slots. */
const epochTurns = ['epochs', 'keys', 'keys-outsider', 'keys-sync']

/**
 * The family for a seed when none is named: mostly faulty runs, some of each other kind. One of the
 * faulty slots takes turns with the protocol attacks (seeds ending in 6: faulty, forged, flooded,
 * same-hash), one of the epochs slots with the key changes (seeds ending in 7).
 */
export function familyFor(seed: number): string {
  if (seed % 10 === 6) return attackTurns[Math.floor(seed / 10) % attackTurns.length] as string
  if (seed % 10 === 7) return epochTurns[Math.floor(seed / 10) % epochTurns.length] as string
  const names = [
    'faulty',
    'faulty',
    'faulty',
    'calm',
    'epochs',
    'accountable',
    'faulty',
    'epochs',
    'fork',
    'faulty',
  ]
  return names[seed % names.length] as string
}
