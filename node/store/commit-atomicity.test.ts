import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { Bytes } from '../../protocol/bytes.ts'
import type { ChainStore } from './chain-store.ts'
import { StoreErrorCode } from './errors.ts'
import { createLevelChainStore } from './index.ts'
import { readU32 } from './keys.ts'
import { KvChainStore } from './kv-chain-store.ts'
import { LevelKv } from './level-kv.ts'
import type { RawKv, RawOp, RawRange } from './raw-kv.ts'
import { LATEST_KEY, syntheticAccount, syntheticCommit, syntheticStateKey } from './sample-commit.ts'

/** A LevelKv whose next write fails, either before reaching LevelDB or after LevelDB applied it. */
class FaultyKv implements RawKv {
  fail: 'none' | 'before' | 'after' = 'none'
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
  async write(ops: readonly RawOp[], options: { readonly sync: boolean }): Promise<void> {
    const mode = this.fail
    this.fail = 'none'
    if (mode === 'before') throw new Error('injected write failure')
    await this.#inner.write(ops, options)
    if (mode === 'after') throw new Error('injected sync failure')
  }
}

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function tempLocation(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-atomic-'))
  dirs.push(dir)
  return join(dir, 'db')
}

const SHAPE = { txCount: 20, accountCount: 5, journalRowsPerTx: 2 }
/** Big enough that a kill usually lands inside a batch. */
const CRASH_BLOCK_SHAPE = { txCount: 400, accountCount: 50, journalRowsPerTx: 2 }

/** Asserts the store holds exactly heights 1..head of synthetic blocks, indexes included. */
async function expectExactlyUpTo(store: ChainStore, head: number, shape = SHAPE): Promise<void> {
  expect((await store.head())?.height ?? 0).toBe(head)
  const latest = await store.state.get(LATEST_KEY)
  expect(latest === undefined ? 0 : readU32(latest, 0)).toBe(head)
  for (let h = 1; h <= head + 1; h++) {
    const present = h <= head
    const commit = syntheticCommit(h, shape)
    expect(await store.getBlock(h), `block ${h}`).toEqual(present ? commit.blockBytes : null)
    expect(await store.getCertificate(h)).toEqual(present ? commit.certificateBytes : null)
    expect((await store.getBlockByHash(commit.blockHash))?.height ?? null).toBe(present ? h : null)
    for (const i of [0, shape.txCount - 1]) {
      const tx = await store.getTx(commit.txs[i]?.hash as Bytes)
      expect(tx, `tx ${h}/${i}`).toEqual(
        present ? { height: h, index: i, receiptBytes: commit.txs[i]?.receiptBytes } : null,
      )
      expect((await store.state.get(syntheticStateKey(h, i, 2))) !== undefined, `state ${h}/${i}`).toBe(
        present,
      )
    }
    // The journal and the block time index are in the same batch: all of a block's rows or none.
    const rows = await store.journal({ point: 'SHOP' }, { fromHeight: h, toHeight: h, limit: 100_000 })
    expect(rows.length, `journal ${h}`).toBe(present ? (commit.journal ?? []).length : 0)
    expect(await store.heightAtTime(commit.timeMs ?? 0, 'from'), `block time ${h}`).toBe(present ? h : null)
  }
  const history = await store.accountHistory(syntheticAccount(0), { limit: 1 })
  expect(history[0]?.height ?? 0).toBe(head)
}

describe('commitBlock atomicity', () => {
  it('a write that fails before LevelDB leaves nothing, and the height can be committed again', async () => {
    const location = await tempLocation()
    const kv = new FaultyKv(new LevelKv({ location }))
    const store = new KvChainStore({}, { kv })
    await store.open()
    await store.commitBlock(syntheticCommit(1, SHAPE))
    kv.fail = 'before'
    await expect(store.commitBlock(syntheticCommit(2, SHAPE))).rejects.toThrow('injected')
    await expectExactlyUpTo(store, 1)
    await store.close()
    const reopened = createLevelChainStore({ location })
    await reopened.open()
    await expectExactlyUpTo(reopened, 1)
    await reopened.commitBlock(syntheticCommit(2, SHAPE))
    await expectExactlyUpTo(reopened, 2)
    await reopened.close()
  })

  it('a write reported failed after LevelDB applied it resyncs the head from disk', async () => {
    const location = await tempLocation()
    const kv = new FaultyKv(new LevelKv({ location }))
    const store = new KvChainStore({}, { kv })
    await store.open()
    await store.commitBlock(syntheticCommit(1, SHAPE))
    kv.fail = 'after'
    await expect(store.commitBlock(syntheticCommit(2, SHAPE))).rejects.toThrow('injected')
    await expectExactlyUpTo(store, 2)
    await expect(store.commitBlock(syntheticCommit(2, SHAPE))).rejects.toMatchObject({
      code: StoreErrorCode.outOfOrder,
    })
    await store.commitBlock(syntheticCommit(3, SHAPE))
    await store.close()
  })

  it('a process SIGKILLed while committing reopens at its last complete block, repeatedly', async () => {
    const location = await tempLocation()
    const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
    let reported = 0
    for (let round = 0; round < 6; round++) {
      const proc = spawn(
        process.execPath,
        [
          child,
          location,
          String(CRASH_BLOCK_SHAPE.txCount),
          String(CRASH_BLOCK_SHAPE.accountCount),
          String(CRASH_BLOCK_SHAPE.journalRowsPerTx),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        proc.on('exit', (_code, signal) => resolve(signal)),
      )
      // Kill after 2..6 more commits have been reported, plus a random slice of the next batch.
      const target = reported + 2 + Math.floor(Math.random() * 5)
      await new Promise<void>((resolve, reject) => {
        let buffered = ''
        proc.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString()
          for (const line of buffered.split('\n').slice(0, -1)) {
            const m = /^committed (\d+)$/.exec(line)
            if (m !== null) reported = Math.max(reported, Number(m[1]))
          }
          buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
          if (reported >= target) resolve()
        })
        proc.on('exit', () => reject(new Error('crash child exited on its own')))
      })
      // A random moment within about one commit: mid-build, mid-write or between commits.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 15))
      proc.kill('SIGKILL')
      expect(await exited).toBe('SIGKILL')
      const store = createLevelChainStore({ location })
      await store.open()
      const head = (await store.head())?.height ?? 0
      // Every commit that resolved is there; at most the one under way may have landed as well.
      expect(head).toBeGreaterThanOrEqual(reported)
      expect(head).toBeLessThanOrEqual(reported + 1)
      await expectExactlyUpTo(store, head, CRASH_BLOCK_SHAPE)
      for (const entry of await store.wal.load()) expect(entry.height).toBeGreaterThanOrEqual(head)
      await store.close()
      reported = head
    }
  })
})
