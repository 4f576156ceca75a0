/**
 * Load on a real 4-validator devnet (separate processes on 127.0.0.1): committed tx/s, submit→commit
 * latency, and the catch-up speed of a validator restarted after missing part of the chain.
 *
 * Setup (each step committed before the next, since the mempool checks txs against committed state):
 * the manager creates a point and grants every user of it a sponsor quota; a merchant applies and is
 * admitted with a credit limit; it awards points to K customers. Load: N pre-signed point.transfer
 * txs, customer i → customer i+1, posted as msgpack batches round-robin to the validators with a few
 * batches in flight. Latency is measured from just before a batch is posted to when the block holding
 * the tx is first seen at validator-1 (polled every 20 ms). Then validator-4 is stopped, M more
 * transfers commit without it, and it is restarted: its log gives the time its sync took.
 *
 *   node bench/devnet-load.ts [N=20000] [K=200] [batch=500] [inflight=4] [M=10000] [paceMs=250]
 *
 * Paced phases post one batch every paceMs (500 txs / 250 ms = 2,000 tx/s offered).
 */
import { join } from 'node:path'
import { readKeyFile } from '../node/keys.ts'
import { toHex } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair } from '../protocol/crypto.ts'
import { encodeTx, signTx } from '../protocol/tx.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import { TestNetwork } from '../test/helpers/network.ts'
import { waitFor } from '../test/helpers/processes.ts'
import type { BuiltTx } from '../test/helpers/txs.ts'

const [N = 20_000, K = 200, BATCH = 500, INFLIGHT = 4, M = 10_000, PACE_MS = 250] = process.argv
  .slice(2)
  .map(Number)
const CHAIN_ID = 'arcade-devnet-1'
const POINT = 'BENCH'
const BASE_PORT = 27500

