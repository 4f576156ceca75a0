/**
 * Campaigns (issue 15) through the real Fastify routes, the SDK over loopback HTTP and the CLI: a
 * point's campaigns and one campaign, the point's campaign books, proofs of a campaign record, the
 * journal's campaign rows, typed refusals, and the tx builders and commands for campaign.create, fund
 * and close.
 */

import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ArcadeClient,
  campaignAccount,
  operations,
  parseExpiryDateMs,
  proofRef,
  txBody,
} from '../../client/index.ts'
import type { CliIo } from '../../node/cli/command.ts'
import { runCli } from '../../node/cli/run.ts'
import { keyFileOf } from '../../node/keys.ts'
import { encodeAddress } from '../../protocol/address.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import type { TxBodyOf } from '../../protocol/tx-body.ts'
import {
  alice,
  CHAIN_ID,
  CUSTOMER,
  type Harness,
  harness,
  ISSUER,
  MERCHANT,
  POINT,
  TERMINAL,
} from '../../rpc/testing.ts'
import { setupMerchant, setupPoint } from '../../state/test-kit.ts'
import { JournalWorld } from '../helpers/journal-world.ts'

const addr = (b: Bytes) => encodeAddress(b)
let h: Harness
afterEach(async () => h?.server.close())

async function get(url: string) {
  const res = await h.server.app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json() }
}

const DAY = 86_400_000

/**
 * The harness ledger (MERCHANT awarded CUSTOMER 120 on credit), then the manager's `spring` (double
 * points on awards, budget 1,000) and MERCHANT's `own` (flat 5 on visits, budget 30, on credit), then
 * an award of 50 by TERMINAL: `spring` pays 50.
 */
function world(): { t0: number } {
  h = harness()
  const l = h.ledger
  const t0 = l.state.meta.timeMs
  const create = (over: Partial<TxBodyOf<'campaign.create'>>): TxBodyOf<'campaign.create'> => ({
    kind: 'campaign.create',
    point: POINT,
    campaign: 'spring',
    triggers: ['award'],
    bonusPerMille: 1000,
    flatBonus: 0,
    startMs: t0,
    endMs: t0 + 30 * DAY,
    merchants: [],
    budget: 1_000,
    fiatRef: 'FY2026 budget',
    ...over,
  })
  const ok = (r: { error: string | null }) => expect(r.error).toBeNull()
  ok(l.run(ISSUER, create({})))
  ok(
    l.run(
      MERCHANT,
      create({ campaign: 'own', triggers: ['visit'], bonusPerMille: 0, flatBonus: 5, budget: 30 }),
    ),
  )
  ok(l.run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: CUSTOMER, amount: 50, memo: '' }))
  return { t0 }
}

