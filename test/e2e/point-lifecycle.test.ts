/**
 * The point's life cycle end to end (issue 15), on a real network of node processes through the SDK:
 * points awarded under a fixed expiry date expire and become the manager's breakage; a shop refunds
 * part of a payment (never more than it) and cancels an award made in error; a manager's campaign
 * pays flat bonuses until its budget runs out and then closes; an owner locks points into an
 * offline purse, a terminal accepts its vouchers offline against a certified proof and settles them
 * later, and a cloned purse key's double spend is caught, the purse frozen and the owner charged. At the end a regulator reconciles the point's journal against its proven state on
 * the observer: every movement above is in the books, and the books identity holds.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ArcadeClient,
  createVoucher,
  generateWallet,
  LightClient,
  operations,
  reconcilePoint,
  type SendOptions,
  verifyVoucherOffline,
  type Wallet,
  walletFromKeys,
} from '../../client/index.ts'
import { readKeyFile } from '../../node/keys.ts'
import { TestNetwork } from '../helpers/network.ts'

const POINT = 'LIFE'
let net: TestNetwork
let client: ArcadeClient
let observer: ArcadeClient
let manager: Wallet
let genesis: unknown
const shop = generateWallet()
const terminal = generateWallet()
const secondShop = generateWallet()
const secondTerminal = generateWallet()
const customer = generateWallet()
const owner = generateWallet()

const asManager = (): SendOptions => ({ signer: manager, wait: true })
const sponsored = (signer: Wallet): SendOptions => ({ signer, sponsor: manager.address, wait: true })

/** What the wallet may spend: its balance less what expired (the SDK's effective balance). */
async function balanceOf(wallet: Wallet): Promise<number> {
  return (await client.lots(POINT, wallet.address)).balance
}

/** The chain's block time now: the time of the last block (what the ledger decides expiry by). */
async function chainTimeMs(): Promise<number> {
  const status = await client.status()
  return (await client.block(status.height)).header.timeMs
}

beforeAll(async () => {
  net = await TestNetwork.create({
    validators: 4,
    observers: 1,
    basePort: 28500,
    emptyBlockIntervalMs: 250,
    logLevel: process.env.ARCADE_E2E_LOG ?? 'warn',
  })
  await net.startAll()
  await net.waitForHeight('validator-1', 1)
  manager = walletFromKeys(await readKeyFile(join(net.dir, 'keys', 'manager.json')))
  client = new ArcadeClient({ url: net.url('validator-3') })
  genesis = JSON.parse(await readFile(join(net.dir, 'genesis.json'), 'utf8')) as unknown
  observer = new ArcadeClient({ url: net.url('observer-1'), trust: { genesis } })

  await client.createPoint({ point: POINT, name: 'Life-cycle street point' }, asManager())
  await client.grantQuota(
    { point: POINT, grantee: null, txsPerPeriod: 1000, periodMs: 86_400_000 },
    asManager(),
  )
  for (const [m, t] of [
    [shop, terminal],
    [secondShop, secondTerminal],
  ] as const) {
    await client.applyMerchant({ point: POINT, name: 'shop' }, sponsored(m))
    await client.admitMerchant({ point: POINT, merchant: m.address, creditLimit: 100_000 }, asManager())
    await client.addTerminal({ point: POINT, terminal: t.address }, sponsored(m))
  }
}, 120_000)

afterAll(async () => {
  await net?.close()
})

