/**
 * An append-only log shared by successive immutable versions, so that the machine's state can grow by
 * one entry in O(1) and still stay immutable from every caller's point of view (`step` is pure).
 *
 * A version is (journal, length). Appending to the newest version pushes onto the shared log and returns
 * a version one longer; every older version still sees exactly its own prefix, because readers ignore
 * entries at positions >= their length. Appending to an older version (a caller that kept a state and
 * stepped it again, as tests do) first copies its prefix into a journal of its own, so the other branch
 * is never disturbed. The driver always steps the newest state, so in the node nothing is ever copied.
 *
 * An index derived from the entries (maps from keys to positions) lives in the journal beside the log
 * and is updated by `index` on every append; it is rebuilt from the log when a prefix is copied. Index
 * records carry positions, and a reader of version L counts only positions below L.
 */

export interface Journal<E, I> {
  readonly log: E[]
  readonly index: I
}

export interface Version<E, I> {
  readonly journal: Journal<E, I>
  readonly length: number
}

export interface JournalKind<E, I> {
  /** A fresh, empty index. */
  readonly createIndex: () => I
  /** Records `entry`, at position `pos`, in the index (mutating it). */
  readonly index: (index: I, entry: E, pos: number) => void
}

export function emptyVersion<E, I>(kind: JournalKind<E, I>): Version<E, I> {
  return { journal: { log: [], index: kind.createIndex() }, length: 0 }
}

/** A version holding `entries` (a fresh journal: O(entries)). */
export function versionOf<E, I>(kind: JournalKind<E, I>, entries: readonly E[]): Version<E, I> {
  const journal: Journal<E, I> = { log: [], index: kind.createIndex() }
  for (const e of entries) {
    kind.index(journal.index, e, journal.log.length)
    journal.log.push(e)
  }
  return { journal, length: journal.log.length }
}

export function append<E, I>(kind: JournalKind<E, I>, v: Version<E, I>, entry: E): Version<E, I> {
  const journal = v.length === v.journal.log.length ? v.journal : versionOf(kind, entries(v)).journal
  kind.index(journal.index, entry, journal.log.length)
  journal.log.push(entry)
  return { journal, length: journal.log.length }
}

/** The entries this version holds, oldest first (a copy only when the version is not the newest). */
export function entries<E, I>(v: Version<E, I>): readonly E[] {
  return v.length === v.journal.log.length ? v.journal.log : v.journal.log.slice(0, v.length)
}

/** How many of the ascending `positions` lie below `length` (all of them, at the newest version). */
export function countBelow(positions: readonly number[], length: number): number {
  const n = positions.length
  if (n === 0 || (positions[n - 1] as number) < length) return n
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((positions[mid] as number) < length) lo = mid + 1
    else hi = mid
  }
  return lo
}
