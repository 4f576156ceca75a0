/**
 * Campaigns (campaigns.ts): every rule and its boundary. After each scenario the books identity with
 * the campaign terms holds, and each campaign's funded = paid + remaining + returned.
 */
import { describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { MAX_LIVE_CAMPAIGNS } from '../protocol/campaign.ts'
import type { TxBodyOf } from '../protocol/tx-body.ts'
import { checkTx } from './admission.ts'
import { StateErrorCode } from './errors.ts'
import { createLedgerQuery } from './query.ts'
import type { EventOf, LedgerEvent, Receipt } from './receipt.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from './test-kit.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const OTHER = account(110)
const CUSTOMER = account(200)
const STRANGER = account(201)
const ACCOUNTS = [MERCHANT, TERMINAL, OTHER, CUSTOMER, STRANGER, ISSUER]
const HOUR = 3_600_000

function world(): TestChain {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 1_000, [TERMINAL])
  setupMerchant(chain, OTHER, 1_000)
  return chain
}

/** A manager campaign on awards: flat 10 per award, from now for a day, budget 25, all merchants. */
function create(
  chain: TestChain,
  over: Partial<TxBodyOf<'campaign.create'>> = {},
): TxBodyOf<'campaign.create'> {
  const now = chain.state.meta.timeMs
  return {
    kind: 'campaign.create',
    point: POINT,
    campaign: 'spring',
    triggers: ['award'],
    bonusPerMille: 0,
    flatBonus: 10,
    startMs: now,
    endMs: now + 24 * HOUR,
    merchants: [],
    budget: 25,
    fiatRef: 'budget-2026',
    ...over,
  }
}

const award = (customer: Bytes = CUSTOMER, amount = 100): TxBodyOf<'merchant.award'> => ({
  kind: 'merchant.award',
  point: POINT,
  customer,
  amount,
  memo: '',
})

function ok(r: Receipt): Receipt {
  if (r.status !== 'ok') throw new Error(`tx failed: ${r.error}`)
  return r
}

function eventsOf<T extends LedgerEvent['type']>(r: Receipt, type: T): EventOf<T>[] {
  return r.events.filter((e) => e.type === type) as unknown as EventOf<T>[]
}

const bonusesOf = (r: Receipt) => eventsOf(r, 'campaignBonus').map((e) => e.amount)

/** The books identity with every term, and each campaign's own identity. */
function checkBooks(chain: TestChain): void {
  const q = createLedgerQuery(chain.state)
  const p = q.point(POINT)
  if (p === null) throw new Error('no point')
  const balances = ACCOUNTS.reduce((s, a) => s + q.balance(POINT, a), 0)
  let net = 0
  let floats = 0
  for (const m of q.merchants(POINT)) {
    net += m.float - m.liability
    floats += m.float
  }
  expect(balances + p.totalLocked + net + p.campaignBudgets + p.trafficUnclaimed).toBe(
    p.cumRepaid - p.cumRedeemed - p.cumExpired + p.cumCampaignFunded - p.cumCampaignReturned,
  )
  expect(p.totalSupply).toBe(balances + floats + p.totalLocked + p.campaignBudgets + p.trafficUnclaimed)
  let remaining = 0
  let live = 0
  for (const c of q.campaigns(POINT)) {
    expect(c.remaining).toBeGreaterThanOrEqual(0)
    expect(c.paid + c.remaining + c.returned).toBe(c.funded)
    if (c.status === 'open') live++
    else expect(c.remaining).toBe(0)
    remaining += c.remaining
  }
  expect(p.campaignBudgets).toBe(remaining)
  expect(p.liveCampaigns).toBe(live)
}

