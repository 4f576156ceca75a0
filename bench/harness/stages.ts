/**
 * Time per committed tx per stage of a node, from two scrapes of its GET /metrics (the load's start
 * and the drain's end): the growth of each stage's `_sum` of seconds over the committed txs. The
 * figures are wall time of each timed call, summed: calls that overlap (concurrent RPC requests,
 * admissions waiting on the verify pool) count each in full, and the RPC time includes the admission
 * a submission waits for. They say where a tx's time goes, not how the CPU is shared.
 */
import { type PromSample, parsePrometheusText, sumOf } from './prom-text.ts'

export const STAGES = ['admission', 'build', 'execute', 'commit', 'rpc'] as const
export type Stage = (typeof STAGES)[number]
export type StageValues = Readonly<Record<Stage, number | null>>

/** The bench's own scrapes would count as RPC work: requests to these routes are left out. */
const SCRAPE_ROUTES = new Set(['/metrics', '/v1/metrics'])

/** Each stage's seconds metric (node/metrics.ts, rpc/metrics.ts), the histogram's `_sum` series. */
const STAGE_METRICS: Readonly<
  Record<Stage, { name: string; keep?: (l: Readonly<Record<string, string>>) => boolean }>
> = {
  admission: { name: 'arcade_mempool_admission_seconds_sum' },
  build: { name: 'arcade_consensus_build_seconds_sum' },
  execute: { name: 'arcade_state_execute_seconds_sum' },
  commit: { name: 'arcade_storage_commit_seconds_sum' },
  rpc: {
    name: 'arcade_rpc_request_duration_seconds_sum',
    keep: (l) => !SCRAPE_ROUTES.has(l.route ?? ''),
  },
}

/** prom-client's default process metric, under the node's `arcade_process_` prefix (or none). */
const CPU_METRICS = ['arcade_process_process_cpu_seconds_total', 'process_cpu_seconds_total']
const RSS_METRICS = ['arcade_process_process_resident_memory_bytes', 'process_resident_memory_bytes']

/** What one scrape of a node tells the bench: cumulative seconds per stage, CPU seconds, memory. */
export interface NodeScrape {
  readonly stages: StageValues
  readonly cpuSeconds: number | null
  readonly residentBytes: number | null
}

export function readScrape(samples: readonly PromSample[]): NodeScrape {
  const stages = Object.fromEntries(
    STAGES.map((s) => [s, sumOf(samples, STAGE_METRICS[s].name, STAGE_METRICS[s].keep)]),
  ) as Record<Stage, number | null>
  let cpuSeconds: number | null = null
  for (const name of CPU_METRICS) cpuSeconds ??= sumOf(samples, name)
  let residentBytes: number | null = null
  for (const name of RSS_METRICS) residentBytes ??= sumOf(samples, name)
  return { stages, cpuSeconds, residentBytes }
}

/** Scrapes a node's /metrics; null when it does not answer (the run goes on, with a note). */
export async function scrapeNode(rpcUrl: string, timeoutMs = 5000): Promise<NodeScrape | null> {
  try {
    const res = await fetch(`${rpcUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })
    if (!res.ok) return null
    return readScrape(parsePrometheusText(await res.text()))
  } catch {
    return null
  }
}

export interface StagesUsPerTx {
  /** Per stage, the mean over the nodes that report it; null where none does. */
  readonly meanUs: StageValues
  readonly byNode: readonly { readonly name: string; readonly us: StageValues }[]
}

/** µs per committed tx per stage per node, and the mean over the nodes; null with no commit or scrape. */
export function stagesPerTx(
  nodes: readonly { name: string; start: NodeScrape | null; end: NodeScrape | null }[],
  committed: number,
): StagesUsPerTx | null {
  if (committed === 0) return null
  const byNode = nodes.flatMap((n) => {
    if (n.start === null || n.end === null) return []
    const { start, end } = n
    const us = Object.fromEntries(
      STAGES.map((s) => {
        const a = start.stages[s]
        const b = end.stages[s]
        return [s, a === null || b === null ? null : ((b - a) * 1e6) / committed]
      }),
    ) as Record<Stage, number | null>
    return [{ name: n.name, us }]
  })
  if (byNode.length === 0) return null
  const meanUs = Object.fromEntries(
    STAGES.map((s) => {
      const values = byNode.map((n) => n.us[s]).filter((v): v is number => v !== null)
      return [s, values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length]
    }),
  ) as Record<Stage, number | null>
  return { meanUs, byNode }
}
