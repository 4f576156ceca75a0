/**
 * The p2p bounds, each pushed past with real hosts on 127.0.0.1: per-peer frame and byte rates (held,
 * not dropped), a peer far over its rate for long (disconnected and banned), a stream re-open storm
 * with corrupt frames (refused, then banned), consensus only among validators, and the admission of
 * connections (per peer, per IP, and a 64-validator start-up burst).
 */
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { P2pErrorCode } from './errors.ts'
import { Protocols } from './limits.ts'
import { peerKeyOf } from './peer-id.ts'
import {
  addressOf,
  bytesOf,
  keys,
  meshConnect,
  type RawPeer,
  type ReportingNode,
  startRawPeer,
  startReportingNode,
  text,
} from './testing.ts'

const started: ReportingNode[] = []
const raws: RawPeer[] = []
async function node(options: Parameters<typeof startReportingNode>[0]): Promise<ReportingNode> {
  const n = await startReportingNode(options)
  started.push(n)
  return n
}
async function raw(key?: Parameters<typeof startRawPeer>[0]): Promise<RawPeer> {
  const r = await startRawPeer(key)
  raws.push(r)
  return r
}

afterEach(async () => {
  await Promise.all([...started.splice(0).map((n) => n.host.stop()), ...raws.splice(0).map((r) => r.stop())])
})

/** A sender and a receiver that know each other; `limits` apply to the receiver. */
async function pair(limits: Parameters<typeof startReportingNode>[0]['limits']) {
  const [ks, kr] = keys(2)
  const all = [ks!.publicKey, kr!.publicKey]
  const sender = await node({ key: ks, allowed: all })
  const receiver = await node({ key: kr, allowed: all, limits })
  await meshConnect([sender, receiver])
  return { sender, receiver }
}

describe('per-peer rates', () => {
  it('holds a consensus peer over its frame rate: delivery waits, nothing is dropped, order is kept', async () => {
    const { sender, receiver } = await pair({ consensusFramesPerPeer: { burst: 3, perSecond: 10 } })
    for (let i = 0; i < 8; i++)
      expect(sender.host.sendConsensus(receiver.host.peerKey, bytesOf(`m${i}`))).toBe(true)
    const held = await receiver.reports.waitFor((r) => r.kind === 'throttled')
    // Observed synchronously with the report: the burst went through, the fourth frame waits.
    expect(receiver.consensus.items.map((r) => text(r.bytes))).toEqual(['m0', 'm1', 'm2'])
    expect(held).toMatchObject({ peer: sender.host.peerKey, protocol: Protocols.consensus })
    await receiver.consensus.waitFor(8)
    expect(receiver.consensus.items.map((r) => text(r.bytes))).toEqual(
      Array.from({ length: 8 }, (_, i) => `m${i}`),
    )
    expect(receiver.reports.count((r) => r.kind === 'penalized')).toBe(0)
  })

  it('holds a gossiping peer over its byte rate', async () => {
    const { sender, receiver } = await pair({ txBytesPerPeer: { burst: 10_000, perSecond: 100_000 } })
    const txs = Array.from({ length: 5 }, (_, i) => new Uint8Array(6_000).fill(i))
    for (const tx of txs) expect(sender.host.gossipTxs([tx])).toBe(1)
    await receiver.reports.waitFor((r) => r.kind === 'throttled' && r.protocol === Protocols.txs)
    expect(receiver.txs.items.length).toBeLessThan(5)
    await receiver.txs.waitFor(5)
    expect(receiver.txs.items.map((r) => r.bytes[0])).toEqual([0, 1, 2, 3, 4])
  })

  it('disconnects and bans a peer held over its rate for longer than maxThrottledMs', async () => {
    const { sender, receiver } = await pair({
      consensusFramesPerPeer: { burst: 2, perSecond: 20 },
      maxThrottledMs: 300,
      banMs: 60_000,
    })
    for (let i = 0; i < 200; i++) sender.host.sendConsensus(receiver.host.peerKey, bytesOf(`flood ${i}`))
    const penalty = await receiver.reports.waitFor((r) => r.kind === 'penalized')
    expect(penalty).toEqual({ kind: 'penalized', peer: sender.host.peerKey, reason: 'over-rate' })
    await sender.disconnects.waitFor(1)
    expect(receiver.consensus.items.length).toBeLessThan(200)
    // Banned both ways: it cannot come back, and we do not dial it.
    await expect(sender.host.dial(addressOf(receiver))).rejects.toMatchObject({
      code: P2pErrorCode.dialFailed,
    })
    await expect(receiver.host.dial(addressOf(sender))).rejects.toMatchObject({
      code: P2pErrorCode.notAllowed,
    })
  })
})

