/**
 * The shapes the RPC answers with (rpc/schemas.ts), as the SDK returns them. Accounts stay `arc1…`
 * text (readable, and checked on the way in); hashes, roots and signatures that a caller verifies are
 * parsed to bytes (`ParsedBlock`, `ParsedCertificate`, `ProofResponse`).
 */

import type { BlockHeader } from '../protocol/block.ts'
import type { Bytes } from '../protocol/bytes.ts'
import type { GovernedKind, TxBodyOf } from '../protocol/tx-body.ts'
import type { QuorumCertificate } from '../protocol/vote.ts'

export interface Status {
  readonly chainId: string
  readonly height: number
  readonly role: 'validator' | 'observer'
  readonly peers: number
  readonly syncing: boolean
  readonly mempoolSize: number
  readonly headHash: string | null
  readonly latestBlockTimeMs: number | null
}

/** `/v1/health`: node/health.ts documents each reason. */
export interface HealthJson {
  readonly ok: boolean
  readonly height: number
  readonly syncing: boolean
  /** The most severe reason, or null when ok. */
  readonly reason: 'fork' | 'behind' | 'stale-head' | null
  readonly reasons: readonly ('fork' | 'behind' | 'stale-head')[]
  readonly peers: number
  readonly headAgeSeconds: number
  readonly staleAfterSeconds: number
  readonly behindBlocks: number
  readonly forks: number
}

export interface LedgerEventJson {
  readonly type: string
  readonly [field: string]: unknown
}

export interface ReceiptJson {
  readonly txHash: string
  readonly height: number
  readonly index: number
  readonly status: 'ok' | 'failed'
  /** The ledger's failure code (a STATE_* code), or null. */
  readonly error: string | null
  readonly events: readonly LedgerEventJson[]
}

/** One tx's admission, and with `wait` its commit. */
export interface SubmitResult {
  readonly hash: string | null
  readonly accepted: boolean
  readonly code?: string
  readonly message?: string
  readonly status?: 'pending' | 'committed'
  readonly height?: number
  readonly index?: number
  readonly receipt?: ReceiptJson
}

export interface TxStatus {
  readonly hash: string
  readonly status: 'pending' | 'committed' | 'failed'
  readonly height?: number
  readonly index?: number
  readonly error?: string | null
  readonly receipt?: ReceiptJson
  /** When committed and the node has the tx's bytes: its kind, signer and sponsor. */
  readonly tx?: {
    readonly kind: string
    readonly signer: string
    readonly sponsor: string
    readonly nonce: number
    readonly validUntil: number
  }
}

/** A committed tx: its receipt says whether it applied (`status: 'ok'`) or failed (`error`). */
export interface Committed {
  readonly hash: string
  readonly height: number
  readonly index: number
  readonly receipt: ReceiptJson
}

export interface CertificateJson {
  readonly kind: 'prepare' | 'commit'
  readonly height: number
  readonly view: number
  readonly blockHash: string
  readonly signers: readonly { readonly validator: string; readonly signature: string }[]
}

export interface BlockJson {
  readonly hash: string
  readonly header: {
    readonly chainId: string
    readonly height: number
    readonly view: number
    readonly timeMs: number
    readonly parentHash: string
    readonly txRoot: string
    readonly stateRoot: string
    readonly lastCommitHash: string
    readonly validatorSetHash: string
    readonly nextValidatorSetHash: string
    readonly evidenceRoot: string
    readonly proposer: string
  }
  readonly txs: readonly string[]
  readonly lastCommit: CertificateJson | null
  readonly certificate: CertificateJson | null
  readonly evidence: readonly unknown[]
}

/** A block with its header and certificates as protocol values (bytes), ready to verify. */
export interface ParsedBlock {
  readonly hash: Bytes
  readonly header: BlockHeader
  readonly txHashes: readonly Bytes[]
  readonly lastCommit: QuorumCertificate | null
  readonly certificate: QuorumCertificate | null
  readonly json: BlockJson
}

export interface Grant {
  readonly point: string
  readonly grantee: string | null
  readonly txsPerPeriod: number
  readonly periodMs: number
  readonly expiresAtHeight: number
  readonly kinds: readonly string[]
  readonly revoked: boolean
}

export interface Account {
  readonly address: string
  readonly height: number
  readonly roles: readonly string[]
  readonly balances: readonly { readonly point: string; readonly amount: number }[]
  readonly grants: readonly Grant[]
}

