/**
 * The per-node config file (JSON), validated once at start-up. Every field but `role`, `genesis`,
 * `nodeKey` and `dataDir` has a documented default. Relative paths resolve against the directory of
 * the config file, so a devnet folder can be moved as a whole. Errors are NodeErrors with code
 * CONFIG_INVALID_FIELD naming the field (`peers[1].nodeKey`).
 *
 * The `rpc` section holds the listen address and the RPC's client bounds (rpc/options.ts documents
 * each, RPC_DEFAULTS holds the defaults). A shop's back office that sends far more than 1,200
 * requests a minute from one address goes in `rpc.allowList` (e.g. `["203.0.113.7", "10.20.0.0/16"]`):
 * its clients skip the per-client bounds; the per-signer limit and node-wide bounds still apply.
 */
import { readFile } from 'node:fs/promises'
import { basename, dirname, extname, resolve } from 'node:path'
import { isRpcUrl, parseHostPort, parseP2pAddress } from '../genesis/net-address.ts'
import { jsonReader } from '../genesis/read-json.ts'
import { NODE_KEY_PREFIX } from '../protocol/address.ts'
import type { Bytes } from '../protocol/bytes.ts'
import { parseCidr } from '../rpc/clients.ts'
import { type RateLimit, RPC_DEFAULTS, type RpcOptions, type SignatureCredit } from '../rpc/options.ts'
import { NodeError, NodeErrorCode } from './errors.ts'
import { defaultHealthOptions, type HealthOptions } from './health.ts'

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export type NodeRole = 'validator' | 'observer'

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

export interface PeerConfig {
  /** As written: `host:port` or a TCP multiaddr. */
  readonly address: string
  readonly host: string
  readonly port: number
  readonly nodeKey: Bytes
}

/** The RPC's listen address and client bounds (see rpc/options.ts for each; all have defaults). */
export interface RpcConfig extends ListenAddress {
  /** Trust X-Forwarded-For: from any proxy (true), none (false), or these addresses and CIDRs. */
  readonly trustProxy: boolean | readonly string[]
  /** Requests per client IP; null: no per-client rate limit. */
  readonly rateLimit: RateLimit | null
  /** Admitted txs per signer key; null: no limit. */
  readonly signerRateLimit: RateLimit | null
  /** Signature checks a client may fail; null: no credit kept. */
  readonly signatureCredit: SignatureCredit | null
  /** CIDRs (or single addresses) whose clients skip the per-client bounds. */
  readonly allowList: readonly string[]
  readonly maxWaits: number
  readonly maxWaitsPerClient: number
  readonly maxStreams: number
  readonly maxStreamsPerClient: number
  readonly maxStreamBufferBytes: number
}

export interface NodeConfig {
  readonly role: NodeRole
  /** For logs and metrics; defaults to the config file's name without extension. */
  readonly name: string
  /** Absolute paths. */
  readonly genesisPath: string
  readonly nodeKeyPath: string
  readonly dataDir: string
  readonly p2p: ListenAddress
  readonly rpc: RpcConfig
  readonly peers: readonly PeerConfig[]
  readonly mempool: { readonly maxTxs: number; readonly maxBytes: number }
  readonly logLevel: LogLevel
  /** Observer only: RPC base URL of a validator that submitted txs are forwarded to; null refuses them. */
  readonly forwardTxsTo: string | null
  /**
   * This node's own empty-block interval: replaces the chain's `emptyBlockIntervalMs` (a parameter in
   * state, from genesis or governance) at every height, for how long this node as leader waits for txs
   * and for its view-0 timeout. Null follows the chain's value, including governed changes. Local only:
   * it never changes which blocks are valid.
   */
  readonly emptyBlockIntervalMs: number | null
  /**
   * `/v1/health` (node/health.ts): the head counts as stale, while peers are connected, once it is
   * older than `staleHeadMultiple` × the chain's empty-block interval (or this node's override).
   * Default 30 (30 s at the default 1 s interval).
   */
  readonly health: HealthOptions
}

export const CONFIG_DEFAULTS = {
  p2p: { host: '0.0.0.0', port: 26656 },
  rpc: {
    host: '127.0.0.1',
    port: 26657,
    trustProxy: RPC_DEFAULTS.trustProxy,
    rateLimit: RPC_DEFAULTS.rateLimit,
    signerRateLimit: RPC_DEFAULTS.signerRateLimit,
    signatureCredit: RPC_DEFAULTS.signatureCredit,
    allowList: RPC_DEFAULTS.allowList,
    maxWaits: RPC_DEFAULTS.maxWaits,
    maxWaitsPerClient: RPC_DEFAULTS.maxWaitsPerClient,
    maxStreams: RPC_DEFAULTS.maxStreams,
    maxStreamsPerClient: RPC_DEFAULTS.maxStreamsPerClient,
    maxStreamBufferBytes: RPC_DEFAULTS.maxStreamBufferBytes,
  },
  mempool: { maxTxs: 20_000, maxBytes: 64 * 1024 * 1024 },
  logLevel: 'info',
  health: defaultHealthOptions,
} as const satisfies Partial<NodeConfig>

