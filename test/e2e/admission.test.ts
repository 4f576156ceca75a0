/**
 * Who and what a network lets in, with real processes: a full mempool refuses with MEMPOOL_FULL (503)
 * and the node stays healthy; a node whose key is not in the network cannot connect, so it never
 * receives a block. Two validators of equal stake: validator-1 alone holds half the power, so until
 * validator-2 starts nothing commits and the mempool cannot drain: the test fills it deterministically.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readKeyFile } from '../../node/keys.ts'
import { toHex } from '../../protocol/bytes.ts'
import { TestNetwork } from '../helpers/network.ts'
import { runCli, waitFor } from '../helpers/processes.ts'
import { ManagerTxs } from '../helpers/txs.ts'

const BASE_PORT = 27100
const STRANGER_P2P = BASE_PORT + 20
const MAX_TXS = 8
const POINT = 'GATE'

let net: TestNetwork
let txs: ManagerTxs

beforeAll(async () => {
  net = await TestNetwork.create({
    validators: 2,
    basePort: BASE_PORT,
    emptyBlockIntervalMs: 250,
    logLevel: process.env.ARCADE_E2E_LOG ?? 'info',
    editConfig: (name, config) => {
      if (name === 'validator-1') config.mempool = { maxTxs: MAX_TXS }
    },
  })
  txs = await ManagerTxs.load(net.dir)
  // A stranger: a fresh node key nobody put in genesis, configured to dial both validators.
  const keyFile = join(net.dir, 'keys', 'stranger.json')
  const made = await runCli(['keys', 'new', '--node', '--out', keyFile])
  expect(made.code).toBe(0)
  const peers = []
  for (const [i, v] of net.validatorNames.entries()) {
    peers.push({ address: `127.0.0.1:${BASE_PORT + 2 * i}`, nodeKey: await net.nodeAddress(v) })
  }
  const configPath = join(net.dir, 'stranger.json')
  const stranger = {
    role: 'observer',
    name: 'stranger',
    genesis: 'genesis.json',
    nodeKey: 'keys/stranger.json',
    dataDir: 'data/stranger',
    p2p: { host: '127.0.0.1', port: STRANGER_P2P },
    rpc: { host: '127.0.0.1', port: STRANGER_P2P + 1 },
    peers,
    logLevel: 'info',
  }
  await writeFile(configPath, JSON.stringify(stranger, null, 2))
  net.addNode('stranger', configPath, STRANGER_P2P + 1)
  await net.start('validator-1')
}, 90_000)

afterAll(async () => {
  await net?.close()
})

describe('admission', () => {
  it('refuses with MEMPOOL_FULL when the mempool is full, and the node stays healthy', async () => {
    expect(await net.height('validator-1')).toBe(0)
    const validUntil = 500
    // Independent txs (the mempool checks each against the committed state, so none may depend on
    // another still pending): the manager creates distinct points.
    const batch = Array.from({ length: MAX_TXS + 4 }, (_, i) => txs.createPoint(`${POINT}${i}`, validUntil))
    const results = await net.submitBatch(
      'validator-1',
      batch.map((t) => t.bytes),
    )
    expect(results.filter((r) => r.accepted)).toHaveLength(MAX_TXS)
    expect(results.slice(0, MAX_TXS).every((r) => r.accepted)).toBe(true)
    expect(results.slice(MAX_TXS).map((r) => r.code)).toEqual(batch.slice(MAX_TXS).map(() => 'MEMPOOL_FULL'))

    const one = await net.submitOne('validator-1', txs.createPoint(`${POINT}X`, validUntil).bytes)
    expect(one.status).toBe(503)
    expect(one.body.code).toBe('MEMPOOL_FULL')

    const health = await fetch(`${net.url('validator-1')}/v1/health`)
    expect(health.status).toBe(200)
    expect(await net.status('validator-1')).toMatchObject({ mempoolSize: MAX_TXS, height: 0 })

    // The network forms: the admitted txs commit, the mempool drains and takes txs again.
    await net.startAll(['validator-2', 'stranger'])
    const admitted = batch.slice(0, MAX_TXS).map((t) => t.hash)
    await waitFor(
      'the admitted txs committed',
      async () => {
        for (const hash of admitted) {
          const res = await fetch(`${net.url('validator-2')}/v1/txs/${hash}`)
          if (res.status !== 200 || ((await res.json()) as { status: string }).status !== 'committed') {
            return undefined
          }
        }
        return true
      },
      30_000,
      200,
    )
    const again = await net.submitOne('validator-1', txs.createPoint(`${POINT}Y`, validUntil).bytes)
    expect(again.status).toBe(202)
  }, 60_000)

  it('does not let a node whose key is not in the network connect or receive anything', async () => {
    const networkHeight = (await net.height('validator-1')) + 5
    await net.waitForHeight('validator-1', networkHeight)
    await net.waitForHeight('validator-2', networkHeight)
    expect(await net.height('stranger')).toBe(0)
    // The stranger's dialer may hold a connection for a few ms before the validator's gater closes
    // it after the Noise handshake, so its own count is polled; the validators never admit it.
    await waitFor('the stranger to show 0 peers', async () =>
      (await net.status('stranger')).peers === 0 ? true : undefined,
    )
    expect((await net.status('validator-1')).peers).toBe(1)
    expect((await net.status('validator-2')).peers).toBe(1)
    const strangerKey = toHex((await readKeyFile(join(net.dir, 'keys', 'stranger.json'))).publicKey)
    for (const v of net.validatorNames) expect(await net.log(v)).not.toContain(strangerKey)
    expect(await net.metric('stranger', 'arcade_sync_blocks_applied_total')).toBe(0)
    expect(net.isRunning('stranger')).toBe(true)
  }, 30_000)
})
