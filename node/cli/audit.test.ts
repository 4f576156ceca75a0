/**
 * `arcade audit reconcile` in-process against a real one-validator node (LevelDB, libp2p, fastify,
 * the journal, real commit certificates), and against a proxy in front of it that edits one journal
 * row. Ports 28100–28101 (the node), the proxy on an ephemeral port.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ArcadeClient, generateWallet, type JournalPage, walletFromKeys } from '../../client/index.ts'
import { planDevnet } from '../../genesis/devnet.ts'
import { DEFAULT_GENESIS_PARAMS } from '../../genesis/document.ts'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { loadNodeConfig } from '../config.ts'
import { readKeyFile } from '../keys.ts'
import { type ArcadeNode, startNode } from '../node.ts'
import type { CliIo } from './command.ts'
import { initDevnet } from './genesis.ts'
import { runCli } from './run.ts'

const POINT = 'AUDIT'
let dir: string
let node: ArcadeNode
let proxy: Server
let proxyUrl: string
/** The height of the first award: the books in the past. */
let awardHeight: number

async function arcade(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    out: (t) => {
      stdout += t
    },
    err: (t) => {
      stderr += t
    },
    cwd: dir,
    env: {},
    nowMs: () => Date.now(),
    generateKeyPair,
  }
  return { code: await runCli(argv, io), stdout, stderr }
}

/** Forwards GETs to the node; the first journal row of the point served with one more point. */
function lyingProxy(target: string): Server {
  return createServer((req, res) => {
    void (async () => {
      const answer = await fetch(`${target}${req.url}`, { headers: { accept: 'application/json' } })
      let body = await answer.text()
      if (req.url?.startsWith('/v1/journal?') && answer.ok) {
        const page = JSON.parse(body) as JournalPage
        const [first, ...rest] = page.items
        if (first !== undefined && !req.url.includes('cursor=')) {
          body = JSON.stringify({ ...page, items: [{ ...first, amount: first.amount + 1 }, ...rest] })
        }
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(body)
    })().catch((err: unknown) => res.writeHead(502).end(String(err)))
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arcade-audit-'))
  const params = {
    ...DEFAULT_GENESIS_PARAMS,
    consensus: { ...DEFAULT_GENESIS_PARAMS.consensus, emptyBlockIntervalMs: 100, viewTimeoutBaseMs: 1_000 },
  }
  const plan = planDevnet(
    {
      validators: 1,
      observers: 0,
      chainId: 'arcade-audit-test',
      genesisTimeMs: Date.now() - 60_000,
      basePort: 28100,
      params,
    },
    { generateKeyPair },
  )
  await initDevnet(dir, plan, false)
  node = await startNode(await loadNodeConfig(join(dir, 'validator-1.json')), {
    logger: pino({ level: 'silent' }),
    verifyWorkers: 0,
    peerWaitMs: 500,
    catchUpDeadlineMs: 2_000,
  })
  const manager = walletFromKeys(await readKeyFile(join(dir, 'keys', 'manager.json')))
  const [shop, alice, bob] = [generateWallet(), generateWallet(), generateWallet()]
  const client = new ArcadeClient({ url: node.rpcUrl })
  const asManager = { signer: manager, wait: true } as const
  const sponsored = (signer: typeof shop) => ({ signer, sponsor: manager.address, wait: true }) as const
  await client.createPoint({ point: POINT, name: 'Audit street', transferable: true }, asManager)
  await client.grantQuota({ point: POINT, grantee: null, txsPerPeriod: 100, periodMs: 86_400_000 }, asManager)
  await client.applyMerchant({ point: POINT, name: 'Bakery' }, sponsored(shop))
  await client.applyMerchant({ point: POINT, name: 'Idle' }, sponsored(generateWallet()))
  await client.admitMerchant({ point: POINT, merchant: shop.address, creditLimit: 5000 }, asManager)
  const award = await client.award({ point: POINT, customer: alice.address, amount: 1000 }, sponsored(shop))
  awardHeight = award.committed?.height as number
  await client.pay({ point: POINT, payee: shop.address, amount: 300 }, sponsored(alice))
  await client.repay({ point: POINT, merchant: shop.address, amount: 1000, fiatRef: 'bank #1' }, asManager)
  await client.transfer({ point: POINT, to: bob.address, amount: 50 }, sponsored(alice))
  await client.redeem({ point: POINT, amount: 100, fiatRef: 'bank #2' }, sponsored(shop))
  proxy = lyingProxy(node.rpcUrl)
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
}, 60_000)

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve))
  await node?.stop()
  await rm(dir, { recursive: true, force: true })
})

const reconcile = (...argv: string[]) =>
  arcade('audit', 'reconcile', '--point', POINT, '--genesis', 'genesis.json', '--rpc', node.rpcUrl, ...argv)

