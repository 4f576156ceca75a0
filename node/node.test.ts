/**
 * A real validator node in this process (LevelDB, libp2p, fastify) on a 4-validator + 1-observer devnet
 * plan, with the other nodes played by bare p2p clients holding their keys. Fixed ports 27700–27799,
 * and 28040–28049 for the validator outside the set.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { planDevnet } from '../genesis/devnet.ts'
import { DEFAULT_GENESIS_PARAMS } from '../genesis/document.ts'
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import type { Bytes } from '../protocol/bytes.ts'
import { encodeConsensusMessage } from '../protocol/consensus-message.ts'
import { generateKeyPair, type KeyPair } from '../protocol/crypto.ts'
import { signVote } from '../protocol/vote.ts'
import { initDevnet } from './cli/genesis.ts'
import { loadNodeConfig } from './config.ts'
import { writeKeyFile } from './keys.ts'
import type { NodeMetrics } from './metrics.ts'
import { type ArcadeNode, startNode } from './node.ts'
import { encodeVarint } from './p2p/frame.ts'
import { Protocols } from './p2p/limits.ts'
import { type RawPeer, type ReportingNode, startRawPeer, startReportingNode } from './p2p/testing.ts'

const CHAIN_ID = 'arcade-node-test'
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Devnet {
  readonly dir: string
  /** Validator i (0-based) listens on p2p basePort + 2i, RPC basePort + 2i + 1; the observer follows. */
  readonly basePort: number
  readonly validators: readonly KeyPair[]
  readonly observer: KeyPair
}

async function devnet(basePort: number): Promise<Devnet> {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-node-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const params = {
    ...DEFAULT_GENESIS_PARAMS,
    consensus: { ...DEFAULT_GENESIS_PARAMS.consensus, emptyBlockIntervalMs: 100, viewTimeoutBaseMs: 1_000 },
  }
  const plan = planDevnet(
    { validators: 4, observers: 1, chainId: CHAIN_ID, genesisTimeMs: Date.now() - 60_000, basePort, params },
    { generateKeyPair },
  )
  await initDevnet(dir, plan, false)
  const keys = plan.nodes.map((n) => n.nodeKey)
  return { dir, basePort, validators: keys.slice(0, 4), observer: keys[4] as KeyPair }
}

async function start(
  net: Pick<Devnet, 'dir'>,
  deps: { catchUpDeadlineMs?: number; name?: string } = {},
): Promise<ArcadeNode> {
  const config = await loadNodeConfig(join(net.dir, `${deps.name ?? 'validator-1'}.json`))
  const node = await startNode(config, {
    logger: pino({ level: 'silent' }),
    verifyWorkers: 0,
    peerWaitMs: 500,
    catchUpDeadlineMs: deps.catchUpDeadlineMs ?? 2_000,
  })
  cleanups.push(() => node.stop())
  return node
}

async function raw(key: KeyPair): Promise<RawPeer> {
  const peer = await startRawPeer(key)
  cleanups.push(() => peer.stop())
  return peer
}

async function counter(
  metric: { get(): Promise<{ values: { labels: object; value: number }[] }> },
  labels: object,
) {
  const found = (await metric.get()).values.find((v) =>
    Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
  )
  return found?.value ?? 0
}

