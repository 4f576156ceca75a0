/**
 * The consortium changes while the chain runs (issue 12), with real node processes on 127.0.0.1.
 *
 * Four genesis validators and an observer start on a chain with short epochs. Then, in order:
 * 1. the network runs, and the manager runs a small point program (so blocks carry txs);
 * 2. a fifth association is registered by governance (a validator's association proposes it with
 *    the new node's key and p2p address, the others vote until more than 2/3 of the power said yes),
 *    members delegate to it, and the next epoch elects it: its node, created and started after
 *    launch with a key no genesis names, syncs, votes, and its signature appears in certificates;
 * 3. association 4 undelegates below the minimum stake and leaves the set at the next boundary: its
 *    signature stops appearing and the chain keeps committing;
 * 4. a validator is SIGKILLed on the very block that changes the set, restarts and votes again;
 * 5. a regulator's observer with a fresh key is admitted by governance, started from genesis with a
 *    single peer (the newcomer), catches up and answers reads as a validator does at that height.
 * 6. a light client that trusts only the genesis file verifies a balance on the regulator's observer,
 *    following every set change; 7. it refuses a node serving another chain under the same chain id.
 * Every node ends with the same chain. The two figures (proposal to first signature, catch-up rate)
 * are logged with the `[live-membership]` prefix and written to `live-membership.json` in the
 * network's directory (kept with ARCADE_E2E_KEEP=1).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ArcadeClient,
  ClientErrorCode,
  generateWallet,
  LightClient,
  proofRef,
  toHex,
  type Wallet,
  walletFromKeys,
} from '../../client/index.ts'
import { readKeyFile } from '../../node/keys.ts'
import { certificateSigners, firstSignedBy, validatorsOf } from '../helpers/certificates.ts'
import { expectSameChain, TestNetwork } from '../helpers/network.ts'
import { getJson, runCli, waitFor } from '../helpers/processes.ts'

const BASE_PORT = 28000
/** The fifth association's node: p2p and RPC ports. */
const NEWCOMER_P2P = BASE_PORT + 20
/** The regulator's observer: p2p and RPC ports. */
const REGULATOR_P2P = BASE_PORT + 30
const EPOCH_LENGTH = 8
/** Idle blocks come this far apart: the window to kill a validator while its head is a boundary. */
const EMPTY_BLOCK_INTERVAL_MS = 500
const MIN_VALIDATOR_STAKE = 1_000
const GENESIS_STAKE = 10_000
const POINT = 'LIVE'
const FIGURES_FILE = 'live-membership.json'
/** A one-validator chain under the same (default) chain id, with keys of its own. */
const FORGED_BASE_PORT = BASE_PORT + 40

interface GenesisJson {
  params: { ledger: { epochLength: number; minValidatorStake: number } }
  validators: { account: string; nodeKey: string; stake: number }[]
  accounts: { address: string; roles: string[]; stake: number }[]
}

interface ReceiptEvent {
  type: string
  [field: string]: unknown
}

let net: TestNetwork
let client: ArcadeClient
let manager: Wallet
/** A member with free stake of its own, beside the manager. */
const member = generateWallet()
/** association-1 … association-4: the genesis validators' accounts (they propose and vote). */
const associations: Wallet[] = []
let newcomerAssociation: Wallet
let newcomerKey: string
const figures: Record<string, number | boolean> = {}
/** Accounts the regulator's observer is asked about: a customer with a balance, its shop, the manager. */
const audited: string[] = []

const log = (line: string) => {
  // biome-ignore lint/suspicious/noConsole: the measured figures belong in the test output
  console.log(`[live-membership] ${line}`)
}

