/**
 * A local Arcade network of real node processes for end-to-end tests and the devnet benchmark:
 * `genesis init` writes the keys, genesis and configs into a fresh temp dir, the genesis params and
 * the configs are then tuned (short timeouts, small empty-block interval), and each node runs as its
 * own `node/cli.ts start` process on 127.0.0.1. Every helper polls the RPC; `close()` kills every
 * child it started, whatever state the test left them in.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readKeyFile } from '../../node/keys.ts'
import { encode } from '../../protocol/codec.ts'
import { getJson, type NodeProcess, runCli, startNode, stopNode, waitFor } from './processes.ts'

type Json = Record<string, unknown>

export interface TestNetworkOptions {
  readonly validators: number
  readonly observers?: number
  /** Node i (validators first) gets p2p port basePort + 2i and RPC port basePort + 2i + 1. */
  readonly basePort: number
  /** Merged into genesis `params.consensus` before the first start. */
  readonly consensus?: Record<string, number>
  /** Written into every node config (null keeps the genesis value). */
  readonly emptyBlockIntervalMs?: number | null
  /** Last say on each node config (JSON as written by `genesis init`). */
  readonly editConfig?: (name: string, config: Json) => void
  readonly logLevel?: string
}

/** Fast defaults for a loopback network on a small machine. */
export const FAST_CONSENSUS = {
  viewTimeoutBaseMs: 600,
  viewTimeoutIncrementMs: 300,
  viewTimeoutCapMs: 2_000,
  emptyBlockIntervalMs: 250,
}

export interface BlockJson {
  hash: string
  header: { height: number; view: number; stateRoot: string; proposer: string; timeMs: number }
  txs: string[]
  certificate: { view: number; signers: { validator: string }[] } | null
  lastCommit: { signers: { validator: string }[] } | null
  evidence: unknown[]
}

export interface StatusJson {
  chainId: string
  height: number
  role: string
  peers: number
  syncing: boolean
  mempoolSize: number
}

export class TestNetwork {
  readonly dir: string
  readonly validatorNames: readonly string[]
  readonly observerNames: readonly string[]
  readonly #basePort: number
  readonly #procs = new Map<string, NodeProcess>()
  readonly #extra = new Map<string, { configPath: string; rpcUrl: string }>()

  private constructor(dir: string, validators: number, observers: number, basePort: number) {
    this.dir = dir
    this.validatorNames = Array.from({ length: validators }, (_, i) => `validator-${i + 1}`)
    this.observerNames = Array.from({ length: observers }, (_, i) => `observer-${i + 1}`)
    this.#basePort = basePort
  }

  static async create(options: TestNetworkOptions): Promise<TestNetwork> {
    const dir = await mkdtemp(join(tmpdir(), 'arcade-e2e-'))
    const observers = options.observers ?? 0
    const init = await runCli([
      'genesis',
      'init',
      '--validators',
      String(options.validators),
      '--observers',
      String(observers),
      '--dir',
      dir,
      '--base-port',
      String(options.basePort),
    ])
    if (init.code !== 0) throw new Error(`genesis init failed: ${init.stderr}`)
    const net = new TestNetwork(dir, options.validators, observers, options.basePort)
    const genesisPath = join(dir, 'genesis.json')
    const genesis = JSON.parse(await readFile(genesisPath, 'utf8')) as { params: { consensus: Json } }
    Object.assign(genesis.params.consensus, FAST_CONSENSUS, options.consensus ?? {})
    await writeFile(genesisPath, JSON.stringify(genesis, null, 2))
    for (const name of net.names) {
      const path = join(dir, `${name}.json`)
      const config = JSON.parse(await readFile(path, 'utf8')) as Json
      config.logLevel = options.logLevel ?? 'info'
      if (options.emptyBlockIntervalMs !== undefined)
        config.emptyBlockIntervalMs = options.emptyBlockIntervalMs
      options.editConfig?.(name, config)
      await writeFile(path, JSON.stringify(config, null, 2))
    }
    return net
  }

