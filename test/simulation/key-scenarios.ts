/**
 * Scenario families where the validator set changes by keys at epoch boundaries (schedules in
 * key-epochs.ts), combined with the usual faults: a network that is faulty until GST, crashes and
 * restarts, a byzantine member below a third of every epoch's power, honest leavers whose operators shut
 * them down, newcomers whose node comes up late and syncs across the changes it missed.
 * - `keys`: one kind of change per seed (join, leave, rotate, shrink-grow, disjoint, walk).
 * - `keys-outsider`: besides, byzantine outsiders: a member that left keeps sending votes, proposals
 *   and view changes for the heights after its exit, and a newcomer does so for the heights before its
 *   entry. None of it may count.
 * - `keys-sync`: the last newcomer's node comes up well after GST, and a member is down across several
 *   boundaries: each catches up through a sync that checks every certificate against the set of its own
 *   height, across the changes it missed.
 */
import { KEY_CHANGES, type KeyChange, keySchedule, toEpochPowers } from './key-epochs.ts'
import type { Prng } from './prng.ts'
import {
  type ByzantineKind,
  bursts,
  type Family,
  fastTimers,
  network,
  pickByzantine,
  type Scenario,
} from './scenarios.ts'

type Rows = readonly (readonly number[])[]

/** The first epoch in which key `k` is a member (-1: never). */
function entryEpoch(epochs: Rows, k: number): number {
  return epochs.findIndex((e) => (e[k] as number) > 0)
}

/** Keys of epoch 0 that are out of some later epoch. */
function leaversOf(epochs: Rows): number[] {
  const first = epochs[0] as readonly number[]
  return first.flatMap((p, k) => (p > 0 && epochs.some((e) => e[k] === 0) ? [k] : []))
}

/** Keys that first join after epoch 0, with the epoch they join in. */
function newcomersOf(epochs: Rows): { keyIndex: number; epoch: number }[] {
  const keys = (epochs[0] as readonly number[]).length
  return Array.from({ length: keys }, (_, k) => ({ keyIndex: k, epoch: entryEpoch(epochs, k) })).filter(
    (n) => n.epoch > 0,
  )
}

interface KeyFamilyOptions {
  readonly name: string
  readonly changes: readonly KeyChange[]
  /** Byzantine outsiders: a leaver after its exit, a newcomer before its entry. */
  readonly outsiders: boolean
  /** A newcomer that comes up late, and a member down across several boundaries. */
  readonly lateSync: boolean
}

function keyFamily(o: KeyFamilyOptions): Family {
  return (prng: Prng): Scenario => {
    const change = prng.pick(o.changes)
    const schedule = keySchedule(prng, change, 8 + prng.int(5))
    const epochPowers = toEpochPowers(schedule)
    const epochLength = o.lateSync ? 2 : 2 + prng.int(2)
    const lastEpochStays = prng.chance(0.5)
    const gstMs = 1000 + prng.int(2000)
    const keys = schedule.keys

    const byzantine: { keyIndex: number; kind: ByzantineKind }[] = prng.chance(0.6)
      ? pickByzantine(prng, epochPowers, ['vote-all', 'equivocate', 'twins'], false)
      : []
    const isByzantine = (k: number) => byzantine.some((b) => b.keyIndex === k)
    if (o.outsiders) {
      const leaver = leaversOf(epochPowers).filter((k) => !isByzantine(k))
      if (leaver.length > 0) byzantine.push({ keyIndex: prng.pick(leaver), kind: 'outsider' })
      const newcomer = newcomersOf(epochPowers).filter((n) => !isByzantine(n.keyIndex))
      if (newcomer.length > 0) byzantine.push({ keyIndex: prng.pick(newcomer).keyIndex, kind: 'outsider' })
    }

    const honestKeys = Array.from({ length: keys }, (_, k) => k).filter((k) => !isByzantine(k))
    const lateStarts: { keyIndex: number; atMs: number }[] = []
    const newcomers = newcomersOf(epochPowers).filter((n) => !isByzantine(n.keyIndex))
    // The newcomer joining last comes up well after GST: its start-up sync crosses several set changes.
    const last = o.lateSync ? newcomers.at(-1) : undefined
    for (const n of newcomers) {
      if (n === last) lateStarts.push({ keyIndex: n.keyIndex, atMs: gstMs + 2000 + prng.int(2000) })
      else if (prng.chance(0.25)) lateStarts.push({ keyIndex: n.keyIndex, atMs: prng.int(gstMs + 1000) })
    }
    const crashes = Array.from({ length: prng.int(3) }, () => {
      const atMs = prng.int(gstMs)
      return {
        keyIndex: prng.pick(honestKeys),
        atMs,
        restartMs: atMs + 100 + prng.int(gstMs - atMs + 500),
      }
    })
    if (o.lateSync) {
      // Down across several boundaries: the restart syncs through the key changes it slept through.
      const atMs = gstMs - 500 + prng.int(1000)
      crashes.push({ keyIndex: prng.pick(honestKeys), atMs, restartMs: atMs + 3000 + prng.int(2000) })
    }
    const twins = byzantine.filter((b) => b.kind === 'twins').length
    const endMs = Math.max(gstMs, ...crashes.map((c) => c.restartMs), ...lateStarts.map((s) => s.atMs))
    return {
      name: o.name,
      variant: change,
      epochPowers,
      epochLength,
      lastEpochStays,
      lateStarts,
      leaverStopMs: lastEpochStays && prng.chance(0.5) ? prng.int(1500) : null,
      catchUpOnStart: true,
      byzantine,
      crashes,
      network: network(prng, keys + twins, gstMs, true),
      options: fastTimers,
      maxTxsPerBlock: 20,
      txBytes: 32,
      txBursts: bursts(prng, endMs + 6000),
      // A second more than the other families: progress is judged across two set changes after GST.
      durationMs: endMs + 7000,
      ed25519: false,
      expect: {
        accountableOnly: false,
        liveness: true,
        minProgressAfterGst: 2,
        fairness: false,
        minBoundariesAfterGst: 2,
      },
    }
  }
}

export const keyFamilies: Record<string, Family> = {
  keys: keyFamily({ name: 'keys', changes: KEY_CHANGES, outsiders: false, lateSync: false }),
  'keys-outsider': keyFamily({
    name: 'keys-outsider',
    changes: KEY_CHANGES,
    outsiders: true,
    lateSync: false,
  }),
  'keys-sync': keyFamily({
    name: 'keys-sync',
    changes: ['join', 'rotate', 'disjoint', 'walk'],
    outsiders: false,
    lateSync: true,
  }),
}