const REQUIRED = ['role', 'genesis', 'nodeKey', 'dataDir'] as const
const OPTIONAL = [
  'name',
  'p2p',
  'rpc',
  'peers',
  'mempool',
  'logLevel',
  'forwardTxsTo',
  'emptyBlockIntervalMs',
  'health',
] as const

function configField(field: string, reason: string): NodeError {
  return new NodeError(NodeErrorCode.configInvalid, `${field}: ${reason}`, { field, reason })
}

const read = jsonReader(configField)

function listen(value: unknown, field: string, fallback: ListenAddress): ListenAddress {
  if (value === undefined) return fallback
  const o = read.object(value, field, [], ['host', 'port'])
  const host = o.host === undefined ? fallback.host : read.string(o.host, `${field}.host`, 1, 253)
  const port = o.port === undefined ? fallback.port : read.uint(o.port, `${field}.port`, 0, 65_535)
  if (parseHostPort(`${host}:1`) === null && parseHostPort(`[${host}]:1`) === null) {
    throw configField(`${field}.host`, 'must be an IP address or host name')
  }
  return { host, port }
}

const RPC_COUNTS = [
  ['maxWaits', 1_000_000],
  ['maxWaitsPerClient', 1_000_000],
  ['maxStreams', 100_000],
  ['maxStreamsPerClient', 100_000],
] as const

/** `{ max, timeWindowMs }` or null (off). */
function rateLimitOf(value: unknown, field: string, fallback: RateLimit | null): RateLimit | null {
  if (value === undefined) return fallback
  if (value === null) return null
  const o = read.object(value, field, ['max', 'timeWindowMs'])
  return {
    max: read.uint(o.max, `${field}.max`, 1, 1_000_000_000),
    timeWindowMs: read.uint(o.timeWindowMs, `${field}.timeWindowMs`, 1, 86_400_000),
  }
}

function addressList(value: unknown, field: string): string[] {
  return read.list(value, field, 1024).map((item, i) => {
    const text = read.string(item, `${field}[${i}]`, 2, 64)
    if (parseCidr(text) === null) throw configField(`${field}[${i}]`, 'must be an IP address or a CIDR')
    return text
  })
}

function rpcConfig(value: unknown): RpcConfig {
  const fallback = CONFIG_DEFAULTS.rpc
  if (value === undefined) return fallback
  const o = read.object(
    value,
    'rpc',
    [],
    [
      'host',
      'port',
      'trustProxy',
      'rateLimit',
      'signerRateLimit',
      'signatureCredit',
      'allowList',
      ...RPC_COUNTS.map(([key]) => key),
      'maxStreamBufferBytes',
    ],
  )
  let signatureCredit: SignatureCredit | null = fallback.signatureCredit
  if (o.signatureCredit === null) signatureCredit = null
  else if (o.signatureCredit !== undefined) {
    const c = read.object(o.signatureCredit, 'rpc.signatureCredit', ['max', 'refillPerSecond'])
    signatureCredit = {
      max: read.uint(c.max, 'rpc.signatureCredit.max', 1, 1_000_000_000),
      refillPerSecond: read.uint(c.refillPerSecond, 'rpc.signatureCredit.refillPerSecond', 1, 1_000_000_000),
    }
  }
  const counts = Object.fromEntries(
    RPC_COUNTS.map(([key, max]) => [
      key,
      o[key] === undefined ? fallback[key] : read.uint(o[key], `rpc.${key}`, 1, max),
    ]),
  ) as Record<(typeof RPC_COUNTS)[number][0], number>
  const { host, port } = listen({ host: o.host, port: o.port }, 'rpc', fallback)
  return {
    host,
    port,
    trustProxy:
      o.trustProxy === undefined
        ? fallback.trustProxy
        : typeof o.trustProxy === 'boolean'
          ? o.trustProxy
          : addressList(o.trustProxy, 'rpc.trustProxy'),
    rateLimit: rateLimitOf(o.rateLimit, 'rpc.rateLimit', fallback.rateLimit),
    signerRateLimit: rateLimitOf(o.signerRateLimit, 'rpc.signerRateLimit', fallback.signerRateLimit),
    signatureCredit,
    allowList: o.allowList === undefined ? fallback.allowList : addressList(o.allowList, 'rpc.allowList'),
    ...counts,
    maxStreamBufferBytes:
      o.maxStreamBufferBytes === undefined
        ? fallback.maxStreamBufferBytes
        : read.uint(o.maxStreamBufferBytes, 'rpc.maxStreamBufferBytes', 4096, 1024 * 1024 * 1024),
  }
}

