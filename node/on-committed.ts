/**
 * What the node does after each commit, by consensus or by sync: mempool cleanup, metrics, events for
 * rpc subscribers, the commit log line, and whatever the node adds (`after`). It runs inside the
 * commit effect of the consensus driver (executor port) and of sync, after the block is durable: so
 * nothing here may throw into it (a throw would stop the driver from posting `block-committed`). Each
 * step is isolated; a failing one is logged and counted in `arcade_node_commit_subscriber_errors_total`
 * and the others still run.
 */
import { toHex } from '../protocol/bytes.ts'
import type { CommittedBlock } from './chain.ts'
import type { Logger } from './logger.ts'
import type { NodeMetrics } from './metrics.ts'

export interface CommitHandlerDeps {
  readonly mempool: {
    afterCommit(hashes: readonly Uint8Array[]): unknown
    readonly size: number
    readonly bytes: number
  }
  readonly metrics: NodeMetrics
  readonly events: { emit(committed: CommittedBlock): void }
  readonly log: Pick<Logger, 'info' | 'debug' | 'error'>
  readonly nowMs: () => number
  /** More work after each commit (the node refreshes its peers when the validator set changed). */
  readonly after?: (committed: CommittedBlock) => void
}

export function createCommitHandler(deps: CommitHandlerDeps): (committed: CommittedBlock) => void {
  const { mempool, metrics, events, log } = deps
  let lastCommitAt = deps.nowMs()
  const guarded = (step: string, height: number, work: () => void): void => {
    try {
      work()
    } catch (err) {
      try {
        metrics.node.commitSubscriberErrors.inc({ step })
        log.error({ step, height, err: String(err) }, 'commit subscriber failed')
      } catch {
        // Not even the report may reach the commit.
      }
    }
  }
  return (committed) => {
    const height = committed.block.header.height
    guarded('mempool', height, () => mempool.afterCommit(committed.txs.map((t) => t.hash)))
    guarded('metrics', height, () => {
      const now = deps.nowMs()
      metrics.consensus.height.set(height)
      metrics.consensus.blockTxs.observe(committed.txs.length)
      metrics.consensus.txsCommitted.inc(committed.txs.length)
      metrics.consensus.commitLatency.observe((now - lastCommitAt) / 1000)
      metrics.mempool.size.set(mempool.size)
      metrics.mempool.bytes.set(mempool.bytes)
      lastCommitAt = now
    })
    guarded('events', height, () => events.emit(committed))
    const after = deps.after
    if (after !== undefined) guarded('after', height, () => after(committed))
    guarded('log', height, () => {
      const level = committed.txs.length > 0 || height % 10 === 0 ? 'info' : 'debug'
      log[level](
        { height, txs: committed.txs.length, hash: toHex(committed.hash).slice(0, 16) },
        'committed block',
      )
    })
  }
}
