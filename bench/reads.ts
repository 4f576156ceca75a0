/**
 * `npm run bench:reads -- [options]`: account reads (`GET /v1/accounts/:address`) over HTTP on an
 * observer node, idle and under block load (bench/harness/reads.ts; flags in read-options.ts, or
 * --help). Prints a table and writes reads.json to --out (default bench-results/reads-<timestamp>).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { isArcadeError } from '../protocol/errors.ts'
import { parseReadArgs, READS_USAGE } from './harness/read-options.ts'
import { type PhaseResult, runReadBench } from './harness/reads.ts'

const f0 = (n: number) => n.toFixed(0)
const f1 = (n: number) => n.toFixed(1)

function table(phases: readonly PhaseResult[]): string {
  const head = [
    'phase',
    'run',
    'req/s',
    'req/s/core',
    'obs CPU %',
    'p50 ms',
    'p99 ms',
    'err',
    'non2xx',
    'bad body',
    'blocks',
  ]
  const rows = phases.map((p) => [
    p.phase,
    String(p.run + 1),
    f0(p.reqPerSec),
    f0(p.reqPerSecPerCore),
    f0(p.observerCpuPct),
    f1(p.latencyMs.p50),
    f1(p.latencyMs.p99),
    String(p.errors),
    String(p.non2xx),
    String(p.mismatches),
    String(p.blocks),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ')
  return [line(head), ...rows.map(line)].join('\n')
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(READS_USAGE)
    return 0
  }
  const o = parseReadArgs(argv)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const outDir = resolve(o.outDir ?? join('bench-results', `reads-${stamp}`))
  await mkdir(outDir, { recursive: true })
  const log = o.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`)
  const summary = await runReadBench(o, outDir, log)
  const machine = {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
  }
  await writeFile(join(outDir, 'reads.json'), `${JSON.stringify({ ...summary, machine }, null, 2)}\n`)
  process.stdout.write(`${table(summary.phases)}\n`)
  for (const m of summary.medians)
    process.stdout.write(
      `median ${m.phase}: ${f0(m.reqPerSec)} req/s, ${f0(m.reqPerSecPerCore)} req/s per observer core, p99 ${f1(m.p99Ms)} ms\n`,
    )
  for (const n of summary.notes) process.stdout.write(`note: ${n}\n`)
  process.stdout.write(`report in ${join(outDir, 'reads.json')}\n`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (isArcadeError(err)) process.stderr.write(`${err.code}: ${err.message}\n`)
    else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