export interface HistoryItem {
  readonly height: number
  readonly index: number
  readonly txHash: string
  readonly kind: string
  readonly status: 'ok' | 'failed'
  /** The state error code when failed. */
  readonly error: string | null
  /** The tx's journal rows naming the account (amounts and counterparties), at most 8. */
  readonly movements?: readonly JournalRow[]
  readonly moreMovements?: boolean
}

/** One movement of points (GET /v1/journal); the CSV export has the same columns in this order. */
export interface JournalRow {
  readonly height: number
  /** Block time, ISO 8601 UTC. */
  readonly time: string
  readonly timeMs: number
  readonly txIndex: number
  readonly row: number
  readonly txHash: string
  readonly kind: string
  /**
   * expire: expired points leaving a customer (customer → manager, burned: breakage); purseLock,
   * pursePay, purseReturn: points into an offline purse, out of it to a merchant, back to the owner;
   * refund: merchant → customer (a payment given back); cancelAward: customer → merchant.
   * campaignFund, campaignBonus, campaignReturn: points into a campaign's budget (from the manager,
   * minted, or a merchant), out of it to a customer, and back at close (the campaign's account is
   * `campaignAccount(point, id)`).
   */
  readonly event:
    | 'award'
    | 'pay'
    | 'repay'
    | 'redeem'
    | 'transfer'
    | 'expire'
    | 'purseLock'
    | 'pursePay'
    | 'purseReturn'
    | 'refund'
    | 'cancelAward'
    | 'campaignFund'
    | 'campaignBonus'
    | 'campaignReturn'
    | 'trafficEarn'
    | 'trafficClaim'
  readonly point: string
  readonly from: string
  readonly fromRole: 'customer' | 'merchant' | 'manager' | 'purse' | 'campaign' | 'pseudonym'
  readonly to: string
  readonly toRole: 'customer' | 'merchant' | 'manager' | 'purse' | 'campaign' | 'pseudonym'
  readonly amount: number
  readonly merchant: string | null
  readonly terminal: string | null
  readonly device: string | null
  readonly spender: string | null
  /** Signed change of the merchant's float and liability. */
  readonly floatDelta: number
  readonly liabilityDelta: number
  readonly sponsor: string
  readonly fiatRef: string | null
  readonly memo: string | null
}

export interface JournalPage extends Page<JournalRow> {
  /** Pass as `cursor` for the next page; null at the end of the range. */
  readonly next: string | null
}

/** Which rows: a point's, narrowed to an account or a merchant, over heights and/or block times. */
export interface JournalQuery {
  readonly point: string
  readonly account?: string | Uint8Array
  readonly merchant?: string | Uint8Array
  readonly fromHeight?: number
  readonly toHeight?: number
  /** ms since the epoch, or an ISO 8601 date-time (with Z or an offset). */
  readonly fromTime?: number | string
  readonly toTime?: number | string
}

/** A statement request: a month `YYYY-MM` or a day `YYYY-MM-DD` in `timeZone` (default Asia/Tokyo). */
export interface StatementQuery {
  readonly period: string
  readonly timeZone?: string
  readonly format?: 'json' | 'csv'
}

/** A statement exactly as the node sent it, with its SHA-256 checked against `x-statement-sha256`. */
export interface StatementDocument<T> {
  readonly format: 'json' | 'csv'
  readonly bytes: Uint8Array
  readonly text: string
  /** Hex SHA-256 of `bytes`: equal on every node once the period is final. */
  readonly sha256: string
  /** The name the node suggests for saving it. */
  readonly filename: string | null
  /** The parsed document (JSON format only). */
  readonly document: T | null
}

export interface BooksJson {
  readonly customers: number
  /** Points in offline purses (locked, not yet paid out or returned). */
  readonly purses: number
  readonly floats: number
  readonly liabilities: number
  readonly cumRepaid: number
  readonly cumRedeemed: number
  /**
   * customers + purses + floats − liabilities + campaigns + unclaimed = cumRepaid − cumRedeemed −
   * cumExpired + cumCampaignFunded − cumCampaignReturned.
   */
  readonly holds: boolean
  /** Points expired out of customers' balances up to then (breakage). */
  readonly cumExpired: number
  /** Points held in campaign budgets. */
  readonly campaigns: number
  /** What the manager minted into campaigns, and what its closed campaigns burned, up to then. */
  readonly cumCampaignFunded: number
  readonly cumCampaignReturned: number
  /** Points traffic earned for pseudonyms, not yet claimed. */
  readonly unclaimed: number
}