beforeAll(async () => {
  net = await TestNetwork.create({
    validators: 4,
    observers: 1,
    basePort: BASE_PORT,
    emptyBlockIntervalMs: EMPTY_BLOCK_INTERVAL_MS,
    logLevel: process.env.ARCADE_E2E_LOG ?? 'info',
  })
  log(`network directory ${net.dir}`)
  manager = walletFromKeys(await readKeyFile(join(net.dir, 'keys', 'manager.json')))
  for (let i = 1; i <= 4; i++) {
    associations.push(walletFromKeys(await readKeyFile(join(net.dir, 'keys', `association-${i}.json`))))
  }
  // Short epochs, and free stake for two members to delegate.
  const path = join(net.dir, 'genesis.json')
  const genesis = JSON.parse(await readFile(path, 'utf8')) as GenesisJson
  genesis.params.ledger.epochLength = EPOCH_LENGTH
  genesis.params.ledger.minValidatorStake = MIN_VALIDATOR_STAKE
  const managerAccount = genesis.accounts.find((a) => a.address === manager.address)
  if (managerAccount === undefined) throw new Error('the manager is not a genesis account')
  managerAccount.stake = 50_000
  genesis.accounts.push({ address: member.address, roles: [], stake: 20_000 })
  await writeFile(path, JSON.stringify(genesis, null, 2))
  client = new ArcadeClient({ url: net.url('validator-1'), commitTimeoutMs: 60_000 })
}, 60_000)

afterAll(async () => {
  await net?.close()
})

/**
 * The boundary whose election counts a tx included at `height`: the first multiple of the epoch
 * length at or after it (the election runs at the end of that block, after its txs).
 */
function boundaryFrom(height: number): number {
  return Math.ceil(height / EPOCH_LENGTH) * EPOCH_LENGTH
}

/**
 * Waits until validator-1's head leaves at least `blocks` heights before the next boundary, so that a
 * tx sent now lands, and its effect on the projection can be read, before that boundary's election.
 */
async function awaitEpochRoom(blocks = 4): Promise<void> {
  await waitFor(
    `room for ${blocks} blocks before the next boundary`,
    async () => ((await net.height('validator-1')) % EPOCH_LENGTH < EPOCH_LENGTH - blocks ? true : undefined),
    30_000,
    50,
  )
}

function eventsOf(sent: { committed?: { receipt: { events: readonly unknown[] } } }): ReceiptEvent[] {
  return (sent.committed?.receipt.events ?? []) as ReceiptEvent[]
}

/**
 * `proposer` proposes `action` by governance, then `voters` vote yes one by one until it passes.
 * Returns the proposal's id and the height whose vote executed it. Before the last vote the action
 * must not have run (checked by `notYet`).
 */
async function passByGovernance(
  proposer: Wallet,
  voters: readonly Wallet[],
  action: Record<string, unknown>,
  notYet: () => Promise<void>,
): Promise<{ proposal: number; executedAt: number }> {
  const deadline = (await net.height('validator-1')) + 200
  const proposed = await client.send(
    { kind: 'gov.propose', fields: { action, deadline } as never },
    { signer: proposer, wait: true },
  )
  const event = eventsOf(proposed).find((e) => e.type === 'proposed')
  expect(event?.action).toBe(action.kind)
  const proposal = event?.proposal as number
  for (const [i, voter] of voters.entries()) {
    if (i === voters.length - 1) await notYet()
    const voted = await client.send(
      { kind: 'gov.vote', fields: { proposal, yes: true } },
      { signer: voter, wait: true },
    )
    const events = eventsOf(voted)
    expect(events.find((e) => e.type === 'voted')?.proposal).toBe(proposal)
    const passed = events.find((e) => e.type === 'proposalPassed')
    if (i < voters.length - 1) {
      expect(passed).toBeUndefined()
      continue
    }
    expect(passed).toMatchObject({ proposal, action: action.kind })
    expect(events.find((e) => e.type === 'proposalFailed')).toBeUndefined()
    return { proposal, executedAt: voted.committed?.height as number }
  }
  throw new Error('no voter passed the proposal')
}

