/**
 * Command-line options of `npm run bench`, validated once into data with documented defaults, and the
 * expansion of `--sweep key=v1,v2 …` into one option set per configuration.
 */
import { parseArgs } from 'node:util'
import { badFlag } from './errors.ts'

export const LOAD_MODES = ['fixed-rate', 'fixed-load', 'ramp', 'max'] as const
export type LoadMode = (typeof LOAD_MODES)[number]

export const MIX_KINDS = ['pay', 'award', 'transfer', 'traffic'] as const
export type MixKind = (typeof MIX_KINDS)[number]
export type Mix = Readonly<Record<MixKind, number>>

export interface BenchOptions {
  readonly validators: number
  /** Seconds of load (the clock starts after setup and pre-signing). */
  readonly durationSec: number
  /** Target tx/s (fixed-rate; the ramp's end rate); null for max and fixed-load. */
  readonly rateTps: number | null
  /** Ramp start rate. Default 0. */
  readonly rampStartTps: number
  readonly mode: LoadMode
  /** fixed-load: txs submitted but not yet committed, across all clients. max: 2 × blockTxs. */
  readonly outstanding: number
  /** Stop after this many txs (null: run for the duration). */
  readonly txs: number | null
  readonly mix: Mix
  /** Load worker threads. */
  readonly clients: number
  /** Genesis `maxBlockTxs`, `maxBlockBytes`, `emptyBlockIntervalMs`. */
  readonly blockTxs: number
  readonly blockBytes: number
  readonly emptyBlockMs: number
  readonly basePort: number
  /** null: bench-results/<timestamp>. */
  readonly outDir: string | null
  readonly customers: number
  readonly merchants: number
  readonly terminalsPerMerchant: number
  /** Txs per traffic.record. */
  readonly trafficEvents: number
  /** Most txs per RPC request. */
  readonly batch: number
  /** Seconds to wait after the load for submitted txs to commit. */
  readonly drainSec: number
  /** Txs pre-signed per second of duration where the schedule does not fix the count (max, fixed-load). */
  readonly presignTps: number
  /** Pass --cpu-prof to the node processes (profiles land in OUT/profiles). */
  readonly cpuProf: boolean
  readonly keepData: boolean
  /** The nodes' log level (their logs go to OUT/logs). */
  readonly logLevel: string
  readonly sweep: readonly SweepAxis[]
  /** --sweep-rate: fixed-rate rounds from startTps up to stopTps in steps of stepTps; null for none. */
  readonly sweepRate: RateSweep | null
  readonly inProcess: boolean
  readonly quiet: boolean
  /** --remote: RPC base URLs of a network running elsewhere (nothing spawned); null for a local one. */
  readonly remote: readonly string[] | null
  /** --manager-key: the key file of a funded admin + issuer account on the remote chain. */
  readonly managerKeyFile: string | null
}

export interface RateSweep {
  readonly startTps: number
  readonly stopTps: number
  readonly stepTps: number
}

/** A rate sweep has at most this many steps. */
export const MAX_RATE_STEPS = 100

export interface SweepAxis {
  readonly key: 'validators' | 'block-txs' | 'rate' | 'outstanding' | 'clients'
  readonly values: readonly string[]
}
const SWEEP_KEYS: readonly SweepAxis['key'][] = ['validators', 'block-txs', 'rate', 'outstanding', 'clients']

export const DEFAULT_MIX: Mix = { pay: 50, award: 30, transfer: 10, traffic: 10 }