describe('campaign.create', () => {
  it('by the manager mints the budget into campaignBudgets, against its fiat reference', () => {
    const chain = world()
    const before = createLedgerQuery(chain.state).point(POINT)!
    const r = ok(chain.run(ISSUER, create(chain)))
    expect(r.events.map((e) => e.type)).toEqual(['campaignCreated', 'campaignFunded'])
    expect(eventsOf(r, 'campaignFunded')[0]).toMatchObject({
      amount: 25,
      fromFloat: 0,
      onCredit: 0,
      fiatRef: 'budget-2026',
    })
    const q = createLedgerQuery(chain.state)
    const p = q.point(POINT)!
    expect(p.totalSupply - before.totalSupply).toBe(25)
    expect(p).toMatchObject({ campaignBudgets: 25, cumCampaignFunded: 25, liveCampaigns: 1 })
    expect(toHex(q.campaign(POINT, 'spring')!.owner)).toBe(toHex(ISSUER))
    expect(q.campaign(POINT, 'spring')).toMatchObject({
      id: 'spring',
      funder: 'manager',
      funded: 25,
      remaining: 25,
      paid: 0,
      status: 'open',
      createdAtHeight: chain.height,
    })
    checkBooks(chain)
  })

  it('by a merchant charges its float first, then credit within its limit; beyond it is refused', () => {
    const chain = world()
    ok(
      chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: MERCHANT,
        amount: 30,
        fiatRef: 'r',
      }),
    )
    const r = ok(chain.run(MERCHANT, create(chain, { budget: 100, merchants: [] })))
    expect(eventsOf(r, 'campaignFunded')[0]).toMatchObject({ amount: 100, fromFloat: 30, onCredit: 70 })
    const q = createLedgerQuery(chain.state)
    expect(q.merchant(POINT, MERCHANT)).toMatchObject({ float: 0, liability: 70 })
    // Stored as its own shop; the point's fiat figures do not move (the merchant's books do).
    const own = q.campaign(POINT, 'spring')
    expect(own?.funder).toBe('merchant')
    expect(own?.merchants.map(toHex)).toEqual([toHex(MERCHANT)])
    expect(toHex(own!.owner)).toBe(toHex(MERCHANT))
    expect(q.point(POINT)).toMatchObject({ campaignBudgets: 100, cumCampaignFunded: 0 })
    checkBooks(chain)
    // 70 + 931 > 1,000: refused, and nothing moved.
    const refused = chain.run(MERCHANT, create(chain, { campaign: 'summer', budget: 931 }))
    expect(refused.error).toBe(StateErrorCode.creditLimitExceeded)
    expect(ok(chain.run(MERCHANT, create(chain, { campaign: 'summer', budget: 930 }))).status).toBe('ok')
    expect(createLedgerQuery(chain.state).merchant(POINT, MERCHANT)?.liability).toBe(1_000)
    checkBooks(chain)
  })

  it("a merchant's campaign is for its own shop: [itself] is fine, anyone else refused", () => {
    const chain = world()
    expect(chain.run(MERCHANT, create(chain, { merchants: [MERCHANT] })).status).toBe('ok')
    expect(chain.run(MERCHANT, create(chain, { campaign: 'b', merchants: [OTHER] })).error).toBe(
      StateErrorCode.badCampaign,
    )
    expect(chain.run(MERCHANT, create(chain, { campaign: 'c', merchants: [MERCHANT, OTHER] })).error).toBe(
      StateErrorCode.badCampaign,
    )
  })

  it('a terminal, a customer or a suspended merchant cannot create one', () => {
    const chain = world()
    expect(chain.run(TERMINAL, create(chain)).error).toBe(StateErrorCode.notMerchant)
    expect(chain.run(STRANGER, create(chain)).error).toBe(StateErrorCode.notMerchant)
    ok(chain.run(ISSUER, { kind: 'merchant.suspend', point: POINT, merchant: OTHER }))
    expect(chain.run(OTHER, create(chain)).error).toBe(StateErrorCode.merchantNotActive)
  })

  it('refuses bad terms: no trigger, a trigger twice, no bonus, an empty or past window, no budget', () => {
    const chain = world()
    const now = chain.state.meta.timeMs
    const next = now + 1_000 // the block's time
    const cases: Partial<TxBodyOf<'campaign.create'>>[] = [
      { triggers: [] },
      { triggers: ['award', 'visit', 'award'] },
      { bonusPerMille: 0, flatBonus: 0 },
      { startMs: now + HOUR, endMs: now + HOUR },
      { startMs: 0, endMs: next },
      { merchants: [MERCHANT, MERCHANT] },
      { merchants: [STRANGER] },
    ]
    for (const c of cases) expect(chain.run(ISSUER, create(chain, c)).error).toBe(StateErrorCode.badCampaign)
    expect(chain.run(ISSUER, create(chain, { budget: 0 })).error).toBe(StateErrorCode.zeroAmount)
    // An end one millisecond after the block's time is fine.
    const at = chain.state.meta.timeMs + 1_000
    expect(chain.run(ISSUER, create(chain, { startMs: 0, endMs: at + 1 })).status).toBe('ok')
  })

  it('refuses an id used before, even once that campaign closed', () => {
    const chain = world()
    ok(chain.run(ISSUER, create(chain)))
    expect(chain.run(ISSUER, create(chain)).error).toBe(StateErrorCode.campaignExists)
    ok(chain.run(ISSUER, { kind: 'campaign.close', point: POINT, campaign: 'spring' }))
    expect(chain.run(MERCHANT, create(chain)).error).toBe(StateErrorCode.campaignExists)
  })

  it(`refuses a campaign past ${MAX_LIVE_CAMPAIGNS} live ones, at admission too; a close frees a slot`, () => {
    const chain = world()
    for (let i = 0; i < MAX_LIVE_CAMPAIGNS; i++) ok(chain.run(ISSUER, create(chain, { campaign: `c${i}` })))
    const ninth = chain.tx(ISSUER, create(chain, { campaign: 'c9' }))
    expect(checkTx(chain.state, ninth, { chainId: 'arcade-test', height: chain.height + 1 })?.code).toBe(
      StateErrorCode.tooManyCampaigns,
    )
    expect(chain.block([ninth]).receipts[0]?.error).toBe(StateErrorCode.tooManyCampaigns)
    ok(chain.run(ISSUER, { kind: 'campaign.close', point: POINT, campaign: 'c3' }))
    ok(chain.run(ISSUER, create(chain, { campaign: 'c9' })))
    expect(createLedgerQuery(chain.state).point(POINT)?.liveCampaigns).toBe(MAX_LIVE_CAMPAIGNS)
    expect(
      createLedgerQuery(chain.state)
        .campaigns(POINT)
        .map((c) => c.id),
    ).toEqual([...Array.from({ length: MAX_LIVE_CAMPAIGNS }, (_, i) => `c${i}`), 'c9'])
    checkBooks(chain)
  })

  it('admission refuses bad terms and a passed end, as execution would', () => {
    const chain = world()
    const check = (body: TxBodyOf<'campaign.create'>) =>
      checkTx(chain.state, chain.tx(ISSUER, body), { chainId: 'arcade-test', height: chain.height + 1 })
        ?.code ?? null
    expect(check(create(chain, { flatBonus: 0 }))).toBe(StateErrorCode.badCampaign)
    expect(check(create(chain, { startMs: 0, endMs: chain.state.meta.timeMs }))).toBe(
      StateErrorCode.badCampaign,
    )
    expect(check(create(chain))).toBeNull()
  })
})

