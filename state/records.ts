/**
 * The records of the state and their canonical encodings. Each record is a fixed-order msgpack tuple
 * (protocol/codec.ts), so its bytes, and therefore the state root, depend on its values alone.
 * Records are immutable: executors build a new object for every change.
 *
 * Record sizes. The authenticated map refuses values over MAX_STATE_VALUE_BYTES (64 KiB). A record
 * without a list is a few hundred bytes at most (its strings are bounded by the tx schemas). A record
 * with a list a tx can grow has two guards: the list has a bound (a parameter capped by
 * LEDGER_PARAM_MAX, or MAX_POINTS) that keeps it far below the limit, and its codec has a
 * `sizeBound`, a cheap upper bound of its encoding, which the working set checks on every write (and
 * encodes only past the limit), so a write too large fails its tx (STATE_RECORD_TOO_LARGE), never
 * the block.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { decodeRaw, encode, type WireValue } from '../protocol/codec.ts'
import { MAX_STATE_VALUE_BYTES } from '../protocol/state-proof.ts'
import { fail, StateErrorCode } from './errors.ts'

export interface RecordCodec<T> {
  encode(value: T): Bytes
  decode(bytes: Bytes): T
  /**
   * For records that hold a list: an upper bound of `encode(value).length`, in O(1) or O(list) without
   * encoding. Lists of keys count 32-byte keys (every key in the state is an address or a hash).
   */
  readonly sizeBound?: (value: T) => number
}

// Upper bounds of msgpack parts: an array, string or bin header; an integer (int64 at most); a
// 32-byte key as bin8; a string, at most 3 UTF-8 bytes per UTF-16 unit.
const HEADER = 5
const UINT = 9
const KEY = 2 + 32
/** A [key, amount] pair: an array header, a key and an integer. */
const KEY_UINT = 1 + KEY + UINT
const textBound = (text: string) => HEADER + 3 * text.length
const textsBound = (texts: readonly string[]) => {
  let bound = HEADER
  for (const text of texts) bound += textBound(text)
  return bound
}

const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

function raw(bytes: Bytes): unknown {
  return decodeRaw(bytes, MAX_STATE_VALUE_BYTES, 'state record')
}

/** A record stored as the tuple of its fields, in the order given. */
export function structCodec<T extends object>(
  fields: readonly (keyof T & string)[],
  sizeBound?: (value: T) => number,
): RecordCodec<T> {
  return {
    ...(sizeBound === undefined ? {} : { sizeBound }),
    encode(value) {
      const record = value as Record<string, unknown>
      return encode(fields.map((f) => record[f] as WireValue))
    },
    decode(bytes) {
      const tuple = raw(bytes)
      if (!Array.isArray(tuple) || tuple.length !== fields.length) {
        fail(StateErrorCode.corruptState, `state record has the wrong shape (${fields.join(',')})`)
      }
      const out: Record<string, unknown> = {}
      for (let i = 0; i < fields.length; i++) out[fields[i] as string] = tuple[i]
      return out as T
    },
  }
}

export const uintCodec: RecordCodec<number> = {
  encode: (value) => encode(value),
  decode(bytes) {
    const value = raw(bytes)
    if (typeof value !== 'number') fail(StateErrorCode.corruptState, 'expected an integer record')
    return value
  },
}

export const bytesCodec: RecordCodec<Bytes> = {
  encode: (value) => encode(value),
  decode(bytes) {
    const value = raw(bytes)
    if (!(value instanceof Uint8Array)) fail(StateErrorCode.corruptState, 'expected a bytes record')
    return value
  },
}

/** A short string (a campaign id). */
export const textCodec: RecordCodec<string> = {
  encode: (value) => encode(value),
  sizeBound: textBound,
  decode(bytes) {
    const value = raw(bytes)
    if (typeof value !== 'string') fail(StateErrorCode.corruptState, 'expected a string record')
    return value
  },
}

/** A list of 32-byte keys. */
export const bytesListCodec: RecordCodec<readonly Bytes[]> = {
  encode: (value) => encode(value),
  sizeBound: (value) => HEADER + KEY * value.length,
  decode(bytes) {
    const value = raw(bytes)
    if (!Array.isArray(value)) fail(StateErrorCode.corruptState, 'expected a list record')
    return value as Bytes[]
  },
}

