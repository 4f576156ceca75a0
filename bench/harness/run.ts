/**
 * One benchmark run: start the network, fund the actors, pre-sign the load in the workers, start the
 * clock, drive the load, wait for commits (the drain), stop everything and compute the summary.
 */
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { toHex } from '../../protocol/bytes.ts'
import { CommitCollector } from './collector.ts'
import { BenchError, BenchErrorCode } from './errors.ts'
import { getJson, HttpPool } from './http.ts'
import type { FromWorker, ToWorker, WorkerInput } from './messages.ts'
import { BENCH_TX_VALIDITY_BLOCKS, type Network, startNetwork } from './network.ts'
import type { BenchOptions } from './options.ts'
import { cpuSeconds, ProcSampler } from './proc.ts'
import { connectRemote } from './remote.ts'
import { fundActors, makeActors } from './setup.ts'
import { scrapeNode, stagesPerTx } from './stages.ts'
import {
  meanMax,
  percentileSorted,
  ratePerSecond,
  scheduledCount,
  summarizeLatencies,
  timeSeries,
  verifyBoundTps,
} from './stats.ts'
import type { RunSummary } from './summary.ts'
import { perTxCpu, procUsage, scrapedUsage } from './usage.ts'

const workerUrl = new URL('./worker.ts', import.meta.url)
const nowMs = () => performance.timeOrigin + performance.now()

export interface RunContext {
  readonly label: string
  readonly outDir: string
  readonly verifyPerSec: number
  readonly cores: number
  /** Progress lines (stderr); null for quiet. */
  readonly progress: ((line: string) => void) | null
}

/** How many txs to pre-sign: the schedule's count, or presignTps × duration where load decides. */
export function presignCount(o: BenchOptions): number {
  if (o.txs !== null) return o.txs
  if (o.mode === 'fixed-rate' || o.mode === 'ramp') {
    return (
      Math.ceil(scheduledCount(o.mode, o.durationSec, o.rateTps ?? 0, o.rampStartTps, o.durationSec)) +
      o.clients
    )
  }
  return Math.max(o.outstanding * 2, o.presignTps * o.durationSec)
}

/** The network of a run: started here, or the --remote one. */
function openNetwork(o: BenchOptions, outDir: string): Promise<Network> {
  if (o.remote !== null) return connectRemote(o.remote, o.managerKeyFile as string)
  return startNetwork(o, {
    logDir: join(outDir, 'logs'),
    profileDir: o.cpuProf ? join(outDir, 'profiles') : null,
  })
}

