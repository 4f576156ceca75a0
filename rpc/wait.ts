/**
 * Waiting for txs to commit (`?wait=true`). Uses the submitter's own `waitForCommit` when it has one;
 * otherwise listens to the chain's receipt events. The listener is attached *before* the txs are
 * submitted (see `prepareWait`), so a tx that commits at once is never missed.
 */
import { type Bytes, toHex } from '../protocol/bytes.ts'
import type { Receipt } from '../state/receipt.ts'
import type { ChainEvents, TxSubmitter } from './ports.ts'

export interface PendingWait {
  /** Resolves per hash (a subset of the watched ones) with its commit, or null on timeout. */
  wait(hashes: readonly Bytes[], timeoutMs: number, signal: AbortSignal): Promise<(Receipt | null)[]>
  /** Detaches the listener; harmless to call twice. */
  dispose(): void
}

export function prepareWait(
  submitter: TxSubmitter,
  events: ChainEvents,
  watched: readonly Bytes[],
): PendingWait {
  if (submitter.waitForCommit !== undefined) {
    const waitForCommit = submitter.waitForCommit.bind(submitter)
    return {
      wait: async (hashes, timeoutMs) => [...(await waitForCommit(hashes, timeoutMs))],
      dispose: () => {},
    }
  }
  // Receipts of the watched txs seen since this wait was prepared, by tx hash.
  const watchedIds = new Set(watched.map(toHex))
  const seen = new Map<string, Receipt>()
  let onSeen: (() => void) | null = null
  const unsubscribe = events.subscribe((event) => {
    if (event.type !== 'receipt') return
    const id = toHex(event.receipt.txHash)
    if (!watchedIds.has(id)) return
    seen.set(id, event.receipt)
    onSeen?.()
  })
  let disposed = false
  const dispose = () => {
    if (disposed) return
    disposed = true
    unsubscribe()
  }
  return {
    dispose,
    wait(hashes, timeoutMs, signal) {
      const ids = hashes.map(toHex)
      const collect = () => ids.map((id) => seen.get(id) ?? null)
      return new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer)
          signal.removeEventListener('abort', finish)
          onSeen = null
          dispose()
          resolve(collect())
        }
        const timer = setTimeout(finish, timeoutMs)
        signal.addEventListener('abort', finish, { once: true })
        onSeen = () => {
          if (ids.every((id) => seen.has(id))) finish()
        }
        onSeen()
      })
    },
  }
}
