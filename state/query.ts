/**
 * The read-only view of a LedgerState that rpc/ serves: plain data, no writes. Every record can also be
 * proven: `prove(key)` gives its value and a StateProof against the state root, so a phone or a
 * regulator can check an answer against a commit certificate (use `recordKey` to name the record).
 */
import type { Bytes } from '../protocol/bytes.ts'
import { electValidators } from '../protocol/election.ts'
import { type MerkleProof, verifyMerkleProof } from '../protocol/merkle.ts'
import type { StateProof } from '../protocol/state-proof.ts'
import { type TxBody, txBodyFromTuple } from '../protocol/tx-body.ts'
import { jstDayOf } from './amounts.ts'
import { effectiveBalance } from './customer-balance.ts'
import { expiredPrefix, lotsTotal, NO_LOTS } from './expiry-lots.ts'
import type { Tally } from './governance.ts'
import { EVERYONE, Keys, keyId } from './keys.ts'
import type { LedgerState } from './ledger.ts'
import {
  type AnchorRecord,
  type AssociationRecord,
  anchorCodec,
  associationCodec,
  bytesCodec,
  bytesListCodec,
  type CampaignRecord,
  type CancellableAwardRecord,
  type ChainParams,
  campaignCodec,
  campaignIndexCodec,
  cancellableAwardCodec,
  type DeviceRecord,
  deviceCodec,
  EMPTY_SHOP_DAY,
  type GrantRecord,
  grantCodec,
  type Lots,
  lotsCodec,
  type MerchantRecord,
  merchantCodec,
  NO_PSEUDONYM_TRAFFIC,
  type ObserverRecord,
  observerCodec,
  type PointRecord,
  type ProposalRecord,
  type ProposalStatus,
  type PseudonymTraffic,
  type PurseRecord,
  paramsCodec,
  pointCodec,
  proposalCodec,
  pseudonymTrafficCodec,
  purseCodec,
  type RecordCodec,
  type RefundablePaymentRecord,
  type Roles,
  refundablePaymentCodec,
  rolesCodec,
  type ShopDay,
  type StakeRecord,
  shopDayCodec,
  stakeCodec,
  stringListCodec,
  type TrafficRules,
  textCodec,
  trafficRulesCodec,
  uintCodec,
  validatorSetCodec,
} from './records.ts'
import { epochClockOf, epochOf, nextEpochBoundary } from './staking-election.ts'
import { keyBytes } from './working-set.ts'

const h = keyId

/** Keys of the records a client may ask to prove, as bytes. */
export const recordKey = {
  balance: (point: string, account: Bytes) => keyBytes(Keys.balance(point, h(account))),
  /** With `balance`, what proves an effective balance: the stored sum less the lots expired by then. */
  lots: (point: string, account: Bytes) => keyBytes(Keys.lots(point, h(account))),
  allowance: (point: string, owner: Bytes, spender: Bytes) =>
    keyBytes(Keys.allowance(point, h(owner), h(spender))),
  point: (point: string) => keyBytes(Keys.point(point)),
  merchant: (point: string, merchant: Bytes) => keyBytes(Keys.merchant(point, h(merchant))),
  anchor: (point: string, root: Bytes) => keyBytes(Keys.anchor(point, h(root))),
  device: (device: Bytes) => keyBytes(Keys.device(h(device))),
  stake: (member: Bytes) => keyBytes(Keys.stake(h(member))),
  association: (association: Bytes) => keyBytes(Keys.association(h(association))),
  validatorSet: () => keyBytes(Keys.validatorSet),
  purse: (purse: Bytes) => keyBytes(Keys.purse(h(purse))),
  campaign: (point: string, campaign: string) => keyBytes(Keys.campaign(point, campaign)),
  /** A pseudonym's traffic record: what a wallet proves its unclaimed points by. */
  pseudonymTraffic: (point: string, pseudonym: Bytes) => keyBytes(Keys.trafficPseudonym(point, h(pseudonym))),
} as const

export interface Page {
  readonly offset?: number
  readonly limit?: number
}
const MAX_PAGE = 1_000
/** Most proposals one filtered listing reads. */
const MAX_SCAN = 10_000