describe('arcade audit reconcile', () => {
  it('exits 0 on honest books: one ✔ line per check, the totals, no discrepancy', async () => {
    const r = await reconcile()
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(
      /^reconcile AUDIT at height \d+ \(point record proven at \d+\): 5 journal rows, 2 merchants proven\n/,
    )
    for (const name of [
      'proof.point',
      'proof.merchants',
      'journal.identity',
      'totals.supply',
      'journal.rows',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`\\n {2}✔ ${name.replace('.', '\\.')} +expected `))
    }
    expect(r.stdout).not.toContain('✘')
    // customers 1000 − 300; the shop's float 300 − 100; repaid 1000, redeemed 100.
    expect(r.stdout).toContain(
      '  journal  customers 700  purses 0  floats 200  liabilities 0  repaid 1000  redeemed 100  expired 0  campaigns 0  campaignFunded 0  campaignReturned 0  unclaimed 0\n',
    )
    expect(r.stdout).toContain(
      '  state    totalSupply 900  totalLiability 0  totalLocked 0  cumRepaid 1000  cumRedeemed 100  cumExpired 0' +
        '  campaignBudgets 0  cumCampaignFunded 0  cumCampaignReturned 0  trafficUnclaimed 0\n',
    )
    expect(r.stdout).toMatch(/ok: all 21 checks pass\n$/)
  }, 30_000)

  it('--at a past height and --json: the report of the books at that height', async () => {
    const r = await reconcile('--at', String(awardHeight), '--json')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({
      ok: true,
      height: awardHeight,
      rows: 5,
      merchants: 2,
      firstDiscrepancy: null,
    })
    expect(report.provenHeight).toBeGreaterThan(awardHeight)
    expect(report.totals.journal).toEqual({
      customers: 1000,
      purses: 0,
      floats: 0,
      liabilities: 1000,
      repaid: 0,
      redeemed: 0,
      expired: 0,
      campaigns: 0,
      campaignFunded: 0,
      campaignReturned: 0,
      unclaimed: 0,
    })
    expect(report.totals.state).toEqual({
      totalSupply: 1000,
      totalLiability: 1000,
      totalLocked: 0,
      cumRepaid: 0,
      cumRedeemed: 0,
      cumExpired: 0,
      campaignBudgets: 0,
      cumCampaignFunded: 0,
      cumCampaignReturned: 0,
      trafficUnclaimed: 0,
    })
  }, 30_000)

  it('saves what it verified with --trust-cache, and runs from the cache alone next time', async () => {
    expect((await reconcile('--trust-cache', 'cache.json')).code).toBe(0)
    expect((await stat(join(dir, 'cache.json'))).isFile()).toBe(true)
    const again = await arcade(
      'audit',
      'reconcile',
      '--point',
      POINT,
      '--trust-cache',
      'cache.json',
      '--rpc',
      node.rpcUrl,
    )
    expect(again.code).toBe(0)
  }, 30_000)

  it('exits 1 with the first discrepancy when the node edits a journal row', async () => {
    const r = await arcade(
      'audit',
      'reconcile',
      '--point',
      POINT,
      '--genesis',
      'genesis.json',
      '--rpc',
      proxyUrl,
    )
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/\n {2}✘ journal\.identity +expected 900, found 901 \(at height \d+\)\n/)
    expect(r.stdout).not.toContain('totals.supply')
    expect(r.stdout).toMatch(
      /\nFIRST DISCREPANCY journal\.identity: expected 900, found 901, at height \d+\n$/,
    )
    const json = await arcade(
      'audit',
      'reconcile',
      '--point',
      POINT,
      '--genesis',
      'genesis.json',
      '--rpc',
      proxyUrl,
      '--json',
    )
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      firstDiscrepancy: { name: 'journal.identity' },
    })
  }, 30_000)

  it("exits 1 at proof.point when the trusted genesis is another chain's", async () => {
    const genesis = JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8'))
    genesis.validators[0].nodeKey = encodeAddress(generateKeyPair().publicKey, NODE_KEY_PREFIX)
    await writeFile(join(dir, 'other-genesis.json'), JSON.stringify(genesis))
    const r = await arcade(
      'audit',
      'reconcile',
      '--point',
      POINT,
      '--genesis',
      'other-genesis.json',
      '--rpc',
      node.rpcUrl,
    )
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /\n {2}✘ proof\.point +expected a record certified by > 2\/3 of the trusted validator set, found trust: /,
    )
    expect(r.stdout).toMatch(/\nFIRST DISCREPANCY proof\.point: /)
  }, 30_000)

  it('exits 2 on a usage error: no trust root, no or a bad point, a bad or future --at', async () => {
    const noRoot = await arcade('audit', 'reconcile', '--point', POINT, '--rpc', node.rpcUrl)
    expect(noRoot.code).toBe(2)
    expect(noRoot.stderr).toMatch(
      /^error USAGE: reconcile needs a trust root: --genesis FILE or --checkpoint/,
    )
    expect((await arcade('audit', 'reconcile', '--genesis', 'genesis.json')).code).toBe(2)
    expect((await reconcile('--point', 'bad id')).code).toBe(2)
    expect((await reconcile('--at', 'yesterday')).code).toBe(2)
    const future = await reconcile('--at', '999999999')
    expect(future.code).toBe(2)
    expect(future.stderr).toMatch(/^error USAGE: --at 999999999: must not be above the proven head/)
    expect((await arcade('audit', 'reconcile', '--bogus')).code).toBe(2)
  }, 30_000)

  it('is listed in the help', async () => {
    const help = await arcade('help')
    expect(help.stdout).toMatch(/\n {2}audit reconcile +Recompute a point's books/)
    const own = await arcade('audit', 'reconcile', '--help')
    expect(own.stdout).toContain('usage: arcade audit reconcile --point ID [--at H] (--genesis FILE |')
  })
})
