/**
 * Turns the writes of one `update` (or a bulk build) into a batch: keys hashed to paths, sorted by
 * path, one write per key (the last one given wins). Stored as parallel arrays, the paths packed into
 * one Int32Array, so a batch of 30,000 writes allocates a handful of objects rather than 60,000.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { MAX_STATE_KEY_BYTES, MAX_STATE_VALUE_BYTES } from '../protocol/state-proof.ts'
import { AuthMapError, AuthMapErrorCode } from './auth-map-errors.ts'
import { type ShaScratch, sha256Into } from './auth-map-sha.ts'

export interface Batch {
  /** 8 words per write: write i's path is paths[8i .. 8i+8). */
  readonly paths: Int32Array
  readonly keys: readonly Bytes[]
  /** Null deletes the key. */
  readonly values: readonly (Bytes | null)[]
}

export function checkKey(key: Bytes): void {
  if (!(key instanceof Uint8Array) || key.length < 1 || key.length > MAX_STATE_KEY_BYTES) {
    throw new AuthMapError(AuthMapErrorCode.badKey, `key must be 1 to ${MAX_STATE_KEY_BYTES} bytes`, {
      length: key instanceof Uint8Array ? key.length : null,
    })
  }
}

function checkValue(value: Bytes): void {
  if (!(value instanceof Uint8Array) || value.length > MAX_STATE_VALUE_BYTES) {
    throw new AuthMapError(
      AuthMapErrorCode.badValue,
      `value must be at most ${MAX_STATE_VALUE_BYTES} bytes`,
      {
        length: value instanceof Uint8Array ? value.length : null,
      },
    )
  }
}

/** Compares the paths at word offsets `a` and `b` of `paths`, as unsigned big-endian numbers. */
function comparePathsAt(paths: Int32Array, a: number, b: number): number {
  for (let i = 0; i < 8; i++) {
    const d = (paths[a + i]! >>> 0) - (paths[b + i]! >>> 0)
    if (d !== 0) return d
  }
  return 0
}

const INDEX_SPAN = 2 ** 21

/**
 * The order of the writes by path, stable (equal paths keep their call order). Up to 2^21 writes, a
 * native sort of numbers (first path word × 2^21 + index) does the work; the rare runs that share a
 * first word are then ordered by full path. Beyond that, a comparator sort.
 */
function sortedOrder(paths: Int32Array, n: number): ArrayLike<number> {
  const byPath = (a: number, b: number) => comparePathsAt(paths, a * 8, b * 8) || a - b
  if (n > INDEX_SPAN) return Array.from({ length: n }, (_, i) => i).sort(byPath)
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) keys[i] = (paths[i * 8]! >>> 0) * INDEX_SPAN + i
  keys.sort()
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = keys[i]! % INDEX_SPAN
  for (let i = 0; i < n; ) {
    const first = paths[order[i]! * 8]
    let j = i + 1
    while (j < n && paths[order[j]! * 8] === first) j++
    if (j - i > 1) order.set(Array.from(order.subarray(i, j)).sort(byPath), i)
    i = j
  }
  return order
}

export function prepareBatch(s: ShaScratch, writes: Iterable<readonly [Bytes, Bytes | null]>): Batch {
  const keys: Bytes[] = []
  const values: (Bytes | null)[] = []
  for (const [key, value] of writes) {
    checkKey(key)
    if (value !== null) checkValue(value)
    keys.push(key)
    values.push(value)
  }
  const n = keys.length
  const paths = new Int32Array(n * 8)
  for (let i = 0; i < n; i++) {
    sha256Into(s, keys[i]!)
    const h = s.h
    for (let k = 0; k < 8; k++) paths[i * 8 + k] = h[k]!
  }
  const order = sortedOrder(paths, n)
  let m = 0
  for (let i = 0; i < n; i++) {
    // Of several writes to one path, keep the last (the stable order put it last).
    if (i + 1 < n && comparePathsAt(paths, order[i]! * 8, order[i + 1]! * 8) === 0) continue
    m++
  }
  const outPaths = new Int32Array(m * 8)
  const outKeys = new Array<Bytes>(m)
  const outValues = new Array<Bytes | null>(m)
  let out = 0
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && comparePathsAt(paths, order[i]! * 8, order[i + 1]! * 8) === 0) continue
    const from = order[i]!
    for (let k = 0; k < 8; k++) outPaths[out * 8 + k] = paths[from * 8 + k]!
    outKeys[out] = keys[from]!
    outValues[out] = values[from]!
    out++
  }
  return { paths: outPaths, keys: outKeys, values: outValues }
}