describe('GET /v1/points/:id/campaigns and /campaigns/:campaign', () => {
  it('lists the campaigns in creation order with their budgets; the point shows its campaign books', async () => {
    const { t0 } = world()
    const list = await get(`/v1/points/${POINT}/campaigns`)
    expect(list.status).toBe(200)
    expect(list.body.items.map((c: { campaign: string }) => c.campaign)).toEqual(['spring', 'own'])
    expect(list.body.nextOffset).toBeNull()
    expect(list.body.items[0]).toEqual({
      point: POINT,
      campaign: 'spring',
      account: addr(campaignAccount(POINT, 'spring')),
      owner: addr(ISSUER),
      funder: 'manager',
      triggers: ['award'],
      bonusPerMille: 1000,
      flatBonus: 0,
      startMs: t0,
      endMs: t0 + 30 * DAY,
      merchants: [],
      funded: 1_000,
      remaining: 950,
      paid: 50,
      returned: 0,
      status: 'open',
      active: true,
      createdAtHeight: expect.any(Number),
      closedAtHeight: 0,
    })
    const own = await get(`/v1/points/${POINT}/campaigns/own`)
    expect(own.body).toMatchObject({ funder: 'merchant', owner: addr(MERCHANT), merchants: [addr(MERCHANT)] })
    const point = (await get(`/v1/points/${POINT}`)).body
    expect(point).toMatchObject({
      liveCampaigns: 2,
      campaignBudgets: 950 + 30,
      cumCampaignFunded: 1_000,
      cumCampaignReturned: 0,
    })
    expect(point.totalSupply - point.totalLiability).toBe(
      point.cumRepaid -
        point.cumRedeemed -
        point.cumExpired +
        point.cumCampaignFunded -
        point.cumCampaignReturned,
    )
    const page = await get(`/v1/points/${POINT}/campaigns?limit=1`)
    expect(page.body).toMatchObject({ items: [{ campaign: 'spring' }], nextOffset: 1 })
  })

  it('refuses an unknown point or campaign and a malformed id with typed codes; proves the record', async () => {
    world()
    expect(await get(`/v1/points/NOPE/campaigns`)).toMatchObject({
      status: 404,
      body: { code: 'RPC_POINT_NOT_FOUND' },
    })
    expect(await get(`/v1/points/${POINT}/campaigns/autumn`)).toMatchObject({
      status: 404,
      body: { code: 'RPC_CAMPAIGN_NOT_FOUND' },
    })
    expect((await get(`/v1/proofs/campaign:${POINT}:Bad_Id`)).status).toBe(400)
    const proof = await get(`/v1/proofs/campaign:${POINT}:spring`)
    expect(proof.status).toBe(200)
    expect(proof.body.value).not.toBeNull()
  })

  it('the journal shows the funding, the bonus and the return, with the campaign as an account', async () => {
    const w = new JournalWorld()
    await w.open()
    setupPoint(w.ledger)
    setupMerchant(w.ledger, MERCHANT, 500, [TERMINAL])
    const t0 = w.ledger.state.meta.timeMs
    await w.run(ISSUER, {
      kind: 'campaign.create',
      point: POINT,
      campaign: 'spring',
      triggers: ['award'],
      bonusPerMille: 1000,
      flatBonus: 0,
      startMs: t0,
      endMs: t0 + 30 * DAY,
      merchants: [],
      budget: 1_000,
      fiatRef: 'FY2026 budget',
    })
    await w.run(TERMINAL, { kind: 'merchant.award', point: POINT, customer: CUSTOMER, amount: 50, memo: '' })
    await w.run(ISSUER, { kind: 'campaign.close', point: POINT, campaign: 'spring' })
    h = w.serve()
    const account = addr(campaignAccount(POINT, 'spring'))
    const rows: {
      event: string
      amount: number
      fromRole: string
      toRole: string
      fiatRef: string | null
    }[] = (await get(`/v1/journal?point=${POINT}&account=${account}`)).body.items
    expect(rows.map((r) => [r.event, r.fromRole, r.toRole, r.amount, r.fiatRef])).toEqual([
      ['campaignFund', 'manager', 'campaign', 1_000, 'FY2026 budget'],
      ['campaignBonus', 'campaign', 'customer', 50, null],
      ['campaignReturn', 'campaign', 'manager', 950, null],
    ])
    const statement = (await get(`/v1/points/${POINT}/statement?period=2026-01`)).body
    expect(statement).toMatchObject({
      campaignFunded: 1_000,
      campaignBonusCount: 1,
      campaignBonuses: 50,
      campaignReturned: 950,
    })
    expect(statement.closing).toMatchObject({
      holds: true,
      campaigns: 0,
      cumCampaignFunded: 1_000,
      cumCampaignReturned: 950,
    })
  })
})