describe('malformed frames and stream storms', () => {
  it('refuses stream opens past the per-peer rate, however many libp2p would hold, and bans the opener', async () => {
    const [kr, ka] = keys(2)
    const receiver = await node({
      key: kr,
      allowed: [ka!.publicKey],
      limits: {
        streamOpensPerPeer: { burst: 6, perSecond: 1 },
        strikesPerPeer: { burst: 4, perSecond: 0.01 },
      },
    })
    const attacker = await raw(ka)
    let opened = 0
    // Streams opened and left open, as fast as the receiver answers: past the stream limit of the
    // protocol too, so none is spared the budget.
    for (; opened < 200; opened++) {
      const ok = await attacker
        .openStream(addressOf(receiver), opened % 2 === 0 ? Protocols.consensus : Protocols.txs)
        .then(
          () => true,
          () => false,
        )
      if (!ok && receiver.reports.count((r) => r.kind === 'penalized') > 0) break
    }
    const penalty = await receiver.reports.waitFor((r) => r.kind === 'penalized')
    expect(penalty).toEqual({ kind: 'penalized', peer: peerKeyOf(ka!.publicKey), reason: 'misbehaving' })
    expect(opened).toBeLessThan(30)
    expect(receiver.reports.count((r) => r.kind === 'refused' && r.reason === 'stream-rate')).toBeGreaterThan(
      0,
    )
    await expect(attacker.openStream(addressOf(receiver), Protocols.consensus)).rejects.toThrow()
  })

  it('resets each stream carrying a corrupt length prefix and bans a peer that keeps sending them', async () => {
    const [kr, ka] = keys(2)
    const receiver = await node({
      key: kr,
      allowed: [ka!.publicKey],
      limits: { strikesPerPeer: { burst: 4, perSecond: 0.01 } },
    })
    const attacker = await raw(ka)
    const corrupt = new Uint8Array(9).fill(0xff) // a length prefix longer than any allowed
    const penalized = receiver.reports.waitFor((r) => r.kind === 'penalized', 20_000)
    let banned = false
    void penalized.then(() => {
      banned = true
    })
    let opened = 0
    // Open, write garbage, wait for the reset, repeat: until the receiver hangs up on us.
    for (; opened < 200 && !banned; opened++) {
      let stream: Awaited<ReturnType<RawPeer['openStream']>>
      try {
        stream = await attacker.openStream(addressOf(receiver), Protocols.consensus)
        stream.send(corrupt)
      } catch {
        break
      }
      await Promise.race([new Promise((resolve) => stream.addEventListener('close', resolve)), penalized])
    }
    expect(await penalized).toEqual({
      kind: 'penalized',
      peer: peerKeyOf(ka!.publicKey),
      reason: 'misbehaving',
    })
    expect(opened).toBeLessThan(20)
    // Every refusal was one of the first few streams: no decode after the strikes ran out.
    expect(
      receiver.reports.count((r) => r.kind === 'refused' && r.reason === 'bad-frame'),
    ).toBeLessThanOrEqual(5)
    expect(receiver.consensus.items).toHaveLength(0)
    await expect(attacker.openStream(addressOf(receiver), Protocols.consensus)).rejects.toThrow()
  })
})

describe('consensus among validators only', () => {
  it('an observer does not speak consensus; validators neither send to nor take from a non-validator', async () => {
    const [kv1, kv2, ko, ko2] = keys(4)
    const all = [kv1!.publicKey, kv2!.publicKey, ko!.publicKey, ko2!.publicKey]
    const validators = [kv1!.publicKey, kv2!.publicKey]
    const v1 = await node({ key: kv1, allowed: all, consensusPeers: validators })
    const v2 = await node({ key: kv2, allowed: all, consensusPeers: validators })
    const observer = await node({ key: ko, allowed: all, observer: true })
    // Admission works without the consensus protocol (the dial probe does not need it).
    await meshConnect([v1, v2, observer])
    expect(v1.host.broadcastConsensus(bytesOf('proposal'))).toBe(1)
    expect(v1.host.sendConsensus(observer.host.peerKey, bytesOf('to an observer'))).toBe(false)
    expect(observer.host.sendConsensus(v1.host.peerKey, bytesOf('from an observer'))).toBe(false)
    // Tx gossip runs among validators as well: none for the observer.
    expect(v1.host.gossipTxs([bytesOf('tx')])).toBe(1)
    expect(observer.host.gossipTxs([bytesOf('tx')])).toBe(0)
    await v2.consensus.waitFor(1)
    await v2.txs.waitFor(1)

    // Another observer's key on a client that ignores the rules: its consensus stream is refused at once.
    const rogue = await raw(ko2)
    await rogue.openStream(addressOf(v1), Protocols.consensus).catch(() => null)
    const refused = await v1.reports.waitFor((r) => r.kind === 'refused')
    expect(refused).toEqual({
      kind: 'refused',
      peer: peerKeyOf(ko2!.publicKey),
      protocol: Protocols.consensus,
      reason: 'not-a-validator',
    })
    // And an observer's host has no consensus protocol to open.
    await expect(rogue.openStream(addressOf(observer), Protocols.consensus)).rejects.toThrow()

    // A validator leaving the set: its frames stop reaching the handler.
    v1.host.setConsensusPeers([kv1!.publicKey])
    expect(v2.host.sendConsensus(v1.host.peerKey, bytesOf('after leaving'))).toBe(true)
    await v1.reports.waitFor((r) => r.kind === 'refused' && r.peer === v2.host.peerKey)
    expect(v1.consensus.items).toHaveLength(0)
  })
})