describe("the point's life cycle on a real network", () => {
  it('awarded points expire at the fixed date and become the breakage', async () => {
    const date = (await chainTimeMs()) + 4_000
    await client.send(operations.setExpiry({ point: POINT, atMs: date }), asManager())
    await client.award(
      { point: POINT, customer: customer.address, amount: 500, memo: 'expiring' },
      sponsored(terminal),
    )
    const before = await client.lots(POINT, customer.address)
    expect(before.lots).toEqual([expect.objectContaining({ expiresAtMs: date, amount: 500 })])

    // Let the date pass on the chain's clock, then award again: the customer's next tx takes the
    // expired lot out of the books (the new award gets no expiry: the date has lapsed).
    while ((await chainTimeMs()) <= date) await new Promise((r) => setTimeout(r, 250))
    expect(await balanceOf(customer)).toBe(0)
    const { committed } = await client.award(
      { point: POINT, customer: customer.address, amount: 100, memo: 'after the date' },
      sponsored(terminal),
    )
    expect(committed?.receipt.events).toContainEqual(
      expect.objectContaining({ type: 'expire', amount: 500, account: customer.address }),
    )
    const point = await client.point(POINT)
    expect(point.cumExpired).toBe(500)
    expect(point.expiry.lapsed).toBe(true)
    expect(await client.lots(POINT, customer.address)).toMatchObject({ balance: 100, nonExpiring: 100 })
  })

  it('refunds part of a payment, never above it, and cancels an award made in error', async () => {
    await client.send(operations.setRefundWindow({ point: POINT, windowMs: 3_600_000 }), asManager())
    const spendable = await balanceOf(customer)
    const payment = await client.pay(
      { point: POINT, payee: terminal.address, amount: 60, memo: 'basket' },
      sponsored(customer),
    )
    const refund = await client.send(
      operations.refund({ point: POINT, payment: payment.hash, amount: 25, memo: 'one item back' }),
      sponsored(terminal),
    )
    expect(refund.committed?.receipt.events).toContainEqual(
      expect.objectContaining({ type: 'refund', amount: 25, customer: customer.address }),
    )
    const tooMuch = await client.send(
      operations.refund({ point: POINT, payment: payment.hash, amount: 36 }),
      {
        ...sponsored(terminal),
        throwOnFailure: false,
      },
    )
    expect(tooMuch.committed?.receipt).toMatchObject({
      status: 'failed',
      error: 'STATE_REFUND_EXCEEDS_PAYMENT',
    })
    expect(await client.refundable(POINT, payment.hash)).toMatchObject({
      amount: 60,
      refunded: 25,
      refundable: 35,
      payer: customer.address,
    })
    expect(await balanceOf(customer)).toBe(spendable - 60 + 25)

    // An award in error goes back while the customer still holds it.
    const award = await client.award(
      { point: POINT, customer: customer.address, amount: 70, memo: 'wrong customer' },
      sponsored(terminal),
    )
    await client.send(operations.cancelAward({ point: POINT, award: award.hash }), sponsored(shop))
    expect(await client.cancellableAward(POINT, award.hash)).toMatchObject({ cancelled: true, amount: 70 })
    expect(await balanceOf(customer)).toBe(spendable - 35)
  })

  it('runs a campaign to its budget: the last bonus is what is left, then it closes', async () => {
    const startMs = await chainTimeMs()
    await client.createCampaign(
      {
        point: POINT,
        campaign: 'opening',
        triggers: ['award'],
        flatBonus: 10,
        startMs,
        endMs: startMs + 3_600_000,
        merchants: [shop.address],
        budget: 25,
        fiatRef: 'opening week budget',
      },
      asManager(),
    )
    const bonuses: number[] = []
    for (let i = 0; i < 3; i++) {
      const { committed } = await client.award(
        { point: POINT, customer: customer.address, amount: 20, memo: `opening ${i}` },
        sponsored(terminal),
      )
      const events = committed?.receipt.events ?? []
      for (const e of events) if (e.type === 'campaignBonus') bonuses.push(Number(e.amount))
      if (i === 2) expect(events).toContainEqual(expect.objectContaining({ type: 'campaignClosed' }))
    }
    expect(bonuses).toEqual([10, 10, 5])
    expect(await client.campaign(POINT, 'opening')).toMatchObject({
      funded: 25,
      paid: 25,
      remaining: 0,
      status: 'closed',
      active: false,
    })
    // Once closed it pays nothing more, and the point's campaign books are empty again.
    const { committed } = await client.award(
      { point: POINT, customer: customer.address, amount: 20, memo: 'after' },
      sponsored(terminal),
    )
    expect(committed?.receipt.events.some((e) => e.type === 'campaignBonus')).toBe(false)
    expect(await client.point(POINT)).toMatchObject({ liveCampaigns: 0, campaignBudgets: 0 })
  })

  it('pays offline with a purse, settles later, and catches a cloned key', async () => {
    await client.award(
      { point: POINT, customer: owner.address, amount: 1000, memo: 'for the purse' },
      sponsored(terminal),
    )
    const purseKey = generateWallet()
    const expiresAtMs = (await chainTimeMs()) + 3_600_000
    await client.openPurse({ point: POINT, purse: purseKey, amount: 300, expiresAtMs }, sponsored(owner))
    expect(await balanceOf(owner)).toBe(700)

    // Online, the terminal caches the purse's certified proof from the observer (once it has the
    // purse's block); its trust is the genesis file, never the node's word.
    await net.waitForHeight('observer-1', (await client.status()).height)
    const cached = await observer.purseProof(purseKey.address)
    const trust = LightClient.fromGenesis(genesis)
    const { chainId } = await client.status()

    // Offline: the phone signs two vouchers and the terminal accepts them.
    const first = createVoucher({
      chainId,
      purse: purseKey,
      point: POINT,
      payee: terminal.address,
      amount: 100,
      previous: null,
      locked: 300,
    })
    const second = createVoucher({
      chainId,
      purse: purseKey,
      point: POINT,
      payee: terminal.address,
      amount: 150,
      previous: first.spend,
      locked: 300,
    })
    let last = null
    for (const v of [first, second]) {
      last = verifyVoucherOffline(v.voucher, cached, trust, {
        payees: [terminal.address, shop.address],
        last,
      }).spend
    }
    // A clone of the purse key signs another voucher with the second counter, for the other shop,
    // whose terminal (with its own log) accepts it offline too: each check alone is sound.
    const cloned = createVoucher({
      chainId,
      purse: purseKey,
      point: POINT,
      payee: secondTerminal.address,
      amount: 200,
      previous: first.spend,
      locked: 300,
    })
    verifyVoucherOffline(cloned.voucher, cached, trust, {
      payees: [secondTerminal.address],
      last: first.spend,
    })

    // Back online: the first shop settles, then the second; the conflict freezes the purse and the
    // overdraft is charged to the owner's free balance.
    await client.settleVouchers(
      { point: POINT, vouchers: [first.voucher, second.voucher] },
      sponsored(terminal),
    )
    expect(await client.purse(purseKey.address)).toMatchObject({ spent: 250, remaining: 50, status: 'open' })
    await client.settleVouchers({ point: POINT, vouchers: [cloned.voucher] }, sponsored(secondTerminal))
    const purse = await client.purse(purseKey.address)
    expect(purse).toMatchObject({ status: 'frozen', spent: 300, charged: 150, shortfall: 0 })
    expect(await balanceOf(owner)).toBe(700 - 150)
    const paidToSecond = await client.merchant(POINT, secondShop.address)
    expect(paidToSecond.float - paidToSecond.liability).toBe(200)
  })

  it('the regulator reconciles the whole life cycle on the observer', async () => {
    const height = (await client.status()).height
    await net.waitForHeight('observer-1', height)
    const report = await reconcilePoint(observer, { point: POINT, atHeight: height })
    expect(report.firstDiscrepancy).toBeNull()
    expect(report.ok).toBe(true)
  })
})
