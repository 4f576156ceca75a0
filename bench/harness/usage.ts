/**
 * What each node used over the load window: CPU and memory from /proc samples (a node started here)
 * or from two /metrics scrapes (a remote one), and CPU µs per committed tx.
 */
import type { ProcSample } from './proc.ts'
import type { NodeScrape } from './stages.ts'
import { meanMax } from './stats.ts'
import type { CpuPerTx, NodeUsage } from './summary.ts'

/** A node's usage from its per-second /proc samples. */
export function procUsage(name: string, samples: readonly ProcSample[]): NodeUsage {
  const cpu = meanMax(samples.map((s) => s.cpuPct))
  return {
    name,
    cpuPctMean: cpu.mean,
    cpuPctMax: cpu.max,
    rssMiBMax: meanMax(samples.map((s) => s.rssMiB)).max,
    samples: samples.map(
      (s) => [Math.round(s.t) / 1000, Math.round(s.cpuPct), Math.round(s.rssMiB)] as const,
    ),
  }
}

/**
 * A remote node's usage from two scrapes of its /metrics `seconds` apart: the mean CPU over the window
 * (no maximum and no chart: there are no per-second samples) and the resident memory at the end.
 */
export function scrapedUsage(
  name: string,
  start: NodeScrape | null,
  end: NodeScrape | null,
  seconds: number,
): NodeUsage {
  const a = start?.cpuSeconds ?? null
  const b = end?.cpuSeconds ?? null
  return {
    name,
    cpuPctMean: a === null || b === null || seconds <= 0 ? Number.NaN : (100 * (b - a)) / seconds,
    cpuPctMax: Number.NaN,
    rssMiBMax: end === null || end.residentBytes === null ? Number.NaN : end.residentBytes / (1024 * 1024),
    samples: [],
  }
}

/** CPU µs per committed tx per node, split into one verification and the rest (see CpuPerTx). */
export function perTxCpu(
  nodes: readonly { name: string; start: number | null; end: number | null }[],
  committed: number,
  verifyPerSec: number,
): CpuPerTx | null {
  if (committed === 0) return null
  const byNode = nodes
    .filter((n) => n.start !== null && n.end !== null)
    .map((n) => ({ name: n.name, us: (((n.end as number) - (n.start as number)) * 1e6) / committed }))
  if (byNode.length === 0) return null
  const validatorUs = byNode.reduce((a, n) => a + n.us, 0) / byNode.length
  const verifyUs = verifyPerSec > 0 ? 1e6 / verifyPerSec : 0
  return { validatorUs, verifyUs, restUs: validatorUs - verifyUs, byNode }
}
