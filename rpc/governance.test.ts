import { afterEach, describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import type { Bytes } from '../protocol/bytes.ts'
import type { TxBody, TxBodyOf } from '../protocol/tx-body.ts'
import { passes } from '../state/governance.ts'
import { ADMIN, ASSOCIATION, account } from '../state/test-kit.ts'
import { accountsOfReceipt, renderReceipt } from './json.ts'
import { neededPower } from './routes/governance.ts'
import { CUSTOMER, type Harness, harness } from './testing.ts'

const addr = (key: Bytes) => encodeAddress(key)
const node = (key: Bytes) => encodeAddress(key, NODE_KEY_PREFIX)
const REGULATOR = account(800)

let h: Harness
afterEach(async () => h?.server.close())

async function get(url: string) {
  const res = await h.server.app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json() }
}

function run(signer: Bytes, body: TxBody) {
  const r = h.ledger.run(signer, body)
  if (r.error !== null) throw new Error(r.error)
  return r
}

type Action = TxBodyOf<'gov.propose'>['action']
/** The genesis association (the whole validator set) proposes; `yes` votes it through at once. */
function propose(action: Action, opts: { yes?: boolean; deadline?: number } = {}): number {
  const r = run(ASSOCIATION, { kind: 'gov.propose', action, deadline: opts.deadline ?? h.ledger.height + 50 })
  const id = (r.events[0] as { proposal: number }).proposal
  if (opts.yes !== undefined) run(ASSOCIATION, { kind: 'gov.vote', proposal: id, yes: opts.yes })
  return id
}

/** Proposals 0 passed, 1 open with a no vote, 2 expired, 3 failed (its action is refused). */
function fourProposals() {
  propose({ kind: 'observer.admit', nodeKey: REGULATOR, name: 'regulator' }, { yes: true })
  propose({ kind: 'role.grant', account: CUSTOMER, role: 'issuer' }, { yes: false })
  propose({ kind: 'association.retire', association: ASSOCIATION }, { deadline: h.ledger.height + 2 })
  h.ledger.block([])
  propose({ kind: 'observer.remove', nodeKey: account(801) }, { yes: true })
}

const ids = (body: { items: { id: number }[] }) => body.items.map((p) => p.id)

describe('GET /v1/gov/proposals', () => {
  it('lists newest first, filters by status and pages with offset and nextOffset', async () => {
    h = harness()
    fourProposals()
    const all = await get('/v1/gov/proposals')
    expect(all.status).toBe(200)
    expect(ids(all.body)).toEqual([3, 2, 1, 0])
    expect(all.body.items.map((p: { status: string }) => p.status)).toEqual([
      'failed',
      'expired',
      'open',
      'passed',
    ])
    expect(all.body.nextOffset).toBeNull()
    expect(ids((await get('/v1/gov/proposals?status=open')).body)).toEqual([1])
    expect(ids((await get('/v1/gov/proposals?status=passed')).body)).toEqual([0])
    const first = await get('/v1/gov/proposals?limit=3')
    expect([ids(first.body), first.body.nextOffset]).toEqual([[3, 2, 1], 3])
    const next = await get(`/v1/gov/proposals?limit=3&offset=${first.body.nextOffset}`)
    expect([ids(next.body), next.body.nextOffset]).toEqual([[0], null])
  })

  it('refuses an unknown status (naming the known ones) or a page too large with a typed 400', async () => {
    h = harness()
    for (const url of ['/v1/gov/proposals?status=won', '/v1/gov/proposals?limit=101']) {
      expect(await get(url)).toMatchObject({ status: 400, body: { code: 'RPC_BAD_REQUEST' } })
    }
    expect((await get('/v1/gov/proposals?status=won')).body.message).toMatch(
      /status .*\(open, passed, failed, expired\)$/,
    )
  })
})

