import { afterEach, describe, expect, it } from 'vitest'
import { P2pErrorCode } from './errors.ts'
import { peerIdFromNodeKey } from './peer-id.ts'
import { addressOf, bytesOf, keys, meshConnect, startNode, type TestNode, text } from './testing.ts'

const started: TestNode[] = []
async function node(options: Parameters<typeof startNode>[0]): Promise<TestNode> {
  const n = await startNode(options)
  started.push(n)
  return n
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.host.stop()))
})

describe('p2p host', () => {
  it('derives the libp2p peer id from the node key', async () => {
    const [a, b] = keys(2)
    const host = await node({ key: a, allowed: [b!.publicKey] })
    expect(host.host.libp2pPeerId).toBe(peerIdFromNodeKey(a!.publicKey))
    expect(host.host.libp2pPeerId).toMatch(/^12D3KooW/)
    expect(host.host.peerKey).toBe(Buffer.from(a!.publicKey).toString('hex'))
  })

  it('three hosts exchange consensus messages both ways, in order per sender', async () => {
    const ks = keys(3)
    const all = ks.map((k) => k.publicKey)
    const nodes = await Promise.all(ks.map((key) => node({ key, allowed: all })))
    await meshConnect(nodes)
    const perPeer = 300
    for (const sender of nodes) {
      for (const receiver of nodes) {
        if (receiver === sender) continue
        for (let i = 0; i < perPeer; i++) {
          expect(sender.host.sendConsensus(receiver.host.peerKey, bytesOf(`${i}`))).toBe(true)
        }
      }
    }
    await Promise.all(nodes.map((n) => n.consensus.waitFor(2 * perPeer)))
    const expected = Array.from({ length: perPeer }, (_, i) => `${i}`)
    for (const receiver of nodes) {
      for (const sender of nodes) {
        if (sender === receiver) continue
        expect(receiver.consensus.from(sender.host.peerKey).map(text)).toEqual(expected)
      }
    }
  })

  it('broadcast reaches every connected peer', async () => {
    const ks = keys(3)
    const all = ks.map((k) => k.publicKey)
    const [a, b, c] = await Promise.all(ks.map((key) => node({ key, allowed: all })))
    await meshConnect([a!, b!, c!])
    expect(a!.host.broadcastConsensus(bytesOf('proposal'))).toBe(2)
    await Promise.all([b!.consensus.waitFor(1), c!.consensus.waitFor(1)])
    for (const n of [b!, c!])
      expect(n.consensus.items.map((r) => [r.from, text(r.bytes)])).toEqual([[a!.host.peerKey, 'proposal']])
    expect(a!.consensus.items).toHaveLength(0)
  })

  it('gossips tx batches, split to fit the batch limits', async () => {
    const ks = keys(2)
    const all = ks.map((k) => k.publicKey)
    const [a, b] = await Promise.all(
      ks.map((key) => node({ key, allowed: all, limits: { maxTxsPerBatch: 3 } })),
    )
    await meshConnect([a!, b!])
    const txs = Array.from({ length: 7 }, (_, i) => bytesOf(`tx-${i}`))
    expect(a!.host.gossipTxs(txs)).toBe(1)
    await b!.txs.waitFor(7)
    expect(b!.txs.items.map((r) => text(r.bytes))).toEqual(txs.map(text))
    expect(() => a!.host.gossipTxs([new Uint8Array(256 * 1024)])).toThrow(
      expect.objectContaining({ code: P2pErrorCode.tooLarge }),
    )
  })

  it('skips an oversize inbound message and delivers the next one on the same connection', async () => {
    const ks = keys(2)
    const all = ks.map((k) => k.publicKey)
    const a = await node({ key: ks[0], allowed: all })
    const b = await node({ key: ks[1], allowed: all, limits: { maxConsensusMessageBytes: 1024 } })
    await meshConnect([a, b])
    const connectionsBefore = a.host.peers()
    expect(a.host.sendConsensus(b.host.peerKey, new Uint8Array(4096).fill(7))).toBe(true)
    expect(a.host.sendConsensus(b.host.peerKey, new Uint8Array(200 * 1024).fill(8))).toBe(true)
    expect(a.host.sendConsensus(b.host.peerKey, bytesOf('good'))).toBe(true)
    await b.consensus.waitFor(1)
    expect(b.consensus.items.map((r) => text(r.bytes))).toEqual(['good'])
    expect(a.host.peers()).toEqual(connectionsBefore)
    expect(b.disconnects.items).toHaveLength(0)
    // The sender's own limit refuses before anything is queued.
    expect(() => b.host.sendConsensus(a.host.peerKey, new Uint8Array(1025))).toThrow(
      expect.objectContaining({ code: P2pErrorCode.tooLarge }),
    )
    expect(b.host.sendConsensus(a.host.peerKey, bytesOf('still fine'))).toBe(true)
    await a.consensus.waitFor(1)
    expect(text(a.consensus.items[0]!.bytes)).toBe('still fine')
  })

  it('a key not on the allow-list can neither connect nor deliver', async () => {
    const [ka, kb, ks] = keys(3)
    const a = await node({ key: ka, allowed: [kb!.publicKey] })
    const b = await node({ key: kb, allowed: [ka!.publicKey] })
    // The stranger allows everyone it knows of; only a's gater stands in its way.
    const stranger = await node({ key: ks, allowed: [ka!.publicKey, kb!.publicKey] })
    await expect(stranger.host.dial(addressOf(a))).rejects.toMatchObject({ code: P2pErrorCode.dialFailed })
    await expect(a.host.dial(addressOf(stranger))).rejects.toMatchObject({ code: P2pErrorCode.notAllowed })
    expect(stranger.host.isConnected(a.host.peerKey)).toBe(false)
    expect(stranger.host.sendConsensus(a.host.peerKey, bytesOf('let me in'))).toBe(false)
    expect(a.host.peers()).toEqual([])
    // A legitimate message afterwards is the only one a ever sees.
    await meshConnect([a, b])
    expect(b.host.sendConsensus(a.host.peerKey, bytesOf('from b'))).toBe(true)
    await a.consensus.waitFor(1)
    expect(a.consensus.items.map((r) => r.from)).toEqual([b.host.peerKey])
    expect(a.host.peers()).toEqual([b.host.peerKey])
  })

  it('closes the connection to a peer removed from the allow-list', async () => {
    const [ka, kb] = keys(2)
    const a = await node({ key: ka, allowed: [kb!.publicKey] })
    const b = await node({ key: kb, allowed: [ka!.publicKey] })
    await meshConnect([a, b])
    a.host.setAllowedPeers([])
    await b.disconnects.waitFor(1)
    expect(a.host.isConnected(b.host.peerKey)).toBe(false)
    expect(a.host.sendConsensus(b.host.peerKey, bytesOf('x'))).toBe(false)
    await expect(b.host.dial(addressOf(a))).rejects.toMatchObject({ code: P2pErrorCode.dialFailed })
  })

  it('dials a connectTo target as soon as the allow-list admits it', async () => {
    const [ka, kb] = keys(2)
    const a = await node({ key: ka, allowed: [] })
    const b = await node({ key: kb, allowed: [ka!.publicKey] })
    a.host.connectTo([addressOf(b)])
    await expect(a.host.dial(addressOf(b))).rejects.toMatchObject({ code: P2pErrorCode.notAllowed })
    a.host.setAllowedPeers([kb!.publicKey])
    await a.host.whenConnected(b.host.peerKey, AbortSignal.timeout(10_000))
    expect(a.host.peers()).toEqual([b.host.peerKey])
  })

  it('reconnects to a peer that restarts with the same key and port', async () => {
    const [ka, kb] = keys(2)
    const all = [ka!.publicKey, kb!.publicKey]
    const a = await node({ key: ka, allowed: all })
    const b = await node({ key: kb, allowed: all })
    await meshConnect([a, b])
    b.host.sendConsensus(a.host.peerKey, bytesOf('before'))
    await a.consensus.waitFor(1)
    const port = b.host.listenAddress().port
    await b.host.stop()
    await b.host.stop() // harmless twice
    await a.disconnects.waitFor(1)
    expect(a.host.sendConsensus(b.host.peerKey, bytesOf('lost'))).toBe(false)

    const b2 = await node({ key: kb, allowed: all, port })
    // Only a dials: b2 was not told about a, so this is a's reconnect loop at work.
    await a.host.whenConnected(b2.host.peerKey, AbortSignal.timeout(10_000))
    await b2.host.whenConnected(a.host.peerKey, AbortSignal.timeout(10_000))
    expect(a.host.sendConsensus(b2.host.peerKey, bytesOf('after'))).toBe(true)
    expect(b2.host.sendConsensus(a.host.peerKey, bytesOf('back again'))).toBe(true)
    await Promise.all([b2.consensus.waitFor(1), a.consensus.waitFor(2)])
    expect(text(b2.consensus.items[0]!.bytes)).toBe('after')
    expect(a.consensus.items.map((r) => text(r.bytes))).toEqual(['before', 'back again'])
  })

  it('an async handler holds its peer stream: nothing overtakes it and order is kept', async () => {
    const [ka, kb] = keys(2)
    const all = [ka!.publicKey, kb!.publicKey]
    const release = Promise.withResolvers<void>()
    let holding = false
    let overtaken = false
    const a = await node({ key: ka, allowed: all })
    const b = await node({
      key: kb,
      allowed: all,
      onConsensus: (_from, bytes) => {
        if (holding) overtaken = true
        if (text(bytes) !== 'm0') return
        holding = true
        return release.promise.then(() => {
          holding = false
        })
      },
    })
    await meshConnect([a, b])
    for (let i = 0; i < 5; i++) a.host.sendConsensus(b.host.peerKey, bytesOf(`m${i}`))
    await a.host.flush()
    // Same connection, later on the wire: once this tx arrives, m1..m4 are at b, held behind m0.
    a.host.gossipTxs([bytesOf('marker')])
    await b.txs.waitFor(1)
    expect(b.consensus.items.map((r) => text(r.bytes))).toEqual(['m0'])
    release.resolve()
    await b.consensus.waitFor(5)
    expect(b.consensus.items.map((r) => text(r.bytes))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    expect(overtaken).toBe(false)
  })

  it('a peer vanishing mid-stream leaves no unhandled rejection and a clean sender', async () => {
    const [ka, kb] = keys(2)
    const all = [ka!.publicKey, kb!.publicKey]
    const a = await node({ key: ka, allowed: all })
    const b = await node({ key: kb, allowed: all })
    await meshConnect([a, b])
    const big = new Uint8Array(256 * 1024)
    for (let i = 0; i < 30; i++) expect(a.host.sendConsensus(b.host.peerKey, big)).toBe(true)
    await b.consensus.waitFor(1)
    await b.host.stop()
    await a.disconnects.waitFor(1)
    await a.host.flush()
    expect(a.host.sendConsensus(b.host.peerKey, big)).toBe(false)
    expect(a.host.broadcastConsensus(big)).toBe(0)
    expect(a.host.peers()).toEqual([])
  })

  it('stop without start and stop twice are harmless; a stopped host refuses I/O', async () => {
    const [ka, kb] = keys(2)
    const a = await node({ key: ka, allowed: [kb!.publicKey] })
    await a.host.stop()
    await a.host.stop()
    expect(() => a.host.listenAddress()).toThrow(expect.objectContaining({ code: P2pErrorCode.notRunning }))
    await expect(a.host.requestStatus(Buffer.from(kb!.publicKey).toString('hex'))).rejects.toMatchObject({
      code: P2pErrorCode.notRunning,
    })
  })
})