/** The options the node's RPC server runs with. */
export function rpcOptionsOf(config: NodeConfig): RpcOptions {
  const { host: _host, port: _port, ...bounds } = config.rpc
  return { ...bounds, forwardTxsTo: config.role === 'observer' ? config.forwardTxsTo : null }
}

/** Validates a parsed config; relative paths resolve against `baseDir`. */
export function parseNodeConfig(raw: unknown, baseDir: string, defaultName = 'node'): NodeConfig {
  const o = read.object(raw, '', REQUIRED, OPTIONAL)
  const role = o.role
  if (role !== 'validator' && role !== 'observer') throw configField('role', 'must be validator or observer')
  const path = (value: unknown, field: string) => resolve(baseDir, read.string(value, field, 1, 4096))
  const peers = (o.peers === undefined ? [] : read.list(o.peers, 'peers', 1024)).map(
    (item, i): PeerConfig => {
      const at = `peers[${i}]`
      const p = read.object(item, at, ['address', 'nodeKey'])
      const address = read.string(p.address, `${at}.address`, 1, 512)
      const hostPort = parseP2pAddress(address)
      if (hostPort === null) throw configField(`${at}.address`, 'must be host:port or a TCP multiaddr')
      return { address, ...hostPort, nodeKey: read.address(p.nodeKey, `${at}.nodeKey`, NODE_KEY_PREFIX) }
    },
  )
  let mempool: NodeConfig['mempool'] = CONFIG_DEFAULTS.mempool
  if (o.mempool !== undefined) {
    const m = read.object(o.mempool, 'mempool', [], ['maxTxs', 'maxBytes'])
    mempool = {
      maxTxs: m.maxTxs === undefined ? mempool.maxTxs : read.uint(m.maxTxs, 'mempool.maxTxs', 1),
      maxBytes: m.maxBytes === undefined ? mempool.maxBytes : read.uint(m.maxBytes, 'mempool.maxBytes', 1024),
    }
  }
  let logLevel: LogLevel = CONFIG_DEFAULTS.logLevel
  if (o.logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly unknown[]).includes(o.logLevel)) {
      throw configField('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`)
    }
    logLevel = o.logLevel as LogLevel
  }
  let health: HealthOptions = CONFIG_DEFAULTS.health
  if (o.health !== undefined) {
    const h = read.object(o.health, 'health', [], ['staleHeadMultiple'])
    if (h.staleHeadMultiple !== undefined) {
      health = { staleHeadMultiple: read.uint(h.staleHeadMultiple, 'health.staleHeadMultiple', 2, 1_000_000) }
    }
  }
  let forwardTxsTo: string | null = null
  if (o.forwardTxsTo !== undefined && o.forwardTxsTo !== null) {
    if (role !== 'observer') throw configField('forwardTxsTo', 'only an observer forwards txs')
    if (typeof o.forwardTxsTo !== 'string' || !isRpcUrl(o.forwardTxsTo)) {
      throw configField('forwardTxsTo', 'must be an http(s) URL')
    }
    forwardTxsTo = o.forwardTxsTo
  }
  return {
    role,
    name: o.name === undefined ? defaultName : read.string(o.name, 'name', 1, 64),
    genesisPath: path(o.genesis, 'genesis'),
    nodeKeyPath: path(o.nodeKey, 'nodeKey'),
    dataDir: path(o.dataDir, 'dataDir'),
    p2p: listen(o.p2p, 'p2p', CONFIG_DEFAULTS.p2p),
    rpc: rpcConfig(o.rpc),
    peers,
    mempool,
    logLevel,
    forwardTxsTo,
    emptyBlockIntervalMs:
      o.emptyBlockIntervalMs === undefined || o.emptyBlockIntervalMs === null
        ? null
        : read.uint(o.emptyBlockIntervalMs, 'emptyBlockIntervalMs'),
    health,
  }
}

/** Reads and validates a config file. */
export async function loadNodeConfig(path: string): Promise<NodeConfig> {
  const absolute = resolve(path)
  let text: string
  try {
    text = await readFile(absolute, 'utf8')
  } catch (err) {
    throw new NodeError(NodeErrorCode.configUnreadable, `cannot read config file ${absolute}`, {
      path: absolute,
      cause: (err as NodeJS.ErrnoException).code ?? String(err),
    })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new NodeError(
      NodeErrorCode.configNotJson,
      `${absolute} is not valid JSON: ${(err as Error).message}`,
      {
        path: absolute,
      },
    )
  }
  return parseNodeConfig(raw, dirname(absolute), basename(absolute, extname(absolute)))
}