describe('bonuses', () => {
  it('a flat 10 on a budget of 25 pays 10, 10, then the last 5, and closes in that tx', () => {
    const chain = world()
    ok(chain.run(ISSUER, create(chain)))
    expect(bonusesOf(ok(chain.run(TERMINAL, award())))).toEqual([10])
    expect(bonusesOf(ok(chain.run(TERMINAL, award())))).toEqual([10])
    const last = ok(chain.run(TERMINAL, award()))
    expect(last.events.map((e) => e.type)).toEqual(['award', 'campaignBonus', 'campaignClosed'])
    expect(bonusesOf(last)).toEqual([5])
    expect(eventsOf(last, 'campaignClosed')[0]).toMatchObject({
      returned: 0,
      liabilityCleared: 0,
      toFloat: 0,
    })
    const q = createLedgerQuery(chain.state)
    expect(q.campaign(POINT, 'spring')).toMatchObject({
      status: 'closed',
      paid: 25,
      remaining: 0,
      returned: 0,
    })
    expect(q.point(POINT)).toMatchObject({ liveCampaigns: 0, campaignBudgets: 0 })
    expect(q.balance(POINT, CUSTOMER)).toBe(325)
    expect(bonusesOf(ok(chain.run(TERMINAL, award())))).toEqual([])
    checkBooks(chain)
  })

  it('a budget spent exactly by one bonus closes the campaign', () => {
    const chain = world()
    ok(chain.run(ISSUER, create(chain, { budget: 20 })))
    ok(chain.run(TERMINAL, award()))
    const r = ok(chain.run(TERMINAL, award()))
    expect(bonusesOf(r)).toEqual([10])
    expect(eventsOf(r, 'campaignClosed')).toHaveLength(1)
    checkBooks(chain)
  })

  it('a multiplier: floor(amount × bonusPerMille / 1000) + flatBonus (1000 = double points)', () => {
    const chain = world()
    ok(chain.run(ISSUER, create(chain, { bonusPerMille: 1_000, flatBonus: 0, budget: 10_000 })))
    expect(bonusesOf(ok(chain.run(TERMINAL, award(CUSTOMER, 123))))).toEqual([123])
    ok(
      chain.run(
        ISSUER,
        create(chain, { campaign: 'extra', bonusPerMille: 15, flatBonus: 2, budget: 10_000 }),
      ),
    )
    // 'extra' sorts before 'spring': bonuses are paid in id order.
    const r = ok(chain.run(TERMINAL, award(CUSTOMER, 199)))
    expect(eventsOf(r, 'campaignBonus').map((e) => [e.campaign, e.amount])).toEqual([
      ['extra', 2 + 2],
      ['spring', 199],
    ])
    checkBooks(chain)
  })

  it('the window: start inclusive, end exclusive', () => {
    const chain = world()
    const t0 = chain.state.meta.timeMs
    ok(chain.run(ISSUER, create(chain, { startMs: t0 + 10_000, endMs: t0 + 20_000, budget: 1_000 })))
    const at = (timeMs: number) =>
      bonusesOf(chain.block([chain.tx(TERMINAL, award())], { timeMs }).receipts[0]!)
    expect(at(t0 + 9_999)).toEqual([])
    expect(at(t0 + 10_000)).toEqual([10])
    expect(at(t0 + 19_999)).toEqual([10])
    expect(at(t0 + 20_000)).toEqual([])
    // Past its end it stays open, holding its slot, until someone closes it.
    expect(createLedgerQuery(chain.state).campaign(POINT, 'spring')?.status).toBe('open')
    checkBooks(chain)
  })

  it('the merchants list: only awards by a listed merchant (or its terminals) qualify', () => {
    const chain = world()
    ok(chain.run(ISSUER, create(chain, { merchants: [MERCHANT], budget: 1_000 })))
    expect(bonusesOf(ok(chain.run(OTHER, award())))).toEqual([])
    expect(bonusesOf(ok(chain.run(TERMINAL, award())))).toEqual([10])
    expect(bonusesOf(ok(chain.run(MERCHANT, award())))).toEqual([10])
    const bonus = eventsOf(ok(chain.run(TERMINAL, award())), 'campaignBonus')[0]
    expect(bonus).toMatchObject({ merchant: MERCHANT, customer: CUSTOMER, campaign: 'spring' })
    checkBooks(chain)
  })

  it("a merchant's campaign pays on its own awards, not another shop's", () => {
    const chain = world()
    ok(chain.run(MERCHANT, create(chain, { budget: 100 })))
    expect(bonusesOf(ok(chain.run(OTHER, award())))).toEqual([])
    expect(bonusesOf(ok(chain.run(TERMINAL, award())))).toEqual([10])
    checkBooks(chain)
  })

  it('a trigger it does not list pays nothing; a failed award pays no bonus', () => {
    const chain = world()
    ok(chain.run(ISSUER, create(chain, { triggers: ['visit'], budget: 1_000 })))
    expect(bonusesOf(ok(chain.run(TERMINAL, award())))).toEqual([])
    const self = chain.run(TERMINAL, award(OTHER))
    expect(self.error).toBe(StateErrorCode.roleConflict)
    expect(createLedgerQuery(chain.state).campaign(POINT, 'spring')?.paid).toBe(0)
  })

  it('traffic: a bonus on a rewarded event of a listed kind; the daily cap bounds the base alone', () => {
    const chain = world()
    ok(
      chain.run(ISSUER, {
        kind: 'traffic.setRules',
        point: POINT,
        confirmed: { visit: 5, view: 1, click: 1, purchase: 0, purchasePerMille: 0 },
        unconfirmed: { visit: 5, view: 1, click: 1, purchase: 0, purchasePerMille: 0 },
        dailyCapPerCustomer: 8,
      }),
    )
    ok(
      chain.run(
        ISSUER,
        create(chain, { triggers: ['visit'], bonusPerMille: 1_000, flatBonus: 1, budget: 1_000 }),
      ),
    )
    const visit = (eventId: string, kind: 'visit' | 'view' = 'visit') =>
      chain.run(TERMINAL, {
        kind: 'traffic.record',
        point: POINT,
        events: [{ eventId, kind, pseudonym: CUSTOMER, amount: 0, attestation: null }],
      })
    // 5 base (within the cap of 8), bonus 5 + 1.
    expect(bonusesOf(ok(visit('a')))).toEqual([6])
    // 3 base (the cap's rest), bonus 3 + 1: the bonus is not capped.
    const second = ok(visit('b'))
    expect(eventsOf(second, 'trafficEarned')[0]?.amount).toBe(3)
    expect(bonusesOf(second)).toEqual([4])
    // The cap is reached: no base points, so no bonus.
    expect(bonusesOf(ok(visit('c')))).toEqual([])
    // A view is not a listed trigger (and the cap is reached anyway).
    expect(bonusesOf(ok(visit('d', 'view')))).toEqual([])
    // Traffic accrues to the customer's pseudonym (here CUSTOMER's key stands for it), unclaimed.
    expect(createLedgerQuery(chain.state).pseudonymTraffic(POINT, CUSTOMER).unclaimed).toBe(8 + 10)
    checkBooks(chain)
  })

  it('a bonus takes the point’s expiry policy like the award it rides on', () => {
    const chain = world()
    ok(chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 30, atMs: 0 }))
    ok(chain.run(ISSUER, create(chain, { budget: 1_000 })))
    ok(chain.run(TERMINAL, award()))
    const lots = createLedgerQuery(chain.state).lots(POINT, CUSTOMER)
    expect(lots.nonExpiring).toBe(0)
    expect(lots.lots.reduce((s, l) => s + l.amount, 0)).toBe(110)
    checkBooks(chain)
  })
})

