/**
 * A load worker: signs its share of the load when it starts (before the clock), then drives it
 * through the RPC when told to go, and reports submit times and admission results at the end.
 * - fixed-rate / ramp: every tick sends the txs the schedule has come due for, without waiting.
 * - fixed-load / max: lanes of `batch` txs with ?wait=true, so at most `outstanding` are in flight.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { encode } from '../../protocol/codec.ts'
import { HttpPool, laneAddress } from './http.ts'
import { buildLoad } from './load.ts'
import type { FromWorker, ToWorker, WorkerInput } from './messages.ts'
import { scheduledCount } from './stats.ts'

const TICK_MS = 50
const MAX_IN_FLIGHT = 64
const REQUEST_TIMEOUT_MS = 90_000
const nowMs = () => performance.timeOrigin + performance.now()

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer)
}

async function main(input: WorkerInput): Promise<void> {
  const started = performance.now()
  const load = buildLoad(input.actors, input.load)
  const n = load.encoded.length
  const hashes = new Uint8Array(32 * n)
  const sizes = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    hashes.set(load.hashes[i] as Uint8Array, 32 * i)
    sizes[i] = (load.encoded[i] as Uint8Array).length
  }
  post({ type: 'ready', hashes, sizes, signMs: performance.now() - started })

  const submitMs = new Float64Array(n).fill(Number.NaN)
  const accepted = new Uint8Array(n)
  const rejectedByCode: Record<string, number> = {}
  let next = 0
  let submitted = 0
  let admitted = 0
  let rejected = 0
  let requests = 0
  let stopped = false
  const http = new HttpPool()
  const { drive } = input
  const client = input.load.client

  const command = await new Promise<ToWorker>((resolve) => parentPort?.once('message', resolve))
  if (command.type !== 'go') return
  parentPort?.on('message', (m: ToWorker) => {
    if (m.type === 'stop') stopped = true
  })
  const startMs = command.startMs
  const endAt = startMs + drive.durationSec * 1000
  const progress = setInterval(() => post({ type: 'progress', submitted, accepted: admitted, rejected }), 500)

  const reject = (from: number, to: number, code: string) => {
    rejected += to - from
    rejectedByCode[code] = (rejectedByCode[code] ?? 0) + (to - from)
  }

  /** Sends txs [from, to) as one request from lane `lane`. */
  async function send(from: number, to: number, lane: number, wait: boolean): Promise<void> {
    const target = drive.targets[(client + lane) % drive.targets.length] as string
    const body = encode(load.encoded.slice(from, to))
    const at = nowMs()
    for (let i = from; i < to; i++) submitMs[i] = at
    submitted += to - from
    requests++
    const url = `${target}/v1/txs/batch${wait ? '?wait=true&timeoutMs=60000' : ''}`
    try {
      const res = await http.post(
        url,
        body,
        drive.laneAddresses ? laneAddress(client, lane) : undefined,
        REQUEST_TIMEOUT_MS,
      )
      if (res.status !== 200) {
        let code = `HTTP_${res.status}`
        try {
          code = (JSON.parse(res.body) as { code?: string }).code ?? code
        } catch {}
        return reject(from, to, code)
      }
      const { results } = JSON.parse(res.body) as { results: { accepted: boolean; code?: string }[] }
      for (const [k, r] of results.entries()) {
        if (r.accepted) {
          accepted[from + k] = 1
          admitted++
        } else reject(from + k, from + k + 1, r.code ?? 'REJECTED')
      }
    } catch {
      reject(from, to, 'NETWORK_ERROR')
    }
  }

  const over = () => stopped || next >= n || nowMs() >= endAt
  if (drive.mode === 'fixed-rate' || drive.mode === 'ramp') {
    const inFlight = new Set<Promise<void>>()
    let lane = 0
    while (!over()) {
      const t = (nowMs() - startMs) / 1000
      const due = Math.min(
        n,
        Math.floor(scheduledCount(drive.mode, t, drive.rateTps, drive.rampStartTps, drive.durationSec)),
      )
      while (next < due && inFlight.size < MAX_IN_FLIGHT) {
        const to = Math.min(due, next + drive.batch)
        const p: Promise<void> = send(next, to, lane++ % 16, false).finally(() => inFlight.delete(p))
        inFlight.add(p)
        next = to
      }
      await new Promise((r) => setTimeout(r, TICK_MS))
    }
    await Promise.all(inFlight)
  } else {
    const lanes = Math.max(1, Math.ceil(drive.outstanding / drive.batch))
    const perLane = Math.max(1, Math.floor(drive.outstanding / lanes))
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        while (!over()) {
          const from = next
          const to = Math.min(n, from + perLane)
          next = to
          await send(from, to, lane, true)
        }
      }),
    )
  }
  clearInterval(progress)
  http.close()
  post({ type: 'progress', submitted, accepted: admitted, rejected })
  post({ type: 'done', submitMs, accepted, rejectedByCode, requests, endMs: nowMs() }, [
    submitMs.buffer,
    accepted.buffer,
  ])
}

main(workerData as WorkerInput).catch((err: unknown) => {
  post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
})
