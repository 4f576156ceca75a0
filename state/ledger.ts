/**
 * The ledger state and its life cycle: genesis, loading from storage, and the validator set.
 * A LedgerState is immutable: applyBlock (apply-block.ts) returns a new one and leaves its input
 * usable, so a validator can execute several proposals on one parent.
 */
import { type Bytes, compareBytes } from '../protocol/bytes.ts'
import { validateChainId } from '../protocol/chain-id.ts'
import { MAX_TOTAL_STAKE } from '../protocol/election.ts'
import { createValidatorSet, type ValidatorSet } from '../protocol/validator-set.ts'
import { registerAssociation } from './associations.ts'
import { authMapFromEntries, createAuthMap } from './auth-map.ts'
import type { AuthMap } from './auth-map-types.ts'
import { fail, StateError, StateErrorCode } from './errors.ts'
import { Keys, keyId, REPLAY_PREFIX } from './keys.ts'
import { admitObserver } from './observers.ts'
import { paramsProblem } from './params.ts'
import type { KvWrite } from './ports.ts'
import type { LedgerEvent } from './receipt.ts'
import {
  type ChainParams,
  type ConsensusParams,
  type LedgerParams,
  type Meta,
  metaCodec,
  rolesCodec,
  stakeCodec,
  type ValidatorSetRecord,
  validatorSetCodec,
} from './records.ts'
import { EMPTY_REPLAY, type ReplayIndex, replayFromKeys } from './replay.ts'
import { delegate, runElection } from './staking.ts'
import { GENESIS_EPOCH_ANCHOR } from './staking-election.ts'
import { type DecodeCache, readRecord, type TouchedRecords, WorkingSet } from './working-set.ts'

export type { ChainParams, ConsensusParams, LedgerParams } from './records.ts'

export interface LedgerState {
  readonly map: AuthMap
  readonly replay: ReplayIndex
  /** Decoded `meta` record (chain id, params, last height and block time). */
  readonly meta: Meta
  /**
   * Memo of decoded records by the identity of their stored bytes, shared by every version derived
   * from this state. It never changes a result, only saves decoding (see working-set.ts).
   */
  readonly cache: DecodeCache
  /** Records touched by the last few blocks, newest first: a read cache in front of the map (working-set.ts). */
  readonly recent: readonly TouchedRecords[]
}

export const DEFAULT_LEDGER_PARAMS: LedgerParams = {
  epochLength: 100,
  maxValidators: 21,
  minValidatorStake: 1,
  unbondingEpochs: 2,
  maxTxValidityBlocks: 1_000,
  maxTerminalsPerMerchant: 64,
  maxDevicesPerOwner: 16,
  maxDelegationsPerMember: 16,
  jailEpochs: 2,
}

/** The genesis document's defaults (genesis/document.ts DEFAULT_GENESIS_PARAMS.consensus). */
export const DEFAULT_CONSENSUS_PARAMS: ConsensusParams = {
  maxBlockBytes: 4 * 1024 * 1024,
  maxBlockTxs: 5_000,
  viewTimeoutBaseMs: 1_000,
  viewTimeoutIncrementMs: 500,
  viewTimeoutCapMs: 10_000,
  emptyBlockIntervalMs: 1_000,
}

export interface GenesisStateInput {
  readonly chainId: string
  readonly genesisTimeMs: number
  /** Missing fields take DEFAULT_LEDGER_PARAMS and DEFAULT_CONSENSUS_PARAMS. */
  readonly params?: Partial<ChainParams>
  readonly accounts: readonly { address: Bytes; roles: readonly ('admin' | 'issuer')[]; stake: number }[]
  /** The genesis validators: each association's `stake` is self-delegated. */
  readonly associations: readonly {
    account: Bytes
    name: string
    nodeKey: Bytes
    stake: number
    /** Missing = not published. */
    p2p?: string | null
    rpc?: string | null
  }[]
  readonly observers: readonly { nodeKey: Bytes; name: string }[]
}

function invalid(message: string): never {
  throw new StateError(StateErrorCode.invalidGenesis, message)
}

function checkParams(params: ChainParams): void {
  const problem = paramsProblem(params)
  if (problem !== null) invalid(problem)
}

