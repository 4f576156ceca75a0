/** Admission follows the allow-list live, on real hosts on 127.0.0.1. */
import type { Connection } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeVarint } from './frame.ts'
import { Protocols } from './limits.ts'
import { peerKeyOf } from './peer-id.ts'
import { addressOf, keys, type RawPeer, startNode, startRawPeer, type TestNode } from './testing.ts'

const started: TestNode[] = []
const raws: RawPeer[] = []
async function node(options: Parameters<typeof startNode>[0]): Promise<TestNode> {
  const n = await startNode(options)
  started.push(n)
  return n
}

afterEach(async () => {
  await Promise.all([...started.splice(0).map((n) => n.host.stop()), ...raws.splice(0).map((r) => r.stop())])
})

const closed = (connection: Connection): Promise<void> =>
  connection.status === 'closed'
    ? Promise.resolve()
    : new Promise((resolve) => connection.addEventListener('close', () => resolve(), { once: true }))

describe('de-admission on real hosts', () => {
  it('aborts every connection of a key that lost admission, streams in progress included', async () => {
    const [ka, kr] = keys(2)
    const raw = await startRawPeer(kr)
    raws.push(raw)
    const a = await node({ key: ka, allowed: [kr!.publicKey] })
    const first = await raw.connect(addressOf(a))
    const second = await raw.connect(addressOf(a), true)
    const stream = await first.newStream(Protocols.consensus, { signal: AbortSignal.timeout(5_000) })
    // Half a frame: the length of a 1 KiB message, then nothing: a stream mid-message.
    stream.send(encodeVarint(1024))
    await a.host.whenConnected(peerKeyOf(kr!.publicKey), AbortSignal.timeout(5_000))
    a.host.setAllowedPeers([])
    await Promise.all([closed(first), closed(second)])
    expect(stream.status).not.toBe('open')
    expect(a.host.peers()).toEqual([])
  })

  it('a removed peer cannot reconnect while off the list, and its dialer finds it again once re-admitted', async () => {
    const [ka, kb] = keys(2)
    const a = await node({ key: ka, allowed: [kb!.publicKey] })
    const b = await node({ key: kb, allowed: [ka!.publicKey] })
    // b keeps a as a dial target throughout: it redials with backoff after every loss.
    b.host.connectTo([addressOf(a)])
    await a.host.whenConnected(b.host.peerKey, AbortSignal.timeout(10_000))
    a.host.setAllowedPeers([])
    await b.disconnects.waitFor(1)
    // Its own dials are refused by a's gater: a never counts it connected again while it is off the list.
    for (let i = 0; i < 3; i++) {
      await expect(b.host.dial(addressOf(a))).rejects.toMatchObject({ code: 'P2P_DIAL_FAILED' })
    }
    expect(a.host.peers()).toEqual([])
    a.host.setAllowedPeers([kb!.publicKey])
    await a.host.whenConnected(b.host.peerKey, AbortSignal.timeout(10_000))
    expect(a.host.peers()).toEqual([b.host.peerKey])
  })
})
