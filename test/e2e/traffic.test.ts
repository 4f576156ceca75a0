/**
 * Trustworthy traffic end to end (issue 16), on a real network of node processes through the SDK: a
 * customer's wallet confirms visits at two shops of one point; the shops' tills check and record
 * them; the points accrue to the customer's one pseudonym, capped per day across both shops; the
 * customer claims them into an account of its choosing; a shop anchors an off-ledger batch and a
 * regulator verifies one of its events from the observer, trusting only the genesis file. At the end
 * the observer's reconciliation of the point holds with the unclaimed points in the books.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ArcadeClient,
  attestTraffic,
  buildTrafficBatch,
  checkAttestation,
  generateWallet,
  proveTrafficEvent,
  pseudonymWallet,
  reconcilePoint,
  type SendOptions,
  trafficChallenge,
  type Wallet,
  walletFromKeys,
} from '../../client/index.ts'
import { readKeyFile } from '../../node/keys.ts'
import { TestNetwork } from '../helpers/network.ts'

const POINT = 'TRAFFIC'
const CAP = 25
let net: TestNetwork
let client: ArcadeClient
let observer: ArcadeClient
let manager: Wallet
let chainId: string
const shops = [generateWallet(), generateWallet()]
const tills = [generateWallet(), generateWallet()]
const customer = generateWallet()

const asManager = (): SendOptions => ({ signer: manager, wait: true })
const sponsored = (signer: Wallet): SendOptions => ({ signer, sponsor: manager.address, wait: true })

beforeAll(async () => {
  net = await TestNetwork.create({
    validators: 4,
    observers: 1,
    basePort: 28700,
    emptyBlockIntervalMs: 250,
    logLevel: process.env.ARCADE_E2E_LOG ?? 'warn',
  })
  await net.startAll()
  await net.waitForHeight('validator-1', 1)
  manager = walletFromKeys(await readKeyFile(join(net.dir, 'keys', 'manager.json')))
  client = new ArcadeClient({ url: net.url('validator-2') })
  const genesis = JSON.parse(await readFile(join(net.dir, 'genesis.json'), 'utf8')) as unknown
  observer = new ArcadeClient({ url: net.url('observer-1'), trust: { genesis } })
  chainId = (await client.status()).chainId
  await client.createPoint({ point: POINT, name: 'Traffic street point' }, asManager())
  await client.grantQuota(
    { point: POINT, grantee: null, txsPerPeriod: 1000, periodMs: 86_400_000 },
    asManager(),
  )
  for (const [i, shop] of shops.entries()) {
    await client.applyMerchant({ point: POINT, name: `shop ${i}` }, sponsored(shop))
    await client.admitMerchant({ point: POINT, merchant: shop.address, creditLimit: 10_000 }, asManager())
    await client.addTerminal({ point: POINT, terminal: (tills[i] as Wallet).address }, sponsored(shop))
  }
  // Only visits the customer confirms earn points: 10 each, at most CAP a day across the shops.
  await client.setTrafficRules(
    { point: POINT, confirmed: { visit: 10 }, unconfirmed: {}, dailyCapPerCustomer: CAP },
    asManager(),
  )
}, 120_000)

afterAll(async () => {
  await net?.close()
})

/** One confirmed visit at shop i: the till's challenge, the wallet's answer, the till's check. */
function confirmedVisit(i: number) {
  const challenge = trafficChallenge({
    chainId,
    point: POINT,
    merchant: (shops[i] as Wallet).address,
    kind: 'visit',
  })
  const event = attestTraffic(customer, challenge)
  checkAttestation(challenge, event)
  return event
}

