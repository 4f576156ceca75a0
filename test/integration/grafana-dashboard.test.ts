/**
 * The Grafana dashboard shipped in ops/grafana queries only metrics the node really exports: the
 * names come from a node's own registry (node/metrics.ts, with the process metrics) and the RPC's
 * request metrics added to it, not from a list kept by hand.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createNodeMetrics } from '../../node/metrics.ts'
import { harness } from '../../rpc/testing.ts'

const DASHBOARD = join(import.meta.dirname, '../../ops/grafana/arcade.json')

interface Panel {
  readonly type: string
  readonly title: string
  readonly targets?: readonly { readonly expr: string }[]
  readonly panels?: readonly Panel[]
}

function panelsOf(list: readonly Panel[]): Panel[] {
  return list.flatMap((p) => [p, ...panelsOf(p.panels ?? [])])
}

/** Every series name a scrape shows: a histogram's as _bucket, _sum and _count. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = createNodeMetrics()
  const rpc = harness({}, { metrics: metrics.registry })
  afterAll(() => rpc.server.close())
  await rpc.server.app.ready()
  const names = new Set<string>()
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    const type = String(m.type)
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s)
    else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(m.name + s)
    else names.add(m.name)
  }
  return names
}

/** The metric names a PromQL expression refers to (ours all start with arcade_). */
function metricNamesIn(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/"[^"]*"/g, '')
  return [...withoutLabels.matchAll(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b/g)]
    .map((m) => m[0])
    .filter((name) => name.startsWith('arcade_'))
}

describe('ops/grafana/arcade.json', () => {
  it('every panel queries at least one metric, and only metrics the node exports', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[]; title: string }
    expect(dashboard.title).toBe('Arcade node')
    const names = await exportedNames()
    expect(names.has('arcade_rpc_request_duration_seconds_count')).toBe(true)
    const panels = panelsOf(dashboard.panels).filter((p) => p.type !== 'row')
    expect(panels.length).toBeGreaterThan(20)
    const unknown: string[] = []
    for (const panel of panels) {
      const exprs = (panel.targets ?? []).map((t) => t.expr)
      expect(exprs.length, panel.title).toBeGreaterThan(0)
      for (const expr of exprs) {
        const used = metricNamesIn(expr)
        expect(used.length, `${panel.title}: ${expr}`).toBeGreaterThan(0)
        for (const name of used) if (!names.has(name)) unknown.push(`${panel.title}: ${name}`)
      }
    }
    expect(unknown).toEqual([])
  })

  it('covers what operators watch: height, head age, interval, txs, commit, views, mempool, peers, sync, RPC', async () => {
    const text = await readFile(DASHBOARD, 'utf8')
    for (const name of [
      'arcade_consensus_height',
      'arcade_chain_head_age_seconds',
      'arcade_consensus_block_interval_seconds_bucket',
      'arcade_consensus_block_txs_sum',
      'arcade_storage_commit_seconds_bucket',
      'arcade_consensus_view_changes_total',
      'arcade_mempool_txs',
      'arcade_p2p_peers',
      'arcade_sync_behind_blocks',
      'arcade_rpc_request_duration_seconds_count',
      'arcade_chain_healthy',
      'arcade_chain_fork_evidence',
    ]) {
      expect(text, name).toContain(name)
    }
  })
})