describe('the SDK', () => {
  it('queries campaigns, proves one, and builds campaign.create, fund and close', async () => {
    world()
    const client = new ArcadeClient({ url: await h.server.listen('127.0.0.1', 0) })
    expect((await client.campaigns(POINT)).items).toHaveLength(2)
    expect(await client.campaign(POINT, 'own')).toMatchObject({ remaining: 30, status: 'open' })
    await expect(client.campaign(POINT, 'autumn')).rejects.toMatchObject({ code: 'RPC_CAMPAIGN_NOT_FOUND' })
    expect((await client.proof(proofRef.campaign(POINT, 'spring'))).value).not.toBeNull()
    expect(() => proofRef.campaign(POINT, '-bad')).toThrow(
      expect.objectContaining({ code: 'CLIENT_INVALID_INPUT' }),
    )

    const created = operations.createCampaign({
      point: POINT,
      campaign: 'summer',
      triggers: ['award', 'purchase'],
      flatBonus: 10,
      startMs: 1,
      endMs: 2,
      merchants: [addr(MERCHANT)],
      budget: 500,
    })
    expect(txBody(created.kind, created.fields)).toEqual({
      kind: 'campaign.create',
      point: POINT,
      campaign: 'summer',
      triggers: ['award', 'purchase'],
      bonusPerMille: 0,
      flatBonus: 10,
      startMs: 1,
      endMs: 2,
      merchants: [MERCHANT],
      budget: 500,
      fiatRef: '',
    })
    expect(operations.fundCampaign({ point: POINT, campaign: 'summer', amount: 5 })).toEqual({
      kind: 'campaign.fund',
      fields: { point: POINT, campaign: 'summer', amount: 5, fiatRef: '' },
    })
    expect(operations.closeCampaign({ point: POINT, campaign: 'summer' }).kind).toBe('campaign.close')
    expect(() => operations.closeCampaign({ point: POINT, campaign: 'Summer' })).toThrow(
      expect.objectContaining({ code: 'CLIENT_INVALID_INPUT' }),
    )
  })
})

describe('the CLI', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcade-campaign-'))
    await writeFile(join(dir, 'alice.json'), JSON.stringify(keyFileOf(alice)))
  })
  const NOW = 1_767_225_600_000
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
      nowMs: () => NOW,
      generateKeyPair,
    }
    return { code: await runCli(argv, io), stdout, stderr }
  }

  it('tx campaign-create|campaign-fund|campaign-close, and query campaigns', async () => {
    world()
    const url = await h.server.listen('127.0.0.1', 0)
    const tx = (...argv: string[]) => arcade('tx', ...argv, '--key', 'alice.json', '--rpc', url)
    const received = () => h.submitter.received.map((b: Bytes) => decodeAndVerifyTx(b, CHAIN_ID).body)
    const base = ['--point', POINT, '--campaign', 'summer']
    const created = await tx(
      'campaign-create',
      ...base,
      '--triggers',
      'award,visit',
      '--bonus-per-mille',
      '500',
      '--start',
      'now',
      '--end',
      '2026-08-31',
      '--merchants',
      addr(MERCHANT),
      '--budget',
      '20000',
      '--fiat-ref',
      'summer budget',
    )
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect((await tx('campaign-fund', ...base, '--amount', '5000', '--fiat-ref', 'top-up')).code).toBe(0)
    expect((await tx('campaign-close', ...base)).code).toBe(0)
    expect(received()).toEqual([
      {
        kind: 'campaign.create',
        point: POINT,
        campaign: 'summer',
        triggers: ['award', 'visit'],
        bonusPerMille: 500,
        flatBonus: 0,
        startMs: NOW,
        endMs: parseExpiryDateMs('2026-08-31'),
        merchants: [MERCHANT],
        budget: 20_000,
        fiatRef: 'summer budget',
      },
      { kind: 'campaign.fund', point: POINT, campaign: 'summer', amount: 5_000, fiatRef: 'top-up' },
      { kind: 'campaign.close', point: POINT, campaign: 'summer' },
    ])
    // Usage errors: no bonus, an unknown trigger, a bad merchant address.
    const create = (...extra: string[]) =>
      tx('campaign-create', ...base, '--start', 'now', '--end', '2026-08-31', '--budget', '1', ...extra)
    expect((await create('--triggers', 'award')).code).toBe(2)
    expect((await create('--triggers', 'award,tip', '--flat-bonus', '1')).code).toBe(2)
    expect((await create('--triggers', 'award', '--flat-bonus', '1', '--merchants', 'zzz')).code).not.toBe(0)
    expect(received()).toHaveLength(3)

    const all = await arcade('query', 'campaigns', POINT, '--rpc', url, '--json')
    expect(all.code).toBe(0)
    expect(JSON.parse(all.stdout).items.map((c: { campaign: string }) => c.campaign)).toEqual([
      'spring',
      'own',
    ])
    const one = await arcade('query', 'campaigns', POINT, 'own', '--rpc', url, '--json')
    expect(JSON.parse(one.stdout)).toMatchObject({ campaign: 'own', remaining: 30, funder: 'merchant' })
    expect((await arcade('query', 'campaigns', '--rpc', url)).code).toBe(2)
  })
})
