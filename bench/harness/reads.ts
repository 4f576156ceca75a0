/**
 * The account-read bench: a local network with one observer, funded customers, then
 * `GET /v1/accounts/<address>` from autocannon against the observer's RPC, rotating over the funded
 * addresses, on an idle chain and under a fixed-rate pay load sent to a validator. Each phase reports
 * autocannon's req/s and latency, and req/s per core of the observer: req/s ÷ (the observer's CPU
 * seconds from /proc over the phase ÷ the phase's seconds).
 */
import { join } from 'node:path'
import autocannon from 'autocannon'
import { encodeAddress } from '../../protocol/address.ts'
import { encode } from '../../protocol/codec.ts'
import { BenchError, BenchErrorCode } from './errors.ts'
import { getJson, HttpPool } from './http.ts'
import { buildLoad } from './load.ts'
import { BENCH_TX_VALIDITY_BLOCKS, type BenchNode, startNetwork } from './network.ts'
import { cpuSeconds } from './proc.ts'
import type { ReadBenchOptions } from './read-options.ts'
import { CUSTOMER_FUNDS, fundActors, makeActors } from './setup.ts'

export type PhaseName = 'idle' | 'block load'

export interface PhaseResult {
  readonly phase: PhaseName
  readonly run: number
  readonly seconds: number
  readonly requests: number
  /** 2xx responses per second over the phase. */
  readonly reqPerSec: number
  /** autocannon's per-second samples. */
  readonly reqPerSecSampled: { readonly mean: number; readonly p50: number; readonly min: number }
  readonly latencyMs: {
    readonly mean: number
    readonly p50: number
    readonly p99: number
    readonly max: number
  }
  readonly errors: number
  readonly timeouts: number
  readonly non2xx: number
  /** 2xx responses whose body was not a funded account. */
  readonly mismatches: number
  readonly statusCodes: Readonly<Record<string, number>>
  /** The observer's CPU over the phase, in percent of one core. */
  readonly observerCpuPct: number
  /** reqPerSec ÷ (observerCpuPct / 100). */
  readonly reqPerSecPerCore: number
  /** The bench process's own CPU over the phase (autocannon and the pay load), percent of one core. */
  readonly clientCpuPct: number
  /** Blocks the observer applied during the phase, and pay txs offered and admitted. */
  readonly blocks: number
  readonly payOffered: number
  readonly payAdmitted: number
}

export interface ReadsSummary {
  readonly startedAt: string
  readonly options: ReadBenchOptions
  readonly observer: string
  readonly phases: readonly PhaseResult[]
  /** Per phase, the median over runs of reqPerSec, reqPerSecPerCore and p99 latency. */
  readonly medians: readonly {
    readonly phase: PhaseName
    readonly reqPerSec: number
    readonly reqPerSecPerCore: number
    readonly p99Ms: number
  }[]
  readonly notes: readonly string[]
}

