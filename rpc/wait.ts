/**
 * Waiting for txs to commit (`?wait=true`): one index of waiters per server, keyed by tx hash. A request
 * registers its txs *before* submitting them (`watch`), so a tx that commits at once is never missed
 * and no store read is needed: a tx the mempool has just accepted cannot have committed earlier. Each
 * receipt costs one map lookup however many requests wait, and the index listens to the chain only
 * while something is watched.
 */
import { type Bytes, bytesKey } from '../protocol/bytes.ts'
import type { Receipt } from '../state/receipt.ts'
import type { ChainEvent, ChainEvents } from './ports.ts'

export interface PendingWait {
  /** Resolves per hash (a subset of the watched ones) with its commit, or null on timeout or abort. */
  wait(hashes: readonly Bytes[], timeoutMs: number, signal: AbortSignal): Promise<(Receipt | null)[]>
  /** Unregisters the watched hashes; harmless to call twice. */
  dispose(): void
}

export interface CommitWaiters {
  /** Starts watching `hashes`; call before handing them to the mempool, and `dispose` when done. */
  watch(hashes: readonly Bytes[]): PendingWait
  /** Distinct hashes being watched (0 when idle: nothing leaks). */
  readonly watching: number
  /** Ends every wait now (each resolves with what it has); used when the server closes. */
  close(): void
}

/** One request's watch: the receipts seen for its hashes, and its pending wait if any. */
interface Watch {
  readonly keys: readonly string[]
  readonly seen: Map<string, Receipt>
  /** Keys still awaited by `wait`, or null before `wait` is called. */
  awaited: Set<string> | null
  finish: (() => void) | null
}

export function createCommitWaiters(events: ChainEvents): CommitWaiters {
  // Usually one watch per key; an array when several requests watch the same tx.
  const index = new Map<string, Watch | Watch[]>()
  const open = new Set<Watch>()
  let unsubscribe: (() => void) | null = null

  const onSeen = (watch: Watch, key: string, receipt: Receipt) => {
    if (watch.seen.has(key)) return
    watch.seen.set(key, receipt)
    if (watch.awaited?.delete(key) === true && watch.awaited.size === 0) watch.finish?.()
  }

  const onEvent = (event: ChainEvent) => {
    if (event.type !== 'receipt') return
    const key = bytesKey(event.receipt.txHash)
    const entry = index.get(key)
    if (entry === undefined) return
    if (!Array.isArray(entry)) return onSeen(entry, key, event.receipt)
    for (const watch of [...entry]) onSeen(watch, key, event.receipt)
  }

  const register = (watch: Watch) => {
    for (const key of watch.keys) {
      const entry = index.get(key)
      if (entry === undefined) index.set(key, watch)
      else if (Array.isArray(entry)) entry.push(watch)
      else index.set(key, [entry, watch])
    }
    open.add(watch)
    unsubscribe ??= events.subscribe(onEvent)
  }

  const unregister = (watch: Watch) => {
    if (!open.delete(watch)) return
    for (const key of watch.keys) {
      const entry = index.get(key)
      if (entry === watch) index.delete(key)
      else if (Array.isArray(entry)) {
        const rest = entry.filter((w) => w !== watch)
        if (rest.length === 1) index.set(key, rest[0] as Watch)
        else index.set(key, rest)
      }
    }
    if (index.size === 0 && unsubscribe !== null) {
      unsubscribe()
      unsubscribe = null
    }
  }

  return {
    get watching() {
      return index.size
    },
    close() {
      for (const watch of [...open]) {
        watch.finish?.()
        unregister(watch)
      }
    },
    watch(hashes) {
      const watch: Watch = {
        keys: [...new Set(hashes.map(bytesKey))],
        seen: new Map(),
        awaited: null,
        finish: null,
      }
      register(watch)
      return {
        dispose: () => unregister(watch),
        wait(waitHashes, timeoutMs, signal) {
          const keys = waitHashes.map(bytesKey)
          const collect = () => keys.map((k) => watch.seen.get(k) ?? null)
          watch.awaited = new Set(keys.filter((k) => !watch.seen.has(k)))
          if (watch.awaited.size === 0 || signal.aborted || !open.has(watch)) {
            unregister(watch)
            return Promise.resolve(collect())
          }
          return new Promise((resolve) => {
            const finish = () => {
              clearTimeout(timer)
              signal.removeEventListener('abort', finish)
              watch.finish = null
              unregister(watch)
              resolve(collect())
            }
            const timer = setTimeout(finish, timeoutMs)
            signal.addEventListener('abort', finish, { once: true })
            watch.finish = finish
          })
        },
      }
    },
  }
}
