/**
 * The genesis document: a human-editable JSON file that fixes a chain's identity (chain id, time,
 * parameters) and its first state (validator associations, accounts with roles and stake, observers).
 * `validateGenesis` checks it once and returns typed values (keys as bytes); every failure is a
 * GenesisError naming the field. Addresses are bech32m text: `arc1…` accounts, `arcnode1…` node keys.
 */

import { ADDRESS_PREFIX, encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { validateChainId } from '../protocol/chain-id.ts'
import { MAX_TOTAL_STAKE } from '../protocol/election.ts'
import { Limits } from '../protocol/limits.ts'
import { ROLES } from '../protocol/tx-body.ts'
import type { ConsensusParams, LedgerParams } from '../state/ledger.ts'
import { MAX_OBSERVERS } from '../state/observers.ts'
import { MAX_CONSENSUS_TIMEOUT_MS, MIN_BLOCK_BYTES } from '../state/params.ts'
import { CONSENSUS_PARAM_FIELDS, LEDGER_PARAM_MAX, PARAM_FIELDS } from '../state/records.ts'
import { GenesisError, GenesisErrorCode, genesisField } from './errors.ts'
import { isRpcUrl, parseP2pAddress } from './net-address.ts'
import { jsonReader } from './read-json.ts'

export type Role = (typeof ROLES)[number]

/**
 * The ledger's and consensus's parameters, as state/ defines them: genesis only reads and validates
 * them. Both are the chain's starting values; governance may change them later (state/params.ts), so
 * a running node reads them from the state, not from here.
 */
export type { ConsensusParams, LedgerParams }

export interface GenesisParams {
  readonly consensus: ConsensusParams
  readonly ledger: LedgerParams
}

export interface GenesisValidator {
  readonly name: string
  /** The association's account: `stake` is self-delegated by it, on top of any free stake in `accounts`. */
  readonly account: Bytes
  /** The node's Ed25519 public key (votes, libp2p peer id). */
  readonly nodeKey: Bytes
  readonly stake: number
  /** Where known: RPC base URL and p2p address (host:port or multiaddr). Not part of the hash. */
  readonly rpc: string | null
  readonly p2p: string | null
}

export interface GenesisAccount {
  readonly address: Bytes
  /** `stake` is free (undelegated) stake. Sorted in `ROLES` order, no duplicates. */
  readonly roles: readonly Role[]
  readonly stake: number
}

export interface GenesisObserver {
  readonly name: string
  readonly nodeKey: Bytes
  readonly rpc: string | null
  readonly p2p: string | null
}

export interface Genesis {
  readonly chainId: string
  readonly genesisTimeMs: number
  readonly params: GenesisParams
  readonly validators: readonly GenesisValidator[]
  readonly accounts: readonly GenesisAccount[]
  readonly observers: readonly GenesisObserver[]
}

/** The consensus parameters in their fixed order (the genesis hash depends on it): state's own list. */
export const CONSENSUS_PARAM_KEYS = CONSENSUS_PARAM_FIELDS

/** The ledger parameters in their fixed order (the genesis hash depends on it): state's own list. */
export const LEDGER_PARAM_KEYS = PARAM_FIELDS

export const DEFAULT_GENESIS_PARAMS: GenesisParams = {
  consensus: {
    maxBlockBytes: 4 * 1024 * 1024,
    maxBlockTxs: 5_000,
    viewTimeoutBaseMs: 1_000,
    viewTimeoutIncrementMs: 500,
    viewTimeoutCapMs: 10_000,
    emptyBlockIntervalMs: 1_000,
  },
  ledger: {
    epochLength: 1_000,
    maxValidators: 100,
    minValidatorStake: 1_000,
    unbondingEpochs: 2,
    maxTxValidityBlocks: 1_000,
    maxTerminalsPerMerchant: 64,
    maxDevicesPerOwner: 16,
    maxDelegationsPerMember: 16,
    jailEpochs: 2,
  },
}

const NAME = 64
const MAX_ACCOUNTS = 100_000
const GENESIS_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/
const read = jsonReader(genesisField)

function readParams(raw: unknown): GenesisParams {
  const p = read.object(raw, 'params', ['consensus', 'ledger'])
  const c = read.object(p.consensus, 'params.consensus', CONSENSUS_PARAM_KEYS)
  // jailEpochs came later: a genesis without it takes the default.
  const required = LEDGER_PARAM_KEYS.filter((k) => k !== 'jailEpochs')
  const l = read.object(p.ledger, 'params.ledger', required, ['jailEpochs'])
  const at = (k: string) => `params.consensus.${k}`
  const consensus: ConsensusParams = {
    maxBlockBytes: read.uint(c.maxBlockBytes, at('maxBlockBytes'), MIN_BLOCK_BYTES, Limits.maxBlockBytes),
    maxBlockTxs: read.uint(c.maxBlockTxs, at('maxBlockTxs'), 1),
    viewTimeoutBaseMs: read.uint(c.viewTimeoutBaseMs, at('viewTimeoutBaseMs'), 1, MAX_CONSENSUS_TIMEOUT_MS),
    viewTimeoutIncrementMs: read.uint(
      c.viewTimeoutIncrementMs,
      at('viewTimeoutIncrementMs'),
      0,
      MAX_CONSENSUS_TIMEOUT_MS,
    ),
    viewTimeoutCapMs: read.uint(c.viewTimeoutCapMs, at('viewTimeoutCapMs'), 1, MAX_CONSENSUS_TIMEOUT_MS),
    emptyBlockIntervalMs: read.uint(
      c.emptyBlockIntervalMs,
      at('emptyBlockIntervalMs'),
      0,
      MAX_CONSENSUS_TIMEOUT_MS,
    ),
  }
  if (consensus.viewTimeoutCapMs < consensus.viewTimeoutBaseMs) {
    throw genesisField(at('viewTimeoutCapMs'), 'must be at least viewTimeoutBaseMs')
  }
  const lt = (k: string) => `params.ledger.${k}`
  const ledger: LedgerParams = {
    epochLength: read.uint(l.epochLength, lt('epochLength'), 1),
    maxValidators: read.uint(l.maxValidators, lt('maxValidators'), 1, Limits.maxValidators),
    minValidatorStake: read.uint(l.minValidatorStake, lt('minValidatorStake'), 1),
    // The lists these bound stay far below the state's record size limit (LEDGER_PARAM_MAX).
    unbondingEpochs: read.uint(l.unbondingEpochs, lt('unbondingEpochs'), 0, LEDGER_PARAM_MAX.unbondingEpochs),
    maxTxValidityBlocks: read.uint(l.maxTxValidityBlocks, lt('maxTxValidityBlocks'), 1),
    maxTerminalsPerMerchant: read.uint(
      l.maxTerminalsPerMerchant,
      lt('maxTerminalsPerMerchant'),
      1,
      LEDGER_PARAM_MAX.maxTerminalsPerMerchant,
    ),
    maxDevicesPerOwner: read.uint(
      l.maxDevicesPerOwner,
      lt('maxDevicesPerOwner'),
      1,
      LEDGER_PARAM_MAX.maxDevicesPerOwner,
    ),
    maxDelegationsPerMember: read.uint(
      l.maxDelegationsPerMember,
      lt('maxDelegationsPerMember'),
      1,
      LEDGER_PARAM_MAX.maxDelegationsPerMember,
    ),
    jailEpochs:
      l.jailEpochs === undefined
        ? DEFAULT_GENESIS_PARAMS.ledger.jailEpochs
        : read.uint(l.jailEpochs, lt('jailEpochs'), 0, LEDGER_PARAM_MAX.jailEpochs),
  }
  return { consensus, ledger }
}

function optionalRpc(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || !isRpcUrl(value)) throw genesisField(field, 'must be an http(s) URL')
  return value
}