export interface StatementPeriodJson {
  readonly label: string
  readonly kind: 'month' | 'day'
  readonly timeZone: string
  /** ISO 8601 with the zone's offset. */
  readonly from: string
  readonly to: string
  readonly startMs: number
  readonly endMs: number
}

export interface MerchantStatementAmounts {
  readonly openingFloat: number
  readonly openingLiability: number
  readonly awardCount: number
  readonly awardedFromFloat: number
  readonly awardedOnCredit: number
  readonly paymentCount: number
  readonly paymentsReceived: number
  readonly paymentsToFloat: number
  readonly paymentsClearingLiability: number
  readonly repayments: number
  readonly repaymentsToFloat: number
  readonly repaymentsClearingLiability: number
  readonly redemptions: number
  /** Σ refunded to customers in the period. */
  readonly refunds: number
  /** Σ of the awards cancelled in the period. */
  readonly awardsCancelled: number
  readonly closingFloat: number
  readonly closingLiability: number
  /** The closing liability: yen the merchant owes the manager. */
  readonly owedToManager: number
  /** The period's redemptions: yen the manager owes the merchant. */
  readonly owedToMerchant: number
  /** owedToMerchant − owedToManager: positive, the manager pays the merchant. */
  readonly net: number
  /** Points the merchant put into its own campaigns, and what they gave back, in the period. */
  readonly campaignFunding: number
  readonly campaignReturns: number
  /** Points its recorded traffic earned customers' pseudonyms (charged as awards are). */
  readonly trafficEarned: number
}

export interface SettlementStatementJson {
  readonly format: string
  readonly point: string
  readonly pointName: string
  readonly decimals: number
  readonly period: StatementPeriodJson
  readonly fromHeight: number | null
  readonly toHeight: number | null
  readonly final: boolean
  readonly asOfHeight: number | null
  readonly opening: BooksJson
  readonly closing: BooksJson
  readonly transferCount: number
  readonly transferred: number
  readonly totals: MerchantStatementAmounts
  readonly merchants: ReadonlyArray<
    MerchantStatementAmounts & { readonly merchant: string; readonly name: string }
  >
  /** Breakage in the period: expiries (one per account and tx, or block) and the points expired. */
  readonly expiryCount: number
  readonly expired: number
  /** Campaigns in the period: funded into budgets, paid as bonuses (count and points), returned. */
  readonly campaignFunded: number
  readonly campaignBonusCount: number
  readonly campaignBonuses: number
  readonly campaignReturned: number
  /** Traffic claims in the period: how many, and the points claimed from pseudonyms into accounts. */
  readonly trafficClaimCount: number
  readonly trafficClaimed: number
}

export interface SponsorUsageJson {
  readonly format: string
  readonly point: string
  readonly sponsor: string
  readonly period: StatementPeriodJson
  readonly fromHeight: number | null
  readonly toHeight: number | null
  readonly final: boolean
  readonly asOfHeight: number | null
  readonly total: { readonly txs: number; readonly failed: number }
  readonly byKind: ReadonlyArray<{ readonly kind: string; readonly txs: number; readonly failed: number }>
  readonly byGrantee: ReadonlyArray<{
    readonly grantee: string
    readonly txs: number
    readonly failed: number
  }>
}

export interface Page<T> {
  readonly items: readonly T[]
}
export interface HistoryPage extends Page<HistoryItem> {
  /** Pass as `before` for the next (older) page; null at the end. */
  readonly next: string | null
}
export interface OffsetPage<T> extends Page<T> {
  readonly nextOffset: number | null
}

/** What each traffic kind earns: flat points per event, plus per mille of a purchase's amount. */
export interface TrafficRates {
  readonly visit: number
  readonly view: number
  readonly click: number
  readonly purchase: number
  readonly purchasePerMille: number
}

export interface TrafficRules {
  /** Earned by events their customers confirmed. */
  readonly confirmed: TrafficRates
  /** Earned on the shop's word alone. */
  readonly unconfirmed: TrafficRates
  /** Most points one customer's pseudonym earns per JST day, across every shop of the point. */
  readonly dailyCapPerCustomer: number
}

