/** `arcade genesis …`: make a local network's keys, genesis and node configs; validate a genesis file. */

import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { DEFAULT_BASE_PORT, type Devnet, planDevnet } from '../../genesis/devnet.ts'
import { type Genesis, genesisToJson } from '../../genesis/document.ts'
import { genesisHash } from '../../genesis/hash.ts'
import { loadGenesisFile } from '../../genesis/load.ts'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import { toHex } from '../../protocol/bytes.ts'
import { validateChainId } from '../../protocol/chain-id.ts'
import { quorumPower } from '../../protocol/validator-set.ts'
import { NodeError, NodeErrorCode } from '../errors.ts'
import { writeKeyFile } from '../keys.ts'
import {
  type CliGroup,
  type CliIo,
  flag,
  intOption,
  requiredString,
  stringOption,
  UsageError,
} from './command.ts'

export const DEFAULT_CHAIN_ID = 'arcade-devnet-1'

/** The config file (node/config.ts format) of one devnet node, paths relative to the devnet dir. */
function nodeConfigJson(devnet: Devnet, index: number): Record<string, unknown> {
  const node = devnet.nodes[index] as Devnet['nodes'][number]
  const validators = devnet.nodes.filter((n) => n.role === 'validator')
  const firstValidator = validators[0] as Devnet['nodes'][number]
  return {
    role: node.role,
    name: node.name,
    genesis: 'genesis.json',
    nodeKey: `keys/${node.name}.json`,
    dataDir: `data/${node.name}`,
    p2p: { host: node.host, port: node.p2pPort },
    rpc: {
      host: node.host,
      port: node.rpcPort,
      // A local network: every client is on this machine (the wallet, explorers, the bench's load
      // generator), so loopback skips the per-client bounds, and a few keys may sign thousands of
      // txs a second. A real node keeps the defaults (rpc/options.ts) and allow-lists its back offices.
      allowList: ['127.0.0.0/8', '::1/128'],
      signerRateLimit: null,
    },
    peers: validators
      .filter((v) => v !== node)
      .map((v) => ({
        address: `${v.host}:${v.p2pPort}`,
        nodeKey: encodeAddress(v.nodeKey.publicKey, NODE_KEY_PREFIX),
      })),
    mempool: { maxTxs: 20_000, maxBytes: 64 * 1024 * 1024 },
    logLevel: 'info',
    ...(node.role === 'observer'
      ? { forwardTxsTo: `http://${firstValidator.host}:${firstValidator.rpcPort}` }
      : {}),
  }
}

export async function initDevnet(dir: string, devnet: Devnet, force: boolean): Promise<string[]> {
  const keyFiles: [string, Devnet['manager'], 'account' | 'node'][] = [
    [join(dir, 'keys', 'manager.json'), devnet.manager, 'account'],
    ...devnet.associations.map((a, i): [string, Devnet['manager'], 'account'] => [
      join(dir, 'keys', `association-${i + 1}.json`),
      a,
      'account',
    ]),
    ...devnet.nodes.map((n): [string, Devnet['manager'], 'node'] => [
      join(dir, 'keys', `${n.name}.json`),
      n.nodeKey,
      'node',
    ]),
  ]
  const jsonFiles: [string, unknown][] = [
    [join(dir, 'genesis.json'), genesisToJson(devnet.genesis)],
    ...devnet.nodes.map((n, i): [string, unknown] => [
      join(dir, `${n.name}.json`),
      nodeConfigJson(devnet, i),
    ]),
  ]
  const all = [...keyFiles.map((k) => k[0]), ...jsonFiles.map((f) => f[0])]
  if (!force) {
    const existing = all.filter((f) => existsSync(f))
    if (existing.length > 0) {
      throw new NodeError(
        NodeErrorCode.fileExists,
        `${existing[0]} exists already (use --force to overwrite)`,
        {
          path: existing[0],
          count: existing.length,
        },
      )
    }
  }
  await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 })
  for (const n of devnet.nodes) await mkdir(join(dir, 'data', n.name), { recursive: true })
  for (const [file, keys, kind] of keyFiles) await writeKeyFile(file, keys, { kind, overwrite: force })
  for (const [file, value] of jsonFiles) await writeFile(file, `${JSON.stringify(value, null, 2)}\n`)
  return all
}