export type MerchantInfo = MerchantRecord & { readonly address: Bytes }
export type AssociationInfo = AssociationRecord & { readonly address: Bytes; readonly power: number }
export interface StakeInfo extends StakeRecord {
  /** Unbonding amounts whose epoch has come, not yet folded into `free` (that happens on the next tx). */
  readonly matured: number
}
/** What of a customer's balance expires when (issue 15), at the head block's time. */
export interface LotsInfo {
  /** What the customer may spend: `stored` less `expiredUnswept`. */
  readonly balance: number
  /** The balance record (Keys.balance), which the sweep has not reduced by `expiredUnswept` yet. */
  readonly stored: number
  /** Lots whose expiry has come but that no tx or sweep has removed yet: already unspendable. */
  readonly expiredUnswept: number
  /** The part of `balance` that never expires. */
  readonly nonExpiring: number
  /** The live lots, soonest expiry first: `amount` expires at `expiresAtMs` (a 00:00 JST). */
  readonly lots: readonly { readonly expiresAtMs: number; readonly amount: number }[]
}

/** A campaign with its id (issue 15, campaigns.ts). */
export type CampaignInfo = CampaignRecord & { readonly id: string }

export interface ValidatorInfo {
  readonly nodeKey: Bytes
  readonly power: number
  readonly association: Bytes | null
  readonly jailed: boolean
}

export interface ObserverInfo {
  readonly nodeKey: Bytes
  readonly name: string
}

export interface ProposalInfo extends Omit<ProposalRecord, 'action'> {
  readonly id: number
  readonly action: TxBody
  readonly tally: Tally
}

export interface EpochInfo {
  /** The epoch of the head height. */
  readonly epoch: number
  readonly epochLength: number
  /** The boundary height from which the current epochLength counts, and its epoch number. */
  readonly anchorHeight: number
  readonly anchorEpoch: number
  /** The next boundary: the block that applies pending parameters and runs the election. */
  readonly nextBoundary: number
}

export interface LedgerQuery {
  readonly chainId: string
  readonly height: number
  readonly timeMs: number
  readonly stateRoot: Bytes
  /** The parameters in force for the next height: the ledger's and consensus's (flat, by name). */
  readonly params: ChainParams
  /** Where the head stands in the epochs (staking-election.ts). */
  readonly epoch: EpochInfo
  /** Every point id, in creation order. */
  points(): readonly string[]
  roles(account: Bytes): Roles
  /**
   * The balance a customer may spend at the head block's time: the stored sum less any lots that have
   * expired but are not swept yet (a customer never sees expired points).
   */
  balance(point: string, account: Bytes): number
  /** What of the balance expires when; see LotsInfo. */
  lots(point: string, account: Bytes): LotsInfo
  allowance(point: string, owner: Bytes, spender: Bytes): number
  point(point: string): PointRecord | null
  merchants(point: string, page?: Page): MerchantInfo[]
  merchant(point: string, merchant: Bytes): MerchantInfo | null
  /** The merchant a terminal key belongs to. */
  terminalOf(point: string, terminal: Bytes): Bytes | null
  trafficRules(point: string): TrafficRules | null
  /** Aggregates of one shop on one day (JST day number, see `jstDay`). */
  shopDay(point: string, merchant: Bytes, day: number): ShopDay
  /** One pseudonym's traffic in a point: its events, points earned and points not yet claimed. */
  pseudonymTraffic(point: string, pseudonym: Bytes): PseudonymTraffic
  anchor(point: string, root: Bytes): AnchorRecord | null
  anchors(point: string, merchant: Bytes, page?: Page): Array<AnchorRecord & { root: Bytes }>
  /** True when `root` is anchored in the point and `proof` shows `leaf` is in its batch. */
  verifyAnchoredEvent(point: string, root: Bytes, leaf: Bytes, proof: MerkleProof): boolean
  device(device: Bytes): DeviceRecord | null
  devicesOf(owner: Bytes): Bytes[]
  /** The grant to `grantee`, or with null the grant to everyone. */
  grant(point: string, grantee: Bytes | null): GrantRecord | null
  grants(point: string, page?: Page): GrantRecord[]
  stake(member: Bytes): StakeInfo | null
  associations(): AssociationInfo[]
  validators(): ValidatorInfo[]
  /**
   * The set the election at the end of this epoch would choose if it ran on this state (delegations,
   * jailing and parameters as they stand), from `fromHeight` on. A projection: txs before the boundary
   * can still change it.
   */
  nextEpochValidators(): { readonly fromHeight: number; readonly validators: ValidatorInfo[] }
  /** The admitted observers, by node key. */
  observers(): ObserverInfo[]
  /** Proposals by id, newest first, optionally only those of one status. */
  proposals(filter?: { readonly status?: ProposalStatus }, page?: Page): ProposalInfo[]
  /** One proposal with its votes and its tally against the current set. */
  proposal(id: number): ProposalInfo | null
  /**
   * Parameters governance scheduled for the next epoch boundary (the whole set that will be in force
   * from the height after it), or null.
   */
  pendingParams(): ChainParams | null
  jstDay(timeMs: number): number
  /** An offline purse by its key (kept after it closes). */
  purse(purse: Bytes): PurseRecord | null
  /** The digest of the first voucher settled at `counter` of a purse, or null. */
  purseCounter(purse: Bytes, counter: number): Bytes | null
  /** A payment its merchant may still refund, by its tx hash (refunds.ts); null once pruned or never. */
  refundablePayment(point: string, txHash: Bytes): RefundablePaymentRecord | null
  /** An award its merchant may still cancel, by its tx hash; null once pruned or never. */
  cancellableAward(point: string, txHash: Bytes): CancellableAwardRecord | null
  /** The point's campaigns in creation order, closed ones included. */
  campaigns(point: string, page?: Page): CampaignInfo[]
  campaign(point: string, campaign: string): CampaignInfo | null
  prove(key: Bytes): { readonly key: Bytes; readonly value: Bytes | null; readonly proof: StateProof }
}

