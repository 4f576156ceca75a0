/**
 * The journal end to end inside one process: real txs through the state machine, their rows written
 * by node/journal-index.ts into a memory chain store in the block's batch, read by
 * node/journal-reader.ts behind the real Fastify routes (GET /v1/journal and the account history).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ArcadeClient } from '../../client/index.ts'
import { createJournalReader } from '../../node/journal-reader.ts'
import { createMemoryChainStore } from '../../node/store/index.ts'
import { syntheticJournalCommit } from '../../node/store/sample-commit.ts'
import { encodeAddress } from '../../protocol/address.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import type { TxBody } from '../../protocol/tx-body.ts'
import { JOURNAL_CSV_COLUMNS } from '../../rpc/journal-render.ts'
import type { ChainReader } from '../../rpc/ports.ts'
import { FakeChain, type Harness, harness } from '../../rpc/testing.ts'
import { createLedgerQuery } from '../../state/index.ts'
import { account, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from '../../state/test-kit.ts'
import { JournalWorld } from '../helpers/journal-world.ts'

const MERCHANT = account(100)
const TERMINAL = account(101)
const ALICE = account(200)
const BOB = account(201)
const addr = (b: Bytes) => encodeAddress(b)

let h: Harness | undefined
afterEach(async () => h?.server.close())

async function world(): Promise<JournalWorld> {
  const w = new JournalWorld()
  await w.open()
  setupPoint(w.ledger)
  setupMerchant(w.ledger, MERCHANT, 1_000, [TERMINAL])
  return w
}

const award = (customer: Bytes, amount: number, memo = ''): TxBody => ({
  kind: 'merchant.award',
  point: POINT,
  customer,
  amount,
  memo,
})

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await (h as Harness).server.app.inject({ method: 'GET', url, headers })
  return res
}

describe('GET /v1/journal', () => {
  it('lists the point’s movements in order, with roles, deltas, sponsor and fiat reference', async () => {
    const w = await world()
    await w.run(ISSUER, {
      kind: 'merchant.repay',
      point: POINT,
      merchant: MERCHANT,
      amount: 30,
      fiatRef: 'bank 1',
    })
    await w.run(TERMINAL, award(ALICE, 50, 'r-1'))
    await w.run(ALICE, { kind: 'merchant.pay', point: POINT, payee: TERMINAL, amount: 10, memo: '' })
    await w.run(ALICE, { kind: 'merchant.pay', point: POINT, payee: TERMINAL, amount: 999, memo: '' }) // fails
    h = w.serve()
    const res = await get(`/v1/journal?point=${POINT}`)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.next).toBeNull()
    expect(
      body.items.map((r: Record<string, unknown>) => [r.event, r.amount, r.floatDelta, r.liabilityDelta]),
    ).toEqual([
      ['repay', 30, 30, 0],
      ['award', 50, -30, 20],
      ['pay', 10, 0, -10],
    ])
    expect(body.items[0]).toMatchObject({
      from: addr(ISSUER),
      fromRole: 'manager',
      to: addr(MERCHANT),
      fiatRef: 'bank 1',
    })
    expect(body.items[1]).toMatchObject({
      kind: 'merchant.award',
      from: addr(MERCHANT),
      to: addr(ALICE),
      terminal: addr(TERMINAL),
      sponsor: addr(ISSUER),
      memo: 'r-1',
    })
    expect(body.items[1].time).toBe(new Date(body.items[1].timeMs).toISOString())
  })

  it('filters per account and per merchant, and pages with cursors over a height or time range', async () => {
    const w = await world()
    const other = account(300)
    setupMerchant(w.ledger, other, 1_000)
    for (let i = 0; i < 12; i++) {
      await w.block([
        { signer: TERMINAL, body: award(ALICE, i + 1) },
        { signer: other, body: award(BOB, 50 + i) },
      ])
    }
    h = w.serve()
    const pageAll = async (query: string, limit: number) => {
      const seen: number[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const res = await get(
          `/v1/journal?point=${POINT}&${query}&limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`,
        )
        expect(res.statusCode).toBe(200)
        const body = res.json()
        seen.push(...body.items.map((r: { amount: number }) => r.amount))
        cursor = body.next
        pages++
      } while (cursor !== null && pages < 100)
      return seen
    }
    expect(await pageAll(`account=${addr(ALICE)}`, 5)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    expect(await pageAll(`merchant=${addr(other)}`, 7)).toEqual(Array.from({ length: 12 }, (_, i) => 50 + i))
    expect(await pageAll(`account=${addr(TERMINAL)}`, 100)).toHaveLength(12)
    const first = w.ledger.height - 11
    expect(await pageAll(`account=${addr(ALICE)}&fromHeight=${first + 2}&toHeight=${first + 4}`, 2)).toEqual([
      3, 4, 5,
    ])
    // Block times are 1 s apart: the same blocks by time.
    const t0 = (await get(`/v1/journal?point=${POINT}&account=${addr(ALICE)}&limit=1`)).json().items[0].timeMs
    const iso = (ms: number) => new Date(ms).toISOString()
    expect(
      await pageAll(`account=${addr(ALICE)}&fromTime=${t0 + 2_000}&toTime=${iso(t0 + 4_000)}`, 2),
    ).toEqual([3, 4, 5])
    expect(await pageAll(`fromTime=${t0 + 10_000_000}`, 10)).toEqual([])
  })

  it('answers bad input with typed 4xx codes and changes nothing', async () => {
    const w = await world()
    await w.run(TERMINAL, award(ALICE, 5))
    h = w.serve()
    const typo = addr(ALICE).slice(0, -1) + (addr(ALICE).endsWith('q') ? 'p' : 'q')
    const cases: [string, number, string][] = [
      ['', 400, 'RPC_BAD_REQUEST'],
      ['point=shop', 400, 'RPC_BAD_REQUEST'],
      ['point=NOPE', 404, 'RPC_POINT_NOT_FOUND'],
      [`point=${POINT}&account=${addr(ALICE)}&merchant=${addr(MERCHANT)}`, 400, 'RPC_BAD_REQUEST'],
      [`point=${POINT}&account=${typo}`, 400, 'PROTOCOL_BAD_ADDRESS'],
      [`point=${POINT}&cursor=1.2`, 400, 'RPC_BAD_CURSOR'],
      [`point=${POINT}&cursor=1.2.99999`, 400, 'RPC_BAD_CURSOR'],
      [`point=${POINT}&cursor=99999999999999999.0.0`, 400, 'RPC_BAD_CURSOR'],
      [`point=${POINT}&fromHeight=5&toHeight=2`, 400, 'RPC_BAD_RANGE'],
      [`point=${POINT}&fromHeight=-1`, 400, 'RPC_BAD_REQUEST'],
      [`point=${POINT}&fromTime=yesterday`, 400, 'RPC_BAD_RANGE'],
      [`point=${POINT}&fromTime=2026-13-45T99:00Z`, 400, 'RPC_BAD_RANGE'],
      [`point=${POINT}&fromTime=2000&toTime=1000`, 400, 'RPC_BAD_RANGE'],
      [`point=${POINT}&limit=0`, 400, 'RPC_BAD_REQUEST'],
      [`point=${POINT}&limit=100000`, 400, 'RPC_BAD_REQUEST'],
      [`point=${POINT}&format=xml`, 400, 'RPC_BAD_REQUEST'],
      [`point=${POINT}&cursor=${'9'.repeat(60)}`, 400, 'RPC_BAD_REQUEST'],
    ]
    for (const [query, status, code] of cases) {
      const res = await get(`/v1/journal?${query}`)
      expect([query, res.statusCode, res.json().code]).toEqual([query, status, code])
    }
  })

  it('streams CSV with the documented columns, RFC 4180 escaping and formulas defused', async () => {
    const w = await world()
    await w.run(TERMINAL, award(ALICE, 5, 'a,b "c"\nd'))
    await w.run(TERMINAL, award(ALICE, 6, '=HYPERLINK("x")'))
    await w.run(MERCHANT, { kind: 'merchant.redeem', point: POINT, amount: 1, fiatRef: '-1+2' }) // fails: no float
    await w.run(ISSUER, {
      kind: 'merchant.repay',
      point: POINT,
      merchant: MERCHANT,
      amount: 50,
      fiatRef: '+81 ref',
    })
    h = w.serve()
    const byFormat = await get(`/v1/journal?point=${POINT}&format=csv`)
    const byAccept = await get(`/v1/journal?point=${POINT}`, { accept: 'text/csv' })
    expect(byFormat.statusCode).toBe(200)
    expect(byFormat.headers['content-type']).toMatch(/^text\/csv/)
    expect(byAccept.body).toBe(byFormat.body)
    const lines = byFormat.body.split('\r\n')
    expect(lines[0]).toBe(JOURNAL_CSV_COLUMNS.join(','))
    expect(lines.at(-1)).toBe('')
    const memo = JOURNAL_CSV_COLUMNS.indexOf('memo')
    // The first memo is quoted (comma, quotes, a newline inside the field).
    expect(lines[1]?.endsWith(',"a,b ""c""\nd"')).toBe(true)
    expect(lines[2]?.split(',').slice(memo - 1)).toEqual(['', `"'=HYPERLINK(""x"")"`])
    const fiatRef = JOURNAL_CSV_COLUMNS.indexOf('fiatRef')
    const repay = lines[3]?.split(',') ?? []
    expect(repay[fiatRef]).toBe("'+81 ref")
    // 11 of liability (the two awards) cleared, 39 to the float; the failed redeem wrote no row.
    expect([
      repay[JOURNAL_CSV_COLUMNS.indexOf('floatDelta')],
      repay[JOURNAL_CSV_COLUMNS.indexOf('liabilityDelta')],
    ]).toEqual(['39', '-11'])
    expect(lines).toHaveLength(5)
  })
})

describe('account history from the journal', () => {
  it('gains amounts and counterparties; a failed tx shows none', async () => {
    const w = await world()
    await w.run(TERMINAL, award(ALICE, 40))
    await w.run(ALICE, { kind: 'point.transfer', point: POINT, to: BOB, amount: 15 })
    await w.run(ALICE, { kind: 'point.transfer', point: POINT, to: BOB, amount: 500 })
    h = w.serve()
    const res = await get(`/v1/accounts/${addr(ALICE)}/history`)
    expect(res.statusCode).toBe(200)
    const items = res.json().items
    expect(items.map((e: { kind: string; status: string }) => [e.kind, e.status])).toEqual([
      ['point.transfer', 'failed'],
      ['point.transfer', 'ok'],
      ['merchant.award', 'ok'],
    ])
    expect(items[0].movements).toEqual([])
    expect(items[1].movements).toMatchObject([
      { event: 'transfer', from: addr(ALICE), to: addr(BOB), amount: 15 },
    ])
    expect(items[2].movements).toMatchObject([
      {
        event: 'award',
        from: addr(MERCHANT),
        to: addr(ALICE),
        terminal: addr(TERMINAL),
        amount: 40,
        liabilityDelta: 40,
      },
    ])
    expect(items[2].moreMovements).toBe(false)
  })
})

describe('large exports and the SDK', () => {
  it('streams a large CSV one page at a time, reading ahead only as far as the client takes it', async () => {
    const store = createMemoryChainStore()
    await store.open()
    const blocks = 60
    for (let height = 1; height <= blocks; height++)
      await store.commitBlock(syntheticJournalCommit(height, 1_000))
    const journal = createJournalReader(store)
    let fetched = 0
    let largestAsk = 0
    const chain = new FakeChain(1, () => new Uint8Array(32)) as FakeChain & ChainReader
    chain.journal = async (request) => {
      largestAsk = Math.max(largestAsk, request.limit)
      const page = await journal.page(request)
      fetched += page.rows.length
      return page
    }
    const ledger = new TestChain()
    setupPoint(ledger)
    h = harness({}, { chain, query: () => createLedgerQuery(ledger.state) })
    const url = await h.server.listen('127.0.0.1', 0)
    const res = await fetch(`${url}/v1/journal?point=${POINT}&format=csv`)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let tail = decoder.decode((await reader.read()).value, { stream: true })
    // Hold off reading: the server stops once the socket's buffers are full, far short of the end.
    let last = -1
    for (let turns = 0; turns < 10_000 && fetched !== last; turns++) {
      last = fetched
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
    }
    expect(fetched).toBeLessThan(30_000)
    let lines = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const text = tail + decoder.decode(value, { stream: true })
      const parts = text.split('\r\n')
      tail = parts.pop() ?? ''
      lines += parts.length
    }
    expect(tail).toBe('')
    // Every tenth memo holds a quoted comma: still one line per row (no newline in it).
    expect(lines).toBe(1 + blocks * 1_000)
    expect(fetched).toBe(blocks * 1_000)
    expect(largestAsk).toBeLessThanOrEqual(1_000)
    await store.close()
  })

  it('the SDK pages the journal and streams its CSV; bad input is a coded error', async () => {
    const w = await world()
    for (let i = 0; i < 7; i++) await w.run(TERMINAL, award(ALICE, i + 1))
    h = w.serve()
    const url = await (h as Harness).server.listen('127.0.0.1', 0)
    const client = new ArcadeClient({ url })
    const page = await client.journal({ point: POINT, account: addr(ALICE) }, { limit: 3 })
    expect(page.items.map((r) => r.amount)).toEqual([1, 2, 3])
    expect(page.next).not.toBeNull()
    const all: number[] = []
    for await (const row of client.journalRows({ point: POINT, merchant: MERCHANT }, { limit: 2 }))
      all.push(row.amount)
    expect(all).toEqual([1, 2, 3, 4, 5, 6, 7])
    let csv = ''
    for await (const chunk of client.journalCsv({ point: POINT, fromHeight: 0 })) csv += chunk
    expect(csv.split('\r\n')).toHaveLength(1 + 7 + 1)
    await expect(client.journal({ point: POINT, fromHeight: 5, toHeight: 1 })).rejects.toMatchObject({
      code: 'RPC_BAD_RANGE',
      status: 400,
    })
    const csvError = async () => {
      for await (const _ of client.journalCsv({ point: 'NOPE' })) void _
    }
    await expect(csvError()).rejects.toMatchObject({ code: 'RPC_POINT_NOT_FOUND', status: 404 })
  })
})
