/**
 * A point program end to end through the SDK, on a real network of node processes: a manager
 * creates a point and sponsors its users, admits a shop with a credit limit; the shop adds a
 * terminal; the terminal awards a customer; the customer pays; the manager records the shop's fiat
 * repayment; a device pays within and beyond its limit; the shop records traffic that earns points.
 * Every balance, float and liability is read back, the books balance, and the customer's balance
 * is proven against the validators' commit certificate on the observer.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ArcadeClient,
  ArcadeClientError,
  attestTraffic,
  checkAttestation,
  generateWallet,
  proofRef,
  pseudonymWallet,
  trafficChallenge,
  type Wallet,
  walletFromKeys,
} from '../../client/index.ts'
import { readKeyFile } from '../../node/keys.ts'
import { TestNetwork } from '../helpers/network.ts'

const POINT = 'SDKE2E'
let net: TestNetwork
let client: ArcadeClient
let observer: ArcadeClient
let manager: Wallet
const shop = generateWallet()
const terminal = generateWallet()
const customer = generateWallet()
const device = generateWallet()

beforeAll(async () => {
  net = await TestNetwork.create({
    validators: 4,
    observers: 1,
    basePort: 27200,
    emptyBlockIntervalMs: 250,
    logLevel: process.env.ARCADE_E2E_LOG ?? 'warn',
  })
  await net.startAll()
  await net.waitForHeight('validator-1', 1)
  manager = walletFromKeys(await readKeyFile(join(net.dir, 'keys', 'manager.json')))
  client = new ArcadeClient({ url: net.url('validator-2') })
  // The regulator trusts the genesis file it was given, never the observer's word on the validators.
  const genesis = JSON.parse(await readFile(join(net.dir, 'genesis.json'), 'utf8')) as unknown
  observer = new ArcadeClient({ url: net.url('observer-1'), trust: { genesis } })
}, 90_000)

afterAll(async () => {
  await net?.close()
})

describe('a point program through the SDK', () => {
  it('runs from point creation to proven balances', async () => {
    const asManager = { signer: manager, wait: true } as const
    const sponsored = (signer: Wallet) => ({ signer, sponsor: manager.address, wait: true }) as const

    await client.createPoint({ point: POINT, name: 'SDK street point' }, asManager)
    await client.grantQuota(
      { point: POINT, grantee: null, txsPerPeriod: 1000, periodMs: 86_400_000 },
      asManager,
    )
    await client.applyMerchant({ point: POINT, name: 'Tanaka Bakery' }, sponsored(shop))
    await client.admitMerchant({ point: POINT, merchant: shop.address, creditLimit: 5000 }, asManager)
    await client.addTerminal({ point: POINT, terminal: terminal.address }, sponsored(shop))

    // Award on credit (the float is empty), then the customer pays part back: liability first.
    await client.award(
      { point: POINT, customer: customer.address, amount: 1000, memo: 'order 1' },
      sponsored(terminal),
    )
    await client.pay({ point: POINT, payee: terminal.address, amount: 300 }, sponsored(customer))
    let m = await client.merchant(POINT, shop.address)
    expect({ float: m.float, liability: m.liability, limit: m.creditLimit }).toEqual({
      float: 0,
      liability: 700,
      limit: 5000,
    })

    // The manager records 1,000 yen of fiat from the shop: 700 clears the liability, 300 prefunds the float.
    await client.repay({ point: POINT, merchant: shop.address, amount: 1000, fiatRef: 'bank #77' }, asManager)
    m = await client.merchant(POINT, shop.address)
    expect({ float: m.float, liability: m.liability }).toEqual({ float: 300, liability: 0 })

    // A vending machine bound to the customer pays within its limit, then is refused beyond it.
    await client.bindDevice(
      { point: POINT, device, maxPerTx: 100, maxPerPeriod: 150, periodMs: 86_400_000 },
      sponsored(customer),
    )
    await client.devicePay(
      { owner: customer.address, point: POINT, payee: shop.address, amount: 100 },
      sponsored(device),
    )
    const beyond = client.devicePay(
      { owner: customer.address, point: POINT, payee: shop.address, amount: 200 },
      sponsored(device),
    )
    await expect(beyond).rejects.toBeInstanceOf(ArcadeClientError)
    await expect(beyond).rejects.toMatchObject({ details: { error: 'STATE_DEVICE_LIMIT_EXCEEDED' } })

    // Traffic: 5 points per visit the customer confirms, charged to the shop like an award (float
    // first), accrued to the customer's pseudonym and claimed into its account.
    await client.setTrafficRules(
      { point: POINT, confirmed: { visit: 5 }, dailyCapPerCustomer: 50 },
      asManager,
    )
    const { chainId } = await client.status()
    const challenge = trafficChallenge({ chainId, point: POINT, merchant: shop.address, kind: 'visit' })
    const confirmed = attestTraffic(customer, challenge)
    checkAttestation(challenge, confirmed)
    await client.recordTraffic({ point: POINT, events: [confirmed] }, sponsored(terminal))
    const pseudonym = pseudonymWallet(customer, chainId, POINT)
    expect(await client.pseudonymTraffic(POINT, pseudonym.address)).toMatchObject({
      confirmed: 1,
      unclaimed: 5,
    })
    await client.claimTraffic({ point: POINT, account: customer.address, amount: 5 }, sponsored(pseudonym))

    const account = await client.account(customer.address, { points: [POINT] })
    expect(account.balances.find((b) => b.point === POINT)?.amount).toBe(605)
    m = await client.merchant(POINT, shop.address)
    expect({ float: m.float, liability: m.liability, terminals: m.terminals }).toEqual({
      float: 395,
      liability: 0,
      terminals: [terminal.address],
    })
    // The books: customers' balances + (float − liability) = repayments − redemptions.
    expect(605 + m.float - m.liability).toBe(1000)

    // A regulator checks the balance on the observer against the validators' signatures.
    await net.waitForHeight('observer-1', (await net.height('validator-2')) + 1, 30_000)
    const proven = await observer.verifyRecord(proofRef.balance(POINT, customer.address))
    expect(proven.decoded).toBe(605)

    // The settlement office and the regulator get the same statement bytes from their own nodes. The
    // period (this month) is still open, so a statement names its height: ask both until they answer
    // at one height (a final statement names none and is the same bytes at any height).
    const month = new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 7)
    let pair: [Awaited<ReturnType<ArcadeClient['statement']>>, Awaited<ReturnType<ArcadeClient['statement']>>]
    for (let attempt = 0; ; attempt++) {
      pair = await Promise.all([
        client.statement(POINT, { period: month }),
        observer.statement(POINT, { period: month }),
      ])
      if (pair[0].document?.asOfHeight === pair[1].document?.asOfHeight || attempt === 50) break
    }
    expect(pair[1].document?.asOfHeight).toBe(pair[0].document?.asOfHeight)
    expect(pair[1].sha256).toBe(pair[0].sha256)
    expect(pair[0].document?.closing).toMatchObject({ customers: 605, cumRepaid: 1000, holds: true })
    process.stdout.write(
      `statement ${POINT} ${month} at height ${pair[0].document?.asOfHeight}: sha256 ${pair[0].sha256} on validator-1 and observer-1\n`,
    )
  }, 120_000)
})
