/**
 * The in-memory twin of the StateKv port (state/ports.ts), for tests and the simulator. Keys are kept
 * in a Map by their latin1 string form, which sorts exactly like the bytes (one char per byte), so
 * `entries()` can return them in ascending key order like LevelDB does.
 */
import type { Bytes } from '../protocol/bytes.ts'
import type { KvWrite, StateKv } from './ports.ts'

function keyString(key: Bytes): string {
  let out = ''
  for (let i = 0; i < key.length; i++) out += String.fromCharCode(key[i] as number)
  return out
}

function keyBytes(text: string): Bytes {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
  return out
}

export interface MemoryStateKv extends StateKv {
  /** Number of stored entries (for tests). */
  readonly size: number
}

export function createMemoryStateKv(): MemoryStateKv {
  const data = new Map<string, Bytes>()
  return {
    get size() {
      return data.size
    },
    async *entries() {
      // Snapshot first, so a commit during iteration cannot change what this iteration sees.
      const keys = [...data.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      const snapshot = keys.map((k) => [keyBytes(k), data.get(k) as Bytes] as const)
      for (const entry of snapshot) yield entry
    },
    async get(key) {
      const value = data.get(keyString(key))
      return value === undefined ? undefined : value.slice()
    },
    async commit(writes: readonly KvWrite[]) {
      // Validate everything before touching the map: all or nothing.
      for (const [key, value] of writes) {
        if (!(key instanceof Uint8Array)) throw new TypeError('StateKv key must be bytes')
        if (value !== null && !(value instanceof Uint8Array))
          throw new TypeError('StateKv value must be bytes or null')
      }
      for (const [key, value] of writes) {
        if (value === null) data.delete(keyString(key))
        else data.set(keyString(key), value.slice())
      }
    },
  }
}