export async function runBenchmark(o: BenchOptions, ctx: RunContext): Promise<RunSummary> {
  const log = ctx.progress ?? (() => {})
  const startedAt = new Date().toISOString()
  const loadAvgStart = loadavg()
  const notes: string[] = []
  log(
    o.remote === null
      ? `[${ctx.label}] starting ${o.validators} validator(s) on ports ${o.basePort}…`
      : `[${ctx.label}] connecting to ${o.remote.join(', ')}…`,
  )
  const net = await openNetwork(o, ctx.outDir)
  if (o.remote !== null)
    notes.push(
      `remote network (${net.nodes.length} nodes, ${net.validators} validators): block limits are the chain's own; node CPU from /metrics; the verify bound counts this machine's cores`,
    )
  const workers: Worker[] = []
  let collector: CommitCollector | null = null
  let sampler: ProcSampler | null = null
  const fetchPool = new HttpPool()
  try {
    const rpc = net.nodes.map((n) => n.rpcUrl)
    const first = rpc[0] as string
    const actors = makeActors(net.manager, {
      merchants: o.merchants,
      terminalsPerMerchant: o.terminalsPerMerchant,
      customers: o.customers,
    })
    const height0 = (await getJson<{ height: number }>(`${first}/v1/status`)).height
    const validityBlocks = Math.min(BENCH_TX_VALIDITY_BLOCKS, net.txValidityBlocks)
    const validUntil = height0 + validityBlocks - 1
    if (validityBlocks < BENCH_TX_VALIDITY_BLOCKS)
      notes.push(
        `txs are valid for ${validityBlocks} blocks on this chain (until height ${validUntil}): txs still pending past it expire`,
      )
    log(
      `[${ctx.label}] funding ${o.customers} customers, ${o.merchants} merchants, ${actors.terminals.length} terminals…`,
    )
    await fundActors(first, net.chainId, actors, {
      validUntil,
      batch: Math.min(o.batch, 500),
      point: net.point,
    })

    // Pre-sign: each worker signs its share before the clock starts.
    const total = presignCount(o)
    const share = (c: number) => Math.floor(total / o.clients) + (c < total % o.clients ? 1 : 0)
    const offsets: number[] = []
    let acc = 0
    for (let c = 0; c < o.clients; c++) {
      offsets.push(acc)
      acc += share(c)
    }
    log(`[${ctx.label}] pre-signing ${total} txs in ${o.clients} workers…`)
    const signStart = performance.now()
    const ready: Promise<Extract<FromWorker, { type: 'ready' }>>[] = []
    const done: Promise<Extract<FromWorker, { type: 'done' }>>[] = []
    const live = new Array<{ submitted: number; accepted: number; rejected: number }>(o.clients)
    for (let c = 0; c < o.clients; c++) {
      const input: WorkerInput = {
        actors,
        load: {
          chainId: net.chainId,
          mix: o.mix,
          count: share(c),
          nonceBase: 1_000_000 + (offsets[c] as number),
          validUntil,
          trafficEvents: o.trafficEvents,
          client: c,
          point: net.point,
        },
        drive: {
          mode: o.mode,
          rateTps: (o.rateTps ?? 0) / o.clients,
          rampStartTps: o.rampStartTps / o.clients,
          outstanding: Math.max(1, Math.round(o.outstanding / o.clients)),
          durationSec: o.durationSec,
          batch: o.batch,
          targets: rpc,
          laneAddresses: net.loopback,
        },
      }
      const w = new Worker(workerUrl, { workerData: input })
      workers.push(w)
      live[c] = { submitted: 0, accepted: 0, rejected: 0 }
      const failed = new Promise<never>((_, reject) => {
        w.on('error', (err) =>
          reject(new BenchError(BenchErrorCode.workerFailed, `client ${c}: ${err.message}`)),
        )
        w.on('message', (m: FromWorker) => {
          if (m.type === 'error')
            reject(new BenchError(BenchErrorCode.workerFailed, `client ${c}: ${m.message}`))
          if (m.type === 'progress') live[c] = m
        })
      })
      failed.catch(() => {})
      const next = <T extends FromWorker['type']>(type: T) =>
        Promise.race([
          failed,
          new Promise<Extract<FromWorker, { type: T }>>((resolve) => {
            const on = (m: FromWorker) => {
              if (m.type !== type) return
              w.off('message', on)
              resolve(m as Extract<FromWorker, { type: T }>)
            }
            w.on('message', on)
          }),
        ])
      ready.push(next('ready'))
      done.push(next('done'))
    }
    const readies = await Promise.all(ready)
    const signSec = (performance.now() - signStart) / 1000
    const index = new Map<string, number>()
    const sizes = new Uint32Array(total)
    readies.forEach((r, c) => {
      const base = offsets[c] as number
      for (let i = 0; i < r.sizes.length; i++) {
        index.set(toHex(r.hashes.subarray(32 * i, 32 * i + 32)), base + i)
        sizes[base + i] = r.sizes[i] as number
      }
    })

    collector = new CommitCollector({ index, size: total }, { http: fetchPool })
    await collector.open(first)
    collector.fromHeight = (await getJson<{ height: number }>(`${first}/v1/status`)).height
    const scrapesAtStart = await Promise.all(rpc.map((url) => scrapeNode(url)))
    const scrapedAtStartMs = nowMs()
    const startMs = nowMs() + 20
    sampler = new ProcSampler({
      targets: [
        ...net.nodes.flatMap((n) => (n.pid === null ? [] : [{ name: n.name, pid: n.pid }])),
        { name: 'load generator', pid: process.pid },
      ],
      startMs,
    })
    sampler.start(1000)
    // A node started here: its CPU time from /proc; a remote one: from its /metrics.
    const cpuAtStart = net.nodes.map((n, i) =>
      n.pid === null ? (scrapesAtStart[i]?.cpuSeconds ?? null) : cpuSeconds(n.pid),
    )
    for (const w of workers) w.postMessage({ type: 'go', startMs } satisfies ToWorker)
    log(`[${ctx.label}] signed in ${signSec.toFixed(1)} s; load running (${o.mode}, ${o.durationSec} s)`)
    const c0 = collector
    const tick = setInterval(() => {
      const t = (nowMs() - startMs) / 1000
      const sub = live.reduce((s, x) => s + x.submitted, 0)
      const rej = live.reduce((s, x) => s + x.rejected, 0)
      log(
        `  ${t.toFixed(0).padStart(4)} s  submitted ${sub}  rejected ${rej}  committed ${c0.committedTxs}  (${ratePerSecond(c0.committedTxs, startMs, nowMs()).toFixed(0)} tx/s)  height ${c0.blocks.at(-1)?.height ?? '-'}`,
      )
    }, 1000)
    let results: Extract<FromWorker, { type: 'done' }>[]
    try {
      results = await Promise.all(done)
    } finally {
      clearInterval(tick)
    }
    const loadEndMs = Math.max(...results.map((r) => r.endMs))
    const submitMs = new Float64Array(total).fill(Number.NaN)
    let accepted = 0
    results.forEach((r, c) => {
      submitMs.set(r.submitMs, offsets[c] as number)
      for (const a of r.accepted) accepted += a
    })
    log(`[${ctx.label}] load done; draining (up to ${o.drainSec} s) for ${accepted - collector.matched} txs…`)
    const drained = await collector.until(
      () => collector !== null && collector.matched >= accepted,
      o.drainSec * 1000,
    )
    if (!drained)
      notes.push(
        `${accepted - collector.matched} accepted txs had not committed ${o.drainSec} s after the load ended`,
      )
    // Receipts follow their block's event at once; wait for the last block's receipts to arrive.
    await collector.until(
      () =>
        collector !== null &&
        (collector.receipts >= collector.committedTxs || collector.receiptStreamError !== null),
      5000,
    )
    sampler.stop()
    const cpuAtEndProc = net.nodes.map((n) => (n.pid === null ? null : cpuSeconds(n.pid)))
    const scrapesAtEnd = await Promise.all(rpc.map((url) => scrapeNode(url)))
    const scrapedSec = (nowMs() - scrapedAtStartMs) / 1000
    const cpuAtEnd = net.nodes.map((n, i) =>
      n.pid === null ? (scrapesAtEnd[i]?.cpuSeconds ?? null) : cpuAtEndProc[i],
    )
    const unscraped = net.nodes.filter((_, i) => scrapesAtStart[i] === null || scrapesAtEnd[i] === null)
    if (unscraped.length > 0)
      notes.push(`no /metrics from ${unscraped.map((n) => n.name).join(', ')}: no stage times for them`)
    collector.close()
    if (collector.blockStreamError !== null) notes.push(`block stream lost: ${collector.blockStreamError}`)
    if (collector.receiptStreamError !== null) {
      notes.push(
        `receipt stream closed by the node (${collector.receiptStreamError}): receipts and failure codes are counted up to then only`,
      )
    }
    if (collector.fetchErrors > 0)
      notes.push(`${collector.fetchErrors} block fetches failed: their txs count as uncommitted`)

    // Latencies and the per-second series.
    const commits: [number, number][] = []
    const latencies: number[] = []
    let firstSubmit = Number.POSITIVE_INFINITY
    for (let i = 0; i < total; i++) {
      const s = submitMs[i] as number
      if (!Number.isNaN(s) && s < firstSubmit) firstSubmit = s
      const cm = collector.commitMs[i] as number
      if (Number.isNaN(cm)) continue
      const lat = cm - s
      commits.push([cm, lat])
      if (!Number.isNaN(lat)) latencies.push(lat)
    }
    const lastCommit = collector.blocks.at(-1)?.arrivedMs ?? loadEndMs
    const failedCount = [...collector.failedByCode.values()].reduce((a, b) => a + b, 0)
    // Failures are known from receipts; with the receipt stream cut short this undercounts them.
    const ok = collector.committedTxs - failedCount
    const submitted = Number.isFinite(firstSubmit)
      ? Array.from(submitMs).filter((x) => !Number.isNaN(x)).length
      : 0
    const rejectedByCode: Record<string, number> = {}
    for (const r of results)
      for (const [k, v] of Object.entries(r.rejectedByCode)) rejectedByCode[k] = (rejectedByCode[k] ?? 0) + v
    const blocks = collector.blocks
    const blockTxs = blocks.map((b) => b.txCount)
    const intervals = blocks.slice(1).map((b, i) => b.timeMs - (blocks[i] as (typeof blocks)[number]).timeMs)
    const sortedIntervals = Float64Array.from(intervals).sort()
    // Block bytes are estimated as tx count × the mean encoded size of the load's txs (the only txs).
    const meanTxBytes = total > 0 ? sizes.reduce((a, b) => a + b, 0) / total : 0
    const bound = verifyBoundTps(ctx.cores, ctx.verifyPerSec, net.validators)
    const windowStart = Number.isFinite(firstSubmit) ? firstSubmit : startMs
    const committedTps = ratePerSecond(collector.committedTxs, windowStart, lastCommit)
    if (o.mode !== 'fixed-rate' && o.mode !== 'ramp' && o.txs === null && submitted >= total) {
      notes.push(`the pre-signed load (${total} txs) ran out before the duration; raise --presign-tps`)
    }
    const procs = sampler.samples
    const cpuPerTx = perTxCpu(
      net.nodes.map((n, i) => ({ name: n.name, start: cpuAtStart[i] ?? null, end: cpuAtEnd[i] ?? null })),
      collector.committedTxs,
      ctx.verifyPerSec,
    )
    const stagesUsPerTx = stagesPerTx(
      net.nodes.map((n, i) => ({
        name: n.name,
        start: scrapesAtStart[i] ?? null,
        end: scrapesAtEnd[i] ?? null,
      })),
      collector.committedTxs,
    )
    const s: RunSummary = {
      label: ctx.label,
      startedAt,
      config: {
        mode: o.mode,
        rateTps: o.rateTps,
        rampStartTps: o.rampStartTps,
        outstanding: o.outstanding,
        durationSec: o.durationSec,
        clients: o.clients,
        blockTxs: o.blockTxs,
        blockBytes: o.blockBytes,
        emptyBlockMs: o.emptyBlockMs,
        mix: o.mix,
        customers: o.customers,
        merchants: o.merchants,
        terminals: actors.terminals.length,
        batch: o.batch,
      },
      machine: {
        cores: ctx.cores,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAvgStart,
        loadAvgEnd: loadavg(),
      },
      validators: net.validators,
      presigned: total,
      signSec,
      loadSec: (loadEndMs - windowStart) / 1000,
      elapsedSec: (lastCommit - windowStart) / 1000,
      submitted,
      accepted,
      rejected: submitted - accepted,
      rejectedByCode: Object.fromEntries(Object.entries(rejectedByCode).sort((a, b) => b[1] - a[1])),
      committed: collector.committedTxs,
      receipts: collector.receipts,
      matched: collector.matched,
      failed: failedCount,
      failedByCode: Object.fromEntries(collector.failedByCode),
      committedTps,
      okTps: ratePerSecond(ok, windowStart, lastCommit),
      submittedTps: ratePerSecond(submitted, windowStart, loadEndMs),
      latencyMs: summarizeLatencies(latencies),
      blocks: {
        count: blocks.length,
        txsMean: meanMax(blockTxs).mean,
        txsMax: blocks.length === 0 ? 0 : meanMax(blockTxs).max,
        bytesMean: meanMax(blockTxs).mean * meanTxBytes,
        bytesMax: (blocks.length === 0 ? 0 : meanMax(blockTxs).max) * meanTxBytes,
        intervalMsMean: meanMax(intervals).mean,
        intervalMsP50: percentileSorted(sortedIntervals, 50),
        intervalMsMax: meanMax(intervals).max,
      },
      verifyPerSec: ctx.verifyPerSec,
      verifyBoundTps: bound,
      boundFraction: bound > 0 ? committedTps / bound : 0,
      cpuPerTx,
      stagesUsPerTx,
      nodes: net.nodes.map((n, i) =>
        n.pid === null
          ? scrapedUsage(n.name, scrapesAtStart[i] ?? null, scrapesAtEnd[i] ?? null, scrapedSec)
          : procUsage(n.name, procs.get(n.name) ?? []),
      ),
      loadGenerator: procUsage('load generator', procs.get('load generator') ?? []),
      series: timeSeries(commits, windowStart, Math.max(lastCommit, windowStart + 1)),
      notes,
    }
    return s
  } finally {
    sampler?.stop()
    collector?.close()
    fetchPool.close()
    await Promise.all(workers.map((w) => w.terminate()))
    await net.stop()
  }
}
