/**
 * The network under test: a generated devnet (genesis with the run's block limits, one config per
 * validator) and one real node process per validator on 127.0.0.1, each with its own LevelDB folder
 * in a temporary directory. Ready means every RPC answers and the chain has committed a block.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Devnet, planDevnet } from '../../genesis/devnet.ts'
import { DEFAULT_GENESIS_PARAMS, type GenesisParams } from '../../genesis/document.ts'
import { initDevnet } from '../../node/cli/genesis.ts'
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts'
import { BenchError, BenchErrorCode } from './errors.ts'
import { getJson } from './http.ts'
import { BENCH_POINT } from './load.ts'
import type { BenchOptions } from './options.ts'

const cliPath = new URL('../../node/cli.ts', import.meta.url).pathname
export const BENCH_CHAIN_ID = 'arcade-bench-1'
/** Txs stay valid this many blocks after signing, so a pre-signed load never expires mid-run. */
export const BENCH_TX_VALIDITY_BLOCKS = 100_000

/** A node the bench drives: its RPC, and its process id when the bench started it here. */
export interface BenchNode {
  readonly name: string
  readonly role: 'validator' | 'observer'
  readonly rpcUrl: string
  /** Null for a node running elsewhere (--remote): its CPU then comes from its /metrics. */
  readonly pid: number | null
}

interface RunningNode extends BenchNode {
  readonly child: ChildProcess
  readonly exited: Promise<void>
}

/** The network under test, started here (startNetwork) or already running (remote.ts). */
export interface Network {
  readonly chainId: string
  /** The admin + issuer account that funds the actors. */
  readonly manager: KeyPair
  readonly nodes: readonly BenchNode[]
  /** Validators in the set (the nodes may be fewer, or include observers, on a remote network). */
  readonly validators: number
  /** Blocks a signed tx may stay valid: the pre-signed load expires after that many. */
  readonly txValidityBlocks: number
  /** The point the run creates and moves. */
  readonly point: string
  /** The RPC URLs are all on loopback: each load lane may send from its own 127.0.x.y address. */
  readonly loopback: boolean
  /** Stops what the bench started (nothing for a remote network); stopping twice is harmless. */
  stop(): Promise<void>
}

/** What the network start reads of the options (`npm run bench` passes its BenchOptions). */
export type NetworkOptions = Pick<
  BenchOptions,
  | 'validators'
  | 'basePort'
  | 'blockTxs'
  | 'blockBytes'
  | 'emptyBlockMs'
  | 'outstanding'
  | 'logLevel'
  | 'keepData'
> & {
  /** Observer nodes after the validators (they follow the chain and forward txs). Default 0. */
  readonly observers?: number
}

export function benchParams(o: NetworkOptions): GenesisParams {
  const d = DEFAULT_GENESIS_PARAMS
  return {
    consensus: {
      ...d.consensus,
      maxBlockTxs: o.blockTxs,
      maxBlockBytes: o.blockBytes,
      emptyBlockIntervalMs: o.emptyBlockMs,
    },
    ledger: { ...d.ledger, maxTxValidityBlocks: BENCH_TX_VALIDITY_BLOCKS },
  }
}

async function waitReady(node: RunningNode, minHeight: number, deadline: number): Promise<void> {
  let exited = false
  void node.exited.then(() => {
    exited = true
  })
  while (performance.now() < deadline && !exited) {
    try {
      const s = await getJson<{ height: number }>(`${node.rpcUrl}/v1/status`, 1000)
      if (s.height >= minHeight) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new BenchError(
    BenchErrorCode.nodeStartFailed,
    `${node.name} ${exited ? 'exited' : 'did not become ready'} (see its log)`,
    { node: node.name },
  )
}

/**
 * Generates the devnet, starts every validator and observer, and waits until the chain commits blocks.
 * `profileDir` passes --cpu-prof to the nodes (those of `profileRole` only, when given).
 */
export async function startNetwork(
  o: NetworkOptions,
  paths: { logDir: string; profileDir: string | null; profileRole?: BenchNode['role'] },
): Promise<Network> {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-bench-'))
  const devnet: Devnet = planDevnet(
    {
      validators: o.validators,
      observers: o.observers ?? 0,
      chainId: BENCH_CHAIN_ID,
      basePort: o.basePort,
      genesisTimeMs: Math.floor(Date.now() / 1000) * 1000,
      params: benchParams(o),
    },
    { generateKeyPair },
  )
  await initDevnet(dir, devnet, false)
  const mempoolTxs = Math.max(20_000, 4 * o.outstanding, 4 * o.blockTxs)
  for (const n of devnet.nodes) {
    const file = join(dir, `${n.name}.json`)
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    config.logLevel = o.logLevel
    config.mempool = { maxTxs: mempoolTxs, maxBytes: 256 * 1024 * 1024 }
    await writeFile(file, `${JSON.stringify(config, null, 2)}\n`)
  }
  mkdirSync(paths.logDir, { recursive: true })
  if (paths.profileDir !== null) mkdirSync(paths.profileDir, { recursive: true })
  const nodes: RunningNode[] = devnet.nodes.map((n) => {
    const log = createWriteStream(join(paths.logDir, `${n.name}.log`))
    const profiled = paths.profileDir !== null && (paths.profileRole ?? n.role) === n.role
    const prof = profiled ? ['--cpu-prof', `--cpu-prof-dir=${paths.profileDir}`] : []
    const child = spawn(
      process.execPath,
      [...prof, cliPath, 'start', '--config', join(dir, `${n.name}.json`)],
      {
        env: { ...process.env, ARCADE_LOG_PRETTY: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    child.stdout?.pipe(log)
    child.stderr?.pipe(log)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    return {
      name: n.name,
      role: n.role,
      rpcUrl: `http://${n.host}:${n.rpcPort}`,
      pid: child.pid ?? null,
      child,
      exited,
    }
  })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await Promise.all(
      nodes.map(async (n) => {
        if (n.child.exitCode !== null || n.child.signalCode !== null) return
        n.child.kill('SIGTERM')
        const timer = setTimeout(() => n.child.kill('SIGKILL'), 15_000)
        await n.exited
        clearTimeout(timer)
      }),
    )
    if (!o.keepData) await rm(dir, { recursive: true, force: true })
  }
  try {
    const deadline = performance.now() + 60_000
    await Promise.all(nodes.map((n) => waitReady(n, 0, deadline)))
    await waitReady(nodes[0] as RunningNode, 1, deadline)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    chainId: BENCH_CHAIN_ID,
    manager: devnet.manager,
    nodes,
    validators: o.validators,
    txValidityBlocks: BENCH_TX_VALIDITY_BLOCKS,
    point: BENCH_POINT,
    loopback: true,
    stop,
  }
}
