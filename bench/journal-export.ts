/**
 * Journal CSV export bench: `node_modules/.bin/node bench/journal-export.ts [rows] [rowsPerBlock]`.
 * Fills a LevelDB chain store with `rows` journal rows (default 200,000, 1,000 a block), then streams
 * GET /v1/journal?point=SHOP&format=csv from the real RPC server over loopback HTTP and reports:
 *   rows/s and MB/s of the whole export (the client reads as fast as it can and discards);
 *   the same for one account's rows (`account=`, the per-account index);
 *   peak RSS and heap growth while streaming, against the size of the CSV (bounded memory means the
 *     growth stays flat as `rows` grows);
 *   the settlement statement of the day that holds every row (GET /v1/points/SHOP/statement): rows
 *     folded per second (the fold reads the journal from the period's start to the head).
 * Runs three times and prints the median. The machine may be busy: compare medians.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { createJournalReader } from '../node/journal-reader.ts'
import { createStatementReader } from '../node/statement-reader.ts'
import { createLevelChainStore } from '../node/store/index.ts'
import { syntheticAccount, syntheticJournalCommit } from '../node/store/sample-commit.ts'
import { encodeAddress } from '../protocol/address.ts'
import type { ChainReader } from '../rpc/ports.ts'
import { createRpcServer } from '../rpc/server.ts'
import { createLedgerQuery } from '../state/index.ts'
import { setupPoint, TestChain } from '../state/test-kit.ts'

const rows = Number(process.argv[2] ?? 200_000)
const rowsPerBlock = Number(process.argv[3] ?? 1_000)
const runs = 3

const dir = await mkdtemp(join(tmpdir(), 'arcade-journal-bench-'))
const store = createLevelChainStore({ location: join(dir, 'db'), syncCommits: false })
await store.open()
const fillStart = performance.now()
const blocks = Math.ceil(rows / rowsPerBlock)
for (let h = 1; h <= blocks; h++) await store.commitBlock(syntheticJournalCommit(h, rowsPerBlock))
const fillMs = performance.now() - fillStart

const ledger = new TestChain()
setupPoint(ledger)
// The ledger's head stands above the store's blocks, a day after the last (the statement's day is over).
while (ledger.height <= blocks) ledger.block([])
ledger.block([], { timeMs: 1_767_225_600_000 + (blocks + 86_400) * 1_000 })
const query = () => createLedgerQuery(ledger.state)
const journal = createJournalReader(store)
const statements = createStatementReader(store, query)
const chain = {
  journal: (request) => journal.page(request),
  statement: (point, period) => statements.statement(point, period),
} as Partial<ChainReader> as ChainReader
const server = createRpcServer(
  { rateLimit: null, docs: false },
  {
    chain,
    submitter: { submit: async () => [] },
    query,
    events: { subscribe: () => () => {} } as never,
    metrics: new Registry(),
  },
)
const url = await server.listen('127.0.0.1', 0)

async function exportOnce(
  query: string,
): Promise<{ ms: number; lines: number; bytes: number; peakRss: number; heapGrowth: number }> {
  globalThis.gc?.()
  const rss0 = process.memoryUsage().rss
  const heap0 = process.memoryUsage().heapUsed
  let peakRss = rss0
  let peakHeap = heap0
  const start = performance.now()
  const res = await fetch(`${url}/v1/journal?${query}&format=csv`)
  if (res.status !== 200 || res.body === null) throw new Error(`export failed: ${res.status}`)
  let lines = 0
  let bytes = 0
  let chunks = 0
  for await (const chunk of res.body) {
    bytes += chunk.length
    for (const b of chunk) if (b === 0x0a) lines++
    if (++chunks % 64 === 0) {
      const m = process.memoryUsage()
      peakRss = Math.max(peakRss, m.rss)
      peakHeap = Math.max(peakHeap, m.heapUsed)
    }
  }
  return {
    ms: performance.now() - start,
    lines: lines - 1,
    bytes,
    peakRss: peakRss - rss0,
    heapGrowth: peakHeap - heap0,
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const mb = (n: number) => (n / 1024 / 1024).toFixed(1)

console.log(
  `journal export bench: ${rows.toLocaleString()} rows in ${blocks} blocks (filled in ${(fillMs / 1000).toFixed(1)} s, ` +
    `${Math.round(rows / (fillMs / 1000)).toLocaleString()} rows/s written with 2 keys a row), node ${process.version}`,
)
const cases: [string, string][] = [
  ['whole point', 'point=SHOP'],
  ['one account', `point=SHOP&account=${encodeAddress(syntheticAccount(7))}`],
]
for (const [label, query] of cases) {
  const results = []
  for (let i = 0; i < runs; i++) results.push(await exportOnce(query))
  const ms = median(results.map((r) => r.ms))
  const lines = results[0]?.lines ?? 0
  const bytes = results[0]?.bytes ?? 0
  console.log(
    `${label.padEnd(12)} ${lines.toLocaleString().padStart(9)} rows  ${mb(bytes).padStart(6)} MB  median ${ms.toFixed(0).padStart(6)} ms  ` +
      `${Math.round(lines / (ms / 1000))
        .toLocaleString()
        .padStart(9)} rows/s  ${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(1)} MB/s  ` +
      `peak RSS +${mb(median(results.map((r) => r.peakRss)))} MB  heap +${mb(median(results.map((r) => r.heapGrowth)))} MB`,
  )
}
// Synthetic rows start at 2026-01-01T00:00Z, 09:00 in Tokyo: the Tokyo day 2026-01-01 holds them all.
const statementMs: number[] = []
let statementHash = ''
for (let i = 0; i < runs; i++) {
  const start = performance.now()
  const res = await fetch(`${url}/v1/points/SHOP/statement?period=2026-01-01`)
  if (res.status !== 200) throw new Error(`statement failed: ${res.status} ${await res.text()}`)
  await res.arrayBuffer()
  statementMs.push(performance.now() - start)
  statementHash = res.headers.get('x-statement-sha256') ?? ''
}
const sms = median(statementMs)
console.log(
  `statement    ${rows.toLocaleString().padStart(9)} rows folded  median ${sms.toFixed(0).padStart(6)} ms  ` +
    `${Math.round(rows / (sms / 1000))
      .toLocaleString()
      .padStart(9)} rows/s  sha256 ${statementHash.slice(0, 16)}… (the same in every run)`,
)
await server.close()
await store.close()
await rm(dir, { recursive: true, force: true })
