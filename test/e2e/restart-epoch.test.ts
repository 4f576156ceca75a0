/**
 * A validator killed right after a block that changed the validator set, and restarted at once.
 *
 * Four validators, epochs of a few blocks, and a manager with free stake: its delegation raises one
 * association's power, so the election at the next epoch boundary H changes the set (block H's header
 * names a next set other than its own). A validator is killed with SIGKILL while its head is H and
 * started again straight away: it must reopen at H knowing both H's set (to check H's certificate in
 * block H + 1 and as consensus's `lastValidators`) and H + 1's, sync, and vote again: with another
 * validator stopped, no block can commit without its signature, and its signature is in the next
 * blocks' certificates. Every node ends with the same blocks.
 *
 * Then a light client: after one more change, the SDK verifies the manager's stake from the genesis
 * file alone, walking every set change, and so does the CLI, keeping what it verified in a cache
 * (live-membership.test.ts has a forged chain refused).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ArcadeClient, LightClient, proofRef } from '../../client/index.ts'
import { decodeAddress, encodeAddress } from '../../protocol/address.ts'
import { type BlockJson, expectSameChain, TestNetwork } from '../helpers/network.ts'
import { getJson, runCli, waitFor } from '../helpers/processes.ts'
import { ManagerTxs } from '../helpers/txs.ts'

const BASE_PORT = 27400
const EPOCH_LENGTH = 6
/**
 * Blocks come this far apart when idle: the window to kill the victim while its head is H, wide
 * against the 10 ms poll of its head (and a missed boundary is retried at the next one).
 */
const EMPTY_BLOCK_INTERVAL_MS = 750
const VICTIM = 'validator-3'
/** Stopped after the restart, so that no quorum exists without the victim. */
const SPARE = 'validator-4'

interface GenesisJson {
  params: { ledger: { epochLength: number } }
  validators: { account: string }[]
  accounts: { address: string; roles: string[]; stake: number }[]
}

interface FullBlockJson extends BlockJson {
  header: BlockJson['header'] & { validatorSetHash: string; nextValidatorSetHash: string }
}

let net: TestNetwork
let txs: ManagerTxs
let association: Uint8Array

beforeAll(async () => {
  net = await TestNetwork.create({
    validators: 4,
    basePort: BASE_PORT,
    emptyBlockIntervalMs: EMPTY_BLOCK_INTERVAL_MS,
  })
  txs = await ManagerTxs.load(net.dir)
  // Short epochs, and free stake for the manager to delegate.
  const path = join(net.dir, 'genesis.json')
  const genesis = JSON.parse(await readFile(path, 'utf8')) as GenesisJson
  genesis.params.ledger.epochLength = EPOCH_LENGTH
  const manager = encodeAddress(txs.key.publicKey)
  const account = genesis.accounts.find((a) => a.address === manager)
  if (account === undefined) throw new Error('the manager is not a genesis account')
  account.stake = 50_000
  await writeFile(path, JSON.stringify(genesis, null, 2))
  association = decodeAddress((genesis.validators[0] as { account: string }).account)
  await net.startAll()
  await Promise.all(net.names.map((n) => net.waitForHeight(n, 2, 60_000)))
}, 120_000)

afterAll(async () => {
  await net?.close()
})

/**
 * Delegates, works out the boundary H that will change the set, and SIGKILLs the victim while its
 * head is exactly H. Returns H, or null if the victim had already passed H (then the caller retries
 * at the next boundary).
 */
async function killAtBoundary(amount: number): Promise<number | null> {
  const validUntil = (await net.height('validator-1')) + 100
  const delegate = txs.sign({ kind: 'staking.delegate', association, amount }, validUntil)
  const done = await net.submitOne('validator-1', delegate.bytes, '?wait=true')
  expect(done.status).toBe(200)
  expect((done.body.receipt as { error: string | null }).error).toBeNull()
  const included = done.body.height as number
  const boundary = Math.ceil(included / EPOCH_LENGTH) * EPOCH_LENGTH
  const head = await waitFor(
    `${VICTIM} to reach the boundary ${boundary}`,
    async () => {
      const h = await net.height(VICTIM)
      return h >= boundary ? h : undefined
    },
    60_000,
    10,
  )
  if (head !== boundary) return null
  await net.stop(VICTIM, 'SIGKILL')
  return boundary
}