/** Requests per second per core: `reqPerSec` ÷ (CPU seconds ÷ wall seconds); 0 without CPU time. */
export function perCore(reqPerSec: number, cpuSec: number, wallSec: number): number {
  if (cpuSec <= 0 || wallSec <= 0) return 0
  return reqPerSec / (cpuSec / wallSec)
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

const FUNDED_BODY = `"balances":[{"point":`

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const height = async (rpcUrl: string) => (await getJson<{ height: number }>(`${rpcUrl}/v1/status`)).height
const processCpuSec = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** Pre-signed pay txs sent to one node in a batch every 100 ms, without waiting for commits. */
class PayLoad {
  offered = 0
  admitted = 0
  private next = 0
  private timer: NodeJS.Timeout | null = null
  private readonly http = new HttpPool()
  private readonly txs: readonly Uint8Array[]
  private readonly url: string
  private readonly perTick: number

  constructor(options: { txs: readonly Uint8Array[]; rpcUrl: string; tps: number }) {
    this.txs = options.txs
    this.url = `${options.rpcUrl}/v1/txs/batch`
    this.perTick = Math.max(1, Math.round(options.tps / 10))
  }

  start(): void {
    if (this.timer !== null) return
    this.timer = setInterval(() => this.tick(), 100)
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  close(): void {
    this.stop()
    this.http.close()
  }

  private tick(): void {
    const batch = this.txs.slice(this.next, this.next + this.perTick)
    if (batch.length === 0) {
      this.stop()
      return
    }
    this.next += batch.length
    this.offered += batch.length
    this.http
      .post(this.url, encode(batch), undefined, 10_000)
      .then((res) => {
        if (res.status !== 200) return
        const { results } = JSON.parse(res.body) as { results: { accepted: boolean }[] }
        this.admitted += results.filter((r) => r.accepted).length
      })
      .catch(() => {})
  }
}

async function measure(
  phase: PhaseName,
  run: number,
  o: ReadBenchOptions,
  observer: BenchNode & { pid: number },
  paths: readonly string[],
  load: PayLoad | null,
): Promise<PhaseResult> {
  let i = run * 7919
  const h0 = await height(observer.rpcUrl)
  const offered0 = load?.offered ?? 0
  const admitted0 = load?.admitted ?? 0
  const cpu0 = cpuSeconds(observer.pid) ?? 0
  const client0 = processCpuSec()
  const t0 = performance.now()
  const result = await autocannon({
    url: observer.rpcUrl,
    connections: o.connections,
    duration: o.durationSec,
    // Every answer must be a funded account, not an error or redirect that happens to be fast.
    verifyBody: (body) => body.includes(FUNDED_BODY),
    requests: [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] as string }) }],
  })
  const seconds = (performance.now() - t0) / 1000
  const cpuSec = (cpuSeconds(observer.pid) ?? cpu0) - cpu0
  const clientSec = processCpuSec() - client0
  const h1 = await height(observer.rpcUrl)
  const ok = result['2xx']
  const reqPerSec = ok / seconds
  return {
    phase,
    run,
    seconds,
    requests: ok + result.non2xx,
    reqPerSec,
    reqPerSecSampled: { mean: result.requests.mean, p50: result.requests.p50, min: result.requests.min },
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
    observerCpuPct: (100 * cpuSec) / seconds,
    reqPerSecPerCore: perCore(reqPerSec, cpuSec, seconds),
    clientCpuPct: (100 * clientSec) / seconds,
    blocks: h1 - h0,
    payOffered: (load?.offered ?? 0) - offered0,
    payAdmitted: (load?.admitted ?? 0) - admitted0,
  }
}

/** Waits until the observer has applied `target` and serves `address` with the funded balance. */
async function observerReady(rpcUrl: string, target: number, address: string): Promise<void> {
  const deadline = performance.now() + 30_000
  while ((await height(rpcUrl)) < target) {
    if (performance.now() > deadline)
      throw new BenchError(BenchErrorCode.observerNotReady, `observer did not reach height ${target}`)
    await sleep(100)
  }
  const account = await getJson<{ balances: { amount: number }[] }>(`${rpcUrl}/v1/accounts/${address}`)
  if (account.balances[0]?.amount !== CUSTOMER_FUNDS)
    throw new BenchError(BenchErrorCode.observerNotReady, `observer shows ${address} unfunded`, { address })
}