export const stringListCodec: RecordCodec<readonly string[]> = {
  encode: (value) => encode(value),
  sizeBound: textsBound,
  decode(bytes) {
    const value = raw(bytes)
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      fail(StateErrorCode.corruptState, 'expected a list of strings')
    }
    return value as string[]
  },
}

// --- chain ---

export interface LedgerParams {
  /** Blocks per epoch, counted from the epoch anchor (Meta.epochAnchor); the validator set changes only after a boundary. */
  readonly epochLength: number
  readonly maxValidators: number
  /** Least delegated stake for an association to be elected. */
  readonly minValidatorStake: number
  /** Epochs an undelegated amount stays bonded before it is free again. */
  readonly unbondingEpochs: number
  /** Furthest a tx's `validUntil` may lie beyond the height it is included at. */
  readonly maxTxValidityBlocks: number
  readonly maxTerminalsPerMerchant: number
  readonly maxDevicesPerOwner: number
  readonly maxDelegationsPerMember: number
  /** Epochs a jailed association waits before it may unjail itself (staking.unjail). */
  readonly jailEpochs: number
}

export const PARAM_FIELDS = [
  'epochLength',
  'maxValidators',
  'minValidatorStake',
  'unbondingEpochs',
  'maxTxValidityBlocks',
  'maxTerminalsPerMerchant',
  'maxDevicesPerOwner',
  'maxDelegationsPerMember',
  'jailEpochs',
] as const satisfies readonly (keyof LedgerParams)[]

/**
 * The consensus parameters: set at genesis from the document's `params.consensus`, governed like the
 * ledger's, and read by the node from the state in force at each height (block limits for building and
 * checking the block at that height, timeouts for that height's views).
 */
export interface ConsensusParams {
  /** Most bytes of one encoded block (1,024 to `Limits.maxBlockBytes`). */
  readonly maxBlockBytes: number
  readonly maxBlockTxs: number
  /** How long view 0 of a height may take before validators ask for a view change. */
  readonly viewTimeoutBaseMs: number
  /** Added per view: view v waits base + v × increment (linear, never doubling without bound). */
  readonly viewTimeoutIncrementMs: number
  /** No view waits longer than this (at least viewTimeoutBaseMs). */
  readonly viewTimeoutCapMs: number
  /** How long a leader waits for txs before proposing an empty block. */
  readonly emptyBlockIntervalMs: number
}

/** In the genesis document's order (its hash depends on it). */
export const CONSENSUS_PARAM_FIELDS = [
  'maxBlockBytes',
  'maxBlockTxs',
  'viewTimeoutBaseMs',
  'viewTimeoutIncrementMs',
  'viewTimeoutCapMs',
  'emptyBlockIntervalMs',
] as const satisfies readonly (keyof ConsensusParams)[]

/** Every parameter the chain holds in state: the ledger's and consensus's. */
export type ChainParams = LedgerParams & ConsensusParams

/** The order of the stored parameters tuple (meta and pending params). */
export const CHAIN_PARAM_FIELDS = [...PARAM_FIELDS, ...CONSENSUS_PARAM_FIELDS] as const

/**
 * Ceilings of the parameters that bound a list a tx can grow, so that the record holding it stays far
 * below the state's 64 KiB value limit: 1,024 terminals or devices are 35 KiB, 1,025 unbonding entries
 * (merged per epoch, see staking.ts) 19 KiB, 256 delegations 11 KiB. Genesis refuses more.
 */
export const LEDGER_PARAM_MAX = {
  unbondingEpochs: 1_024,
  maxTerminalsPerMerchant: 1_024,
  maxDevicesPerOwner: 1_024,
  maxDelegationsPerMember: 256,
  jailEpochs: 1_024,
} as const satisfies Partial<Record<keyof LedgerParams, number>>

/**
 * Where the current epoch length took effect: the boundary height that applied it (0 at genesis) and
 * the number of the epoch at that height. Epoch numbers run on from it (staking-election.ts), so they
 * stay continuous when governance changes epochLength.
 */
export interface EpochAnchor {
  readonly height: number
  readonly epoch: number
}

export interface Meta {
  readonly chainId: string
  readonly genesisTimeMs: number
  readonly params: ChainParams
  /** Height of the last applied block (0 = genesis). */
  readonly height: number
  readonly timeMs: number
  readonly associationCount: number
  readonly epochAnchor: EpochAnchor
}

function paramsToTuple(p: ChainParams): number[] {
  return CHAIN_PARAM_FIELDS.map((f) => p[f])
}

