/**
 * The Byzantine end-to-end set-up: four genesis validators of equal stake, three of them honest node
 * processes and the fourth the in-process ByzantineValidator, plus one observer process. f = 1 of
 * 3f + 1 by stake, so the honest three hold a quorum (30,000 of 40,000 > 2/3) without the attacker.
 *
 * `expectLiveness` is every attack test's verdict: each honest node commits `blocks` more blocks
 * within `withinMs`, none has exited, each stays under `maxRssMiB`, and the honest nodes and the
 * observer hold the same chain.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { expectSameChain, TestNetwork } from '../helpers/network.ts'
import { waitFor } from '../helpers/processes.ts'
import { ManagerTxs } from '../helpers/txs.ts'
import { ByzantineValidator } from './validator.ts'

export const HONEST = ['validator-1', 'validator-2', 'validator-3'] as const
export const OBSERVER = 'observer-1'
export const ATTACKER = 'validator-4'
/** Each honest node keeps committing at least this many blocks within `LIVENESS_MS` of an attack. */
export const LIVENESS_BLOCKS = 5
export const LIVENESS_MS = 20_000
/**
 * Resident memory an attacked node stays under. An idle devnet node holds about 150–250 MiB (V8,
 * libp2p, the state); the bound leaves room for the per-peer buffers the p2p budgets allow, not for
 * anything an attacker makes grow without bound.
 */
export const MAX_RSS_MIB = 600

type GenesisJson = {
  params: { consensus: Record<string, number>; ledger: Record<string, number> }
}

export interface ByzantineNetwork {
  readonly net: TestNetwork
  readonly byz: ByzantineValidator
  readonly txs: ManagerTxs
  close(): Promise<void>
}

export async function startByzantineNetwork(options: {
  basePort: number
  editGenesis?: (genesis: GenesisJson) => void
  consensus?: Record<string, number>
}): Promise<ByzantineNetwork> {
  const net = await TestNetwork.create({
    validators: 4,
    observers: 1,
    basePort: options.basePort,
    ...(options.consensus === undefined ? {} : { consensus: options.consensus }),
  })
  if (options.editGenesis !== undefined) {
    const path = join(net.dir, 'genesis.json')
    const genesis = JSON.parse(await readFile(path, 'utf8')) as GenesisJson
    options.editGenesis(genesis)
    await writeFile(path, JSON.stringify(genesis, null, 2))
  }
  const txs = await ManagerTxs.load(net.dir)
  const byz = await ByzantineValidator.start(net.dir, ATTACKER)
  await net.startAll([...HONEST, OBSERVER])
  await Promise.all([...HONEST, OBSERVER].map((n) => net.waitForHeight(n, 2, 60_000)))
  await byz.waitForHeight(2)
  return {
    net,
    byz,
    txs,
    async close() {
      await byz.stop()
      await net.close()
    },
  }
}

/** The lowest head among the honest nodes. */
export async function honestHeight(net: TestNetwork): Promise<number> {
  return Math.min(...(await Promise.all(HONEST.map((n) => net.height(n)))))
}

/**
 * The verdict after (or during) an attack: every honest node commits `blocks` blocks past its height
 * at the call within `withinMs`, runs, and stays under `maxRssMiB`; the observer follows; all agree.
 * Returns the height every one of them has reached.
 */
export async function expectLiveness(
  net: TestNetwork,
  opts: { blocks?: number; withinMs?: number; maxRssMiB?: number } = {},
): Promise<number> {
  const blocks = opts.blocks ?? LIVENESS_BLOCKS
  const withinMs = opts.withinMs ?? LIVENESS_MS
  const start = await Promise.all(HONEST.map((n) => net.height(n)))
  await Promise.all(HONEST.map((n, i) => net.waitForHeight(n, (start[i] as number) + blocks, withinMs)))
  for (const name of [...HONEST, OBSERVER]) {
    expect(net.isRunning(name), `${name} is running`).toBe(true)
    const rss = await net.rssMiB(name)
    expect(rss, `${name} RSS (MiB)`).not.toBeNull()
    expect(rss as number, `${name} RSS (MiB)`).toBeLessThan(opts.maxRssMiB ?? MAX_RSS_MIB)
  }
  const height = Math.max(...start) + blocks
  await waitFor(
    `${OBSERVER} to follow to ${height}`,
    async () => ((await net.height(OBSERVER)) >= height ? true : undefined),
    withinMs,
  )
  await expectSameChain(net, [...HONEST, OBSERVER], height)
  return height
}