/** The state at height 0 and its writes (everything, for an empty store). */
export function createGenesisState(input: GenesisStateInput): { state: LedgerState; writes: KvWrite[] } {
  validateChainId(input.chainId, 'chainId')
  const params: ChainParams = { ...DEFAULT_LEDGER_PARAMS, ...DEFAULT_CONSENSUS_PARAMS, ...input.params }
  checkParams(params)
  if (!Number.isSafeInteger(input.genesisTimeMs) || input.genesisTimeMs < 0) invalid('genesisTimeMs')
  if (input.associations.length === 0) invalid('genesis needs at least one association')
  // Rule: all the stake there will ever be is here (no tx creates stake), and it is bounded so that
  // no election's total voting power can overflow (protocol/election.ts).
  let totalStake = 0
  for (const { stake } of [...input.accounts, ...input.associations]) {
    totalStake += Number.isSafeInteger(stake) && stake > 0 ? stake : 0
    if (totalStake > MAX_TOTAL_STAKE) invalid(`total stake exceeds ${MAX_TOTAL_STAKE}`)
  }
  const ws = new WorkingSet(createAuthMap())
  const meta: Meta = {
    chainId: input.chainId,
    genesisTimeMs: input.genesisTimeMs,
    params,
    height: 0,
    timeMs: input.genesisTimeMs,
    associationCount: 0,
    epochAnchor: GENESIS_EPOCH_ANCHOR,
  }
  ws.put(Keys.meta, metaCodec, meta)
  const events: LedgerEvent[] = []
  const seen = new Set<string>()
  for (const a of input.accounts) {
    const id = keyId(a.address)
    if (a.address.length !== 32 || seen.has(id)) invalid(`account ${id} is malformed or listed twice`)
    seen.add(id)
    if (!Number.isSafeInteger(a.stake) || a.stake < 0) invalid(`account ${id}: stake`)
    if (a.roles.length > 0) {
      ws.put(Keys.roles(id), rolesCodec, {
        admin: a.roles.includes('admin'),
        issuer: a.roles.includes('issuer'),
      })
    }
    if (a.stake > 0) ws.put(Keys.stake(id), stakeCodec, { free: a.stake, delegations: [], unbonding: [] })
  }
  try {
    for (const a of input.associations) {
      if (!Number.isSafeInteger(a.stake) || a.stake <= 0)
        invalid(`association ${a.name}: stake must be positive`)
      const { name, nodeKey } = a
      registerAssociation(
        ws,
        { association: a.account, name, nodeKey, p2p: a.p2p ?? null, rpc: a.rpc ?? null },
        events,
      )
      const id = keyId(a.account)
      const stake = ws.get(Keys.stake(id), stakeCodec) ?? { free: 0, delegations: [], unbonding: [] }
      const withOwn = { ...stake, free: stake.free + a.stake }
      if (!Number.isSafeInteger(withOwn.free)) invalid('stake overflows')
      delegate(ws, params, a.account, a.account, a.stake, withOwn)
    }
    for (const o of input.observers) admitObserver(ws, o.nodeKey, o.name, events)
  } catch (err) {
    if (err instanceof StateError && err.code !== StateErrorCode.invalidGenesis) invalid(err.message)
    throw err
  }
  const elected = runElection(ws)
  if (elected.length === 0) invalid('no genesis association qualifies as a validator')
  const writes = ws.encodedWrites()
  const map = createAuthMap().update(writes)
  return {
    state: { map, replay: EMPTY_REPLAY, meta, cache: new WeakMap(), recent: [] },
    writes: writes as KvWrite[],
  }
}

/** Rebuilds the state from every entry StateKv stored (the map's records and the replay index). */
export function loadLedgerState(entries: Iterable<readonly [Bytes, Bytes]>): LedgerState {
  const mapEntries: Array<readonly [Bytes, Bytes]> = []
  const replayKeys: string[] = []
  const prefix = new TextEncoder().encode(REPLAY_PREFIX)
  for (const entry of entries) {
    const key = entry[0]
    if (key.length > prefix.length && compareBytes(key.subarray(0, prefix.length), prefix) === 0) {
      replayKeys.push(keyId(key))
    } else {
      mapEntries.push(entry)
    }
  }
  const map = authMapFromEntries(mapEntries)
  const meta =
    readRecord(map, Keys.meta, metaCodec) ?? fail(StateErrorCode.corruptState, 'no meta record stored')
  return { map, replay: replayFromKeys(replayKeys), meta, cache: new WeakMap(), recent: [] }
}

export function stateRootOf(state: LedgerState): Bytes {
  return state.map.root
}

function toValidatorSet(record: ValidatorSetRecord): ValidatorSet {
  return createValidatorSet(record.map(([publicKey, power]) => ({ publicKey, power })))
}

/** The validator set for the next height (changes only after an epoch's last block). */
export function validatorSetOf(state: LedgerState): ValidatorSet {
  const record = readRecord(state.map, Keys.validatorSet, validatorSetCodec)
  if (record === undefined || record.length === 0)
    fail(StateErrorCode.corruptState, 'no validator set stored')
  return toValidatorSet(record)
}

export { toValidatorSet }
