/**
 * Store benchmark: `node_modules/.bin/node bench/store.ts [blocks] [txCount] [journalRowsPerTx]`.
 * With journalRowsPerTx > 0 every tx also writes that many 200-byte journal rows, each under its
 * point and the tx's two accounts (three ops a row), the shape of a pay or an award (default 0, the
 * store as it was before the journal; run both to see the journal's cost per block). With journal
 * rows, every tx also writes its sponsored-tx record (one more op a tx, the shape of a sponsored pay).
 * Commits blocks shaped like a full 10,000-tx block (30,000 state writes, 10,000 receipts of 100
 * bytes, 20,000 account-history entries: about 60,000 LevelDB ops) and reports per commit:
 *   wall ms (mean, median, p95) and the ops/s and tx/s they imply;
 *   main thread: wall ms spent on the calling thread (JS op building plus LevelDB's native batch
 *     building, before the write moves to a worker thread); inflated when the machine is busy;
 *   main-thread cpu: CPU ms of the main thread alone, the figure that counts against one core's
 *     tx/s budget and the steadiest one under load;
 *   cpu (all threads): process CPU ms, including LevelDB's write and background compaction.
 * Configurations:
 *   build-only:   the store's batch building over a KV that discards writes (the JS cost alone)
 *   level nosync: LevelDB, commit resolves once in the OS (survives a process crash)
 *   level sync:   LevelDB, commit resolves once fsynced (survives a power cut; the node default)
 * The sync run then times the start-up load of every state entry.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KvChainStore } from '../node/store/kv-chain-store.ts'
import { LevelKv } from '../node/store/level-kv.ts'
import type { RawKv, RawOp, RawRange } from '../node/store/raw-kv.ts'
import { syntheticCommit } from '../node/store/sample-commit.ts'
import type { Bytes } from '../protocol/bytes.ts'

const blocks = Number(process.argv[2] ?? 12)
const txCount = Number(process.argv[3] ?? 10_000)
const journalRowsPerTx = Number(process.argv[4] ?? 0)
const shape = {
  txCount,
  stateWritesPerTx: 3,
  receiptBytes: 100,
  accountsPerTx: 2,
  accountCount: 5_000,
  journalRowsPerTx,
  sponsored: true,
}

/** Discards writes but counts them: isolates the cost of building the batch. */
class NullKv implements RawKv {
  ops = 0
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async get(_key: Bytes): Promise<Bytes | undefined> {
    return undefined
  }
  async write(ops: readonly RawOp[]): Promise<void> {
    this.ops += ops.length
  }
  async *entries(): AsyncIterable<readonly [Bytes, Bytes]> {}
}

/**
 * Times the synchronous part of each write: LevelDB's batch is built natively on the calling thread
 * before the write itself moves to a worker thread, so this plus the JS build is the main-thread cost.
 */
class TimedKv implements RawKv {
  enteredAt = 0
  syncMs = 0
  readonly #inner: RawKv
  constructor(inner: RawKv) {
    this.#inner = inner
  }
  open(): Promise<void> {
    return this.#inner.open()
  }
  close(): Promise<void> {
    return this.#inner.close()
  }
  get(key: Bytes): Promise<Bytes | undefined> {
    return this.#inner.get(key)
  }
  entries(range: RawRange): AsyncIterable<readonly [Bytes, Bytes]> {
    return this.#inner.entries(range)
  }
  write(ops: readonly RawOp[], options: { readonly sync: boolean }): Promise<void> {
    this.enteredAt = performance.now()
    const pending = this.#inner.write(ops, options)
    this.syncMs = performance.now() - this.enteredAt
    return pending
  }
}

function stats(samples: number[]): { mean: number; median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, median: at(0.5), p95: at(0.95) }
}

async function run(label: string, inner: RawKv, sync: boolean, loadState = false): Promise<void> {
  const kv = new TimedKv(inner)
  const store = new KvChainStore({ syncCommits: sync }, { kv })
  await store.open()
  const samples: number[] = []
  let cpuMs = 0
  let mainMs = 0
  let threadMs = 0
  let opsPerBlock = 0
  for (let h = 1; h <= blocks; h++) {
    const commit = syntheticCommit(h, shape)
    opsPerBlock =
      3 +
      commit.stateWrites.length +
      commit.txs.length +
      commit.accountIndex.length +
      (commit.journal ?? []).reduce((n, e) => n + 1 + e.accounts.length, 0) +
      (commit.sponsored ?? []).length +
      (commit.timeMs === undefined ? 0 : 1)
    const cpu = process.cpuUsage()
    const thread = process.threadCpuUsage()
    const start = performance.now()
    await store.commitBlock(commit)
    samples.push(performance.now() - start)
    const used = process.cpuUsage(cpu)
    const usedHere = process.threadCpuUsage(thread)
    if (h > 1) {
      cpuMs += (used.user + used.system) / 1000
      threadMs += (usedHere.user + usedHere.system) / 1000
      mainMs += kv.enteredAt - start + kv.syncMs
    }
  }
  if (loadState) {
    const start = performance.now()
    let entries = 0
    for await (const _ of store.stateEntries()) entries++
    const ms = performance.now() - start
    console.log(`start-up load: ${entries.toLocaleString('en')} state entries in ${ms.toFixed(0)} ms`)
  }
  await store.close()
  const warm = samples.slice(1) // the first commit pays for opening files and JIT warm-up
  const { mean, median, p95 } = stats(warm)
  console.log(
    [
      label.padEnd(13),
      `${mean.toFixed(1).padStart(7)} ms mean`,
      `${median.toFixed(1).padStart(7)} median`,
      `${p95.toFixed(1).padStart(7)} p95`,
      `${(mainMs / warm.length).toFixed(1).padStart(6)} ms main thread`,
      `${(threadMs / warm.length).toFixed(1).padStart(6)} ms main-thread cpu`,
      `${(cpuMs / warm.length).toFixed(1).padStart(6)} ms cpu (all threads)`,
      `${Math.round((opsPerBlock / mean) * 1000)
        .toLocaleString('en')
        .padStart(10)} ops/s`,
      `${Math.round((txCount / mean) * 1000)
        .toLocaleString('en')
        .padStart(8)} tx/s`,
    ].join('  '),
  )
}

console.log(
  `store bench: ${blocks} blocks of ${txCount} txs, ${journalRowsPerTx} journal rows per tx (first block excluded), node ${process.version}`,
)
await run('build-only', new NullKv(), false)
for (const sync of [false, true]) {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-bench-store-'))
  try {
    await run(sync ? 'level sync' : 'level nosync', new LevelKv({ location: join(dir, 'db') }), sync, sync)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