export const USAGE = `usage: npm run bench -- [options]
  --validators N         validator processes (default 4)
  --duration SECONDS     load duration (default 20)
  --rate max|TPS         target rate; a number implies --mode fixed-rate (default max)
  --mode M               fixed-rate | fixed-load | ramp | max
  --rate-start TPS       ramp start rate (default 0; the ramp ends at --rate)
  --outstanding N        fixed-load: txs in flight (default 1000; max mode: 2 × block-txs)
  --txs N                stop after N txs instead of the duration
  --mix K=W,...          pay=50,award=30,transfer=10,traffic=10
  --clients N            load worker threads (default 2)
  --block-txs N          genesis maxBlockTxs (default 2000)
  --block-bytes N        genesis maxBlockBytes (default 4194304)
  --empty-block-ms MS    genesis emptyBlockIntervalMs (default 200)
  --base-port P          first port; node i uses P+2i (p2p) and P+2i+1 (RPC) (default 27600)
  --out DIR              report folder (default bench-results/<timestamp>)
  --customers N --merchants N --terminals N   accounts to fund (default 200, 4, 2 per merchant)
  --traffic-events N     events per traffic.record (default 10)
  --batch N              most txs per RPC request (default 250)
  --drain SECONDS        wait for commits after the load (default 15)
  --presign-tps N        txs pre-signed per second for max/fixed-load runs (default 6000)
  --sweep K=V1,V2 ...    run every combination (keys: ${SWEEP_KEYS.join(', ')}); repeatable
  --sweep-rate A:B:S     fixed-rate rounds at A, A+S, … up to B tx/s, each on a fresh network for
                         --duration; stops after two saturated steps in a row and names the highest
                         rate with committed/offered ≥ 0.95 and p99 ≤ 500 ms (comparison.*, sweep.json)
  --remote URL,...       drive a network already running elsewhere through these RPC URLs (nothing is
                         spawned or stopped; each run creates its own point); per-node CPU and stage
                         times from each node's /metrics. Needs --manager-key. Genesis and process
                         flags (--validators, --block-*, --empty-block-ms, --base-port, --cpu-prof,
                         --keep-data, --log-level) do not apply. Off loopback the nodes' RPC rate limit
                         sees one client address.
  --manager-key FILE     key file of a funded admin + issuer account (a devnet's keys/manager.json)
  --in-process           consensus engine alone on the simulated network (N = 4, 16, 64)
  --cpu-prof             profile the node processes (OUT/profiles/*.cpuprofile)
  --keep-data            keep the nodes' data folder
  --log-level L          the nodes' log level: trace|debug|info|warn|error (default warn)
  --quiet                no progress line
`