function optionalP2p(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || parseP2pAddress(value) === null) {
    throw genesisField(field, 'must be host:port or a TCP multiaddr (/ip4/…/tcp/…)')
  }
  return value
}

function duplicate(field: string, what: string): GenesisError {
  return new GenesisError(GenesisErrorCode.duplicate, `${field}: duplicate ${what}`, { field, reason: what })
}

function readTime(value: unknown): number {
  const text = read.string(value, 'genesisTime', 20, 24, GENESIS_TIME)
  const ms = Date.parse(text)
  if (!Number.isSafeInteger(ms) || ms < 0) throw genesisField('genesisTime', 'must be a valid UTC time')
  // Reject dates Date.parse silently rolls over, such as February 30.
  if (new Date(ms).toISOString().slice(0, 19) !== text.slice(0, 19)) {
    throw genesisField('genesisTime', 'must be a valid UTC time')
  }
  return ms
}

/** Validates a parsed genesis JSON value. Throws a GenesisError naming the first bad field. */
export function validateGenesis(raw: unknown): Genesis {
  const doc = read.object(raw, '', [
    'chainId',
    'genesisTime',
    'params',
    'validators',
    'accounts',
    'observers',
  ])
  let chainId: string
  try {
    chainId = validateChainId(doc.chainId, 'chainId')
  } catch (err) {
    throw genesisField('chainId', (err as { details?: { reason?: string } }).details?.reason ?? 'invalid')
  }
  const genesisTimeMs = readTime(doc.genesisTime)
  const params = readParams(doc.params)

  const nodeKeys = new Set<string>()
  const names = new Set<string>()
  const rawValidators = read.list(doc.validators, 'validators', params.ledger.maxValidators)
  if (rawValidators.length === 0) throw genesisField('validators', 'must list at least one validator')
  const validators = rawValidators.map((item, i): GenesisValidator => {
    const at = `validators[${i}]`
    const v = read.object(item, at, ['name', 'account', 'nodeKey', 'stake'], ['rpc', 'p2p'])
    const validator: GenesisValidator = {
      name: read.string(v.name, `${at}.name`, 1, NAME),
      account: read.address(v.account, `${at}.account`, ADDRESS_PREFIX),
      nodeKey: read.address(v.nodeKey, `${at}.nodeKey`, NODE_KEY_PREFIX),
      stake: read.uint(v.stake, `${at}.stake`, params.ledger.minValidatorStake),
      rpc: optionalRpc(v.rpc, `${at}.rpc`),
      p2p: optionalP2p(v.p2p, `${at}.p2p`),
    }
    if (names.has(validator.name)) throw duplicate(`${at}.name`, 'validator name')
    names.add(validator.name)
    const key = toHex(validator.nodeKey)
    if (nodeKeys.has(key)) throw duplicate(`${at}.nodeKey`, 'node key')
    nodeKeys.add(key)
    return validator
  })

  const accountsByKey = new Map<string, GenesisAccount>()
  const accounts = read.list(doc.accounts, 'accounts', MAX_ACCOUNTS).map((item, i): GenesisAccount => {
    const at = `accounts[${i}]`
    const a = read.object(item, at, ['address', 'roles', 'stake'])
    const address = read.address(a.address, `${at}.address`, ADDRESS_PREFIX)
    const roles = read.list(a.roles, `${at}.roles`, ROLES.length).map((role, j) => {
      if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
        throw genesisField(`${at}.roles[${j}]`, `must be one of ${ROLES.join(', ')}`)
      }
      return role as Role
    })
    if (new Set(roles).size !== roles.length) throw duplicate(`${at}.roles`, 'role')
    const account: GenesisAccount = {
      address,
      roles: ROLES.filter((r) => roles.includes(r)),
      stake: read.uint(a.stake, `${at}.stake`),
    }
    const key = toHex(address)
    if (accountsByKey.has(key)) throw duplicate(`${at}.address`, 'account')
    accountsByKey.set(key, account)
    return account
  })
  if (!accounts.some((a) => a.roles.includes('admin'))) {
    throw genesisField('accounts', 'must include at least one account with the admin role')
  }

  // Rule: all the stake there will ever be is in genesis (no tx creates stake): validators' stake and
  // every account's free stake. Its total is bounded so that no election, whatever is delegated to
  // whom, has a total voting power past MAX_TOTAL_STAKE (quorum arithmetic stays exact).
  let totalStake = 0
  const stakes = [
    ...validators.map((v, i) => [v.stake, `validators[${i}].stake`] as const),
    ...accounts.map((a, i) => [a.stake, `accounts[${i}].stake`] as const),
  ]
  for (const [stake, field] of stakes) {
    totalStake += stake
    if (totalStake > MAX_TOTAL_STAKE) {
      throw genesisField(field, `total stake (validators' and free) exceeds ${MAX_TOTAL_STAKE}`)
    }
  }

  const observers = read.list(doc.observers, 'observers', MAX_OBSERVERS).map((item, i): GenesisObserver => {
    const at = `observers[${i}]`
    const o = read.object(item, at, ['name', 'nodeKey'], ['rpc', 'p2p'])
    const observer: GenesisObserver = {
      name: read.string(o.name, `${at}.name`, 1, NAME),
      nodeKey: read.address(o.nodeKey, `${at}.nodeKey`, NODE_KEY_PREFIX),
      rpc: optionalRpc(o.rpc, `${at}.rpc`),
      p2p: optionalP2p(o.p2p, `${at}.p2p`),
    }
    const key = toHex(observer.nodeKey)
    if (nodeKeys.has(key)) throw duplicate(`${at}.nodeKey`, 'node key')
    nodeKeys.add(key)
    return observer
  })

  return { chainId, genesisTimeMs, params, validators, accounts, observers }
}

/** JSON form of a genesis (what `validateGenesis` accepts), with a fixed, readable key order. */
export function genesisToJson(g: Genesis): Record<string, unknown> {
  const net = (x: { rpc: string | null; p2p: string | null }) => ({
    ...(x.rpc === null ? {} : { rpc: x.rpc }),
    ...(x.p2p === null ? {} : { p2p: x.p2p }),
  })
  return {
    chainId: g.chainId,
    genesisTime: new Date(g.genesisTimeMs).toISOString(),
    params: { consensus: { ...g.params.consensus }, ledger: { ...g.params.ledger } },
    validators: g.validators.map((v) => ({
      name: v.name,
      account: encodeAddress(v.account),
      nodeKey: encodeAddress(v.nodeKey, NODE_KEY_PREFIX),
      stake: v.stake,
      ...net(v),
    })),
    accounts: g.accounts.map((a) => ({
      address: encodeAddress(a.address),
      roles: [...a.roles],
      stake: a.stake,
    })),
    observers: g.observers.map((o) => ({
      name: o.name,
      nodeKey: encodeAddress(o.nodeKey, NODE_KEY_PREFIX),
      ...net(o),
    })),
  }
}
