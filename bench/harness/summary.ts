/** The result of one run, as written to summary.json and rendered by the report writers. */
import type { StagesUsPerTx } from './stages.ts'
import type { LatencySummary, SeriesPoint } from './stats.ts'

export interface NodeUsage {
  readonly name: string
  readonly cpuPctMean: number
  readonly cpuPctMax: number
  readonly rssMiBMax: number
  /** Per-second samples for the charts: [seconds since start, cpu %, rss MiB]. */
  readonly samples: readonly (readonly [number, number, number])[]
}

export interface CpuPerTx {
  /** Mean over the validators of CPU µs per committed tx. */
  readonly validatorUs: number
  /** One Ed25519 verification per tx at this machine's rate (10^6 / verifyPerSec). */
  readonly verifyUs: number
  /** validatorUs − verifyUs: admission, gossip, consensus, execution, storage and RPC. */
  readonly restUs: number
  readonly byNode: readonly { readonly name: string; readonly us: number }[]
}

export interface RunSummary {
  readonly label: string
  readonly startedAt: string
  readonly config: {
    readonly mode: string
    readonly rateTps: number | null
    readonly rampStartTps: number
    readonly outstanding: number
    readonly durationSec: number
    readonly clients: number
    readonly blockTxs: number
    readonly blockBytes: number
    readonly emptyBlockMs: number
    readonly mix: Readonly<Record<string, number>>
    readonly customers: number
    readonly merchants: number
    readonly terminals: number
    readonly batch: number
  }
  readonly machine: {
    readonly cores: number
    readonly cpuModel: string
    readonly node: string
    readonly loadAvgStart: readonly number[]
    readonly loadAvgEnd: readonly number[]
  }
  readonly validators: number
  /** Txs pre-signed, and the signing time (all clients in parallel). */
  readonly presigned: number
  readonly signSec: number
  /** Seconds from the first submission to the last send, and to the last commit. */
  readonly loadSec: number
  readonly elapsedSec: number
  readonly submitted: number
  readonly accepted: number
  readonly rejected: number
  readonly rejectedByCode: Readonly<Record<string, number>>
  /** Txs in blocks committed after the setup (sum of block tx counts from the stream). */
  readonly committed: number
  /** Receipt events seen for those blocks. */
  readonly receipts: number
  /** Receipts matched to a load tx. */
  readonly matched: number
  readonly failed: number
  readonly failedByCode: Readonly<Record<string, number>>
  /** committed / (last commit − first submission). */
  readonly committedTps: number
  readonly okTps: number
  readonly submittedTps: number
  readonly latencyMs: LatencySummary
  readonly blocks: {
    readonly count: number
    readonly txsMean: number
    readonly txsMax: number
    readonly bytesMean: number
    readonly bytesMax: number
    readonly intervalMsMean: number
    readonly intervalMsP50: number
    readonly intervalMsMax: number
  }
  readonly verifyPerSec: number
  /** cores × verifyPerSec / validators: see stats.ts verifyBoundTps. */
  readonly verifyBoundTps: number
  readonly boundFraction: number
  /**
   * CPU per committed tx per validator over the load window (the load's start to the drain's end),
   * from each node process's CPU time: the ratio that a noisy machine blurs least. Null with no commit.
   */
  readonly cpuPerTx: CpuPerTx | null
  /**
   * Wall µs per committed tx per stage (admission, build, execute, commit, RPC) per validator and the
   * mean, from each node's /metrics over the same window (see stages.ts). Null with no commit or scrape.
   */
  readonly stagesUsPerTx: StagesUsPerTx | null
  readonly nodes: readonly NodeUsage[]
  readonly loadGenerator: NodeUsage | null
  readonly series: readonly SeriesPoint[]
  readonly notes: readonly string[]
}