export interface PointInfo {
  readonly id: string
  readonly manager: string
  readonly name: string
  readonly decimals: number
  readonly transferable: boolean
  readonly totalSupply: number
  readonly totalLiability: number
  readonly cumRepaid: number
  readonly cumRedeemed: number
  readonly merchantCount: number
  readonly grantCount: number
  /** Points expired out of customers' balances (breakage, burned from totalSupply). */
  readonly cumExpired: number
  /** The policy for future awards: `afterDays` after each, or a fixed `atMs`; both 0 = none. */
  readonly expiry: ExpiryPolicyJson
  /** Points locked in offline purses (part of totalSupply). */
  readonly totalLocked: number
  /** Campaigns not yet closed. */
  readonly liveCampaigns: number
  /** Points held in campaign budgets (part of totalSupply). */
  readonly campaignBudgets: number
  /** What the manager minted into its campaigns, and what its closed campaigns burned. */
  readonly cumCampaignFunded: number
  readonly cumCampaignReturned: number
  /** Points traffic earned for pseudonyms, not yet claimed (part of totalSupply). */
  readonly trafficUnclaimed: number
}

export interface ExpiryPolicyJson {
  readonly afterDays: number
  /** A 00:00 JST instant, ms since the epoch; 0 = no fixed date. */
  readonly atMs: number
  /** The fixed date has passed: new awards do not expire until the manager sets a new policy. */
  readonly lapsed: boolean
}

/** GET /v1/points/:id/accounts/:address/lots: what of a balance expires when, at `timeMs`. */
export interface LotsJson {
  readonly point: string
  readonly account: string
  readonly height: number
  /** The head block's time: what is expired is decided against it. */
  readonly timeMs: number
  /** What the customer may spend (the effective balance). */
  readonly balance: number
  /** The stored balance record, not yet reduced by `expiredUnswept`. */
  readonly stored: number
  /** Expired but not yet swept: already unspendable. */
  readonly expiredUnswept: number
  /** The part of `balance` that never expires. */
  readonly nonExpiring: number
  /** Soonest first. */
  readonly lots: readonly {
    readonly expiresAtMs: number
    /** ISO 8601 UTC. */
    readonly expiresAt: string
    readonly amount: number
  }[]
}
export interface PointDetail extends PointInfo {
  readonly trafficRules: TrafficRules | null
}

export interface MerchantInfo {
  readonly point: string
  readonly address: string
  readonly name: string
  readonly status: 'applied' | 'active' | 'suspended' | 'revoked'
  readonly creditLimit: number
  readonly float: number
  readonly liability: number
  readonly terminals: readonly string[]
  readonly anchorCount: number
}

/** Events of each traffic kind. */
export interface TrafficCounts {
  readonly visit: number
  readonly view: number
  readonly click: number
  readonly purchase: number
}

/** A shop's traffic on one JST day. */
export interface ShopDay {
  readonly day: number
  /** Events their customers confirmed, by kind. */
  readonly confirmed: TrafficCounts
  /** Events on the shop's word alone, by kind. */
  readonly unconfirmed: TrafficCounts
  /** Σ purchase amounts. */
  readonly amount: number
  /** Points the day's traffic earned (campaign bonuses apart). */
  readonly points: number
  /** Events ignored because their id was already recorded. */
  readonly duplicates: number
}

/** One shop's line in the point's traffic figures for a day (GET /v1/points/:id/traffic/days/:day). */
export interface ShopDayOfMerchant extends Omit<ShopDay, 'day'> {
  readonly merchant: string
  readonly name: string
}

/** A customer's traffic in a point, by its pseudonym. */
export interface PseudonymTraffic {
  readonly point: string
  readonly pseudonym: string
  readonly events: number
  /** Of the events, those the customer confirmed. */
  readonly confirmed: number
  /** Σ purchase amounts. */
  readonly amount: number
  /** Points earned, campaign bonuses included. */
  readonly points: number
  /** Earned and not yet claimed into an account. */
  readonly unclaimed: number
}

/** A payment its merchant may still refund (GET /v1/points/:id/payments/:hash). */
export interface RefundablePaymentInfo {
  readonly point: string
  /** The payment's tx hash (hex). */
  readonly payment: string
  readonly merchant: string
  /** Who refunds go back to: the customer, or the paying device's owner. */
  readonly payer: string
  readonly amount: number
  readonly refunded: number
  /** What may still be refunded at the head block time (0 once the window is over). */
  readonly refundable: number
  readonly refundableUntilMs: number
  readonly refundableUntil: string
}

