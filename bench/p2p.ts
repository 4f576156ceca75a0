/**
 * Throughput of consensus messages between two p2p hosts on 127.0.0.1, each in its own process (as
 * in a devnet). The sender queues until the per-peer queue refuses, then waits for it to flush, so it
 * runs at the pace back-pressure allows; the clock stops when the receiver has every message.
 *
 *   node bench/p2p.ts [count200=200000] [count1MB=200]
 */
import { fork } from 'node:child_process'
import { createP2pHost } from '../node/p2p/index.ts'
import { fromHex, toHex } from '../protocol/bytes.ts'
import { generateKeyPair } from '../protocol/crypto.ts'

const UNLIMITED = { burst: Number.MAX_SAFE_INTEGER, perSecond: Number.MAX_SAFE_INTEGER }

interface Ready {
  kind: 'ready'
  port: number
}
interface Done {
  kind: 'done'
  received: number
  bytes: number
}

async function receiver(): Promise<void> {
  const key = { secretKey: fromHex(process.argv[3] as string), publicKey: fromHex(process.argv[4] as string) }
  const sender = fromHex(process.argv[5] as string)
  let expected = 0
  let received = 0
  let bytes = 0
  const host = await createP2pHost(
    {
      listen: { host: '127.0.0.1', port: 0 },
      nodeKey: key,
      allowedPeers: [sender],
      // This measures the transport, not the per-peer budgets a node applies (node/p2p/limits.ts).
      limits: { consensusFramesPerPeer: UNLIMITED, consensusBytesPerPeer: UNLIMITED },
    },
    {
      onConsensus: (_from, message) => {
        received++
        bytes += message.length
        if (received === expected) {
          process.send?.({ kind: 'done', received, bytes } satisfies Done)
          received = 0
          bytes = 0
        }
      },
    },
  )
  process.on('message', async (m: { kind: string; expect?: number }) => {
    if (m.kind === 'expect') expected = m.expect as number
    if (m.kind === 'exit') {
      await host.stop()
      process.exit(0)
    }
  })
  await host.start()
  process.send?.({ kind: 'ready', port: host.listenAddress().port } satisfies Ready)
}

async function sender(): Promise<void> {
  const count200 = Number(process.argv[2] ?? 200_000)
  const count1m = Number(process.argv[3] ?? 200)
  const me = generateKeyPair()
  const them = generateKeyPair()
  const child = fork(process.argv[1] as string, [
    'receiver',
    toHex(them.secretKey),
    toHex(them.publicKey),
    toHex(me.publicKey),
  ])
  const messages: (Ready | Done)[] = []
  let wake: (() => void) | null = null
  child.on('message', (m: Ready | Done) => {
    messages.push(m)
    wake?.()
  })
  const next = async <T extends Ready | Done>(): Promise<T> => {
    while (messages.length === 0) await new Promise<void>((r) => (wake = r))
    return messages.shift() as T
  }
  const { port } = await next<Ready>()
  const host = await createP2pHost(
    { listen: { host: '127.0.0.1', port: 0 }, nodeKey: me, allowedPeers: [them.publicKey] },
    { onConsensus: () => {} },
  )
  await host.start()
  const peer = toHex(them.publicKey)
  await host.dial({ nodeKey: them.publicKey, host: '127.0.0.1', port })

  const run = async (size: number, count: number): Promise<void> => {
    if (count === 0) return
    const payload = new Uint8Array(size).fill(0xab)
    child.send({ kind: 'expect', expect: count })
    const start = performance.now()
    let sent = 0
    while (sent < count) {
      while (sent < count && host.sendConsensus(peer, payload)) sent++
      await host.flush()
    }
    const done = await next<Done>()
    const seconds = (performance.now() - start) / 1000
    const mb = done.bytes / 1024 / 1024
    console.log(
      `${String(size).padStart(8)} B x ${String(count).padStart(7)}: ${(count / seconds).toFixed(0).padStart(8)} msgs/s  ${(mb / seconds).toFixed(1).padStart(7)} MB/s  (${seconds.toFixed(2)} s)`,
    )
  }
  await run(200, Math.min(10_000, count200)) // warm-up
  await run(200, count200)
  await run(1024 * 1024, Math.min(10, count1m)) // warm-up
  await run(1024 * 1024, count1m)
  child.send({ kind: 'exit' })
  await host.stop()
}

if (process.argv[2] === 'receiver') await receiver()
else await sender()
