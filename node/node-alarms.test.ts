/**
 * Alarms on real nodes (ports 28200–28299): a devnet's nodes answer health 200 with the details and
 * export the gauges and the metrics that were never set before; once three of four validators stop,
 * the observer, still connected to the fourth, reports the stale head with 503 and `stale-head`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { planDevnet } from '../genesis/devnet.ts'
import { DEFAULT_GENESIS_PARAMS } from '../genesis/document.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { initDevnet } from './cli/genesis.ts'
import { loadNodeConfig } from './config.ts'
import { type ArcadeNode, startNode } from './node.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function sampleCount(node: ArcadeNode, name: string): Promise<number> {
  const metric = node.metrics.registry.getSingleMetric(name)
  const values = ((await metric?.get())?.values ?? []) as { value: number; metricName?: string }[]
  // A histogram's observations are its _count samples; a counter's are its values.
  const counted = values.some((v) => v.metricName !== undefined)
    ? values.filter((v) => v.metricName?.endsWith('_count'))
    : values
  return counted.reduce((n, v) => n + v.value, 0)
}

describe('alarms on a devnet', () => {
  it('healthy nodes answer 200 with the gauges set; a halted chain is stale-head (503) on the observer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcade-alarms-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const params = {
      ...DEFAULT_GENESIS_PARAMS,
      consensus: { ...DEFAULT_GENESIS_PARAMS.consensus, emptyBlockIntervalMs: 100 },
    }
    const plan = planDevnet(
      {
        validators: 4,
        observers: 1,
        chainId: 'arcade-alarms',
        genesisTimeMs: Date.now(),
        basePort: 28200,
        params,
      },
      { generateKeyPair },
    )
    await initDevnet(dir, plan, false)
    // The observer calls the head stale after 5 intervals (0.5 s) instead of 30.
    const observerPath = join(dir, 'observer-1.json')
    const observerConfig = JSON.parse(await readFile(observerPath, 'utf8'))
    await writeFile(observerPath, JSON.stringify({ ...observerConfig, health: { staleHeadMultiple: 5 } }))
    const names = ['validator-1', 'validator-2', 'validator-3', 'validator-4', 'observer-1']
    const nodes = await Promise.all(
      names.map(async (name) => {
        const node = await startNode(await loadNodeConfig(join(dir, `${name}.json`)), {
          logger: pino({ level: 'silent' }),
          verifyWorkers: 0,
          peerWaitMs: 500,
          catchUpDeadlineMs: 2_000,
        })
        cleanups.push(() => node.stop())
        return node
      }),
    )
    const observer = nodes[4] as ArcadeNode
    const validator = nodes[0] as ArcadeNode
    await until('height 3 everywhere', async () => nodes.every((n) => n.chain.height >= 3), 30_000)

    const health = await fetch(`${observer.rpcUrl}/v1/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ ok: true, reason: null, reasons: [], forks: 0 })
    const scraped = await (await fetch(`${observer.rpcUrl}/metrics`)).text()
    for (const name of [
      'arcade_chain_head_age_seconds',
      'arcade_sync_behind_blocks',
      'arcade_chain_fork_evidence',
    ]) {
      expect(scraped).toMatch(new RegExp(`^${name} \\d`, 'm'))
    }
    expect(await (await fetch(`${observer.rpcUrl}/v1/forks`)).json()).toEqual({ items: [] })
    // The three metrics that were registered and never set.
    expect(await sampleCount(validator, 'arcade_consensus_votes_sent_total')).toBeGreaterThan(0)
    expect(await sampleCount(validator, 'arcade_storage_commit_seconds')).toBeGreaterThan(0)
    expect(await sampleCount(observer, 'arcade_state_execute_seconds')).toBeGreaterThan(0)

    // Three of four stop: the last one cannot commit alone, and the observer stays connected to it.
    await Promise.all(nodes.slice(1, 4).map((n) => n.stop()))
    await until(
      'the observer to report a stale head',
      async () => (await fetch(`${observer.rpcUrl}/v1/health`)).status === 503,
      15_000,
    )
    const stale = (await (await fetch(`${observer.rpcUrl}/v1/health`)).json()) as { peers: number }
    expect(stale).toMatchObject({ ok: false, reason: 'stale-head', staleAfterSeconds: 0.5 })
    expect(stale.peers).toBeGreaterThan(0)
    expect(await (await fetch(`${observer.rpcUrl}/metrics`)).text()).toMatch(/^arcade_chain_healthy 0$/m)
  }, 90_000)
})