export async function runReadBench(
  o: ReadBenchOptions,
  outDir: string,
  log: (line: string) => void,
): Promise<ReadsSummary> {
  const startedAt = new Date().toISOString()
  const notes: string[] = []
  log(`starting ${o.validators} validator(s) and 1 observer on ports from ${o.basePort}…`)
  const net = await startNetwork(
    {
      validators: o.validators,
      observers: 1,
      basePort: o.basePort,
      blockTxs: 2000,
      blockBytes: 4 * 1024 * 1024,
      emptyBlockMs: 200,
      outstanding: 1000,
      logLevel: o.logLevel,
      keepData: o.keepData,
    },
    {
      logDir: join(outDir, 'logs'),
      profileDir: o.cpuProf ? join(outDir, 'profiles') : null,
      profileRole: 'observer',
    },
  )
  let load: PayLoad | null = null
  try {
    const validator = net.nodes.find((n) => n.role === 'validator') as BenchNode
    const observer = net.nodes.find((n) => n.role === 'observer')
    if (observer === undefined || observer.pid === null)
      throw new BenchError(BenchErrorCode.nodeStartFailed, 'no observer process')
    const obs = { ...observer, pid: observer.pid }
    const actors = makeActors(net.manager, { merchants: 2, terminalsPerMerchant: 2, customers: o.customers })
    const validUntil = (await height(validator.rpcUrl)) + BENCH_TX_VALIDITY_BLOCKS - 1
    log(`funding ${o.customers} customers…`)
    await fundActors(validator.rpcUrl, net.chainId, actors, { validUntil, batch: 250, point: net.point })
    const addresses = actors.customers.map((c) => encodeAddress(c.publicKey))
    await observerReady(obs.rpcUrl, await height(validator.rpcUrl), addresses[0] as string)
    const paths = addresses.map((a) => `/v1/accounts/${a}`)

    if (o.loadTps > 0) {
      const count = Math.ceil(o.loadTps * (o.runs * (o.durationSec + o.warmupSec + 2) + 5))
      log(`pre-signing ${count} pay txs…`)
      const signed = buildLoad(actors, {
        chainId: net.chainId,
        mix: { pay: 1, award: 0, transfer: 0, traffic: 0 },
        count,
        nonceBase: 1_000_000,
        validUntil,
        trafficEvents: 1,
        client: 0,
        point: net.point,
      })
      load = new PayLoad({ txs: signed.encoded, rpcUrl: validator.rpcUrl, tps: o.loadTps })
    }

    const phases: PhaseResult[] = []
    for (let run = 0; run < o.runs; run++) {
      log(`run ${run + 1}/${o.runs}: idle chain, ${o.connections} connections, ${o.durationSec} s…`)
      phases.push(await measure('idle', run, o, obs, paths, null))
      if (load === null) continue
      load.start()
      await sleep(o.warmupSec * 1000)
      log(`run ${run + 1}/${o.runs}: under ${o.loadTps} pay tx/s…`)
      phases.push(await measure('block load', run, o, obs, paths, load))
      load.stop()
    }
    for (const p of phases) {
      if (p.errors + p.non2xx + p.mismatches > 0)
        notes.push(
          `${p.phase} run ${p.run + 1}: ${p.errors} errors, ${p.non2xx} non-2xx responses, ${p.mismatches} bodies not a funded account`,
        )
      if (p.phase === 'block load' && p.payAdmitted < 0.95 * p.payOffered)
        notes.push(`${p.phase} run ${p.run + 1}: only ${p.payAdmitted} of ${p.payOffered} pay txs admitted`)
      if (p.clientCpuPct > 90)
        notes.push(
          `${p.phase} run ${p.run + 1}: the bench process used ${p.clientCpuPct.toFixed(0)}% of a core: req/s may be bound by the client (per core is not)`,
        )
    }
    const medians = (['idle', 'block load'] as const).flatMap((phase) => {
      const of = phases.filter((p) => p.phase === phase)
      if (of.length === 0) return []
      return [
        {
          phase,
          reqPerSec: median(of.map((p) => p.reqPerSec)),
          reqPerSecPerCore: median(of.map((p) => p.reqPerSecPerCore)),
          p99Ms: median(of.map((p) => p.latencyMs.p99)),
        },
      ]
    })
    return { startedAt, options: o, observer: obs.name, phases, medians, notes }
  } finally {
    load?.close()
    await net.stop()
  }
}