function paramsFromTuple(t: unknown): ChainParams {
  if (!Array.isArray(t) || t.length !== CHAIN_PARAM_FIELDS.length || !t.every(Number.isSafeInteger)) {
    fail(StateErrorCode.corruptState, 'bad params')
  }
  return Object.fromEntries(CHAIN_PARAM_FIELDS.map((f, i) => [f, t[i]])) as unknown as ChainParams
}

export const metaCodec: RecordCodec<Meta> = {
  encode: (m) =>
    encode([
      m.chainId,
      m.genesisTimeMs,
      paramsToTuple(m.params),
      m.height,
      m.timeMs,
      m.associationCount,
      [m.epochAnchor.height, m.epochAnchor.epoch],
    ]),
  decode(bytes) {
    const t = raw(bytes)
    if (!Array.isArray(t) || t.length !== 7 || !Array.isArray(t[6]) || t[6].length !== 2)
      fail(StateErrorCode.corruptState, 'bad meta')
    return {
      chainId: t[0],
      genesisTimeMs: t[1],
      params: paramsFromTuple(t[2]),
      height: t[3],
      timeMs: t[4],
      associationCount: t[5],
      epochAnchor: { height: t[6][0], epoch: t[6][1] },
    } as Meta
  },
}

export interface Roles {
  readonly admin: boolean
  readonly issuer: boolean
}
export const rolesCodec = structCodec<Roles>(['admin', 'issuer'])

// --- points and merchants ---

export interface PointRecord {
  readonly manager: Bytes
  readonly name: string
  readonly decimals: number
  readonly transferable: boolean
  /**
   * Σ customer balances + Σ merchant floats + Σ points locked in purses (`totalLocked`) + Σ campaign
   * budgets not yet paid out (`campaignBudgets`).
   */
  readonly totalSupply: number
  /** Σ merchant liabilities. */
  readonly totalLiability: number
  readonly cumRepaid: number
  readonly cumRedeemed: number
  readonly merchantCount: number
  readonly grantCount: number
  /** Live grants to one named grantee (not to everyone): when 0 the sponsor check skips that lookup. */
  readonly directGrants: number
  // --- expiry (expiry-policy.ts, customer-balance.ts) ---
  /**
   * Σ points expired out of customers' balances: breakage, burned from totalSupply, the manager's.
   * The books: Σ balances + totalLocked + Σ (float − liability) + campaignBudgets = cumRepaid −
   * cumRedeemed − cumExpired + cumCampaignFunded − cumCampaignReturned.
   */
  readonly cumExpired: number
  /** The policy for future awards: they expire this many days after the award (0 = not by days). */
  readonly expiryDays: number
  /** Or: awards made before this instant (a 00:00 JST) expire at it; 0 = no fixed date. */
  readonly expiryAtMs: number
  /**
   * True once the point has had an expiry policy (it never goes back): only then may its customers'
   * balances hold lots (Keys.lots), so only then do credits and debits read them.
   */
  readonly hasLots: boolean
  /** Σ over purses not yet closed of (locked − spent): points still outstanding, part of totalSupply. */
  readonly totalLocked: number
  // --- refunds (refunds.ts) ---
  /**
   * How long after a payment (or an award) a merchant may refund it (or cancel it); 0 = refunds off,
   * and then payments and awards keep no record for them.
   */
  readonly refundWindowMs: number
  // --- campaigns (campaigns.ts) ---
  /** Campaigns not yet closed (at most MAX_LIVE_CAMPAIGNS): when 0, awards skip the campaign lookup. */
  readonly liveCampaigns: number
  /** Σ budgets of the campaigns not yet paid out or returned: points held for bonuses, in totalSupply. */
  readonly campaignBudgets: number
  /** Σ the manager funded campaigns with (minted against fiat, like a repayment). */
  readonly cumCampaignFunded: number
  /** Σ what the manager's closed campaigns returned (burned; the fiat side is the manager's). */
  readonly cumCampaignReturned: number
  // --- traffic (traffic.ts, pseudonyms.ts) ---
  /**
   * Σ points traffic earned for pseudonyms that they have not claimed into an account yet: funded
   * (charged to the shop, or paid from a campaign's budget) and part of totalSupply.
   */
  readonly trafficUnclaimed: number
}
export const pointCodec = structCodec<PointRecord>([
  'manager',
  'name',
  'decimals',
  'transferable',
  'totalSupply',
  'totalLiability',
  'cumRepaid',
  'cumRedeemed',
  'merchantCount',
  'grantCount',
  'directGrants',
  'cumExpired',
  'expiryDays',
  'expiryAtMs',
  'hasLots',
  'totalLocked',
  'refundWindowMs',
  'liveCampaigns',
  'campaignBudgets',
  'cumCampaignFunded',
  'cumCampaignReturned',
  'trafficUnclaimed',
])