/** An award its merchant may still cancel (GET /v1/points/:id/awards/:hash). */
export interface CancellableAwardInfo {
  readonly point: string
  /** The award's tx hash (hex). */
  readonly award: string
  readonly merchant: string
  readonly customer: string
  readonly amount: number
  readonly cancelled: boolean
  readonly cancellable: boolean
  readonly cancellableUntilMs: number
  readonly cancellableUntil: string
}

/** An offline purse (GET /v1/purses/:address). */
/** A campaign (GET /v1/points/:id/campaigns/:campaign; state/campaigns.ts). */
export interface CampaignInfo {
  readonly point: string
  readonly campaign: string
  /** The account its budget goes by in the journal (`campaignAccount(point, id)`); no key signs for it. */
  readonly account: string
  readonly owner: string
  /** manager: the budget was minted and the rest is burned; merchant: charged to and returned to the shop's books. */
  readonly funder: 'manager' | 'merchant'
  readonly triggers: readonly CampaignTrigger[]
  /** Extra points per 1,000 points of the base award (1000 = double points). */
  readonly bonusPerMille: number
  readonly flatBonus: number
  /** It pays at block times in [startMs, endMs). */
  readonly startMs: number
  readonly endMs: number
  /** Whose awards qualify; empty = every merchant of the point. */
  readonly merchants: readonly string[]
  readonly funded: number
  readonly remaining: number
  readonly paid: number
  readonly returned: number
  readonly status: 'open' | 'closed'
  /** Open, and the head block time is within its window. */
  readonly active: boolean
  readonly createdAtHeight: number
  readonly closedAtHeight: number
}

export type CampaignTrigger = 'award' | 'visit' | 'view' | 'click' | 'purchase'

export interface PurseInfo {
  readonly purse: string
  readonly owner: string
  readonly point: string
  readonly locked: number
  readonly spent: number
  readonly remaining: number
  readonly expiresAtMs: number
  readonly settleUntilMs: number
  readonly status: 'open' | 'frozen' | 'closed'
  readonly vouchers: number
  readonly maxCounter: number
  readonly charged: number
  readonly shortfall: number
  readonly returned: number
  readonly openedAtHeight: number
  readonly frozenAtHeight: number
  /**
   * What the purse holds that expires, soonest first, with the expiries the points had in the owner's
   * balance: vouchers are paid from them first; at close the rest returns with them.
   */
  readonly lots: readonly {
    readonly expiresAtMs: number
    /** ISO 8601 UTC. */
    readonly expiresAt: string
    readonly amount: number
  }[]
  /** What the purse holds that never expires (paid out last). */
  readonly nonExpiring: number
}

export interface DeviceInfo {
  readonly device: string
  readonly owner: string
  readonly point: string
  readonly maxPerTx: number
  readonly maxPerPeriod: number
  readonly periodMs: number
  readonly merchants: readonly string[]
  readonly period: number
  readonly spent: number
}

export interface Stake {
  readonly member: string
  readonly free: number
  readonly matured: number
  readonly delegations: readonly { readonly association: string; readonly amount: number }[]
  readonly unbonding: readonly { readonly amount: number; readonly releaseEpoch: number }[]
}

export interface Association {
  readonly address: string
  readonly name: string
  readonly nodeKey: string
  readonly delegated: number
  readonly power: number
  readonly jailed: boolean
  /** While jailed: the first epoch it may unjail itself in. */
  readonly jailedUntilEpoch: number
  /** While jailed: the first height `staking.unjail` passes at; null when not jailed. */
  readonly unjailFromHeight: number | null
  readonly retired: boolean
  /** Where its validator node listens for peers, as published on chain. */
  readonly p2p: string | null
  /** Its public RPC URL, as published on chain. */
  readonly rpc: string | null
}

// --- governance ---

export type ProposalStatus = 'open' | 'passed' | 'failed' | 'expired'

export interface ProposalVote {
  readonly association: string
  readonly yes: boolean
  /** The association's power in the current set. */
  readonly power: number
}

export interface ProposalTally {
  readonly yes: number
  readonly no: number
  /** The power of the current validator set. */
  readonly total: number
  /** The least yes power that passes it: more than 2/3 of `total`. */
  readonly needed: number
}

/** GET /v1/gov/proposals/:id as the RPC sends it. */
export interface ProposalJson {
  readonly id: number
  /** The association account that proposed it. */
  readonly proposer: string
  /** The governed body it executes when it passes: `kind` and its fields (arc1…, arcnode1… text). */
  readonly action: { readonly kind: GovernedKind; readonly [field: string]: unknown }
  /** Last height it may be voted on. */
  readonly deadline: number
  /** The height it was proposed at. */
  readonly height: number
  readonly status: ProposalStatus
  /** Why its action was refused, when `failed` (a STATE_* code). */
  readonly error: string | null
  readonly votes: readonly ProposalVote[]
  readonly tally: ProposalTally
}

