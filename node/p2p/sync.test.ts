import { afterEach, describe, expect, it } from 'vitest'
import type { Bytes } from '../../protocol/bytes.ts'
import { P2pErrorCode } from './errors.ts'
import { Protocols } from './limits.ts'
import type { SyncServer } from './sync.ts'
import { keys, meshConnect, startNode, startReportingNode, type TestNode } from './testing.ts'

const started: TestNode[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.host.stop()))
})

/** A chain of `count` entries; entry h is `size` bytes filled with h % 256. */
function chain(count: number, size: number, calls: [number, number][] = []): SyncServer {
  return {
    serveStatus: () => ({ height: count }),
    serveBlocks: async (from, max) => {
      calls.push([from, max])
      const out: Bytes[] = []
      for (let h = from; h <= count && out.length < max; h++) out.push(new Uint8Array(size).fill(h % 256))
      return out
    },
  }
}

async function pair(
  server: SyncServer | null,
  limits: { client?: object; server?: object } = {},
): Promise<[TestNode, TestNode]> {
  const [kc, ks] = keys(2)
  const all = [kc!.publicKey, ks!.publicKey]
  const client = await startNode({ key: kc, allowed: all, limits: limits.client })
  const srv = await startNode({ key: ks, allowed: all, sync: server, limits: limits.server })
  started.push(client, srv)
  await meshConnect([client, srv])
  return [client, srv]
}

describe('block sync', () => {
  it('answers status and a range of blocks spread over many frames and chunks', async () => {
    const [client, server] = await pair(chain(20, 300 * 1024))
    expect(await client.host.requestStatus(server.host.peerKey)).toEqual({ height: 20 })
    const entries = await client.host.requestBlocks(server.host.peerKey, 5, 8)
    expect(entries.map((e) => [e.length, e[0], e[e.length - 1]])).toEqual(
      Array.from({ length: 8 }, (_, i) => [300 * 1024, 5 + i, 5 + i]),
    )
    // Past the tip: an empty answer, not an error.
    expect(await client.host.requestBlocks(server.host.peerKey, 21, 8)).toEqual([])
  })

  it('the server cuts the response before its byte cap and clamps the count', async () => {
    const calls: [number, number][] = []
    const [client, server] = await pair(chain(100, 3000, calls), {
      server: { maxSyncResponseBytes: 10_000, maxSyncBlocksPerRequest: 50 },
    })
    expect(await client.host.requestBlocks(server.host.peerKey, 1, 10)).toHaveLength(3)
    expect(calls).toEqual([[1, 10]])
  })

  it('the client clamps maxBlocks to its own limit', async () => {
    const calls: [number, number][] = []
    const [client, server] = await pair(chain(100, 10, calls), { client: { maxSyncBlocksPerRequest: 4 } })
    expect(await client.host.requestBlocks(server.host.peerKey, 1, 1000)).toHaveLength(4)
    expect(calls).toEqual([[1, 4]])
  })

  it('the client rejects a response over its own limits, and the connection stays up', async () => {
    const [client, server] = await pair(chain(10, 3000), { client: { maxSyncResponseBytes: 5000 } })
    await expect(client.host.requestBlocks(server.host.peerKey, 1, 5)).rejects.toMatchObject({
      code: P2pErrorCode.requestFailed,
    })
    expect(client.host.isConnected(server.host.peerKey)).toBe(true)
    expect(await client.host.requestStatus(server.host.peerKey)).toEqual({ height: 10 })
  })

  it('an oversize entry fails the exchange with a coded error', async () => {
    const [client, server] = await pair(chain(10, 3000), { client: { maxSyncEntryBytes: 1000 } })
    await expect(client.host.requestBlocks(server.host.peerKey, 1, 2)).rejects.toMatchObject({
      code: P2pErrorCode.tooLarge,
    })
  })

  it('fails with a coded error when the server throws or serves nothing', async () => {
    const failing: SyncServer = {
      serveStatus: () => ({ height: 1 }),
      serveBlocks: () => Promise.reject(new Error('store closed')),
    }
    const [client, server] = await pair(failing)
    await expect(client.host.requestBlocks(server.host.peerKey, 1, 1)).rejects.toMatchObject({
      code: P2pErrorCode.requestFailed,
    })
    const [client2, noServer] = await pair(null)
    await expect(client2.host.requestStatus(noServer.host.peerKey)).rejects.toMatchObject({
      code: P2pErrorCode.requestFailed,
    })
  })

  it('honours the caller signal while the server is slow', async () => {
    const controller = new AbortController()
    const slow: SyncServer = {
      serveStatus: () => ({ height: 1 }),
      serveBlocks: () => {
        controller.abort()
        return new Promise<Bytes[]>(() => {})
      },
    }
    const [client, server] = await pair(slow, { server: { syncTimeoutMs: 60_000 } })
    await expect(
      client.host.requestBlocks(server.host.peerKey, 1, 1, controller.signal),
    ).rejects.toMatchObject({ code: P2pErrorCode.aborted })
    expect(client.host.isConnected(server.host.peerKey)).toBe(true)
  })

  it('a server that stops mid-request fails the request with a coded error', async () => {
    let stopServer: () => Promise<void> = async () => {}
    const vanishing: SyncServer = {
      serveStatus: () => ({ height: 1 }),
      serveBlocks: () => {
        void stopServer()
        return new Promise<Bytes[]>(() => {})
      },
    }
    const [client, server] = await pair(vanishing)
    stopServer = () => server.host.stop()
    const error = await client.host.requestBlocks(server.host.peerKey, 1, 1).catch((err: unknown) => err)
    expect(error).toMatchObject({ code: expect.stringMatching(/^P2P_(REQUEST_FAILED|ABORTED)$/) })
  })

  it('refuses a request to a peer that is not connected', async () => {
    const [client] = await pair(chain(1, 1))
    const stranger = Buffer.from(keys(1)[0]!.publicKey).toString('hex')
    await expect(client.host.requestStatus(stranger)).rejects.toMatchObject({
      code: P2pErrorCode.notConnected,
    })
  })

  it('serves a peer over its request rate later, not never', async () => {
    const [kc, ks] = keys(2)
    const all = [kc!.publicKey, ks!.publicKey]
    const client = await startNode({ key: kc, allowed: all })
    const server = await startReportingNode({
      key: ks,
      allowed: all,
      sync: chain(3, 10),
      limits: { syncRequestsPerPeer: { burst: 2, perSecond: 10 } },
    })
    started.push(client, server)
    await meshConnect([client, server])
    const answers = Array.from({ length: 5 }, () => client.host.requestStatus(server.host.peerKey))
    const held = await server.reports.waitFor((r) => r.kind === 'throttled')
    expect(held).toMatchObject({ peer: client.host.peerKey, protocol: Protocols.sync })
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 5 }, () => ({ height: 3 })))
  })

  it('writes a response more slowly to a peer over its byte rate', async () => {
    const [kc, ks] = keys(2)
    const all = [kc!.publicKey, ks!.publicKey]
    const calls: [number, number][] = []
    const client = await startNode({ key: kc, allowed: all })
    const server = await startReportingNode({
      key: ks,
      allowed: all,
      sync: chain(10, 3_000, calls),
      limits: { syncBytesPerPeer: { burst: 4_000, perSecond: 30_000 } },
    })
    started.push(client, server)
    await meshConnect([client, server])
    const first = client.host.requestBlocks(server.host.peerKey, 1, 5)
    await server.reports.waitFor((r) => r.kind === 'throttled')
    expect(await first).toHaveLength(5)
    expect(calls).toEqual([[1, 5]])
  })
})