/** A node config for a node `genesis init` did not write: on 127.0.0.1, with the given peers. */
async function writeNodeConfig(
  name: string,
  role: 'validator' | 'observer',
  p2pPort: number,
  peers: readonly string[],
): Promise<void> {
  const peerList = []
  for (const p of peers) {
    const i = net.validatorNames.indexOf(p)
    const port = i >= 0 ? BASE_PORT + 2 * i : NEWCOMER_P2P
    peerList.push({ address: `127.0.0.1:${port}`, nodeKey: await net.nodeAddress(p) })
  }
  const config = {
    role,
    name,
    genesis: 'genesis.json',
    nodeKey: `keys/${name}.json`,
    dataDir: `data/${name}`,
    p2p: { host: '127.0.0.1', port: p2pPort },
    rpc: { host: '127.0.0.1', port: p2pPort + 1 },
    peers: peerList,
    emptyBlockIntervalMs: EMPTY_BLOCK_INTERVAL_MS,
    logLevel: process.env.ARCADE_E2E_LOG ?? 'info',
  }
  const path = join(net.dir, `${name}.json`)
  await writeFile(path, JSON.stringify(config, null, 2))
  net.addNode(name, path, p2pPort + 1)
}

/** A fresh node key written by the CLI (`arcade keys new --node`); returns its `arcnode1…` address. */
async function newNodeKey(name: string): Promise<string> {
  const made = await runCli(['keys', 'new', '--node', '--out', join(net.dir, 'keys', `${name}.json`)])
  expect(made.code).toBe(0)
  return made.stdout.trim()
}