function int(
  values: Record<string, unknown>,
  flag: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = values[flag]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw badFlag(flag, `must be an integer from ${min} to ${max}`)
  return n
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const

function logLevelOf(raw: unknown): string {
  if (raw === undefined) return 'warn'
  if (!(LOG_LEVELS as readonly unknown[]).includes(raw))
    throw badFlag('log-level', `one of ${LOG_LEVELS.join(', ')}`)
  return raw as string
}

export function parseMix(text: string): Mix {
  const mix: Record<MixKind, number> = { pay: 0, award: 0, transfer: 0, traffic: 0 }
  for (const part of text.split(',')) {
    const [k, v] = part.split('=')
    if (!(MIX_KINDS as readonly string[]).includes(k ?? '')) {
      throw badFlag('mix', `unknown kind ${JSON.stringify(k)}; one of ${MIX_KINDS.join(', ')}`)
    }
    const w = Number(v)
    if (!Number.isFinite(w) || w < 0) throw badFlag('mix', `weight of ${k} must be a number ≥ 0`)
    mix[k as MixKind] = w
  }
  if (MIX_KINDS.every((k) => mix[k] === 0)) throw badFlag('mix', 'at least one weight must be positive')
  return mix
}

/** `START:STOP:STEP` in tx/s, e.g. `500:4000:500`: positive numbers, START ≤ STOP. */
export function parseRateSweep(text: string): RateSweep {
  const parts = text.split(':').map(Number)
  const [startTps = 0, stopTps = 0, stepTps = 0] = parts
  if (parts.length !== 3 || !parts.every((n) => Number.isFinite(n) && n > 0))
    throw badFlag('sweep-rate', 'must be START:STOP:STEP in tx/s, each a positive number')
  if (startTps > stopTps) throw badFlag('sweep-rate', 'START must not exceed STOP')
  if (Math.floor((stopTps - startTps) / stepTps) + 1 > MAX_RATE_STEPS)
    throw badFlag('sweep-rate', `at most ${MAX_RATE_STEPS} steps`)
  return { startTps, stopTps, stepTps }
}

/** The offered rates of a rate sweep, START first, never past STOP. */
export function sweepRates(sweep: RateSweep): number[] {
  const steps = Math.floor((sweep.stopTps - sweep.startTps) / sweep.stepTps + 1e-9) + 1
  return Array.from({ length: steps }, (_, i) => sweep.startTps + i * sweep.stepTps)
}

/** `--remote`: comma-separated http(s) base URLs, trailing slashes dropped, at least one. */
export function parseRemote(text: string): string[] {
  const urls = text
    .split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter((u) => u !== '')
  if (urls.length === 0) throw badFlag('remote', 'needs at least one RPC URL')
  for (const u of urls) {
    let url: URL
    try {
      url = new URL(u)
    } catch {
      throw badFlag('remote', `${JSON.stringify(u)} is not a URL`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw badFlag('remote', `${u}: only http and https URLs`)
    if (url.pathname !== '/' || url.search !== '') throw badFlag('remote', `${u}: a base URL, without a path`)
  }
  return urls
}

/** Flags that shape the network the bench starts itself, meaningless for a remote one. */
const LOCAL_NETWORK_FLAGS = [
  'validators',
  'block-txs',
  'block-bytes',
  'empty-block-ms',
  'base-port',
  'cpu-prof',
  'keep-data',
  'log-level',
  'in-process',
] as const

function parseSweep(items: readonly string[]): SweepAxis[] {
  return items.map((item) => {
    const at = item.indexOf('=')
    const key = item.slice(0, at) as SweepAxis['key']
    if (at < 1 || !SWEEP_KEYS.includes(key))
      throw badFlag('sweep', `must be KEY=V1,V2 with KEY one of ${SWEEP_KEYS.join(', ')}`)
    const values = item
      .slice(at + 1)
      .split(',')
      .filter((v) => v !== '')
    if (values.length === 0) throw badFlag('sweep', `${key} needs at least one value`)
    return { key, values }
  })
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      validators: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      mode: { type: 'string' },
      'rate-start': { type: 'string' },
      outstanding: { type: 'string' },
      txs: { type: 'string' },
      mix: { type: 'string' },
      clients: { type: 'string' },
      'block-txs': { type: 'string' },
      'block-bytes': { type: 'string' },
      'empty-block-ms': { type: 'string' },
      'base-port': { type: 'string' },
      out: { type: 'string' },
      customers: { type: 'string' },
      merchants: { type: 'string' },
      terminals: { type: 'string' },
      'traffic-events': { type: 'string' },
      batch: { type: 'string' },
      drain: { type: 'string' },
      'presign-tps': { type: 'string' },
      sweep: { type: 'string', multiple: true },
      'sweep-rate': { type: 'string' },
      'in-process': { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      'keep-data': { type: 'boolean' },
      'log-level': { type: 'string' },
      quiet: { type: 'boolean' },
      remote: { type: 'string' },
      'manager-key': { type: 'string' },
    },
  })
  const remote = values.remote === undefined ? null : parseRemote(values.remote)
  if (remote === null && values['manager-key'] !== undefined)
    throw badFlag('manager-key', 'only with --remote (a local network has its own manager)')
  if (remote !== null) {
    if (values['manager-key'] === undefined) throw badFlag('remote', 'needs --manager-key FILE')
    const local = LOCAL_NETWORK_FLAGS.find((f) => values[f] !== undefined)
    if (local !== undefined) throw badFlag(local, 'does not apply to a --remote network')
    const axis = (values.sweep ?? []).find((a) => a.startsWith('validators=') || a.startsWith('block-txs='))
    if (axis !== undefined) throw badFlag('sweep', `${axis.split('=')[0]} is fixed by a --remote network`)
  }
  const rateText = values.rate ?? 'max'
  let rateTps: number | null = null
  if (rateText !== 'max') {
    rateTps = Number(rateText)
    if (!Number.isFinite(rateTps) || rateTps <= 0) throw badFlag('rate', 'must be max or a positive number')
  }
  let mode: LoadMode
  if (values.mode !== undefined) {
    if (!(LOAD_MODES as readonly string[]).includes(values.mode))
      throw badFlag('mode', `one of ${LOAD_MODES.join(', ')}`)
    mode = values.mode as LoadMode
  } else {
    mode = rateTps === null ? 'max' : 'fixed-rate'
  }
  const sweepRate = values['sweep-rate'] === undefined ? null : parseRateSweep(values['sweep-rate'])
  if (sweepRate !== null) {
    if (values.sweep !== undefined) throw badFlag('sweep-rate', 'cannot be combined with --sweep')
    if (values['in-process']) throw badFlag('sweep-rate', 'cannot be combined with --in-process')
    if ((values.mode !== undefined && values.mode !== 'fixed-rate') || values.rate !== undefined)
      throw badFlag('sweep-rate', 'sets the rate itself (fixed-rate): drop --mode and --rate')
    if (values.txs !== undefined) throw badFlag('sweep-rate', 'runs for --duration: drop --txs')
    mode = 'fixed-rate'
    rateTps = sweepRate.startTps
  }
  if ((mode === 'fixed-rate' || mode === 'ramp') && rateTps === null)
    throw badFlag('rate', `${mode} needs a rate in tx/s`)
  const blockTxs = int(values, 'block-txs', 1, 100_000, 2000)
  return {
    validators: int(values, 'validators', 1, 100, 4),
    durationSec: int(values, 'duration', 1, 3600, 20),
    rateTps: mode === 'max' || mode === 'fixed-load' ? null : rateTps,
    rampStartTps: int(values, 'rate-start', 0, 1_000_000, 0),
    mode,
    outstanding: int(values, 'outstanding', 1, 1_000_000, mode === 'max' ? 2 * blockTxs : 1000),
    txs: values.txs === undefined ? null : int(values, 'txs', 1, 10_000_000, 1),
    mix: values.mix === undefined ? DEFAULT_MIX : parseMix(values.mix),
    clients: int(values, 'clients', 1, 64, 2),
    blockTxs,
    blockBytes: int(values, 'block-bytes', 1024, 64 * 1024 * 1024, 4 * 1024 * 1024),
    emptyBlockMs: int(values, 'empty-block-ms', 1, 60_000, 200),
    basePort: int(values, 'base-port', 1024, 60_000, 27_600),
    outDir: values.out ?? null,
    customers: int(values, 'customers', 2, 1_000_000, 200),
    merchants: int(values, 'merchants', 1, 10_000, 4),
    terminalsPerMerchant: int(values, 'terminals', 1, 64, 2),
    trafficEvents: int(values, 'traffic-events', 1, 500, 10),
    batch: int(values, 'batch', 1, 500, 250),
    drainSec: int(values, 'drain', 0, 600, 15),
    presignTps: int(values, 'presign-tps', 1, 1_000_000, 6000),
    cpuProf: values['cpu-prof'] ?? false,
    keepData: values['keep-data'] ?? false,
    logLevel: logLevelOf(values['log-level']),
    sweep: parseSweep(values.sweep ?? []),
    sweepRate,
    inProcess: values['in-process'] ?? false,
    quiet: values.quiet ?? false,
    remote,
    managerKeyFile: values['manager-key'] ?? null,
  }
}

/** One option set per combination of the sweep's values (the cartesian product, first axis slowest). */
export function expandSweep(base: BenchOptions): { label: string; options: BenchOptions }[] {
  let runs: { label: string[]; options: BenchOptions }[] = [{ label: [], options: { ...base, sweep: [] } }]
  for (const axis of base.sweep) {
    runs = runs.flatMap((run) =>
      axis.values.map((v) => ({
        label: [...run.label, `${axis.key}=${v}`],
        options: applyAxis(run.options, axis.key, v),
      })),
    )
  }
  return runs.map((r) => ({ label: r.label.join(' ') || 'default', options: r.options }))
}

function applyAxis(o: BenchOptions, key: SweepAxis['key'], v: string): BenchOptions {
  const n = Number(v)
  const need = (min: number) => {
    if (!Number.isSafeInteger(n) || n < min) throw badFlag('sweep', `${key}=${v} must be an integer ≥ ${min}`)
    return n
  }
  switch (key) {
    case 'validators':
      return { ...o, validators: need(1) }
    case 'block-txs':
      return { ...o, blockTxs: need(1), outstanding: o.mode === 'max' ? 2 * n : o.outstanding }
    case 'outstanding':
      return { ...o, outstanding: need(1) }
    case 'clients':
      return { ...o, clients: need(1) }
    case 'rate':
      if (v === 'max') return { ...o, rateTps: null, mode: 'max', outstanding: 2 * o.blockTxs }
      if (!Number.isFinite(n) || n <= 0) throw badFlag('sweep', `rate=${v} must be max or a positive number`)
      return { ...o, rateTps: n, mode: o.mode === 'ramp' ? 'ramp' : 'fixed-rate' }
  }
}