describe('connection admission', () => {
  it('refuses a peer more than maxConnectionsPerPeer connections', async () => {
    const [kr, ka] = keys(2)
    const receiver = await node({ key: kr, allowed: [ka!.publicKey], limits: { maxConnectionsPerPeer: 2 } })
    const peer = await raw(ka)
    await peer.connect(addressOf(receiver), true)
    await peer.connect(addressOf(receiver), true)
    // The remote gater rules after our side of the upgrade: a refused connection closes at once, and a
    // stream on it fails.
    const third = await peer.connect(addressOf(receiver), true)
    await expect(third.newStream(Protocols.admit, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow()
    const open = peer.libp2p.getConnections().filter((c) => c.status === 'open')
    expect(open.length).toBeLessThanOrEqual(2)
  })

  it('refuses inbound connections from one address past its per-second rate', async () => {
    const kr = keys(1)[0]!
    const dialers = keys(8)
    const receiver = await node({
      key: kr,
      allowed: dialers.map((k) => k.publicKey),
      limits: { inboundConnectionsPerIpPerSecond: 2 },
    })
    const peers = await Promise.all(dialers.map((k) => raw(k)))
    const results = await Promise.allSettled(
      peers.map(async (p) => {
        const connection = await p.connect(addressOf(receiver))
        const probe = await connection.newStream(Protocols.admit, { signal: AbortSignal.timeout(5_000) })
        await probe.close()
      }),
    )
    const accepted = results.filter((r) => r.status === 'fulfilled').length
    expect(accepted).toBeGreaterThanOrEqual(1)
    expect(accepted).toBeLessThan(dialers.length)
  })

  it('closes connections that never finish their handshake, and takes a real peer beside them', async () => {
    const [kr, kp] = keys(2)
    const receiver = await node({
      key: kr,
      allowed: [kp!.publicKey],
      limits: {
        inboundUpgradeTimeoutMs: 500,
        maxPendingInboundConnections: 4,
        inboundConnectionsPerIpPerSecond: 1_000,
      },
    })
    const { host, port } = receiver.host.listenAddress()
    // A slowloris: eight TCP connections that never say a word of Noise.
    const sockets = Array.from({ length: 8 }, () => connect({ host, port }))
    const closed = sockets.map(
      (socket) =>
        new Promise<number>((resolve) => {
          const opened = Date.now()
          socket.on('error', () => {})
          socket.on('close', () => resolve(Date.now() - opened))
        }),
    )
    const peer = await node({ key: kp, allowed: [kr!.publicKey] })
    peer.host.connectTo([addressOf(receiver)])
    await receiver.host.whenConnected(peer.host.peerKey, AbortSignal.timeout(10_000))
    const lifetimes = await Promise.all(closed)
    expect(Math.max(...lifetimes)).toBeLessThan(5_000)
  })

  it('a 64-validator start-up burst from one address connects within the default admission limits', async () => {
    const ks = keys(64)
    const all = ks.map((k) => k.publicKey)
    const hub = await node({ key: ks[0], allowed: all })
    const spokes = await Promise.all(ks.slice(1).map((key) => node({ key, allowed: all })))
    // Every spoke dials the hub at once, all from 127.0.0.1; refused ones retry with backoff.
    for (const spoke of spokes) spoke.host.connectTo([addressOf(hub)])
    const signal = AbortSignal.timeout(30_000)
    await Promise.all(spokes.map((s) => hub.host.whenConnected(s.host.peerKey, signal)))
    expect(hub.host.peers()).toHaveLength(63)
  }, 60_000)
})
