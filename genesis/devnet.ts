/**
 * A local network plan: keys, a genesis and per-node ports on one host. Pure given its deps (key
 * generation is injected), so tests can make it deterministic; node/cli writes the files.
 */
import type { KeyPair } from '../protocol/crypto.ts'
import {
  DEFAULT_GENESIS_PARAMS,
  type Genesis,
  type GenesisParams,
  genesisToJson,
  validateGenesis,
} from './document.ts'
import { genesisField } from './errors.ts'

export interface DevnetOptions {
  readonly validators: number
  readonly observers: number
  readonly chainId: string
  readonly genesisTimeMs: number
  /** Node i (validators first, then observers) gets p2p port basePort + 2i and RPC port basePort + 2i + 1. */
  readonly basePort: number
  readonly host?: string
  readonly stakePerValidator?: number
  readonly params?: GenesisParams
}

export interface DevnetDeps {
  readonly generateKeyPair: () => KeyPair
}

export interface DevnetNode {
  /** `validator-1`, `observer-1`, …: also the key and config file names. */
  readonly name: string
  readonly role: 'validator' | 'observer'
  readonly nodeKey: KeyPair
  readonly host: string
  readonly p2pPort: number
  readonly rpcPort: number
}

export interface Devnet {
  readonly genesis: Genesis
  /** The admin + issuer account (point manager). */
  readonly manager: KeyPair
  /** One account per validator association, in validator order; each self-delegates its association's stake. */
  readonly associations: readonly KeyPair[]
  readonly nodes: readonly DevnetNode[]
}

export const DEFAULT_BASE_PORT = 26600
export const DEFAULT_DEVNET_STAKE = 10_000

export function planDevnet(options: DevnetOptions, deps: DevnetDeps): Devnet {
  const { validators: nv, observers: no, basePort } = options
  const host = options.host ?? '127.0.0.1'
  const stake = options.stakePerValidator ?? DEFAULT_DEVNET_STAKE
  const params = options.params ?? DEFAULT_GENESIS_PARAMS
  if (!Number.isSafeInteger(nv) || nv < 1 || nv > params.ledger.maxValidators) {
    throw genesisField('validators', `must be 1 to ${params.ledger.maxValidators}`)
  }
  if (!Number.isSafeInteger(no) || no < 0 || no > 64) throw genesisField('observers', 'must be 0 to 64')
  if (!Number.isSafeInteger(basePort) || basePort < 1024 || basePort + 2 * (nv + no) > 65_535) {
    throw genesisField('basePort', 'must leave room for two ports per node below 65536 (and be ≥ 1024)')
  }
  const manager = deps.generateKeyPair()
  const associations: KeyPair[] = []
  const nodes: DevnetNode[] = []
  for (let i = 0; i < nv + no; i++) {
    const role = i < nv ? 'validator' : 'observer'
    const n = i < nv ? i + 1 : i - nv + 1
    nodes.push({
      name: `${role}-${n}`,
      role,
      nodeKey: deps.generateKeyPair(),
      host,
      p2pPort: basePort + 2 * i,
      rpcPort: basePort + 2 * i + 1,
    })
    if (role === 'validator') associations.push(deps.generateKeyPair())
  }
  const net = (node: DevnetNode) => ({
    rpc: `http://${host}:${node.rpcPort}`,
    p2p: `${host}:${node.p2pPort}`,
  })
  const genesis: Genesis = {
    chainId: options.chainId,
    genesisTimeMs: options.genesisTimeMs,
    params,
    validators: nodes
      .filter((node) => node.role === 'validator')
      .map((node, i) => ({
        name: node.name,
        account: (associations[i] as KeyPair).publicKey,
        nodeKey: node.nodeKey.publicKey,
        stake,
        ...net(node),
      })),
    accounts: [
      { address: manager.publicKey, roles: ['admin', 'issuer'], stake: 0 },
      ...associations.map((a) => ({ address: a.publicKey, roles: [], stake: 0 })),
    ],
    observers: nodes
      .filter((node) => node.role === 'observer')
      .map((node) => ({ name: node.name, nodeKey: node.nodeKey.publicKey, ...net(node) })),
  }
  // The plan goes through the same validation as a hand-written file.
  return { genesis: validateGenesis(genesisToJson(genesis)), manager, associations, nodes }
}