function epochInfo(state: LedgerState): EpochInfo {
  const clock = epochClockOf(state.meta)
  return {
    epoch: epochOf(state.meta.height, clock),
    epochLength: clock.epochLength,
    anchorHeight: clock.anchor.height,
    anchorEpoch: clock.anchor.epoch,
    nextBoundary: nextEpochBoundary(state.meta.height, clock),
  }
}

export function createLedgerQuery(state: LedgerState): LedgerQuery {
  const map = state.map
  const read = <T>(key: string, codec: RecordCodec<T>): T | undefined => {
    const bytes = map.get(keyBytes(key))
    return bytes === undefined ? undefined : codec.decode(bytes)
  }
  const range = (count: number, page: Page = {}) => {
    const offset = Math.max(0, page.offset ?? 0)
    const limit = Math.min(MAX_PAGE, Math.max(0, page.limit ?? 100))
    const out: number[] = []
    for (let i = offset; i < Math.min(count, offset + limit); i++) out.push(i)
    return out
  }
  /** A balance's lots; a point that never had an expiry policy has none (one read saved). */
  const lotsOf = (point: string, account: Bytes): Lots =>
    read(Keys.point(point), pointCodec)?.hasLots === true
      ? (read(Keys.lots(point, h(account)), lotsCodec) ?? NO_LOTS)
      : NO_LOTS
  const merchant = (point: string, address: Bytes): MerchantInfo | null => {
    const m = read(Keys.merchant(point, h(address)), merchantCodec)
    return m === undefined ? null : { ...m, address }
  }
  const campaign = (point: string, id: string): CampaignInfo | null => {
    const c = read(Keys.campaign(point, id), campaignCodec)
    return c === undefined ? null : { ...c, id }
  }
  const validatorSet = () => read(Keys.validatorSet, validatorSetCodec) ?? []
  const associations = (): AssociationInfo[] => {
    const powers = new Map(validatorSet().map(([k, p]) => [h(k), p]))
    const out: AssociationInfo[] = []
    for (let seq = 0; seq < state.meta.associationCount; seq++) {
      const address = read(Keys.associationIndex(seq), bytesCodec) as Bytes
      const a = read(Keys.association(h(address)), associationCodec) as AssociationRecord
      out.push({ ...a, address, power: powers.get(h(a.nodeKey)) ?? 0 })
    }
    return out
  }
  const validatorInfos = (set: readonly (readonly [Bytes, number])[]): ValidatorInfo[] => {
    const byNode = new Map(associations().map((a) => [h(a.nodeKey), a]))
    return set.map(([nodeKey, power]) => {
      const a = byNode.get(h(nodeKey))
      return { nodeKey, power, association: a?.address ?? null, jailed: a?.jailed ?? false }
    })
  }
  const proposalInfo = (id: number, p: ProposalRecord): ProposalInfo => ({
    ...p,
    id,
    action: txBodyFromTuple(p.action),
    tally: tally(p.votes),
  })
  const proposal = (id: number): ProposalInfo | null => {
    const p = read(Keys.proposal(id), proposalCodec)
    return p === undefined ? null : proposalInfo(id, p)
  }
  const tally = (votes: ProposalRecord['votes']): Tally => {
    const set = validatorSet()
    const powers = new Map(set.map(([k, p]) => [h(k), p]))
    let yes = 0
    let no = 0
    for (const [association, vote] of votes) {
      const a = read(Keys.association(h(association)), associationCodec)
      const power = a === undefined ? 0 : (powers.get(h(a.nodeKey)) ?? 0)
      if (vote) yes += power
      else no += power
    }
    return { yes, no, total: set.reduce((sum, [, p]) => sum + p, 0) }
  }
  return {
    chainId: state.meta.chainId,
    height: state.meta.height,
    timeMs: state.meta.timeMs,
    stateRoot: map.root,
    params: state.meta.params,
    epoch: epochInfo(state),
    points: () => read(Keys.points, stringListCodec) ?? [],
    roles: (account) => read(Keys.roles(h(account)), rolesCodec) ?? { admin: false, issuer: false },
    balance: (point, account) => {
      const stored = read(Keys.balance(point, h(account)), uintCodec) ?? 0
      return stored === 0 ? 0 : effectiveBalance(stored, lotsOf(point, account), state.meta.timeMs)
    },
    lots(point, account) {
      const stored = read(Keys.balance(point, h(account)), uintCodec) ?? 0
      const lots = stored === 0 ? NO_LOTS : lotsOf(point, account)
      const expired = expiredPrefix(lots, state.meta.timeMs)
      const live = lots.slice(expired.count)
      return {
        balance: stored - expired.amount,
        stored,
        expiredUnswept: expired.amount,
        nonExpiring: stored - expired.amount - lotsTotal(live),
        lots: live.map(([expiresAtMs, amount]) => ({ expiresAtMs, amount })),
      }
    },
    allowance: (point, owner, spender) => read(Keys.allowance(point, h(owner), h(spender)), uintCodec) ?? 0,
    point: (point) => read(Keys.point(point), pointCodec) ?? null,
    merchants(point, page) {
      const p = read(Keys.point(point), pointCodec)
      if (p === undefined) return []
      return range(p.merchantCount, page).map(
        (i) => merchant(point, read(Keys.merchantIndex(point, i), bytesCodec) as Bytes) as MerchantInfo,
      )
    },
    merchant,
    terminalOf(point, terminal) {
      const merchant = read(Keys.side(point, h(terminal)), bytesCodec)
      return merchant !== undefined && h(merchant) !== h(terminal) ? merchant : null
    },
    trafficRules: (point) => read(Keys.trafficRules(point), trafficRulesCodec) ?? null,
    shopDay: (point, m, day) => read(Keys.trafficShopDay(point, h(m), day), shopDayCodec) ?? EMPTY_SHOP_DAY,
    pseudonymTraffic: (point, p) =>
      read(Keys.trafficPseudonym(point, h(p)), pseudonymTrafficCodec) ?? NO_PSEUDONYM_TRAFFIC,
    anchor: (point, root) => read(Keys.anchor(point, h(root)), anchorCodec) ?? null,
    anchors(point, m, page) {
      const record = read(Keys.merchant(point, h(m)), merchantCodec)
      if (record === undefined) return []
      return range(record.anchorCount, page).map((i) => {
        const root = read(Keys.anchorIndex(point, h(m), i), bytesCodec) as Bytes
        return { ...(read(Keys.anchor(point, h(root)), anchorCodec) as AnchorRecord), root }
      })
    },
    verifyAnchoredEvent(point, root, leaf, proof) {
      const a = read(Keys.anchor(point, h(root)), anchorCodec)
      return a !== undefined && proof.size === a.count && verifyMerkleProof(root, leaf, proof)
    },
    device: (device) => read(Keys.device(h(device)), deviceCodec) ?? null,
    devicesOf: (owner) => [...(read(Keys.ownerDevices(h(owner)), bytesListCodec) ?? [])],
    grant: (point, grantee) =>
      read(Keys.grant(point, grantee === null ? EVERYONE : h(grantee)), grantCodec) ?? null,
    grants(point, page) {
      const p = read(Keys.point(point), pointCodec)
      if (p === undefined) return []
      return range(p.grantCount, page).map((i) => {
        const g = read(Keys.grantIndex(point, i), bytesCodec) as Bytes
        return read(Keys.grant(point, g.length === 0 ? EVERYONE : h(g)), grantCodec) as GrantRecord
      })
    },
    stake(member) {
      const s = read(Keys.stake(h(member)), stakeCodec)
      if (s === undefined) return null
      const epoch = epochOf(state.meta.height, epochClockOf(state.meta))
      const matured = s.unbonding.filter(([, e]) => e <= epoch).reduce((sum, [n]) => sum + n, 0)
      return { ...s, matured }
    },
    associations,
    validators: () => validatorInfos(validatorSet()),
    nextEpochValidators() {
      // The election runs in the block at the epoch's last height (staking-election.ts).
      const boundary = nextEpochBoundary(state.meta.height, epochClockOf(state.meta))
      const candidates = associations().filter((a) => !a.retired)
      const elected = electValidators(candidates, state.meta.params, validatorSet())
      return { fromHeight: boundary + 1, validators: validatorInfos(elected) }
    },
    observers: () =>
      (read(Keys.observers, bytesListCodec) ?? []).map((nodeKey) => ({
        nodeKey,
        name: (read(Keys.observer(h(nodeKey)), observerCodec) as ObserverRecord).name,
      })),
    proposals(filter = {}, page = {}) {
      const count = read(Keys.proposalCount, uintCodec) ?? 0
      const offset = Math.max(0, page.offset ?? 0)
      const limit = Math.min(MAX_PAGE, Math.max(0, page.limit ?? 100))
      const out: ProposalInfo[] = []
      let skipped = 0
      // Newest first; a status filter scans at most every proposal once (reads only, bounded by MAX_SCAN).
      for (
        let id = count - 1, scanned = 0;
        id >= 0 && out.length < limit && scanned < MAX_SCAN;
        id--, scanned++
      ) {
        // The status first: the action and the tally are built only for the proposals listed.
        const p = read(Keys.proposal(id), proposalCodec) as ProposalRecord
        if (filter.status !== undefined && p.status !== filter.status) continue
        if (skipped++ < offset) continue
        out.push(proposalInfo(id, p))
      }
      return out
    },
    proposal,
    pendingParams: () => read(Keys.pendingParams, paramsCodec) ?? null,
    jstDay: jstDayOf,
    purse: (purse) => read(Keys.purse(h(purse)), purseCodec) ?? null,
    purseCounter: (purse, counter) => read(Keys.purseCounter(h(purse), counter), bytesCodec) ?? null,
    refundablePayment: (point, txHash) =>
      read(Keys.refundablePayment(point, h(txHash)), refundablePaymentCodec) ?? null,
    cancellableAward: (point, txHash) =>
      read(Keys.cancellableAward(point, h(txHash)), cancellableAwardCodec) ?? null,
    campaign,
    campaigns(point, page) {
      const count = read(Keys.campaignIndex(point), campaignIndexCodec)?.count ?? 0
      return range(count, page).map(
        (i) => campaign(point, read(Keys.campaignSeq(point, i), textCodec) as string) as CampaignInfo,
      )
    },
    prove(key) {
      return { key, value: map.get(key) ?? null, proof: map.prove(key) }
    },
  }
}