/** Polls a condition on the node's own metrics until it holds (or fails after `timeoutMs`). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function frame(payload: Bytes): Bytes {
  const prefix = encodeVarint(payload.length)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix)
  out.set(payload, prefix.length)
  return out
}

function voteFrom(key: KeyPair): Bytes {
  const vote = signVote(CHAIN_ID, { kind: 'prepare', height: 1, view: 0, blockHash: new Uint8Array(32) }, key)
  return frame(encodeConsensusMessage({ type: 'vote', vote }))
}

const consensusIn = (m: NodeMetrics) => counter(m.p2p.messagesIn, { protocol: 'consensus' })
const refused = (m: NodeMetrics, reason: string) => counter(m.p2p.refused, { protocol: 'consensus', reason })

describe('validator node', () => {
  it("never lets an observer's or a stranger's consensus frames reach the driver", async () => {
    const net = await devnet(27700)
    const node = await start(net)
    const address = { nodeKey: net.validators[0]!.publicKey, host: '127.0.0.1', port: net.basePort }

    // The observer is allowed to connect, but its consensus stream is refused before any frame is read.
    const observer = await raw(net.observer)
    const stream = await observer.openStream(address, Protocols.consensus).catch(() => null)
    try {
      stream?.send(voteFrom(net.observer))
    } catch {
      // reset already
    }
    // Whichever comes first: the refusal, or (the defect) the frame reaching the driver.
    await until(
      'the refusal or the frame',
      async () => (await refused(node.metrics, 'not-a-validator')) + (await consensusIn(node.metrics)) >= 1,
    )
    expect(await consensusIn(node.metrics)).toBe(0)
    expect(await refused(node.metrics, 'not-a-validator')).toBeGreaterThanOrEqual(1)

    // A stranger cannot even connect.
    const stranger = await raw(generateKeyPair())
    await expect(stranger.openStream(address, Protocols.consensus)).rejects.toThrow()

    // The control: a validator's frame on its own connection does reach the driver.
    const validator = await raw(net.validators[1]!)
    const own = await validator.openStream(address, Protocols.consensus)
    own.send(voteFrom(net.validators[1]!))
    await until('the validator frame', async () => (await consensusIn(node.metrics)) >= 1)
    expect(await consensusIn(node.metrics)).toBe(1)
  })

  it('answers its API while a peer holds the catch-up (a lone claimed height is not credible); then starts consensus', async () => {
    const net = await devnet(27720)
    // Validator 2 claims a long chain and never serves a block.
    const dripping: ReportingNode = await startReportingNode({
      key: net.validators[1]!,
      allowed: [net.validators[0]!.publicKey],
      port: net.basePort + 2,
      sync: { serveStatus: () => ({ height: 1_000 }), serveBlocks: () => new Promise<Bytes[]>(() => {}) },
    })
    cleanups.push(() => dripping.host.stop())
    let started = false
    const starting = start(net, { catchUpDeadlineMs: 4_000 }).then((node) => {
      started = true
      return node
    })
    const statusUrl = `http://127.0.0.1:${net.basePort + 1}/v1/status`
    let status: { height: number; syncing: boolean } | null = null
    while (!started) {
      const res = await fetch(statusUrl).catch(() => null)
      if (res?.ok) {
        status = (await res.json()) as { height: number; syncing: boolean }
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(started).toBe(false)
    // One peer of four claiming a long chain is not credible (a third of the power must claim it), so
    // the node does not call itself syncing on its word; it still answers while the catch-up is held.
    expect(status).toMatchObject({ height: 0, syncing: false })
    // Past the deadline, start-up finishes anyway (consensus runs; it asks for sync by itself).
    const node = await starting
    expect(node.chain.height).toBe(0)
  }, 30_000)

  it('four validators commit with these gates in place, and an observer follows without speaking consensus', async () => {
    const net = await devnet(27740)
    const names = ['validator-1', 'validator-2', 'validator-3', 'validator-4', 'observer-1']
    const nodes = await Promise.all(names.map((name) => start(net, { name })))
    await until('height 3 everywhere', async () => nodes.every((n) => n.chain.height >= 3), 30_000)
    for (const node of nodes) {
      expect(await counter(node.metrics.p2p.refused, { reason: 'not-a-validator' })).toBe(0)
      expect(await counter(node.metrics.p2p.penalized, {})).toBe(0)
    }
    const observer = nodes[4] as ArcadeNode
    expect(await consensusIn(observer.metrics)).toBe(0)
  }, 60_000)

  it('a validator outside the set follows the chain by sync (a newcomer before its election, one that left)', async () => {
    // One genesis validator commits alone. Beside it, a validator node whose key no validator set
    // names: the two list each other as config peers, so they connect, but the genesis validator
    // speaks consensus only with the set, and the outsider hears no proposal or vote.
    const basePort = 28040
    const dir = await mkdtemp(join(tmpdir(), 'arcade-node-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const params = {
      ...DEFAULT_GENESIS_PARAMS,
      consensus: { ...DEFAULT_GENESIS_PARAMS.consensus, emptyBlockIntervalMs: 100 },
    }
    const plan = planDevnet(
      {
        validators: 1,
        observers: 0,
        chainId: CHAIN_ID,
        genesisTimeMs: Date.now() - 60_000,
        basePort,
        params,
      },
      { generateKeyPair },
    )
    await initDevnet(dir, plan, false)
    const outsider = generateKeyPair()
    const outsiderAddress = encodeAddress(outsider.publicKey, NODE_KEY_PREFIX)
    await writeKeyFile(join(dir, 'keys', 'outsider.json'), outsider, { kind: 'node' })
    const v1Path = join(dir, 'validator-1.json')
    const v1 = JSON.parse(await readFile(v1Path, 'utf8')) as Record<string, unknown>
    v1.peers = [{ address: `127.0.0.1:${basePort + 2}`, nodeKey: outsiderAddress }]
    await writeFile(v1Path, JSON.stringify(v1))
    const validatorKey = encodeAddress(plan.nodes[0]!.nodeKey.publicKey, NODE_KEY_PREFIX)
    const config = {
      role: 'validator',
      genesis: 'genesis.json',
      nodeKey: 'keys/outsider.json',
      dataDir: 'data/outsider',
      p2p: { host: '127.0.0.1', port: basePort + 2 },
      rpc: { host: '127.0.0.1', port: basePort + 3 },
      peers: [{ address: `127.0.0.1:${basePort}`, nodeKey: validatorKey }],
    }
    await writeFile(join(dir, 'outsider.json'), JSON.stringify(config))

    const validator = await start({ dir }, { name: 'validator-1' })
    await until('the validator commits', async () => validator.chain.height >= 2)
    const node = await start({ dir }, { name: 'outsider' })
    // Its start-up catch-up reaches the head of that moment; then it must keep following.
    const target = validator.chain.height + 10
    await until('the outsider follows past its start-up', async () => node.chain.height >= target, 20_000)
  }, 40_000)
})