describe('restart right after a validator-set change', () => {
  it('the killed validator reopens at the boundary, syncs, votes again, and every node agrees', async () => {
    let boundary: number | null = null
    for (let attempt = 1; attempt <= 3 && boundary === null; attempt++) {
      boundary = await killAtBoundary(1_000 * attempt)
    }
    if (boundary === null) throw new Error(`${VICTIM} never stopped exactly at a boundary`)
    // Block H did change the set: the head's set is not the next height's.
    const atBoundary = (await net.block('validator-1', boundary)) as FullBlockJson
    expect(atBoundary.header.nextValidatorSetHash).not.toBe(atBoundary.header.validatorSetHash)

    // The history a light client walks names the new set from H + 1, with the hash block H commits to.
    type SetsJson = { items: { fromHeight: number; setHash: string }[] }
    const sets = await getJson<SetsJson>(`${net.url('validator-1')}/v1/validator-sets?fromHeight=1`)
    expect(sets.items[0]?.fromHeight).toBe(1)
    expect(sets.items.find((s) => s.fromHeight === boundary + 1)?.setHash).toBe(
      atBoundary.header.nextValidatorSetHash,
    )

    await net.start(VICTIM)
    expect(await net.openedAt(VICTIM)).toBe(boundary)
    // The restarted victim serves the same history, read back from its store.
    const victimSets = await getJson<SetsJson>(`${net.url(VICTIM)}/v1/validator-sets?fromHeight=1`)
    expect(victimSets.items.slice(0, sets.items.length)).toEqual(sets.items)
    const caughtUp = (await net.height('validator-1')) + 2
    await net.waitForHeight(VICTIM, caughtUp, 60_000)

    // Without the spare, the three others hold just over two thirds only with the victim's vote.
    await net.stop(SPARE, 'SIGTERM')
    const from = (await net.height('validator-1')) + 1
    await net.waitForHeight('validator-1', from + 3, 60_000)
    const victim = await net.nodeAddress(VICTIM)
    for (let h = from + 1; h <= from + 3; h++) {
      const block = await net.block('validator-1', h)
      expect(block.lastCommit?.signers.map((s) => s.validator)).toContain(victim)
    }

    await net.start(SPARE)
    const top = (await net.height('validator-1')) + 2
    await Promise.all(net.validatorNames.map((n) => net.waitForHeight(n, top, 60_000)))
    await expectSameChain(net, net.validatorNames, top)
    // The victim never logged a refused block while it caught up.
    expect(await net.log(VICTIM)).not.toContain('"rejected a block from a peer"')
  }, 300_000)
  it('the SDK and the CLI verify a record from genesis alone across the set changes', async () => {
    // One more change, so that the light client walks at least two.
    const validUntil = (await net.height('validator-1')) + 100
    const delegate = txs.sign({ kind: 'staking.delegate', association, amount: 500 }, validUntil)
    const done = await net.submitOne('validator-1', delegate.bytes, '?wait=true')
    expect((done.body.receipt as { error: string | null }).error).toBeNull()
    const boundary = Math.ceil((done.body.height as number) / EPOCH_LENGTH) * EPOCH_LENGTH
    await net.waitForHeight('validator-1', boundary + 2, 60_000)

    const genesis = JSON.parse(await readFile(join(net.dir, 'genesis.json'), 'utf8')) as unknown
    const light = LightClient.fromGenesis(genesis)
    const client = new ArcadeClient({ url: net.url(VICTIM) })
    const manager = encodeAddress(txs.key.publicKey)
    const record = await client.verifyRecord(proofRef.stake(manager), { trust: light })
    expect(record.height).toBeGreaterThan(boundary)
    expect(record.decoded).not.toBeNull()
    // It walked from height 1 through every change the chain made, each certified by the set before.
    expect(light.sets.length).toBeGreaterThanOrEqual(3)
    expect(light.sets.at(-1)?.fromHeight).toBe(boundary + 1)

    // The CLI does the same from the genesis file, and keeps what it verified for the next run.
    const cache = join(net.dir, 'trust-cache.json')
    const cli = (url: string) =>
      runCli([
        'query',
        'proof',
        `stake:${manager}`,
        '--verify',
        '--genesis',
        join(net.dir, 'genesis.json'),
        '--trust-cache',
        cache,
        '--rpc',
        url,
        '--json',
      ])
    const verified = await cli(net.url('validator-2'))
    expect(verified.stderr).toBe('')
    expect(JSON.parse(verified.stdout)).toMatchObject({ verified: true, trustedFrom: 1 })
    const saved = JSON.parse(await readFile(cache, 'utf8')) as { sets: unknown[] }
    expect(saved.sets.length).toBe(light.sets.length)
  }, 180_000)
})
