/**
 * The tx-fetch protocol with real hosts on 127.0.0.1 (port 0): answers in order across several
 * requests, and each bound pushed past: a short answer, an answer over the byte or tx-size limit, a
 * peer outside the consensus set (both ways), a malformed request (a strike), too many requests at
 * once (refused), a server over its rate (held, then the client's timeout).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../../protocol/bytes.ts'
import { sha256 } from '../../protocol/crypto.ts'
import { Limits } from '../../protocol/limits.ts'
import { P2pErrorCode } from './errors.ts'
import { encodeFrame } from './frame.ts'
import { DEFAULT_P2P_LIMITS, Protocols } from './limits.ts'
import { peerKeyOf } from './peer-id.ts'
import {
  addressOf,
  keys,
  meshConnect,
  type RawPeer,
  type ReportingNode,
  startRawPeer,
  startReportingNode,
} from './testing.ts'
import {
  decodeTxFetchRequest,
  encodeTxFetchRequest,
  maxTxFetchRequestBytes,
  type TxFetchServer,
} from './tx-fetch.ts'

const started: ReportingNode[] = []
const raws: RawPeer[] = []
afterEach(async () => {
  await Promise.all([...started.splice(0).map((n) => n.host.stop()), ...raws.splice(0).map((r) => r.stop())])
})

/** `count` fake txs of `size` bytes; their "ids" are what the server indexes them by. */
function pool(
  count: number,
  size: number,
): { ids: Bytes[]; txs: Bytes[]; server: TxFetchServer; calls: number[] } {
  const txs = Array.from({ length: count }, (_, i) => new Uint8Array(size).fill(i % 256))
  const ids = txs.map((tx, i) => sha256(new Uint8Array([...tx.subarray(0, 1), i & 0xff, i >> 8])))
  const byId = new Map(ids.map((id, i) => [Buffer.from(id).toString('hex'), txs[i] as Bytes]))
  const calls: number[] = []
  const server: TxFetchServer = {
    serveTxs(_height, asked) {
      calls.push(asked.length)
      const out: Bytes[] = []
      for (const id of asked) {
        const tx = byId.get(Buffer.from(id).toString('hex'))
        if (tx === undefined) break
        out.push(tx)
      }
      return out
    },
  }
  return { ids, txs, server, calls }
}

type Options = Parameters<typeof startReportingNode>[0]

async function pair(
  server: TxFetchServer,
  limits: { client?: Options['limits']; server?: Options['limits'] } = {},
): Promise<[ReportingNode, ReportingNode]> {
  const [kc, ks] = keys(2)
  const all = [kc!.publicKey, ks!.publicKey]
  const client = await startReportingNode({ key: kc, allowed: all, limits: limits.client })
  const srv = await startReportingNode({ key: ks, allowed: all, txFetch: server, limits: limits.server })
  started.push(client, srv)
  await meshConnect([client, srv])
  return [client, srv]
}

