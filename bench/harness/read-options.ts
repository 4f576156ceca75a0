/**
 * Command-line options of `npm run bench:reads`, validated once into data with documented defaults.
 */
import { parseArgs } from 'node:util'
import { badFlag } from './errors.ts'

export interface ReadBenchOptions {
  /** Validator processes (the observer follows them). Default 1: the read path is what is measured. */
  readonly validators: number
  /** autocannon connections to the observer's RPC. Default 32. */
  readonly connections: number
  /** Seconds of each measured phase. Default 10. */
  readonly durationSec: number
  /** Funded customers whose accounts the reads rotate over. Default 200. */
  readonly customers: number
  /** Pay txs per second sent to a validator during the block-load phase; 0 skips the phase. Default 500. */
  readonly loadTps: number
  /** Seconds the pay load runs before the block-load phase's clock starts. Default 2. */
  readonly warmupSec: number
  /** Each phase is measured this many times on the one network (medians are reported). Default 1. */
  readonly runs: number
  readonly basePort: number
  /** null: bench-results/reads-<timestamp>. */
  readonly outDir: string | null
  /** Pass --cpu-prof to the observer (its profile lands in OUT/profiles). */
  readonly cpuProf: boolean
  readonly keepData: boolean
  readonly logLevel: string
  readonly quiet: boolean
}

export const READS_USAGE = `usage: npm run bench:reads -- [options]
  GET /v1/accounts/:address on an observer node, over HTTP (autocannon), on an idle chain and
  under a fixed-rate pay load; req/s, latency, errors, and req/s per core of the observer process.
  --validators N     validator processes (default 1); one observer follows them
  --connections N    autocannon connections (default 32)
  --duration SECONDS each measured phase (default 10)
  --customers N      funded accounts the reads rotate over (default 200)
  --load-tps N       pay txs/s sent to a validator in the block-load phase; 0 skips it (default 500)
  --warmup SECONDS   pay load before the block-load phase is measured (default 2)
  --runs N           measure each phase N times on one network; medians reported (default 1)
  --base-port P      first port; node i uses P+2i (p2p) and P+2i+1 (RPC) (default 27700)
  --out DIR          report folder (default bench-results/reads-<timestamp>)
  --cpu-prof         profile the observer (OUT/profiles/*.cpuprofile)
  --keep-data        keep the nodes' data folder
  --log-level L      the nodes' log level: trace|debug|info|warn|error (default warn)
  --quiet            no progress lines
`

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error']

function int(values: Record<string, unknown>, flag: string, min: number, max: number, fallback: number) {
  const raw = values[flag]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw badFlag(flag, `must be an integer from ${min} to ${max}`)
  return n
}

export function parseReadArgs(argv: readonly string[]): ReadBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      validators: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      customers: { type: 'string' },
      'load-tps': { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      'base-port': { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      'keep-data': { type: 'boolean' },
      'log-level': { type: 'string' },
      quiet: { type: 'boolean' },
    },
  })
  const logLevel = values['log-level'] ?? 'warn'
  if (!LOG_LEVELS.includes(logLevel)) throw badFlag('log-level', `one of ${LOG_LEVELS.join(', ')}`)
  return {
    validators: int(values, 'validators', 1, 16, 1),
    connections: int(values, 'connections', 1, 1024, 32),
    durationSec: int(values, 'duration', 1, 600, 10),
    customers: int(values, 'customers', 2, 100_000, 200),
    loadTps: int(values, 'load-tps', 0, 20_000, 500),
    warmupSec: int(values, 'warmup', 0, 60, 2),
    runs: int(values, 'runs', 1, 20, 1),
    basePort: int(values, 'base-port', 1024, 60_000, 27_700),
    outDir: values.out ?? null,
    cpuProf: values['cpu-prof'] ?? false,
    keepData: values['keep-data'] ?? false,
    logLevel,
    quiet: values.quiet ?? false,
  }
}