export const MerchantStatus = {
  applied: 'applied',
  active: 'active',
  suspended: 'suspended',
  revoked: 'revoked',
} as const
export type MerchantStatus = (typeof MerchantStatus)[keyof typeof MerchantStatus]

export interface MerchantRecord {
  readonly name: string
  readonly status: MerchantStatus
  readonly creditLimit: number
  /** Points the merchant holds. Never above zero together with `liability`. */
  readonly float: number
  /** Points it awarded on credit, owed to the manager in fiat. */
  readonly liability: number
  /** Sorted by key. */
  readonly terminals: readonly Bytes[]
  readonly anchorCount: number
}
export const merchantCodec = structCodec<MerchantRecord>(
  ['name', 'status', 'creditLimit', 'float', 'liability', 'terminals', 'anchorCount'],
  (m) => HEADER + textBound(m.name) + textBound(m.status) + 4 * UINT + HEADER + KEY * m.terminals.length,
)

/**
 * The expiring part of one customer's balance of a point, as lots `[expiresAtMs, amount]`: strictly
 * ascending by expiry (a 00:00 JST instant), amounts positive, at most MAX_LOTS (expiry-lots.ts)
 * entries, Σ amounts ≤ the balance (Keys.balance). The rest of the balance never expires. Absent when
 * the balance holds no lot.
 */
export type Lots = readonly (readonly [expiresAtMs: number, amount: number])[]
const lotsBound = (lots: Lots) => HEADER + (1 + 2 * UINT) * lots.length
export const lotsCodec: RecordCodec<Lots> = {
  encode: (value) => encode(value as WireValue),
  sizeBound: lotsBound,
  decode(bytes) {
    const value = raw(bytes)
    if (!Array.isArray(value)) fail(StateErrorCode.corruptState, 'bad lots record')
    return value as Lots
  },
}

/** One entry of an expiry day's queue: an account of a point that had a lot expiring that day. */
export interface ExpiryQueueEntry {
  readonly point: string
  readonly account: Bytes
}
export const expiryQueueEntryCodec = structCodec<ExpiryQueueEntry>(['point', 'account'])

/** Where the expiry sweep stands: every day before `day` is swept, and `day`'s entries before `seq`. */
export interface ExpirySweep {
  readonly day: number
  readonly seq: number
}
export const expirySweepCodec = structCodec<ExpirySweep>(['day', 'seq'])

// --- traffic ---

/** What each traffic kind earns (tx-body.ts `trafficRates`). */
export interface TrafficRates {
  readonly visit: number
  readonly view: number
  readonly click: number
  readonly purchase: number
  readonly purchasePerMille: number
}
const RATE_FIELDS = ['visit', 'view', 'click', 'purchase', 'purchasePerMille'] as const
export interface TrafficRules {
  /** Earned by an event its customer confirmed (its pseudonym key signed it). */
  readonly confirmed: TrafficRates
  /** Earned on the shop's word alone. */
  readonly unconfirmed: TrafficRates
  /** Most points one pseudonym earns from traffic per JST day, across every shop of the point. */
  readonly dailyCapPerCustomer: number
}
function ratesOf(tuple: unknown): TrafficRates {
  if (!Array.isArray(tuple) || tuple.length !== RATE_FIELDS.length || !tuple.every(isUint))
    fail(StateErrorCode.corruptState, 'traffic rates have the wrong shape')
  return Object.fromEntries(RATE_FIELDS.map((f, i) => [f, tuple[i]])) as unknown as TrafficRates
}
export const trafficRulesCodec: RecordCodec<TrafficRules> = {
  encode: (r) =>
    encode([
      RATE_FIELDS.map((f) => r.confirmed[f]),
      RATE_FIELDS.map((f) => r.unconfirmed[f]),
      r.dailyCapPerCustomer,
    ]),
  decode(bytes) {
    const tuple = raw(bytes)
    if (!Array.isArray(tuple) || tuple.length !== 3 || !isUint(tuple[2]))
      fail(StateErrorCode.corruptState, 'traffic rules have the wrong shape')
    return { confirmed: ratesOf(tuple[0]), unconfirmed: ratesOf(tuple[1]), dailyCapPerCustomer: tuple[2] }
  },
}