let nonce = 1
function sign(key: KeyPair, sponsor: Uint8Array, body: TxBody, validUntil: number) {
  const tx = signTx(
    { chainId: CHAIN_ID, signer: key.publicKey, nonce: nonce++, validUntil, sponsor, body },
    key.secretKey,
  )
  return { bytes: encodeTx(tx), hash: toHex(tx.hash) }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN

async function main(): Promise<void> {
  const net = await TestNetwork.create({
    validators: 4,
    basePort: BASE_PORT,
    logLevel: 'warn',
    emptyBlockIntervalMs: 250,
    consensus: { viewTimeoutBaseMs: 2_000, viewTimeoutCapMs: 10_000 },
    // validator-4 logs its sync rounds (info); the rest stay quiet so logging does not cost CPU.
    editConfig: (name, config) => {
      if (name === 'validator-4') config.logLevel = 'info'
    },
  })
  const stopAll = () => void net.close().finally(() => process.exit(1))
  process.once('SIGINT', stopAll)
  try {
    await net.startAll()
    await net.waitForHeight('validator-1', 1, 30_000)
    const manager = await readKeyFile(join(net.dir, 'keys', 'manager.json'))
    const merchant = generateKeyPair()
    const customers = Array.from({ length: K }, () => generateKeyPair())
    const mgr = manager.publicKey
    const validUntil = async () => (await net.height('validator-1')) + 900

    const step = async (what: string, txs: { bytes: Uint8Array }[]) => {
      for (let i = 0; i < txs.length; i += BATCH) {
        const results = await net.submitBatch(
          'validator-1',
          txs.slice(i, i + BATCH).map((t) => t.bytes),
          '?wait=true&timeoutMs=60000',
        )
        const bad = results.find((r) => !r.accepted || r.status !== 'committed')
        if (bad !== undefined) throw new Error(`${what}: ${JSON.stringify(bad)}`)
      }
    }
    let vu = await validUntil()
    await step('create', [
      sign(
        manager,
        mgr,
        { kind: 'point.create', point: POINT, name: 'Bench', decimals: 0, transferable: true },
        vu,
      ),
    ])
    await step('grant', [
      sign(
        manager,
        mgr,
        {
          kind: 'sponsor.grant',
          point: POINT,
          grantee: null,
          txsPerPeriod: 1_000_000_000,
          periodMs: 86_400_000,
          expiresAtHeight: 0,
          kinds: [],
        },
        vu,
      ),
    ])
    await step('apply', [sign(merchant, mgr, { kind: 'merchant.apply', point: POINT, name: 'Shop' }, vu)])
    await step('admit', [
      sign(
        manager,
        mgr,
        { kind: 'merchant.admit', point: POINT, merchant: merchant.publicKey, creditLimit: 1e12 },
        vu,
      ),
    ])
    const perCustomer = Math.ceil((N + M) / K) + 10
    await step(
      'award',
      customers.map((c) =>
        sign(
          merchant,
          mgr,
          { kind: 'merchant.award', point: POINT, customer: c.publicKey, amount: perCustomer, memo: '' },
          vu,
        ),
      ),
    )

    // --- load ---
    vu = await validUntil()
    const signStart = performance.now()
    const transfers = (count: number) =>
      Array.from({ length: count }, (_, i) =>
        sign(
          customers[i % K] as KeyPair,
          mgr,
          {
            kind: 'point.transfer',
            point: POINT,
            to: (customers[(i + 1) % K] as KeyPair).publicKey,
            amount: 1,
          },
          vu,
        ),
      )
    const load = transfers(N)
    const signMs = performance.now() - signStart
    console.log(`pre-signing: ${(N / (signMs / 1000)).toFixed(0)} tx/s (${N} txs in ${signMs.toFixed(0)} ms)`)

    /** Posts `txs` in batches round-robin to `targets`; waits until all committed; prints the figures. */
    const runLoad = async (
      title: string,
      txs: BuiltTx[],
      targets: readonly string[],
      paceMs: number | null,
    ) => {
      const startHeight = await net.height('validator-1')
      const submittedAt = new Map<string, number>()
      const committedAt = new Map<string, number>()
      let seenHeight = startHeight
      let polling = true
      const poller = (async () => {
        while (polling) {
          const h = await net.height('validator-1').catch(() => seenHeight)
          for (; seenHeight < h; ) {
            seenHeight++
            const block = await net.block('validator-1', seenHeight)
            const now = performance.now()
            for (const hash of block.txs) committedAt.set(hash, now)
          }
          await new Promise((r) => setTimeout(r, 20))
        }
      })()
      const t0 = performance.now()
      let refused = 0
      const post = async (b: number) => {
        const batch = txs.slice(b * BATCH, (b + 1) * BATCH)
        const at = performance.now()
        for (const t of batch) submittedAt.set(t.hash, at)
        const results = await net.submitBatch(
          targets[b % targets.length] as string,
          batch.map((t) => t.bytes),
        )
        refused += results.filter((r) => !r.accepted).length
      }
      const batches = Math.ceil(txs.length / BATCH)
      if (paceMs === null) {
        const worker = async (w: number) => {
          for (let b = w; b < batches; b += INFLIGHT) await post(b)
        }
        await Promise.all(Array.from({ length: INFLIGHT }, (_, w) => worker(w)))
      } else {
        const posts: Promise<void>[] = []
        for (let b = 0; b < batches; b++) {
          posts.push(post(b))
          await new Promise((r) => setTimeout(r, paceMs))
        }
        await Promise.all(posts)
      }
      const submitMs = performance.now() - t0
      await waitFor(
        'every transfer committed',
        () => (txs.every((t) => committedAt.has(t.hash)) || refused > 0 ? true : undefined),
        300_000,
        100,
      )
      polling = false
      await poller
      const lastCommit = Math.max(...txs.map((t) => committedAt.get(t.hash) ?? 0))
      const latencies = txs
        .filter((t) => committedAt.has(t.hash))
        .map((t) => (committedAt.get(t.hash) as number) - (submittedAt.get(t.hash) as number))
        .sort((x, y) => x - y)
      const durationS = (lastCommit - t0) / 1000
      const offered = paceMs === null ? `${INFLIGHT} batches in flight` : `1 batch / ${paceMs} ms`
      console.log(
        `${title}: ${txs.length} point.transfer txs, batches of ${BATCH}, ${offered}, to ${targets.join(' ')}`,
      )
      console.log(`  posted in ${submitMs.toFixed(0)} ms; refused ${refused}`)
      console.log(
        `  committed ${latencies.length} txs in ${durationS.toFixed(2)} s: ${(latencies.length / durationS).toFixed(0)} tx/s, ` +
          `${seenHeight - startHeight} blocks (heights ${startHeight + 1}..${seenHeight})`,
      )
      console.log(
        `  submit→commit latency: p50 ${quantile(latencies, 0.5).toFixed(0)} ms, ` +
          `p99 ${quantile(latencies, 0.99).toFixed(0)} ms, max ${(latencies.at(-1) ?? 0).toFixed(0)} ms`,
      )
    }

    await runLoad('saturating load', load, net.validatorNames, null)
    vu = await validUntil()
    await runLoad('paced load', transfers(Math.min(N, 10_000)), net.validatorNames, PACE_MS)

    // --- catch-up ---
    const missedFrom = await net.height('validator-4')
    await net.stop('validator-4', 'SIGTERM')
    vu = await validUntil()
    await runLoad('without validator-4', transfers(M), net.validatorNames.slice(0, 3), PACE_MS)
    const head = await net.height('validator-1')
    const restartAt = Date.now()
    await net.start('validator-4')
    const upMs = Date.now() - restartAt
    await net.waitForHeight('validator-4', head, 120_000)
    const lines = (await net.log('validator-4'))
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { time: number; msg: string; applied?: number })
      .filter((e) => e.time >= restartAt)
    const opened = lines.find((e) => e.msg === 'chain opened')
    const synced = lines.filter((e) => e.msg === 'synced blocks')
    if (opened === undefined || synced.length === 0) {
      console.log('  (no "chain opened" / "synced blocks" log lines found)')
    } else {
      // The first round is the start-up catch-up; later rounds are consensus asking for a block or two.
      const first = synced[0] as { time: number; applied?: number }
      const applied = first.applied ?? 0
      let txCount = 0
      for (let h = missedFrom + 1; h <= missedFrom + applied; h++) {
        txCount += (await net.block('validator-1', h)).txs.length
      }
      const ms = first.time - opened.time
      console.log(
        `catch-up: validator-4 restarted at height ${missedFrom}; synced ${applied} blocks (${txCount} txs) in ` +
          `${ms} ms after its chain opened: ${((applied * 1000) / ms).toFixed(1)} blocks/s, ` +
          `${((txCount * 1000) / ms).toFixed(0)} tx/s (process start → chain opened ${opened.time - restartAt} ms)`,
      )
    }
    console.log(`  restart → RPC up (it listens after catching up): ${upMs} ms`)
  } finally {
    await net.close()
  }
}

await main()