/** A proposal with its action checked and parsed to the protocol body it executes. */
export interface Proposal extends ProposalJson {
  readonly body: TxBodyOf<GovernedKind>
}

export interface Observer {
  readonly nodeKey: string
  readonly name: string
}

export interface LedgerParams {
  readonly epochLength: number
  readonly maxValidators: number
  readonly minValidatorStake: number
  readonly unbondingEpochs: number
  readonly maxTxValidityBlocks: number
  readonly maxTerminalsPerMerchant: number
  readonly maxDevicesPerOwner: number
  readonly maxDelegationsPerMember: number
  readonly jailEpochs: number
  readonly maxBlockBytes: number
  readonly maxBlockTxs: number
  readonly viewTimeoutBaseMs: number
  readonly viewTimeoutIncrementMs: number
  readonly viewTimeoutCapMs: number
  readonly emptyBlockIntervalMs: number
}

/** GET /v1/params: the parameters in force, and those scheduled for the next epoch boundary. */
export interface ParamsJson {
  readonly height: number
  readonly current: LedgerParams
  readonly pending: LedgerParams | null
  /** The first height `pending` is in force at; null when nothing is scheduled. */
  readonly pendingFromHeight: number | null
  /** Where the head stands in the epochs: epochs count from the boundary where epochLength last changed. */
  readonly epoch: {
    readonly epoch: number
    readonly epochLength: number
    readonly anchorHeight: number
    readonly anchorEpoch: number
    readonly nextBoundary: number
  }
}

export interface ValidatorJson {
  readonly nodeKey: string
  readonly power: number
  readonly association: string | null
  readonly jailed: boolean
}

export interface ValidatorsJson {
  readonly height: number
  /** The set certifying the next height. */
  readonly totalPower: number
  readonly items: readonly ValidatorJson[]
  /**
   * A projection: the set the election at the end of this epoch would choose from the state now,
   * from `fromHeight` on (txs before the boundary can still change it).
   */
  readonly nextEpoch?: {
    readonly fromHeight: number
    readonly totalPower: number
    readonly items: readonly ValidatorJson[]
  }
}

/** One entry of `GET /v1/validator-sets`: the set certifying heights from `fromHeight` on. */
export interface ValidatorSetJson {
  readonly fromHeight: number
  /** Hex; block `fromHeight − 1` names it as its nextValidatorSetHash (for fromHeight > 1). */
  readonly setHash: string
  readonly totalPower: number
  readonly validators: readonly { readonly nodeKey: string; readonly power: number }[]
}

export interface EvidenceItem {
  readonly height: number
  readonly evidence: unknown
}

/** GET /v1/proofs/:ref as the RPC sends it. */
export interface ProofJson {
  readonly key: string
  readonly value: string | null
  readonly proof: {
    readonly siblings: readonly string[]
    readonly leaf: { readonly path: string; readonly valueHash: string } | null
  }
  readonly height: number
  readonly stateRoot: string
  readonly blockHash: string | null
  readonly certificate: CertificateJson | null
}

/** A stream event: a new block (with the block's own events), or the receipt of a committed tx. */
export type StreamEvent =
  | {
      readonly type: 'block'
      readonly id: string
      readonly data: {
        height: number
        hash: string
        timeMs: number
        txCount: number
        /** Events outside any tx: `jailed` by evidence, `proposalExpired`, `paramApplied`. */
        events: readonly LedgerEventJson[]
      }
    }
  | { readonly type: 'receipt'; readonly id: string; readonly data: ReceiptJson }

/** An anchored batch of off-ledger traffic (GET /v1/points/:id/anchors/:root; client/anchors.ts). */
export interface AnchorInfo {
  readonly point: string
  /** The batch's Merkle root (hex). */
  readonly root: string
  /** The shop whose batch it is (a terminal anchors for its merchant). */
  readonly merchant: string
  /** Events in the batch: the size of every inclusion proof against the root. */
  readonly count: number
  /** The event times it covers, as the shop declared them (ms, both inclusive). */
  readonly periodStartMs: number
  readonly periodEndMs: number
  /** The block that anchored it, and the traffic.anchor tx (hex). */
  readonly height: number
  readonly txHash: string
}