/** Events of each kind. */
export interface KindCounts {
  readonly visit: number
  readonly view: number
  readonly click: number
  readonly purchase: number
}
const KIND_FIELDS = ['visit', 'view', 'click', 'purchase'] as const
export const NO_KIND_COUNTS: KindCounts = { visit: 0, view: 0, click: 0, purchase: 0 }

/** A shop's traffic figures for one JST day. */
export interface ShopDay {
  /** Events their customers confirmed, by kind. */
  readonly confirmed: KindCounts
  /** Events on the shop's word alone, by kind. */
  readonly unconfirmed: KindCounts
  /** Σ purchase amounts. */
  readonly amount: number
  /** Points this day's traffic earned (the base, within the daily caps; campaign bonuses apart). */
  readonly points: number
  /** Events ignored because their id was already recorded. */
  readonly duplicates: number
}
function countsOf(tuple: unknown): KindCounts {
  if (!Array.isArray(tuple) || tuple.length !== KIND_FIELDS.length || !tuple.every(isUint))
    fail(StateErrorCode.corruptState, 'traffic counts have the wrong shape')
  return Object.fromEntries(KIND_FIELDS.map((f, i) => [f, tuple[i]])) as unknown as KindCounts
}
export const shopDayCodec: RecordCodec<ShopDay> = {
  encode: (d) =>
    encode([
      KIND_FIELDS.map((f) => d.confirmed[f]),
      KIND_FIELDS.map((f) => d.unconfirmed[f]),
      d.amount,
      d.points,
      d.duplicates,
    ]),
  decode(bytes) {
    const t = raw(bytes)
    if (!Array.isArray(t) || t.length !== 5 || !t.slice(2).every(isUint))
      fail(StateErrorCode.corruptState, 'a shop day has the wrong shape')
    return {
      confirmed: countsOf(t[0]),
      unconfirmed: countsOf(t[1]),
      amount: t[2],
      points: t[3],
      duplicates: t[4],
    }
  },
}
export const EMPTY_SHOP_DAY: ShopDay = {
  confirmed: NO_KIND_COUNTS,
  unconfirmed: NO_KIND_COUNTS,
  amount: 0,
  points: 0,
  duplicates: 0,
}

/** One pseudonym's traffic in a point (pseudonyms.ts): what it did, earned and has not claimed. */
export interface PseudonymTraffic {
  readonly events: number
  /** Of `events`, those the customer confirmed. */
  readonly confirmed: number
  /** Σ purchase amounts. */
  readonly amount: number
  /** Σ points earned, campaign bonuses included. */
  readonly points: number
  /** Earned and not yet claimed into an account. */
  readonly unclaimed: number
}
export const pseudonymTrafficCodec = structCodec<PseudonymTraffic>([
  'events',
  'confirmed',
  'amount',
  'points',
  'unclaimed',
])
export const NO_PSEUDONYM_TRAFFIC: PseudonymTraffic = {
  events: 0,
  confirmed: 0,
  amount: 0,
  points: 0,
  unclaimed: 0,
}

/** A shop's anchored batch of off-ledger traffic (traffic.ts `trafficAnchor`; protocol/traffic-leaf.ts). */
export interface AnchorRecord {
  readonly merchant: Bytes
  readonly count: number
  readonly periodStartMs: number
  readonly periodEndMs: number
  readonly height: number
  /** The traffic.anchor tx that anchored it: what a regulator fetches the tx and its signer by. */
  readonly txHash: Bytes
}
export const anchorCodec = structCodec<AnchorRecord>([
  'merchant',
  'count',
  'periodStartMs',
  'periodEndMs',
  'height',
  'txHash',
])

// --- devices and sponsorship ---

export interface DeviceRecord {
  readonly owner: Bytes
  readonly point: string
  readonly maxPerTx: number
  readonly maxPerPeriod: number
  readonly periodMs: number
  /** Merchants it may pay; empty = any active merchant of the point. */
  readonly merchants: readonly Bytes[]
  /** The period `spent` counts for. */
  readonly period: number
  readonly spent: number
}
export const deviceCodec = structCodec<DeviceRecord>(
  ['owner', 'point', 'maxPerTx', 'maxPerPeriod', 'periodMs', 'merchants', 'period', 'spent'],
  (d) => HEADER + KEY + textBound(d.point) + 5 * UINT + HEADER + KEY * d.merchants.length,
)