describe('trustworthy traffic on a real network', () => {
  const pseudonym = () => pseudonymWallet(customer, chainId, POINT)

  it('confirmed visits at two shops accrue to one pseudonym, capped per day across both', async () => {
    const shopsEarned: number[] = []
    for (const i of [0, 0, 1, 1]) {
      const { committed } = await client.recordTraffic(
        { point: POINT, events: [confirmedVisit(i)] },
        sponsored(tills[i] as Wallet),
      )
      const earned = committed?.receipt.events.find((e) => e.type === 'trafficEarned')
      shopsEarned.push(earned === undefined ? 0 : Number(earned.amount))
    }
    // 10 + 10 at the first shop; the second shop's first visit gets the 5 left of the cap, then none.
    expect(shopsEarned).toEqual([10, 10, 5, 0])
    expect(await client.pseudonymTraffic(POINT, pseudonym().address)).toMatchObject({
      events: 4,
      confirmed: 4,
      points: CAP,
      unclaimed: CAP,
    })
    // The shop's word alone earns nothing under these rules; the customer's account is untouched.
    const unconfirmed = await client.recordTraffic(
      { point: POINT, events: [{ eventId: 'walk-in', kind: 'visit', pseudonym: pseudonym().address }] },
      sponsored(tills[0] as Wallet),
    )
    expect(unconfirmed.committed?.receipt.events.some((e) => e.type === 'trafficEarned')).toBe(false)
    // The point's figures for the chain's JST day (the block time decides the day).
    const head = await client.block((await client.status()).height)
    const day = Math.floor((head.header.timeMs + 9 * 3_600_000) / 86_400_000)
    const today = (await client.trafficDay(POINT, day)).items
    expect(today.map((d) => [d.confirmed.visit, d.unconfirmed.visit]).sort()).toEqual([
      [2, 0],
      [2, 1],
    ])
  })

  it('a till cannot replay the attestation at the other shop, and a stranger cannot claim', async () => {
    const atFirst = confirmedVisit(0)
    const replay = await client.recordTraffic(
      { point: POINT, events: [atFirst] },
      { ...sponsored(tills[1] as Wallet), throwOnFailure: false },
    )
    expect(replay.committed?.receipt).toMatchObject({ status: 'failed', error: 'STATE_BAD_ATTESTATION' })
    const stranger = generateWallet()
    const theft = await client.claimTraffic(
      { point: POINT, account: stranger.address, amount: 1 },
      { ...sponsored(stranger), throwOnFailure: false },
    )
    expect(theft.committed?.receipt.error).toBe('STATE_CLAIM_EXCEEDS_UNCLAIMED')
  })

  it('the customer claims the points into an account of its choosing', async () => {
    const account = generateWallet()
    await client.claimTraffic({ point: POINT, account: account.address, amount: CAP }, sponsored(pseudonym()))
    expect((await client.lots(POINT, account.address)).balance).toBe(CAP)
    expect(await client.pseudonymTraffic(POINT, pseudonym().address)).toMatchObject({
      unclaimed: 0,
      points: CAP,
    })
    expect((await client.point(POINT)).trafficUnclaimed).toBe(0)
  })

  it('a regulator verifies an anchored event from the observer, trusting only the genesis file', async () => {
    const shop = shops[1] as Wallet
    const now = Date.now()
    const batch = buildTrafficBatch(
      Array.from({ length: 7 }, (_, i) => ({
        eventId: `view-${i}`,
        kind: 'view',
        pseudonym: i % 2 === 0 ? pseudonym().address : null,
        amount: 0,
        timeMs: now - 60_000 + i,
      })),
      { point: POINT, merchant: shop.address },
    )
    const { committed } = await client.anchorTraffic(
      {
        point: POINT,
        root: batch.root,
        count: batch.count,
        periodStartMs: batch.periodStartMs,
        periodEndMs: batch.periodEndMs,
      },
      sponsored(tills[1] as Wallet),
    )
    expect(committed?.receipt.status).toBe('ok')
    await net.waitForHeight('observer-1', (await client.status()).height + 1)
    const proof = proveTrafficEvent(batch, 'view-4')
    const verified = await observer.verifyAnchoredEvent(proof, { point: POINT })
    expect(verified).toMatchObject({ count: 7 })
    // A tampered event does not verify.
    const tampered = { ...proof, event: { ...proof.event, eventId: 'view-99' } }
    await expect(observer.verifyAnchoredEvent(tampered)).rejects.toMatchObject({
      code: 'CLIENT_ANCHOR_REJECTED',
    })
  })

  it('the regulator reconciles the point on the observer, unclaimed points in the books', async () => {
    const height = (await client.status()).height
    await net.waitForHeight('observer-1', height)
    const report = await reconcilePoint(observer, { point: POINT, atHeight: height })
    expect(report.firstDiscrepancy).toBeNull()
    expect(report.ok).toBe(true)
  })
})
