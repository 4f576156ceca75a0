import { afterEach, describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { toHex } from '../protocol/bytes.ts'
import type { RpcLogger } from './ports.ts'
import { type Harness, harness } from './testing.ts'

let h: Harness
afterEach(async () => h?.server.close())

async function get(url: string) {
  const res = await h.server.app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json(), headers: res.headers }
}

describe('status, health, metrics', () => {
  it('reports the node status with the head hash as hex', async () => {
    h = harness()
    const { status, body } = await get('/v1/status')
    expect(status).toBe(200)
    expect(body).toMatchObject({ chainId: 'arcade-test', role: 'validator', peers: 3, syncing: false })
    expect(body.height).toBe(h.chain.blocks.length)
    expect(body.headHash).toBe(toHex(h.chain.blocks.at(-1)?.hash as Uint8Array))
  })

  it('answers health', async () => {
    h = harness()
    expect(await get('/v1/health')).toMatchObject({
      status: 200,
      body: { ok: true, height: h.chain.blocks.length },
    })
  })

  it('answers 503 with the reasons, most severe first, when the node reports itself unhealthy', async () => {
    h = harness()
    const report = {
      ok: true,
      reasons: [] as ('fork' | 'behind' | 'stale-head')[],
      height: 7,
      syncing: false,
      peers: 3,
      headAgeSeconds: 1.5,
      staleAfterSeconds: 30,
      behindBlocks: 0,
      forks: 0,
    }
    let current = report
    Object.assign(h.chain, { health: () => current })
    expect(await get('/v1/health')).toMatchObject({
      status: 200,
      body: { ok: true, height: 7, syncing: false, reason: null, reasons: [], headAgeSeconds: 1.5 },
    })
    current = { ...report, ok: false, reasons: ['fork', 'behind'], syncing: true, behindBlocks: 40, forks: 1 }
    expect(await get('/v1/health')).toMatchObject({
      status: 503,
      body: { ok: false, reason: 'fork', reasons: ['fork', 'behind'], behindBlocks: 40, forks: 1 },
    })
  })

  it('lists fork evidence with both certificates, or answers 501 on a node without any', async () => {
    h = harness()
    expect(await get('/v1/forks')).toMatchObject({ status: 501 })
    const cert = (fill: number) => ({
      kind: 'commit' as const,
      height: 4,
      view: 0,
      blockHash: new Uint8Array(32).fill(fill),
      signatures: [{ validator: new Uint8Array(32).fill(9), signature: new Uint8Array(64).fill(8) }],
    })
    Object.assign(h.chain, {
      forks: ({ limit }: { limit: number }) =>
        [{ height: 4, ours: cert(1), theirs: cert(2), source: 'sync', peer: 'ab', seenAtMs: 5 }].slice(
          0,
          limit,
        ),
    })
    const { status, body } = await get('/v1/forks?limit=5')
    expect(status).toBe(200)
    expect(body.items).toHaveLength(1)
    expect(body.items[0]).toMatchObject({ height: 4, source: 'sync', peer: 'ab', seenAtMs: 5 })
    expect(body.items[0].ours.blockHash).toBe('01'.repeat(32))
    expect(body.items[0].theirs.blockHash).toBe('02'.repeat(32))
  })

  it('serves the same Prometheus text at /metrics, the path scrapers expect', async () => {
    h = harness()
    await get('/v1/status')
    const res = await h.server.app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
    expect(res.body).toContain('arcade_rpc_request_duration_seconds_count{method="GET",route="/v1/status"')
  })

  it('serves Prometheus text from the injected registry, with its own request metrics', async () => {
    h = harness()
    await get('/v1/status')
    const res = await h.server.app.inject({ method: 'GET', url: '/v1/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
    expect(res.body).toContain(
      'arcade_rpc_request_duration_seconds_count{method="GET",route="/v1/status",status="200"} 1',
    )
  })

  it('answers an unknown route, a bad URL encoding and an over-long param with catalogued codes', async () => {
    h = harness()
    expect(await get('/v1/nope')).toMatchObject({ status: 404, body: { code: 'RPC_NOT_FOUND' } })
    expect(await get('/v1/accounts/%zz')).toMatchObject({ status: 400, body: { code: 'RPC_BAD_REQUEST' } })
    expect(await get(`/v1/proofs/${'ab'.repeat(600)}`)).toMatchObject({
      status: 414,
      body: { code: 'RPC_URI_TOO_LONG' },
    })
    const del = await h.server.app.inject({ method: 'DELETE', url: '/v1/status' })
    expect(del.statusCode).toBe(404)
    expect(del.json().code).toBe('RPC_NOT_FOUND')
  })
})

describe('blocks', () => {
  it('returns a block by height with hex hashes, tx hashes and its certificate signers', async () => {
    h = harness()
    const { status, body } = await get('/v1/blocks/1')
    expect(status).toBe(200)
    const record = h.chain.blocks[0]
    expect(body.hash).toBe(toHex(record?.hash as Uint8Array))
    expect(body.header.stateRoot).toBe(toHex(h.ledger.state.map.root))
    expect(body.header.proposer).toBe(encodeAddress(new Uint8Array(32).fill(0xcc), NODE_KEY_PREFIX))
    expect(body.certificate.signers).toHaveLength(1)
    expect(body.certificate.signers[0].validator.startsWith('arcnode1')).toBe(true)
    expect(body.txs).toEqual([])
  })

  it('returns the latest block with no certificate yet, and tx hashes of a block with txs', async () => {
    h = harness()
    const { status, body } = await get('/v1/blocks/latest')
    expect(status).toBe(200)
    expect(body.header.height).toBe(h.chain.blocks.length)
    expect(body.certificate).toBeNull()
    const withTxs = await get(`/v1/blocks/${h.chain.blocks.length - 1}`)
    expect(withTxs.body.txs).toEqual([toHex(h.chain.committedTx.hash), toHex(h.chain.failedTx.hash)])
  })

  it('uses the tx hashes the node supplies with a block instead of hashing its txs', async () => {
    h = harness()
    const height = h.chain.blocks.length - 1
    const record = h.chain.blocks[height - 1]
    const given = new Uint8Array(32).fill(0xee)
    h.chain.blocks[height - 1] = { ...(record as NonNullable<typeof record>), txHashes: [given, given] }
    expect((await get(`/v1/blocks/${height}`)).body.txs).toEqual([toHex(given), toHex(given)])
  })

  it('404s a missing height and 400s a malformed one', async () => {
    h = harness()
    expect(await get('/v1/blocks/99')).toMatchObject({ status: 404, body: { code: 'RPC_BLOCK_NOT_FOUND' } })
    expect(await get('/v1/blocks/abc')).toMatchObject({ status: 400, body: { code: 'RPC_BAD_REQUEST' } })
    expect(await get('/v1/blocks/0')).toMatchObject({ status: 400, body: { code: 'RPC_BAD_REQUEST' } })
  })
})

describe('options and lifecycle', () => {
  it('validates options once at start-up', () => {
    expect(() => harness({ maxBatchTxs: 0 })).toThrow(TypeError)
    expect(() => harness({ forwardTxsTo: 'not a url' })).toThrow(TypeError)
  })

  it('closes twice harmlessly, and two servers can share one registry', async () => {
    h = harness()
    const second = harness({}, { metrics: h.metrics })
    expect((await second.server.app.inject({ method: 'GET', url: '/v1/health' })).statusCode).toBe(200)
    await second.server.close()
    await second.server.close()
  })
})

describe('request logging', () => {
  /** A pino-shaped logger that records each line at or above its level, with its message. */
  function recordingLogger(level: string) {
    const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
    const lines: { level: string; msg: unknown; fields: unknown }[] = []
    const make = (): RpcLogger => {
      const at =
        (name: string) =>
        (...args: unknown[]) => {
          if (levels.indexOf(name) < levels.indexOf(level)) return
          lines.push({ level: name, msg: typeof args[0] === 'string' ? args[0] : args[1], fields: args[0] })
        }
      return {
        level,
        info: at('info'),
        error: at('error'),
        debug: at('debug'),
        fatal: at('fatal'),
        warn: at('warn'),
        trace: at('trace'),
        silent: () => {},
        child: () => make(),
      }
    }
    return { logger: make(), lines }
  }

  it('logs nothing per request at info', async () => {
    const { logger, lines } = recordingLogger('info')
    h = harness({}, { logger })
    expect((await get('/v1/status')).status).toBe(200)
    expect(lines).toEqual([])
  })

  it('logs one debug line per request at debug', async () => {
    const { logger, lines } = recordingLogger('debug')
    h = harness({}, { logger })
    expect((await get('/v1/status')).status).toBe(200)
    expect(lines).toEqual([
      {
        level: 'debug',
        msg: 'request completed',
        fields: expect.objectContaining({ responseTime: expect.any(Number) }),
      },
    ])
  })
})