export interface GrantRecord {
  readonly grantee: Bytes | null
  readonly txsPerPeriod: number
  readonly periodMs: number
  /** Last height the grant pays at; 0 = never lapses. */
  readonly expiresAtHeight: number
  readonly kinds: readonly string[]
  readonly revoked: boolean
}
export const grantCodec = structCodec<GrantRecord>(
  ['grantee', 'txsPerPeriod', 'periodMs', 'expiresAtHeight', 'kinds', 'revoked'],
  (g) => HEADER + KEY + 3 * UINT + textsBound(g.kinds) + 1,
)

export interface QuotaUse {
  readonly period: number
  readonly used: number
}
export const quotaUseCodec = structCodec<QuotaUse>(['period', 'used'])

// --- staking ---

export interface StakeRecord {
  /** Stake not delegated and not unbonding. */
  readonly free: number
  /** [association, amount], sorted by association. */
  readonly delegations: readonly (readonly [Bytes, number])[]
  /**
   * [amount, epoch at which it becomes free], by epoch, one entry per epoch (undelegations of one
   * epoch merge), so at most `unbondingEpochs + 1` entries.
   */
  readonly unbonding: readonly (readonly [number, number])[]
}
export const stakeCodec = structCodec<StakeRecord>(
  ['free', 'delegations', 'unbonding'],
  (s) => 3 * HEADER + UINT + KEY_UINT * s.delegations.length + (1 + 2 * UINT) * s.unbonding.length,
)

export interface AssociationRecord {
  readonly name: string
  readonly nodeKey: Bytes
  readonly delegated: number
  readonly jailed: boolean
  readonly seq: number
  /** Where its validator node listens for peers, and its public RPC; null when not published. */
  readonly p2p: string | null
  readonly rpc: string | null
  /** A retired association is never elected again; its delegators can still undelegate. */
  readonly retired: boolean
  /** While jailed: the first epoch at which it may unjail itself (0 when never jailed). */
  readonly jailedUntilEpoch: number
}
export const associationCodec = structCodec<AssociationRecord>([
  'name',
  'nodeKey',
  'delegated',
  'jailed',
  'seq',
  'p2p',
  'rpc',
  'retired',
  'jailedUntilEpoch',
])

/** Parameters as a fixed-order tuple (CHAIN_PARAM_FIELDS): the pending change governance scheduled. */
export const paramsCodec: RecordCodec<ChainParams> = {
  encode: (p) => encode(paramsToTuple(p)),
  decode: (bytes) => paramsFromTuple(raw(bytes)),
}

// --- observers and governance ---

export interface ObserverRecord {
  readonly name: string
}
export const observerCodec = structCodec<ObserverRecord>(['name'])

export const ProposalStatus = {
  open: 'open',
  passed: 'passed',
  failed: 'failed',
  expired: 'expired',
} as const
export type ProposalStatus = (typeof ProposalStatus)[keyof typeof ProposalStatus]

export interface ProposalRecord {
  /** The association account that proposed it. */
  readonly proposer: Bytes
  /** The governed body, as its canonical tuple `[kind, ...fields]` (protocol/tx-body.ts). */
  readonly action: WireValue
  /** Last height at which it may be voted on. */
  readonly deadline: number
  readonly height: number
  readonly status: ProposalStatus
  /** The StateErrorCode its action failed with, when `failed`. */
  readonly error: string | null
  /** [association account, yes], sorted by account, one per association of the current set. */
  readonly votes: readonly (readonly [Bytes, boolean])[]
}
/** A governed body's tuple: its strings are bounded by the schemas (name 64, p2p 256, rpc 256 chars). */
const ACTION_BOUND = 4_096
export const proposalCodec = structCodec<ProposalRecord>(
  ['proposer', 'action', 'deadline', 'height', 'status', 'error', 'votes'],
  (p) =>
    HEADER + KEY + ACTION_BOUND + 3 * UINT + 2 * textBound('expired') + HEADER + (2 + KEY) * p.votes.length,
)

