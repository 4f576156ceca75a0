/**
 * `npm run bench -- [options]`: consensus throughput and latency of a real multi-process network on
 * this machine (see bench/harness/options.ts for the flags, or run with --help). Writes summary.json,
 * report.md and report.html to --out (default bench-results/<timestamp>); a sweep adds comparison.*,
 * and `--sweep-rate START:STOP:STEP` (fixed-rate rounds up to saturation) adds sweep.json and the
 * sustainable rate (bench/harness/sweep-rate.ts). `--remote URL,… --manager-key FILE` drives a network
 * that already runs elsewhere (bench/harness/remote.ts): nothing is spawned or stopped, and the nodes'
 * CPU comes from their /metrics instead of /proc.
 * Besides throughput and latency, each run reports CPU µs per committed tx per validator (/proc) and
 * wall µs per committed tx per stage (admission, build, execute, commit, RPC) from each node's
 * GET /metrics, scraped at the load's start and after the drain (bench/harness/stages.ts).
 */
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { isArcadeError } from '../protocol/errors.ts'
import { runInProcess, writeInProcessReport } from './harness/in-process.ts'
import { type BenchOptions, expandSweep, parseBenchArgs, sweepRates, USAGE } from './harness/options.ts'
import { terminalTable, writeComparison, writeRunReport } from './harness/report.ts'
import { runBenchmark } from './harness/run.ts'
import type { RunSummary } from './harness/summary.ts'
import { rateStep, rateSweepMarkdown, rateSweepResult, sweepSaturated } from './harness/sweep-rate.ts'
import { measureVerifyRate } from './harness/verify-rate.ts'

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE)
    return 0
  }
  const o = parseBenchArgs(argv)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const outDir = resolve(o.outDir ?? join('bench-results', stamp))
  const log = o.quiet ? null : (line: string) => process.stderr.write(`${line}\n`)
  if (o.inProcess) {
    const axis = o.sweep.find((a) => a.key === 'validators')
    const ns = axis === undefined ? [4, 16, 64] : axis.values.map(Number)
    process.stderr.write('consensus engine in process (simulated network, no signatures, no disk):\n')
    const rows = runInProcess(ns, [0, Math.min(o.blockTxs, 200)], (l) => process.stderr.write(`${l}\n`))
    await writeInProcessReport(outDir, rows)
    process.stdout.write(`reports in ${outDir}\n`)
    return 0
  }
  const cores = availableParallelism()
  const verifyPerSec = measureVerifyRate()
  log?.(`Ed25519 verify: ${verifyPerSec.toFixed(0)}/s on one core, ${cores} cores`)
  if (o.sweepRate !== null) {
    // Fixed-rate rounds, each on a fresh network, until STOP or two saturated steps in a row.
    const rates = sweepRates(o.sweepRate)
    const summaries: RunSummary[] = []
    for (const [i, rate] of rates.entries()) {
      const run: BenchOptions = { ...o, mode: 'fixed-rate', rateTps: rate }
      const s = await runBenchmark(run, {
        label: `rate=${rate}`,
        outDir: join(outDir, `run-${i + 1}`),
        verifyPerSec,
        cores,
        progress: log,
      })
      await writeRunReport(join(outDir, `run-${i + 1}`), s)
      summaries.push(s)
      process.stdout.write(`${terminalTable(s)}\n`)
      const step = rateStep(s)
      log?.(
        `[rate=${rate}] committed ${step.committedTps.toFixed(1)} tx/s (${(100 * step.committedRatio).toFixed(1)}% of offered), p99 ${step.p99Ms.toFixed(0)} ms: ${step.sustained ? 'sustained' : 'saturated'}`,
      )
      if (sweepSaturated(summaries.map((x) => rateStep(x)))) break
    }
    const result = rateSweepResult(o.sweepRate, summaries, rates.length)
    await writeComparison(outDir, summaries, result)
    process.stdout.write(`${rateSweepMarkdown(result)}\nreports in ${outDir}\n`)
    return 0
  }
  const runs = expandSweep(o)
  const summaries: RunSummary[] = []
  for (const [i, run] of runs.entries()) {
    const dir = runs.length === 1 ? outDir : join(outDir, `run-${i + 1}`)
    const s = await runBenchmark(run.options, {
      label:
        runs.length > 1
          ? run.label
          : o.remote !== null
            ? `remote ${o.remote.length} nodes, ${run.options.mode}`
            : `${run.options.validators} validators, ${run.options.mode}`,
      outDir: dir,
      verifyPerSec,
      cores,
      progress: log,
    })
    await writeRunReport(dir, s)
    summaries.push(s)
    process.stdout.write(`${terminalTable(s)}\n`)
  }
  if (runs.length > 1) await writeComparison(outDir, summaries)
  process.stdout.write(`reports in ${outDir}\n`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (isArcadeError(err)) process.stderr.write(`bench: ${err.code}: ${err.message}\n`)
    else process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