  get names(): string[] {
    return [...this.validatorNames, ...this.observerNames, ...this.#extra.keys()]
  }

  get logDir(): string {
    return join(this.dir, 'logs')
  }

  url(name: string): string {
    const extra = this.#extra.get(name)
    if (extra !== undefined) return extra.rpcUrl
    const i = [...this.validatorNames, ...this.observerNames].indexOf(name)
    if (i < 0) throw new Error(`unknown node ${name}`)
    return `http://127.0.0.1:${this.#basePort + 2 * i + 1}`
  }

  /** Registers a node config written outside `genesis init` (e.g. a stranger's). */
  addNode(name: string, configPath: string, rpcPort: number): void {
    this.#extra.set(name, { configPath, rpcUrl: `http://127.0.0.1:${rpcPort}` })
  }

  async readJson(file: string): Promise<Json> {
    return JSON.parse(await readFile(join(this.dir, file), 'utf8')) as Json
  }

  /** `arcnode1…` address of a genesis node's key. */
  async nodeAddress(name: string): Promise<string> {
    return (await readKeyFile(join(this.dir, 'keys', `${name}.json`))).address
  }

  isRunning(name: string): boolean {
    const p = this.#procs.get(name)
    return p !== undefined && p.child.exitCode === null && p.child.signalCode === null
  }

  /** Starts (or restarts) a node's process and waits until its RPC answers. */
  async start(name: string): Promise<NodeProcess> {
    if (this.isRunning(name)) throw new Error(`${name} is running already`)
    const configPath = this.#extra.get(name)?.configPath ?? join(this.dir, `${name}.json`)
    const proc = startNode(name, configPath, this.logDir)
    this.#procs.set(name, proc)
    await waitFor(
      `${name} RPC`,
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`${name} exited with ${proc.child.exitCode}`)
        return (await this.status(name)).chainId
      },
      60_000,
      200,
    )
    return proc
  }

  async startAll(names: readonly string[] = this.names): Promise<void> {
    await Promise.all(names.map((n) => this.start(n)))
  }

  /** SIGKILL for a crash, SIGTERM for an orderly stop; resolves once the process is gone. */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.#procs.get(name)
    if (proc !== undefined) await stopNode(proc, signal)
  }

  /** A running node's resident memory in MiB (VmRSS from /proc), or null when it is not running. */
  async rssMiB(name: string): Promise<number | null> {
    const pid = this.isRunning(name) ? this.#procs.get(name)?.child.pid : undefined
    if (pid === undefined) return null
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
    return kib === undefined ? null : Number(kib) / 1024
  }

  /** SIGKILLs a running node at once, without waiting (for a kill timed to a message). */
  killNow(name: string): void {
    const proc = this.#procs.get(name)
    if (proc !== undefined && this.isRunning(name)) proc.child.kill('SIGKILL')
  }

  status(name: string): Promise<StatusJson> {
    return getJson<StatusJson>(`${this.url(name)}/v1/status`)
  }

  async height(name: string): Promise<number> {
    return (await this.status(name)).height
  }

  block(name: string, height: number): Promise<BlockJson> {
    return getJson<BlockJson>(`${this.url(name)}/v1/blocks/${height}`)
  }

  /** Resolves once `name` has committed `height` (fails after `timeoutMs`). */
  waitForHeight(name: string, height: number, timeoutMs = 20_000): Promise<number> {
    return waitFor(
      `${name} to reach height ${height}`,
      async () => {
        const h = await this.height(name)
        return h >= height ? h : undefined
      },
      timeoutMs,
    )
  }

  /** A counter or gauge from `/v1/metrics` (0 when absent). */
  async metric(name: string, metric: string): Promise<number> {
    const res = await fetch(`${this.url(name)}/v1/metrics`, { signal: AbortSignal.timeout(5_000) })
    const text = await res.text()
    const line = text.split('\n').find((l) => l.startsWith(`${metric} `) || l.startsWith(`${metric}{`))
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
  }

  /** POSTs msgpack-encoded txs to `/v1/txs/batch`. */
  async submitBatch(name: string, txs: readonly Uint8Array[], query = ''): Promise<BatchResult[]> {
    const res = await fetch(`${this.url(name)}/v1/txs/batch${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack' },
      body: encode([...txs]),
      signal: AbortSignal.timeout(30_000),
    })
    if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`)
    return ((await res.json()) as { results: BatchResult[] }).results
  }

  /** POSTs one msgpack-encoded tx to `/v1/txs`; returns the HTTP status and JSON body. */
  async submitOne(name: string, tx: Uint8Array, query = ''): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.url(name)}/v1/txs${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack' },
      body: tx,
      signal: AbortSignal.timeout(30_000),
    })
    return { status: res.status, body: (await res.json()) as Json }
  }

  /** The log lines a node wrote (all its runs). */
  async log(name: string): Promise<string> {
    return readFile(join(this.logDir, `${name}.log`), 'utf8').catch(() => '')
  }

  /** The height of the last `chain opened` line in a node's log (its latest start). */
  async openedAt(name: string): Promise<number | undefined> {
    const lines = (await this.log(name)).split('\n').filter((l) => l.includes('"chain opened"'))
    const last = lines.at(-1)
    return last === undefined ? undefined : (JSON.parse(last) as { height: number }).height
  }

  /** Kills every process still running, then deletes the directory (kept with ARCADE_E2E_KEEP=1). */
  async close(): Promise<void> {
    await Promise.all([...this.#procs.values()].map((p) => stopNode(p, 'SIGKILL')))
    if (process.env.ARCADE_E2E_KEEP === '1') return
    await rm(this.dir, { recursive: true, force: true })
  }
}

export interface BatchResult {
  hash: string | null
  accepted: boolean
  code?: string
  status?: string
}

/** Heights fetched at once by `expectSameChain` (one request per node and height). */
const SAME_CHAIN_BATCH = 16

/**
 * Compares blocks 1..height across nodes: the same hash and state root everywhere. Returns the
 * blocks of the first node, so callers can look at views and proposers. Heights are fetched in
 * batches; a fork is reported at the lowest height that differs.
 */
export async function expectSameChain(
  net: TestNetwork,
  names: readonly string[],
  height: number,
): Promise<BlockJson[]> {
  const blocks: BlockJson[] = []
  for (let from = 1; from <= height; from += SAME_CHAIN_BATCH) {
    const heights = Array.from({ length: Math.min(SAME_CHAIN_BATCH, height - from + 1) }, (_, i) => from + i)
    const batch = await Promise.all(heights.map((h) => Promise.all(names.map((n) => net.block(n, h)))))
    for (const [k, all] of batch.entries()) {
      const first = all[0] as BlockJson
      for (const [i, b] of all.entries()) {
        if (b.hash !== first.hash || b.header.stateRoot !== first.header.stateRoot) {
          throw new Error(
            `fork at height ${heights[k]}: ${names[0]} has ${first.hash}/${first.header.stateRoot}, ` +
              `${names[i]} has ${b.hash}/${b.header.stateRoot}`,
          )
        }
      }
      blocks.push(first)
    }
  }
  return blocks
}