/** Open proposals as [id, deadline], by id (bounded by MAX_OPEN_PROPOSALS, governance.ts). */
export type OpenProposals = readonly (readonly [id: number, deadline: number])[]
export const openProposalsCodec: RecordCodec<OpenProposals> = {
  encode: (value) => encode(value as WireValue),
  sizeBound: (value) => HEADER + (1 + 2 * UINT) * value.length,
  decode(bytes) {
    const value = raw(bytes)
    if (!Array.isArray(value)) fail(StateErrorCode.corruptState, 'bad open proposals record')
    return value as OpenProposals
  },
}

export type ValidatorSetRecord = readonly (readonly [nodeKey: Bytes, power: number])[]
export const validatorSetCodec: RecordCodec<ValidatorSetRecord> = {
  encode: (value) => encode(value as WireValue),
  sizeBound: (value) => HEADER + KEY_UINT * value.length,
  decode(bytes) {
    const value = raw(bytes)
    if (!Array.isArray(value)) fail(StateErrorCode.corruptState, 'bad validator set record')
    return value as ValidatorSetRecord
  },
}

// --- purses (state/purses.ts) ---

export const PurseStatus = {
  /** Its vouchers are accepted offline and settled. */
  open: 'open',
  /** Evidence of a cloned key: terminals refuse it; vouchers already taken still settle. */
  frozen: 'frozen',
  /** The settlement window is over and what was left went back to the owner. */
  closed: 'closed',
} as const
export type PurseStatus = (typeof PurseStatus)[keyof typeof PurseStatus]

/** A purse, under its key (`pur/<purse key>`): kept after it closes, so the key can never reopen. */
export interface PurseRecord {
  readonly owner: Bytes
  readonly point: string
  /** Points locked at open (L): the most the purse itself ever pays out. */
  readonly locked: number
  /** Σ paid out of the purse to merchants (≤ locked). */
  readonly spent: number
  /** Terminals accept its vouchers while their clock is before this block time. */
  readonly expiresAtMs: number
  /** Vouchers settle while block time ≤ this (expiry + PURSE_SETTLEMENT_GRACE_MS); reclaim after. */
  readonly settleUntilMs: number
  readonly status: PurseStatus
  /** Distinct vouchers settled. */
  readonly vouchers: number
  /** The highest counter settled (0: none). */
  readonly maxCounter: number
  /** Σ overdraft charged to the owner's free balance (paid to merchants as `pay` events). */
  readonly charged: number
  /** Σ overdraft left unpaid: the merchants' loss, the owner's debt off the ledger. */
  readonly shortfall: number
  /** What went back to the owner at close. */
  readonly returned: number
  readonly openedAtHeight: number
  /** When evidence of a cloned key froze it (0: never). */
  readonly frozenAtHeight: number
  // --- with point expiry (purses.ts, rule "purse lots") ---
  /**
   * What the purse still holds that expires: the owner's lots it locked, with their own expiries
   * (sorted, 00:00 JST, at most MAX_LOTS), less what vouchers took from them (soonest first). With
   * `nonExpiring`, Σ = locked − spent until the purse closes; both go back to the owner then.
   */
  readonly lots: Lots
  /** What the purse still holds that never expires (paid out after its lots). */
  readonly nonExpiring: number
}
export const purseCodec = structCodec<PurseRecord>(
  [
    'owner',
    'point',
    'locked',
    'spent',
    'expiresAtMs',
    'settleUntilMs',
    'status',
    'vouchers',
    'maxCounter',
    'charged',
    'shortfall',
    'returned',
    'openedAtHeight',
    'frozenAtHeight',
    'lots',
    'nonExpiring',
  ],
  // The owner key, 12 integers, two strings, and the lots (≤ MAX_LOTS, as a balance's: 2.4 KiB at most).
  (p) => HEADER + KEY + 12 * UINT + textBound(p.point) + textBound(p.status) + lotsBound(p.lots),
)

// --- refunds (state/refunds.ts) ---

/**
 * A payment (merchant.pay or device.pay) made while its point had a refund window, under its tx hash
 * (`rfp/<point>/<hash>`), until the refund sweep prunes it after `refundableUntilMs`.
 */