describe('the consortium changes while the chain runs', () => {
  it('starts four validators and an observer, and runs a point program', async () => {
    await net.startAll()
    await Promise.all(net.names.map((n) => net.waitForHeight(n, 2, 60_000)))
    // Something for the regulator to audit later: a shop awards a customer on credit.
    const shop = generateWallet()
    const customer = generateWallet()
    const asManager = { signer: manager, wait: true } as const
    const sponsored = { signer: shop, sponsor: manager.address, wait: true } as const
    await client.createPoint({ point: POINT, name: 'Live street point' }, asManager)
    await client.grantQuota(
      { point: POINT, grantee: null, txsPerPeriod: 100, periodMs: 86_400_000 },
      asManager,
    )
    await client.applyMerchant({ point: POINT, name: 'Sato Books' }, sponsored)
    await client.admitMerchant({ point: POINT, merchant: shop.address, creditLimit: 10_000 }, asManager)
    await client.award({ point: POINT, customer: customer.address, amount: 1_234 }, sponsored)
    audited.push(customer.address, shop.address, manager.address)
  }, 120_000)

  it('registers a fifth association by governance; it is elected, syncs and signs', async () => {
    newcomerKey = await newNodeKey('validator-5')
    newcomerAssociation = generateWallet()
    await writeNodeConfig('validator-5', 'validator', NEWCOMER_P2P, net.validatorNames)
    const association = newcomerAssociation.address
    // Its node starts first, from genesis, with the genesis validators as config peers. Nobody admits
    // it: its key is in no set, not even the projected one, until it is registered and has stake.
    await net.start('validator-5')

    const submittedAt = Date.now()
    const [a1, a2, a3] = associations as [Wallet, Wallet, Wallet]
    // 3 of 4 equal powers: the third yes takes it above 2/3 and runs the registration in that tx.
    await passByGovernance(
      a1,
      [a1, a2, a3],
      {
        kind: 'staking.registerAssociation',
        association,
        name: 'association-5',
        nodeKey: newcomerKey,
        p2p: `127.0.0.1:${NEWCOMER_P2P}`,
        rpc: `http://127.0.0.1:${NEWCOMER_P2P + 1}`,
      },
      async () => {
        expect((await client.associations()).some((a) => a.address === association)).toBe(false)
      },
    )
    const registered = (await client.associations()).find((a) => a.address === association)
    expect(registered).toMatchObject({ nodeKey: newcomerKey, delegated: 0, power: 0, jailed: false })

    // Registered without stake it is still in no set: its start-up ends with nothing synced, and its
    // consensus starts outside the set.
    const started = await waitFor(
      'validator-5 to start consensus',
      async () => {
        const line = (await net.log('validator-5')).split('\n').find((l) => l.includes('"consensus started"'))
        return line === undefined ? undefined : (JSON.parse(line) as { height: number; inSet: boolean })
      },
      30_000,
    )
    expect(started).toMatchObject({ height: 0, inSet: false })
    expect(await net.height('validator-5')).toBe(0)

    // Two members delegate to it, early enough in the epoch to read the projection before the election.
    await awaitEpochRoom()
    const delegations = await Promise.all([
      client.delegate({ association, amount: 6_000 }, { signer: manager, wait: true }),
      client.delegate({ association, amount: 4_000 }, { signer: member, wait: true }),
    ])
    const delegatedAt = Math.max(...delegations.map((d) => d.committed?.height as number))
    const boundary = boundaryFrom(delegatedAt)
    const projected = await validatorsOf(net, 'validator-1')
    expect(projected.height).toBeLessThan(boundary)
    expect(projected.nextEpoch).toMatchObject({ fromHeight: boundary + 1 })
    expect(projected.nextEpoch.items.find((v) => v.nodeKey === newcomerKey)?.power).toBe(GENESIS_STAKE)
    expect(projected.items.map((v) => v.nodeKey)).not.toContain(newcomerKey)

    // Now the others admit and dial it (the projection names it), and it follows the chain by sync.
    await net.waitForHeight('validator-5', delegatedAt, 60_000)

    // Elected at the boundary: the set for the height after names it, and it signs.
    await net.waitForHeight('validator-1', boundary + 1, 60_000)
    type SetsJson = { items: { fromHeight: number; validators: { nodeKey: string; power: number }[] }[] }
    const sets = await getJson<SetsJson>(`${net.url('validator-1')}/v1/validator-sets?fromHeight=1`)
    const newSet = sets.items.find((s) => s.fromHeight === boundary + 1)
    expect(newSet?.validators.find((v) => v.nodeKey === newcomerKey)?.power).toBe(GENESIS_STAKE)
    expect(newSet?.validators).toHaveLength(5)
    const first = await firstSignedBy(net, 'validator-1', newcomerKey, boundary + 1, 60_000)
    const elapsedMs = Date.now() - submittedAt
    figures.proposalToFirstSignatureMs = elapsedMs
    figures.newcomerElectedFromHeight = boundary + 1
    figures.newcomerFirstSignedHeight = first
    // Informative only (timing): whether its follow loop had it at the head before the election.
    const syncedTo = (await net.log('validator-5'))
      .split('\n')
      .filter((l) => l.includes('"synced blocks"'))
      .map((l) => (JSON.parse(l) as { height: number }).height)
    figures.newcomerSyncedBeforeElection = syncedTo.some((h) => h < boundary)
    log(
      `proposal→first signature: ${elapsedMs} ms (elected from block ${boundary + 1}, first signed ` +
        `${first}, synced before its election: ${figures.newcomerSyncedBeforeElection})`,
    )

    // It keeps voting: a later certificate carries its signature too.
    await firstSignedBy(net, 'validator-1', newcomerKey, first + 1, 30_000)
  }, 180_000)

  it('an association undelegates below the minimum and leaves the set; the chain goes on', async () => {
    const leaver = associations[3] as Wallet
    const leaverKey = await net.nodeAddress('validator-4')
    await awaitEpochRoom()
    const sent = await client.send(
      { kind: 'staking.undelegate', fields: { association: leaver.address, amount: GENESIS_STAKE - 500 } },
      { signer: leaver, wait: true },
    )
    const boundary = boundaryFrom(sent.committed?.height as number)
    const projected = await validatorsOf(net, 'validator-1')
    expect(projected.height).toBeLessThan(boundary)
    expect(projected.items.map((v) => v.nodeKey)).toContain(leaverKey)
    expect(projected.nextEpoch.items.map((v) => v.nodeKey)).not.toContain(leaverKey)

    // It signs up to the boundary (its set certifies it); from the next height its signature is gone.
    await net.waitForHeight('validator-1', boundary + 6, 60_000)
    const after = await validatorsOf(net, 'validator-1')
    expect(after.items.map((v) => v.nodeKey)).not.toContain(leaverKey)
    expect(after.items.map((v) => v.nodeKey)).toContain(newcomerKey)
    expect(after.items).toHaveLength(4)
    for (let h = boundary + 1; h <= boundary + 5; h++) {
      const signers = await certificateSigners(net, 'validator-1', h)
      expect(signers).not.toBeNull()
      expect(signers).not.toContain(leaverKey)
    }
    // The chain keeps committing without it, and its node, hearing no consensus now, still follows.
    const head = await net.height('validator-1')
    await net.waitForHeight('validator-1', head + 3, 30_000)
    await net.waitForHeight('validator-4', head + 3, 30_000)
  }, 120_000)

  it('a validator killed on the block that changes the set restarts and votes again', async () => {
    const victim = 'validator-2'
    const victimKey = await net.nodeAddress(victim)
    let boundary: number | null = null
    for (let attempt = 1; attempt <= 3 && boundary === null; attempt++) {
      // A delegation changes association 1's power: the next boundary changes the set.
      const sent = await client.delegate(
        { association: (associations[0] as Wallet).address, amount: 500 * attempt },
        { signer: manager, wait: true },
      )
      const target = boundaryFrom(sent.committed?.height as number)
      const head = await waitFor(
        `${victim} to reach the boundary ${target}`,
        async () => {
          const h = await net.height(victim)
          return h >= target ? h : undefined
        },
        60_000,
        10,
      )
      if (head !== target) continue
      await net.stop(victim, 'SIGKILL')
      boundary = target
    }
    if (boundary === null) throw new Error(`${victim} never stopped exactly at a boundary`)
    const block = (await net.block('validator-1', boundary)) as unknown as {
      header: { validatorSetHash: string; nextValidatorSetHash: string }
    }
    expect(block.header.nextValidatorSetHash).not.toBe(block.header.validatorSetHash)

    await net.start(victim)
    expect(await net.openedAt(victim)).toBe(boundary)
    const restartedAt = await net.height('validator-1')
    const signedAgain = await firstSignedBy(net, 'validator-1', victimKey, restartedAt + 1, 60_000)
    expect(signedAgain).toBeGreaterThan(boundary)
    expect(await net.log(victim)).not.toContain('"rejected a block from a peer"')
  }, 180_000)

  it("admits a regulator's observer by governance; it catches up from genesis and serves reads", async () => {
    const regulatorKey = await newNodeKey('regulator')
    // The voters: the associations of the validators in force now, the newcomer's among them.
    const set = await validatorsOf(net, 'validator-1')
    const voters = [associations[0], associations[1], newcomerAssociation] as Wallet[]
    const inSet = new Set(set.items.map((v) => v.association))
    expect(voters.every((v) => inSet.has(v.address))).toBe(true)
    await passByGovernance(
      voters[0] as Wallet,
      voters,
      { kind: 'observer.admit', nodeKey: regulatorKey, name: 'regulator' },
      async () => {},
    )

    // It is given one peer only, the newcomer (no genesis names it); the others it learns.
    await writeNodeConfig('regulator', 'observer', REGULATOR_P2P, ['validator-5'])
    const target = await net.height('validator-1')
    await net.start('regulator')
    const startedAt = Date.now()
    const from = await net.height('regulator')
    await net.waitForHeight('regulator', target, 120_000)
    const seconds = (Date.now() - startedAt) / 1000
    const rate = (target - from) / seconds
    figures.observerCatchUpBlocks = target - from
    figures.observerCatchUpMs = Math.round(seconds * 1000)
    figures.observerCatchUpBlocksPerSecond = Math.round(rate * 10) / 10
    log(`observer catch-up: ${target - from} blocks in ${seconds.toFixed(2)} s = ${rate.toFixed(1)} blocks/s`)
    await writeFile(join(net.dir, FIGURES_FILE), JSON.stringify(figures, null, 2))
    log(`figures written to ${join(net.dir, FIGURES_FILE)}`)

    // It answers reads exactly as a validator does at the same height.
    for (const address of audited) {
      await waitFor(
        `the same answer about ${address} from both at one height`,
        async () => {
          const [a, b] = await Promise.all(
            ['validator-1', 'regulator'].map((n) =>
              getJson<{ height: number }>(`${net.url(n)}/v1/accounts/${address}`),
            ),
          )
          if (a?.height !== b?.height) return undefined
          expect(b).toEqual(a)
          return true
        },
        30_000,
        20,
      )
    }
    const customer = await getJson<{ balances: unknown[] }>(
      `${net.url('regulator')}/v1/accounts/${audited[0]}`,
    )
    expect(customer.balances).toEqual([{ point: POINT, amount: 1_234 }])
    // It learnt the validators from the chain: connected to more than the one peer it was given.
    await waitFor('the regulator to connect to the validators it learnt', async () =>
      (await net.status('regulator')).peers >= 4 ? true : undefined,
    )
  }, 180_000)

  it('every node holds the same chain', async () => {
    const top = (await net.height('validator-1')) + 2
    const all = net.names
    await Promise.all(all.map((n) => net.waitForHeight(n, top, 60_000)))
    await expectSameChain(net, all, top)
  }, 120_000)
})