function summary(g: Genesis): string {
  const totalPower = g.validators.reduce((sum, v) => sum + v.stake, 0)
  const lines = [
    `chain id      ${g.chainId}`,
    `genesis time  ${new Date(g.genesisTimeMs).toISOString()}`,
    `hash          ${toHex(genesisHash(g))}`,
    `validators    ${g.validators.length} (total power ${totalPower}, quorum ${quorumPower(totalPower)})`,
  ]
  for (const v of g.validators) {
    const share = ((v.stake * 100) / totalPower).toFixed(1)
    lines.push(
      `  ${v.name}  power ${v.stake} (${share}%)  ${encodeAddress(v.nodeKey, NODE_KEY_PREFIX)}  ${v.p2p ?? ''}`.trimEnd(),
    )
  }
  lines.push(`observers     ${g.observers.length}`)
  for (const o of g.observers) {
    lines.push(`  ${o.name}  ${encodeAddress(o.nodeKey, NODE_KEY_PREFIX)}  ${o.p2p ?? ''}`.trimEnd())
  }
  const admins = g.accounts.filter((a) => a.roles.includes('admin')).length
  const issuers = g.accounts.filter((a) => a.roles.includes('issuer')).length
  const stake = g.accounts.reduce((sum, a) => sum + a.stake, 0)
  lines.push(`accounts      ${g.accounts.length} (admin ${admins}, issuer ${issuers}, free stake ${stake})`)
  const c = g.params.consensus
  const l = g.params.ledger
  lines.push(
    `params        block ≤ ${c.maxBlockBytes} bytes / ${c.maxBlockTxs} txs, epoch ${l.epochLength} blocks, ` +
      `≤ ${l.maxValidators} validators, min validator stake ${l.minValidatorStake}`,
  )
  return `${lines.join('\n')}\n`
}

function parseTime(text: string | undefined, io: CliIo): number {
  if (text === undefined) return Math.floor(io.nowMs() / 1000) * 1000
  const ms = Date.parse(text)
  if (!/Z$/.test(text) || !Number.isSafeInteger(ms)) {
    throw new UsageError('--genesis-time must be an ISO 8601 UTC time such as 2025-04-01T00:00:00Z')
  }
  return ms
}

export const group: CliGroup = {
  name: 'genesis',
  summary: 'Create and validate genesis documents',
  commands: [
    {
      name: 'init',
      summary: 'Create keys, genesis.json and node configs for a local network',
      usage:
        'genesis init --validators N [--observers M] --dir DIR [--chain-id ID] [--base-port P] [--genesis-time T] [--force]',
      details:
        'Writes DIR/genesis.json, DIR/keys/{validator-i,observer-j,manager,association-i}.json and one config\n' +
        'per node (DIR/validator-1.json …) on 127.0.0.1: node i uses p2p port P+2i and RPC port P+2i+1.\n' +
        "manager.json is an admin + issuer account; association-i.json holds validator i's stake.",
      options: {
        validators: {
          type: 'string',
          short: 'n',
          value: 'N',
          description: 'number of validators (1 to 100)',
        },
        observers: { type: 'string', value: 'M', description: 'number of observers (default 0)' },
        dir: { type: 'string', short: 'd', value: 'DIR', description: 'output directory' },
        'chain-id': { type: 'string', value: 'ID', description: `chain id (default ${DEFAULT_CHAIN_ID})` },
        'base-port': { type: 'string', value: 'P', description: `first port (default ${DEFAULT_BASE_PORT})` },
        'genesis-time': { type: 'string', value: 'T', description: 'ISO 8601 UTC time (default now)' },
        force: { type: 'boolean', description: 'overwrite existing files' },
      },
      async run(args, io) {
        const validators = intOption(args, 'validators', 1, 100)
        const observers = intOption(args, 'observers', 0, 64, 0)
        const basePort = intOption(args, 'base-port', 1024, 65_000, DEFAULT_BASE_PORT)
        const dir = resolve(io.cwd, requiredString(args, 'dir'))
        const chainId = stringOption(args, 'chain-id') ?? DEFAULT_CHAIN_ID
        try {
          validateChainId(chainId, 'chainId')
        } catch {
          throw new UsageError('--chain-id must be lower-case letters, digits and dashes (at most 64)')
        }
        const devnet = planDevnet(
          {
            validators,
            observers,
            chainId,
            basePort,
            genesisTimeMs: parseTime(stringOption(args, 'genesis-time'), io),
          },
          { generateKeyPair: io.generateKeyPair },
        )
        const files = await initDevnet(dir, devnet, flag(args, 'force'))
        io.out(summary(devnet.genesis))
        io.out(`wrote ${files.length} files under ${dir}:\n`)
        for (const f of files) io.out(`  ${relative(dir, f)}\n`)
        return 0
      },
    },
    {
      name: 'validate',
      summary: 'Check a genesis file and print a summary',
      usage: 'genesis validate FILE',
      positionals: [1, 1],
      options: {},
      async run(args, io) {
        const file = resolve(io.cwd, args.positionals[0] as string)
        io.out(summary(await loadGenesisFile(file)))
        return 0
      },
    },
  ],
}