describe('campaign.fund and campaign.close', () => {
  it('the owner tops up an open campaign; others, a closed or an ended campaign are refused', () => {
    const chain = world()
    ok(chain.run(ISSUER, create(chain)))
    const fund = (amount: number): TxBodyOf<'campaign.fund'> => ({
      kind: 'campaign.fund',
      point: POINT,
      campaign: 'spring',
      amount,
      fiatRef: 'top-up',
    })
    ok(chain.run(ISSUER, fund(75)))
    const q = createLedgerQuery(chain.state)
    expect(q.campaign(POINT, 'spring')).toMatchObject({ funded: 100, remaining: 100 })
    expect(q.point(POINT)).toMatchObject({ campaignBudgets: 100, cumCampaignFunded: 100 })
    expect(chain.run(MERCHANT, fund(1)).error).toBe(StateErrorCode.notCampaignOwner)
    expect(chain.run(ISSUER, fund(0)).error).toBe(StateErrorCode.zeroAmount)
    expect(chain.run(ISSUER, { ...fund(1), campaign: 'nope' }).error).toBe(StateErrorCode.unknownCampaign)
    const end = q.campaign(POINT, 'spring')!.endMs
    expect(chain.block([chain.tx(ISSUER, fund(1))], { timeMs: end }).receipts[0]?.error).toBe(
      StateErrorCode.campaignEnded,
    )
    ok(chain.run(ISSUER, { kind: 'campaign.close', point: POINT, campaign: 'spring' }))
    expect(chain.run(ISSUER, fund(1)).error).toBe(StateErrorCode.campaignClosed)
    checkBooks(chain)
  })

  it("a merchant's top-up is charged like its create: float, then credit", () => {
    const chain = world()
    ok(chain.run(MERCHANT, create(chain, { budget: 990 })))
    const r = chain.run(MERCHANT, {
      kind: 'campaign.fund',
      point: POINT,
      campaign: 'spring',
      amount: 11,
      fiatRef: '',
    })
    expect(r.error).toBe(StateErrorCode.creditLimitExceeded)
    ok(
      chain.run(MERCHANT, {
        kind: 'campaign.fund',
        point: POINT,
        campaign: 'spring',
        amount: 10,
        fiatRef: '',
      }),
    )
    expect(createLedgerQuery(chain.state).merchant(POINT, MERCHANT)?.liability).toBe(1_000)
    checkBooks(chain)
  })

  it("closing the manager's campaign burns the rest (cumCampaignReturned)", () => {
    const chain = world()
    ok(chain.run(ISSUER, create(chain)))
    ok(chain.run(TERMINAL, award()))
    const supply = createLedgerQuery(chain.state).point(POINT)!.totalSupply
    const r = ok(chain.run(ISSUER, { kind: 'campaign.close', point: POINT, campaign: 'spring' }))
    expect(eventsOf(r, 'campaignClosed')[0]).toMatchObject({ returned: 15, liabilityCleared: 0, toFloat: 0 })
    const q = createLedgerQuery(chain.state)
    expect(q.point(POINT)).toMatchObject({
      totalSupply: supply - 15,
      campaignBudgets: 0,
      cumCampaignFunded: 25,
      cumCampaignReturned: 15,
      liveCampaigns: 0,
    })
    expect(q.campaign(POINT, 'spring')).toMatchObject({
      status: 'closed',
      paid: 10,
      returned: 15,
      closedAtHeight: chain.height,
    })
    expect(chain.run(ISSUER, { kind: 'campaign.close', point: POINT, campaign: 'spring' }).error).toBe(
      StateErrorCode.campaignClosed,
    )
    checkBooks(chain)
  })

  it("closing a merchant's campaign credits the rest back: liability first, then float", () => {
    const chain = world()
    ok(
      chain.run(ISSUER, {
        kind: 'merchant.repay',
        point: POINT,
        merchant: MERCHANT,
        amount: 30,
        fiatRef: 'r',
      }),
    )
    ok(chain.run(MERCHANT, create(chain, { budget: 100 })))
    ok(chain.run(TERMINAL, award(CUSTOMER, 5)))
    // Float 0, liability 70 + 5 = 75; rest 90: 75 clears the liability, 15 to the float.
    const r = ok(chain.run(ISSUER, { kind: 'campaign.close', point: POINT, campaign: 'spring' }))
    expect(eventsOf(r, 'campaignClosed')[0]).toMatchObject({
      owner: MERCHANT,
      returned: 90,
      liabilityCleared: 75,
      toFloat: 15,
    })
    expect(createLedgerQuery(chain.state).merchant(POINT, MERCHANT)).toMatchObject({
      float: 15,
      liability: 0,
    })
    expect(createLedgerQuery(chain.state).point(POINT)?.cumCampaignReturned).toBe(0)
    checkBooks(chain)
  })

  it('the owner or the manager closes at any time; anyone else only once it has ended', () => {
    const chain = world()
    ok(chain.run(MERCHANT, create(chain, { budget: 50 })))
    ok(chain.run(ISSUER, create(chain, { campaign: 'b' })))
    ok(chain.run(ISSUER, create(chain, { campaign: 'c' })))
    const close = (campaign: string): TxBodyOf<'campaign.close'> => ({
      kind: 'campaign.close',
      point: POINT,
      campaign,
    })
    expect(chain.run(STRANGER, close('spring')).error).toBe(StateErrorCode.notCampaignOwner)
    expect(chain.run(TERMINAL, close('spring')).error).toBe(StateErrorCode.notCampaignOwner)
    expect(chain.run(OTHER, close('b')).error).toBe(StateErrorCode.notCampaignOwner)
    ok(chain.run(MERCHANT, close('spring')))
    ok(chain.run(ISSUER, close('b')))
    const end = createLedgerQuery(chain.state).campaign(POINT, 'c')!.endMs
    expect(chain.block([chain.tx(STRANGER, close('c'))], { timeMs: end - 1 }).receipts[0]?.error).toBe(
      StateErrorCode.notCampaignOwner,
    )
    ok(chain.block([chain.tx(STRANGER, close('c'))], { timeMs: end }).receipts[0]!)
    expect(createLedgerQuery(chain.state).point(POINT)?.liveCampaigns).toBe(0)
    checkBooks(chain)
  })
})