describe('GET /v1/gov/proposals/:id', () => {
  it('shows the action in bech32m, the votes with their power and the tally with the quorum', async () => {
    h = harness()
    fourProposals()
    const passed = await get('/v1/gov/proposals/0')
    expect(passed).toMatchObject({
      status: 200,
      body: {
        id: 0,
        proposer: addr(ASSOCIATION),
        action: { kind: 'observer.admit', nodeKey: node(REGULATOR), name: 'regulator' },
        status: 'passed',
        error: null,
        votes: [{ association: addr(ASSOCIATION), yes: true, power: 1000 }],
        tally: { yes: 1000, no: 0, total: 1000, needed: 667 },
      },
    })
    expect((await get('/v1/gov/proposals/1')).body).toMatchObject({
      action: { kind: 'role.grant', account: addr(CUSTOMER), role: 'issuer' },
      status: 'open',
      tally: { yes: 0, no: 1000 },
    })
    expect((await get('/v1/gov/proposals/3')).body).toMatchObject({
      status: 'failed',
      error: 'STATE_UNKNOWN_OBSERVER',
    })
  })

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    h = harness()
    expect(await get('/v1/gov/proposals/0')).toMatchObject({
      status: 404,
      body: { code: 'RPC_PROPOSAL_NOT_FOUND' },
    })
    for (const id of ['abc', '-1', '1.5', '9'.repeat(20)]) {
      expect(await get(`/v1/gov/proposals/${id}`)).toMatchObject({
        status: 400,
        body: { code: 'RPC_BAD_REQUEST' },
      })
    }
  })

  it('names as needed the least yes power the ledger’s quorum passes', () => {
    for (const total of [1, 2, 3, 4, 299, 300, 301, 400, 40_000, 123_457]) {
      const needed = neededPower(total)
      expect(passes({ yes: needed, no: 0, total }), `total ${total}`).toBe(true)
      expect(passes({ yes: needed - 1, no: 0, total }), `total ${total}`).toBe(false)
    }
  })
})

describe('observers, params, associations', () => {
  it('lists the observers admitted on chain', async () => {
    h = harness()
    expect((await get('/v1/observers')).body).toEqual({ items: [] })
    run(ADMIN, { kind: 'observer.admit', nodeKey: REGULATOR, name: 'prefecture' })
    expect((await get('/v1/observers')).body).toEqual({
      items: [{ nodeKey: node(REGULATOR), name: 'prefecture' }],
    })
  })

  it('serves the params in force and the pending change with the height it takes effect from', async () => {
    h = harness()
    const before = await get('/v1/params')
    expect(before.body).toMatchObject({ pending: null, pendingFromHeight: null })
    expect(before.body.current).toMatchObject({ epochLength: 10, maxTxValidityBlocks: 100, jailEpochs: 2 })
    run(ADMIN, { kind: 'params.set', changes: [{ param: 'jailEpochs', value: 5 }] })
    const after = await get('/v1/params')
    // epochLength 10: the block at the next multiple of 10 applies it.
    const boundary = Math.ceil((h.ledger.height + 1) / 10) * 10
    expect(after.body).toMatchObject({
      height: h.ledger.height,
      current: { jailEpochs: 2 },
      pending: { ...before.body.current, jailEpochs: 5 },
      pendingFromHeight: boundary + 1,
      epoch: { epochLength: 10, anchorHeight: 0, anchorEpoch: 0, nextBoundary: boundary },
    })
    expect(Object.keys(after.body.current)).toEqual(
      expect.arrayContaining(['maxBlockBytes', 'viewTimeoutCapMs']),
    )
  })

  it('lists associations with their on-chain addresses, retirement and jailing', async () => {
    h = harness()
    const before = (await get('/v1/associations')).body.items[0]
    expect(before).toMatchObject({
      p2p: null,
      rpc: null,
      retired: false,
      jailed: false,
      unjailFromHeight: null,
    })
    run(ASSOCIATION, {
      kind: 'association.setAddresses',
      p2p: 'node1.example.jp:26600',
      rpc: 'https://rpc.example.jp',
    })
    expect((await get('/v1/associations')).body.items[0]).toMatchObject({
      address: addr(ASSOCIATION),
      p2p: 'node1.example.jp:26600',
      rpc: 'https://rpc.example.jp',
    })
  })
})

describe('governance events in receipts', () => {
  it('render the proposer and voters as accounts, which a ?account= stream filter matches', () => {
    h = harness()
    const action: Action = { kind: 'observer.admit', nodeKey: REGULATOR, name: 'regulator' }
    const deadline = h.ledger.height + 9
    const proposed = run(ASSOCIATION, { kind: 'gov.propose', action, deadline })
    const voted = run(ASSOCIATION, { kind: 'gov.vote', proposal: 0, yes: true })
    expect((renderReceipt(proposed) as { events: unknown[] }).events).toEqual([
      { type: 'proposed', proposal: 0, proposer: addr(ASSOCIATION), action: 'observer.admit', deadline },
    ])
    expect((renderReceipt(voted) as { events: unknown[] }).events).toEqual([
      { type: 'voted', proposal: 0, association: addr(ASSOCIATION), yes: true, power: 1000 },
      { type: 'proposalPassed', proposal: 0, action: 'observer.admit' },
      { type: 'observerAdmitted', nodeKey: node(REGULATOR), name: 'regulator' },
    ])
    for (const r of [proposed, voted]) expect(accountsOfReceipt(r).map(addr)).toContain(addr(ASSOCIATION))
  })
})
