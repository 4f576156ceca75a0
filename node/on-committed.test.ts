import { describe, expect, it } from 'vitest'
import type { CommittedBlock } from './chain.ts'
import { createNodeMetrics } from './metrics.ts'
import { createCommitHandler } from './on-committed.ts'

function committedAt(height: number): CommittedBlock {
  return {
    block: { header: { height } },
    hash: new Uint8Array(32),
    txs: [{ hash: Uint8Array.of(height) }],
    receipts: [],
  } as unknown as CommittedBlock
}

function setup(overrides: { emit?: () => void; after?: () => void; afterCommit?: () => void }) {
  const metrics = createNodeMetrics(undefined, { defaultMetrics: false })
  const cleaned: number[] = []
  const errors: Record<string, unknown>[] = []
  const silent = () => {}
  const handler = createCommitHandler({
    mempool: {
      afterCommit:
        overrides.afterCommit ??
        ((hashes) => {
          cleaned.push(...hashes.map((h) => h[0] as number))
          return hashes.length
        }),
      size: 0,
      bytes: 0,
    },
    metrics,
    events: { emit: overrides.emit ?? silent },
    log: { info: silent, debug: silent, error: (fields: Record<string, unknown>) => errors.push(fields) },
    nowMs: () => 0,
    ...(overrides.after === undefined ? {} : { after: overrides.after }),
  })
  return { handler, metrics, cleaned, errors }
}

describe('commit handler', () => {
  it('never throws into the commit: a throwing subscriber is logged and counted, and the rest still runs', async () => {
    const { handler, metrics, cleaned, errors } = setup({
      emit: () => {
        throw new Error('subscriber failed')
      },
      after: () => {
        throw new TypeError('peer refresh failed')
      },
    })
    expect(() => handler(committedAt(7))).not.toThrow()
    expect(cleaned).toEqual([7])
    expect((await metrics.consensus.height.get()).values[0]?.value).toBe(7)
    const counted = (await metrics.node.commitSubscriberErrors.get()).values
    expect(counted.map((v) => [v.labels.step, v.value])).toEqual([
      ['events', 1],
      ['after', 1],
    ])
    expect(errors.map((e) => e.step)).toEqual(['events', 'after'])
    // The next commit goes through all the same.
    expect(() => handler(committedAt(8))).not.toThrow()
    expect(cleaned).toEqual([7, 8])
  })

  it('a failing mempool cleanup does not stop the events', () => {
    let emitted = 0
    const { handler } = setup({
      afterCommit: () => {
        throw new Error('mempool failed')
      },
      emit: () => {
        emitted++
      },
    })
    expect(() => handler(committedAt(1))).not.toThrow()
    expect(emitted).toBe(1)
  })
})