describe('tx fetch', () => {
  it('answers the txs in the order asked, a long list in several requests', async () => {
    const { ids, txs, server, calls } = pool(10, 3_000)
    const [client, srv] = await pair(server, { client: { maxTxFetchIds: 4 } })
    const order = [7, 2, 9, 0, 1, 3, 8]
    const got = await client.host.fetchTxs(
      srv.host.peerKey,
      5,
      order.map((i) => ids[i] as Bytes),
    )
    expect(got).toEqual(order.map((i) => txs[i]))
    expect(calls).toEqual([4, 3])
  })

  it('fails a short answer (the server lacks a tx) with a coded error, and the connection stays up', async () => {
    const { ids, server } = pool(3, 100)
    const [client, srv] = await pair(server)
    const unknown = sha256(new Uint8Array([1, 2, 3]))
    await expect(
      client.host.fetchTxs(srv.host.peerKey, 1, [ids[0] as Bytes, unknown, ids[1] as Bytes]),
    ).rejects.toMatchObject({ code: P2pErrorCode.requestFailed })
    expect(client.host.isConnected(srv.host.peerKey)).toBe(true)
    expect(await client.host.fetchTxs(srv.host.peerKey, 1, [ids[2] as Bytes])).toHaveLength(1)
  })

  it('fails an answer over its byte limit (over all its requests) or with a tx over the tx limit', async () => {
    const { ids, server } = pool(6, 3_000)
    const [client, srv] = await pair(server, {
      client: { maxTxFetchResponseBytes: 10_000, maxTxFetchIds: 2 },
    })
    await expect(client.host.fetchTxs(srv.host.peerKey, 1, ids)).rejects.toMatchObject({
      code: P2pErrorCode.requestFailed,
    })
    expect(await client.host.fetchTxs(srv.host.peerKey, 1, ids.slice(0, 3))).toHaveLength(3)
    const [client2, srv2] = await pair(pool(2, 3_000).server, { client: { maxTxBytes: 1_000 } })
    await expect(client2.host.fetchTxs(srv2.host.peerKey, 1, pool(2, 3_000).ids)).rejects.toMatchObject({
      code: P2pErrorCode.tooLarge,
    })
  })

  it('only consensus peers ask and are asked', async () => {
    const { ids, server } = pool(2, 100)
    const [kv, ko] = keys(2)
    const all = [kv!.publicKey, ko!.publicKey]
    const validator = await startReportingNode({
      key: kv,
      allowed: all,
      consensusPeers: [kv!.publicKey],
      txFetch: server,
    })
    const other = await startReportingNode({ key: ko, allowed: all, txFetch: server })
    started.push(validator, other)
    await meshConnect([validator, other])
    // The validator does not ask a peer outside its consensus set…
    await expect(validator.host.fetchTxs(other.host.peerKey, 1, ids)).rejects.toMatchObject({
      code: P2pErrorCode.notAllowed,
    })
    // …and refuses such a peer's request before reading it.
    await expect(other.host.fetchTxs(validator.host.peerKey, 1, ids)).rejects.toMatchObject({
      code: expect.stringMatching(/^P2P_(REQUEST_FAILED|ABORTED)$/),
    })
    expect(
      await validator.reports.waitFor((r) => r.kind === 'refused' && r.protocol === Protocols.txFetch),
    ).toMatchObject({ peer: other.host.peerKey, reason: 'not-a-validator' })
  })

  it('a malformed request is a strike; too many requests at once are refused', async () => {
    const { server } = pool(1, 100)
    const [ks, ka] = keys(2)
    const srv = await startReportingNode({ key: ks, allowed: [ka!.publicKey], txFetch: server })
    started.push(srv)
    const attacker = await startRawPeer(ka)
    raws.push(attacker)
    const bad = await attacker.openStream(addressOf(srv), Protocols.txFetch)
    bad.send(encodeFrame(new Uint8Array([0x93, 1, 2, 3])))
    await bad.close()
    expect(await srv.reports.waitFor((r) => r.kind === 'refused' && r.reason === 'bad-frame')).toMatchObject({
      peer: peerKeyOf(ka!.publicKey),
      protocol: Protocols.txFetch,
    })
    // Requests left open (never written): past maxInboundTxFetchStreams (2), a new one is reset.
    for (let i = 0; i < 4; i++) await attacker.openStream(addressOf(srv), Protocols.txFetch).catch(() => null)
    expect(
      await srv.reports.waitFor((r) => r.kind === 'refused' && r.reason === 'stream-rate'),
    ).toMatchObject({ protocol: Protocols.txFetch })
  })

  it('holds a peer over its request rate, so a flood of requests waits; the client gives up at its timeout', async () => {
    const { ids, server, calls } = pool(2, 100)
    const [client, srv] = await pair(server, {
      client: { txFetchTimeoutMs: 300 },
      server: { txFetchRequestsPerPeer: { burst: 1, perSecond: 0.5 } },
    })
    expect(await client.host.fetchTxs(srv.host.peerKey, 1, ids)).toHaveLength(2)
    await expect(client.host.fetchTxs(srv.host.peerKey, 1, ids)).rejects.toMatchObject({
      code: P2pErrorCode.aborted,
    })
    expect(await srv.reports.waitFor((r) => r.kind === 'throttled')).toMatchObject({
      protocol: Protocols.txFetch,
    })
    expect(calls).toEqual([2])
  })
})

describe('tx fetch requests', () => {
  it('the default limits hold any block: one fetch may bring a whole block, a full request fits its cap', () => {
    expect(DEFAULT_P2P_LIMITS.maxTxFetchResponseBytes).toBeGreaterThanOrEqual(Limits.maxBlockBytes)
    const ids = Array.from({ length: DEFAULT_P2P_LIMITS.maxTxFetchIds }, () => new Uint8Array(32))
    const widest = encodeTxFetchRequest(Number.MAX_SAFE_INTEGER, ids)
    expect(widest.length).toBeLessThanOrEqual(maxTxFetchRequestBytes(DEFAULT_P2P_LIMITS.maxTxFetchIds))
    expect(decodeTxFetchRequest(widest, DEFAULT_P2P_LIMITS.maxTxFetchIds).ids).toHaveLength(ids.length)
  })

  it('encode and decode [height, ids]; anything else is a bad frame', () => {
    const ids = [sha256(new Uint8Array([1])), sha256(new Uint8Array([2]))]
    const request = decodeTxFetchRequest(encodeTxFetchRequest(7, ids), 4)
    expect([request.height, request.ids.map(toHex)]).toEqual([7, ids.map(toHex)])
    for (const bytes of [
      encodeTxFetchRequest(0, ids),
      encodeTxFetchRequest(1, []),
      encodeTxFetchRequest(1, [...ids, ...ids, ids[0] as Bytes]),
      new Uint8Array([0x92, 1, 0xc4, 3, 1, 2, 3]),
    ]) {
      expect(() => decodeTxFetchRequest(bytes, 4)).toThrow(
        expect.objectContaining({ code: P2pErrorCode.badFrame }),
      )
    }
  })
})