export interface RefundablePaymentRecord {
  readonly merchant: Bytes
  /** Who paid: the customer, or a device's owner. Refunds go back to it. */
  readonly payer: Bytes
  readonly amount: number
  /** Σ refunded so far (≤ amount). */
  readonly refunded: number
  /** Refunds are taken while the block time is ≤ this (the payment's time + the point's window then). */
  readonly refundableUntilMs: number
  /**
   * What the payment took that expires, less what refunds gave back (latest expiry first after the
   * non-expiring part): a refund returns points with the expiries they left with. At most MAX_LOTS.
   */
  readonly lots: Lots
  readonly nonExpiring: number
}
export const refundablePaymentCodec = structCodec<RefundablePaymentRecord>(
  ['merchant', 'payer', 'amount', 'refunded', 'refundableUntilMs', 'lots', 'nonExpiring'],
  (r) => HEADER + 2 * KEY + 4 * UINT + lotsBound(r.lots),
)

/** An award (merchant.award) made while its point had a refund window, under its tx hash (`rfa/…`). */
export interface CancellableAwardRecord {
  readonly merchant: Bytes
  readonly customer: Bytes
  readonly amount: number
  readonly cancellableUntilMs: number
  readonly cancelled: boolean
}
export const cancellableAwardCodec = structCodec<CancellableAwardRecord>([
  'merchant',
  'customer',
  'amount',
  'cancellableUntilMs',
  'cancelled',
])

/** One entry of a refund queue day: a record to prune once its window is over. */
export interface RefundQueueEntry {
  readonly point: string
  /** 'payment' or 'award'. */
  readonly record: string
  readonly txHash: Bytes
}
export const refundQueueEntryCodec = structCodec<RefundQueueEntry>(['point', 'record', 'txHash'])
// --- campaigns (state/campaigns.ts) ---

export const CampaignStatus = {
  /** Pays bonuses within its window while its budget lasts. */
  open: 'open',
  /** Its budget ran out, or its owner (or the manager) closed it and the rest went back. */
  closed: 'closed',
} as const
export type CampaignStatus = (typeof CampaignStatus)[keyof typeof CampaignStatus]

/** Who funds a campaign, and so where its rest goes back at close. */
export const CampaignFunder = {
  /** The point's manager: its budget is minted (cumCampaignFunded) and its rest burned (cumCampaignReturned). */
  manager: 'manager',
  /** A merchant for its own shop: charged like an award, its rest credited back like a payment. */
  merchant: 'merchant',
} as const
export type CampaignFunder = (typeof CampaignFunder)[keyof typeof CampaignFunder]

/** A campaign, under `cp/<point>/<id>`: kept after it closes. funded = paid + remaining + returned. */
export interface CampaignRecord {
  readonly owner: Bytes
  readonly funder: CampaignFunder
  /** In the canonical order of CAMPAIGN_TRIGGERS. */
  readonly triggers: readonly string[]
  readonly bonusPerMille: number
  readonly flatBonus: number
  /** It pays on awards at block times in [startMs, endMs). */
  readonly startMs: number
  readonly endMs: number
  /** The merchants whose awards qualify, sorted; empty = every merchant of the point. */
  readonly merchants: readonly Bytes[]
  /** Σ the budget it was funded with (create and every fund). */
  readonly funded: number
  /** What is left to pay (part of the point's campaignBudgets while open; 0 once closed). */
  readonly remaining: number
  /** Σ bonuses paid to customers. */
  readonly paid: number
  /** What went back at close. */
  readonly returned: number
  readonly status: CampaignStatus
  readonly createdAtHeight: number
  /** The height it closed at (0: open). */
  readonly closedAtHeight: number
}
export const campaignCodec = structCodec<CampaignRecord>(
  [
    'owner',
    'funder',
    'triggers',
    'bonusPerMille',
    'flatBonus',
    'startMs',
    'endMs',
    'merchants',
    'funded',
    'remaining',
    'paid',
    'returned',
    'status',
    'createdAtHeight',
    'closedAtHeight',
  ],
  // The owner key, two short strings, ≤ 5 triggers, 10 integers and ≤ 16 merchant keys.
  (c) =>
    HEADER +
    KEY +
    textBound(c.funder) +
    textBound(c.status) +
    textsBound(c.triggers) +
    10 * UINT +
    HEADER +
    KEY * c.merchants.length,
)

/** A point's campaigns: how many were ever created (the next listing seq) and the ids not closed, sorted. */
export interface CampaignIndex {
  readonly count: number
  readonly live: readonly string[]
}
export const campaignIndexCodec = structCodec<CampaignIndex>(
  ['count', 'live'],
  (i) => HEADER + UINT + textsBound(i.live),
)