describe('a light client that trusts only genesis', () => {
  it('verifies the customer balance on the regulator after the set changes, walking each one', async () => {
    const genesis = JSON.parse(await readFile(join(net.dir, 'genesis.json'), 'utf8')) as unknown
    const light = LightClient.fromGenesis(genesis)
    const regulator = new ArcadeClient({ url: net.url('regulator') })
    const record = await regulator.verifyRecord(proofRef.balance(POINT, audited[0] as string), {
      trust: light,
    })
    expect(record.decoded).toBe(1_234)
    // The newcomer's election, association 4's exit, and whatever the kill at a boundary changed.
    expect(light.sets.length).toBeGreaterThanOrEqual(3)
    const keysOf = (i: number) => light.sets[i]?.set.validators.map((v) => toHex(v.publicKey)).sort()
    expect(keysOf(light.sets.length - 1)).not.toEqual(keysOf(0))
    log(
      `light client: verified height ${record.height} from genesis through ${light.sets.length - 1} set changes`,
    )
  }, 60_000)

  it('refuses a node serving another chain under the same chain id', async () => {
    const genesis = JSON.parse(await readFile(join(net.dir, 'genesis.json'), 'utf8')) as { chainId: string }
    const forged = await TestNetwork.create({ validators: 1, basePort: FORGED_BASE_PORT })
    try {
      await forged.startAll()
      await forged.waitForHeight('validator-1', 3, 60_000)
      const liar = new ArcadeClient({ url: forged.url('validator-1'), trust: { genesis } })
      expect((await liar.status()).chainId).toBe(genesis.chainId)
      const err = await liar
        .verifyRecord(proofRef.balance(POINT, audited[0] as string))
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ code: ClientErrorCode.proofInvalid, details: { reason: 'trust' } })
      // And so does the CLI.
      const ref = `balance:${POINT}:${audited[0]}`
      const genesisFile = join(net.dir, 'genesis.json')
      const cli = await runCli([
        'query',
        'proof',
        ref,
        '--verify',
        '--genesis',
        genesisFile,
        '--rpc',
        forged.url('validator-1'),
      ])
      expect(cli.code).toBe(1)
      expect(cli.stderr).toMatch(/^error CLIENT_PROOF_INVALID: /)
    } finally {
      await forged.close()
    }
  }, 120_000)
})
