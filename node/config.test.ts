import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { RPC_DEFAULTS, resolveRpcOptions } from '../rpc/options.ts'
import { CONFIG_DEFAULTS, loadNodeConfig, parseNodeConfig, rpcOptionsOf } from './config.ts'
import { NodeErrorCode } from './errors.ts'

const peerKey = encodeAddress(new Uint8Array(32).fill(9), NODE_KEY_PREFIX)
const minimal = { role: 'validator', genesis: 'genesis.json', nodeKey: 'keys/v1.json', dataDir: 'data/v1' }

function failure(raw: unknown): { code: string; field: unknown } {
  try {
    parseNodeConfig(raw, '/base')
  } catch (err) {
    const e = err as { code: string; details: { field?: unknown } }
    return { code: e.code, field: e.details.field }
  }
  return { code: 'accepted', field: undefined }
}

describe('node config', () => {
  it('refuses a stale-head multiple below 2 or an unknown health field', () => {
    expect(failure({ ...minimal, health: { staleHeadMultiple: 1 } })).toEqual({
      code: NodeErrorCode.configInvalid,
      field: 'health.staleHeadMultiple',
    })
    expect(failure({ ...minimal, health: { other: 1 } }).code).toBe(NodeErrorCode.configInvalid)
  })

  it('fills defaults and resolves relative paths against the config directory', () => {
    const c = parseNodeConfig(minimal, '/base', 'v1')
    expect(c).toMatchObject({
      role: 'validator',
      name: 'v1',
      genesisPath: '/base/genesis.json',
      nodeKeyPath: '/base/keys/v1.json',
      dataDir: '/base/data/v1',
      p2p: CONFIG_DEFAULTS.p2p,
      rpc: CONFIG_DEFAULTS.rpc,
      peers: [],
      mempool: CONFIG_DEFAULTS.mempool,
      logLevel: 'info',
      forwardTxsTo: null,
      emptyBlockIntervalMs: null,
      health: { staleHeadMultiple: 30 },
    })
    expect(parseNodeConfig({ ...minimal, dataDir: '/abs/data' }, '/base').dataDir).toBe('/abs/data')
  })

  it('reads every optional field', () => {
    const c = parseNodeConfig(
      {
        ...minimal,
        role: 'observer',
        name: 'regulator',
        p2p: { host: '0.0.0.0', port: 4000 },
        rpc: { port: 4001 },
        peers: [
          { address: '127.0.0.1:26600', nodeKey: peerKey },
          { address: '/dns4/v2.example.org/tcp/26602', nodeKey: peerKey },
        ],
        mempool: { maxTxs: 10 },
        logLevel: 'debug',
        forwardTxsTo: 'http://127.0.0.1:26601',
        emptyBlockIntervalMs: 250,
        health: { staleHeadMultiple: 12 },
      },
      '/base',
    )
    expect(c.name).toBe('regulator')
    expect(c.rpc).toEqual({ ...CONFIG_DEFAULTS.rpc, port: 4001 })
    expect(c.peers.map((p) => [p.host, p.port])).toEqual([
      ['127.0.0.1', 26600],
      ['v2.example.org', 26602],
    ])
    expect(c.mempool).toEqual({ maxTxs: 10, maxBytes: CONFIG_DEFAULTS.mempool.maxBytes })
    expect(c.forwardTxsTo).toBe('http://127.0.0.1:26601')
    expect(c.emptyBlockIntervalMs).toBe(250)
    expect(c.health).toEqual({ staleHeadMultiple: 12 })
  })

  it('reads the RPC bounds, null turning a limit off, and hands them to the RPC server', () => {
    const c = parseNodeConfig(
      {
        ...minimal,
        rpc: {
          trustProxy: ['10.0.0.5', '10.1.0.0/16'],
          rateLimit: { max: 50_000, timeWindowMs: 60_000 },
          signerRateLimit: null,
          signatureCredit: { max: 100, refillPerSecond: 5 },
          allowList: ['203.0.113.7', '2001:db8::/32'],
          maxWaits: 10,
          maxWaitsPerClient: 2,
          maxStreams: 20,
          maxStreamsPerClient: 3,
          maxStreamBufferBytes: 65_536,
        },
      },
      '/base',
    )
    const options = rpcOptionsOf(c)
    expect(options).toEqual({
      trustProxy: ['10.0.0.5', '10.1.0.0/16'],
      rateLimit: { max: 50_000, timeWindowMs: 60_000 },
      signerRateLimit: null,
      signatureCredit: { max: 100, refillPerSecond: 5 },
      allowList: ['203.0.113.7', '2001:db8::/32'],
      maxWaits: 10,
      maxWaitsPerClient: 2,
      maxStreams: 20,
      maxStreamsPerClient: 3,
      maxStreamBufferBytes: 65_536,
      forwardTxsTo: null,
    })
    // The server accepts what the config validated.
    expect(() => resolveRpcOptions(options)).not.toThrow()
    expect(rpcOptionsOf(parseNodeConfig(minimal, '/base'))).toMatchObject({
      rateLimit: RPC_DEFAULTS.rateLimit,
      signerRateLimit: RPC_DEFAULTS.signerRateLimit,
      allowList: [],
      maxStreams: RPC_DEFAULTS.maxStreams,
    })
  })

  const cases: [string, Record<string, unknown>, string][] = [
    ['missing role', { ...minimal, role: undefined }, 'role'],
    ['bad role', { ...minimal, role: 'leader' }, 'role'],
    ['missing genesis', { ...minimal, genesis: undefined }, 'genesis'],
    ['missing nodeKey', { ...minimal, nodeKey: undefined }, 'nodeKey'],
    ['empty dataDir', { ...minimal, dataDir: '' }, 'dataDir'],
    ['unknown field', { ...minimal, dataDri: 'x' }, 'dataDri'],
    ['bad p2p port', { ...minimal, p2p: { port: 70_000 } }, 'p2p.port'],
    ['bad rpc host', { ...minimal, rpc: { host: 'not a host!' } }, 'rpc.host'],
    ['unknown listen field', { ...minimal, rpc: { hots: 'x' } }, 'rpc.hots'],
    [
      'rpc rate limit zero',
      { ...minimal, rpc: { rateLimit: { max: 0, timeWindowMs: 1 } } },
      'rpc.rateLimit.max',
    ],
    ['rpc rate limit shape', { ...minimal, rpc: { rateLimit: 1200 } }, 'rpc.rateLimit'],
    [
      'rpc signer window',
      { ...minimal, rpc: { signerRateLimit: { max: 1, timeWindowMs: -5 } } },
      'rpc.signerRateLimit.timeWindowMs',
    ],
    [
      'rpc signature credit refill',
      { ...minimal, rpc: { signatureCredit: { max: 1, refillPerSecond: 0.5 } } },
      'rpc.signatureCredit.refillPerSecond',
    ],
    [
      'rpc allow-list entry',
      { ...minimal, rpc: { allowList: ['10.0.0.0/8', 'office'] } },
      'rpc.allowList[1]',
    ],
    ['rpc allow-list prefix', { ...minimal, rpc: { allowList: ['10.0.0.0/40'] } }, 'rpc.allowList[0]'],
    ['rpc trusted proxy', { ...minimal, rpc: { trustProxy: ['proxy.local'] } }, 'rpc.trustProxy[0]'],
    ['rpc max waits', { ...minimal, rpc: { maxWaits: 0 } }, 'rpc.maxWaits'],
    ['rpc streams per client', { ...minimal, rpc: { maxStreamsPerClient: 1.5 } }, 'rpc.maxStreamsPerClient'],
    ['rpc stream buffer', { ...minimal, rpc: { maxStreamBufferBytes: 10 } }, 'rpc.maxStreamBufferBytes'],
    ['peers not a list', { ...minimal, peers: {} }, 'peers'],
    ['peer address', { ...minimal, peers: [{ address: 'nowhere', nodeKey: peerKey }] }, 'peers[0].address'],
    [
      'peer key with account prefix',
      { ...minimal, peers: [{ address: '127.0.0.1:1', nodeKey: encodeAddress(new Uint8Array(32)) }] },
      'peers[0].nodeKey',
    ],
    ['peer missing key', { ...minimal, peers: [{ address: '127.0.0.1:1' }] }, 'peers[0].nodeKey'],
    ['mempool maxTxs zero', { ...minimal, mempool: { maxTxs: 0 } }, 'mempool.maxTxs'],
    ['mempool maxBytes string', { ...minimal, mempool: { maxBytes: '1MB' } }, 'mempool.maxBytes'],
    ['log level', { ...minimal, logLevel: 'verbose' }, 'logLevel'],
    ['validator forwarding', { ...minimal, forwardTxsTo: 'http://127.0.0.1:1' }, 'forwardTxsTo'],
    ['forward URL', { ...minimal, role: 'observer', forwardTxsTo: 'ws://x' }, 'forwardTxsTo'],
    ['empty block interval', { ...minimal, emptyBlockIntervalMs: -1 }, 'emptyBlockIntervalMs'],
  ]
  for (const [name, raw, field] of cases) {
    it(`names the field: ${name}`, () => {
      expect(failure(raw)).toEqual({ code: NodeErrorCode.configInvalid, field })
    })
  }

  it('loads a file, naming it after the file, with coded errors for unreadable and non-JSON files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcade-config-'))
    await writeFile(join(dir, 'validator-3.json'), JSON.stringify(minimal))
    const c = await loadNodeConfig(join(dir, 'validator-3.json'))
    expect(c.name).toBe('validator-3')
    expect(c.genesisPath).toBe(join(dir, 'genesis.json'))
    await writeFile(join(dir, 'bad.json'), '{ role: validator }')
    await expect(loadNodeConfig(join(dir, 'bad.json'))).rejects.toMatchObject({
      code: NodeErrorCode.configNotJson,
    })
    await expect(loadNodeConfig(join(dir, 'missing.json'))).rejects.toMatchObject({
      code: NodeErrorCode.configUnreadable,
    })
  })
})
