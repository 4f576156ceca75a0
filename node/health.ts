/**
 * The node's health verdict for `/v1/health` and the gauges behind it. Unhealthy (503) for a reason:
 *
 * - `stale-head`: peers are connected, yet the head is older than `staleHeadMultiple` × the chain's
 *   empty-block interval. Validators make an empty block at least that often, so a head this old
 *   means the validators withhold blocks (or this node cannot get them). Without peers the node is
 *   merely alone, which `peers: 0` says; the reason stays off so that a single node's restart is not
 *   an alarm.
 * - `behind`: sync's credible height is more than its margin above the head. That height is a claim
 *   only when validators holding a third of the power of the next set claim it (block-sync.ts
 *   `bestKnownHeight`), so at least one honest validator has it. One lying peer, or any coalition
 *   below a third of the power, cannot flip a node to 503; observers' claims count for nothing.
 * - `fork`: the node holds fork evidence (fork-watch.ts), two fully verified commit certificates for
 *   different blocks at one height. It persists, so the alarm stays until an operator acts.
 *
 * `assessHealth` is pure (the clock is an input); `HealthMonitor` samples the node and keeps the
 * gauges current between scrapes.
 */

import { HealthReason, type NodeHealth } from '../rpc/ports.ts'

export { HealthReason }

export interface HealthOptions {
  /** The head is stale past this many empty-block intervals (while peers are connected). */
  readonly staleHeadMultiple: number
}

/** 30 × the default 1 s interval: room for a run of view changes (the view timeout caps at 10 s). */
export const defaultHealthOptions: HealthOptions = { staleHeadMultiple: 30 }

export interface HealthInput {
  readonly nowMs: number
  readonly height: number
  /** The head block's time; null before the first block (then the genesis time counts). */
  readonly headTimeMs: number | null
  readonly genesisTimeMs: number
  /** The chain's empty-block interval for the next height (or this node's override). */
  readonly emptyBlockIntervalMs: number
  readonly peers: number
  /** Sync's credible height (at least the head). */
  readonly bestKnownHeight: number
  /** Whether sync counts the node as behind (credible height above the head by more than its margin). */
  readonly syncing: boolean
  /** Forks on record. */
  readonly forks: number
}

/** The verdict, in the shape the RPC serves (rpc/ports.ts NodeHealth). */
export type HealthReport = NodeHealth

export function assessHealth(options: HealthOptions, input: HealthInput): HealthReport {
  const headTimeMs = input.headTimeMs ?? input.genesisTimeMs
  const headAgeSeconds = Math.max(0, input.nowMs - headTimeMs) / 1000
  const staleAfterSeconds = (options.staleHeadMultiple * input.emptyBlockIntervalMs) / 1000
  const behindBlocks = Math.max(0, input.bestKnownHeight - input.height)
  const reasons: HealthReason[] = []
  if (input.forks > 0) reasons.push(HealthReason.fork)
  if (input.syncing) reasons.push(HealthReason.behind)
  if (input.peers > 0 && headAgeSeconds > staleAfterSeconds) reasons.push(HealthReason.staleHead)
  return {
    ok: reasons.length === 0,
    reasons,
    height: input.height,
    syncing: input.syncing,
    peers: input.peers,
    headAgeSeconds,
    staleAfterSeconds,
    behindBlocks,
    forks: input.forks,
  }
}

export interface HealthGauges {
  readonly headAgeSeconds: { set(value: number): void }
  readonly behindBlocks: { set(value: number): void }
  readonly healthy: { set(value: number): void }
}

export interface HealthMonitorDeps {
  readonly sample: () => HealthInput
  readonly gauges: HealthGauges | null
  /** How often the gauges are refreshed between checks (default 1 s). */
  readonly refreshMs?: number
}

export class HealthMonitor {
  readonly #options: HealthOptions
  readonly #deps: HealthMonitorDeps
  #timer: ReturnType<typeof setInterval> | null = null

  constructor(options: HealthOptions, deps: HealthMonitorDeps) {
    this.#options = options
    this.#deps = deps
  }

  /** Samples the node, sets the gauges and answers the verdict. */
  check(): HealthReport {
    const report = assessHealth(this.#options, this.#deps.sample())
    const g = this.#deps.gauges
    if (g !== null) {
      g.headAgeSeconds.set(report.headAgeSeconds)
      g.behindBlocks.set(report.behindBlocks)
      g.healthy.set(report.ok ? 1 : 0)
    }
    return report
  }

  /** Keeps the gauges current for scrapers; stopping twice is harmless. */
  start(): void {
    if (this.#timer !== null) return
    this.check()
    this.#timer = setInterval(() => this.check(), this.#deps.refreshMs ?? 1_000)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }
}
