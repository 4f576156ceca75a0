/**
 * Codes of the state machine. A failed tx carries one of these in its receipt; tests assert codes,
 * never messages. A code is never reused for another meaning: add a new one instead.
 */
import { ArcadeError } from '../protocol/errors.ts'

export const StateErrorCode = {
  // --- envelope and replay (refused at admission; in a block they make the block invalid) ---
  wrongChain: 'STATE_WRONG_CHAIN',
  txExpired: 'STATE_TX_EXPIRED',
  txExpiryTooFar: 'STATE_TX_EXPIRY_TOO_FAR',
  txDuplicate: 'STATE_TX_DUPLICATE',
  // --- sponsor (refused at admission; in a block, a failed receipt) ---
  noQuota: 'STATE_NO_QUOTA',
  sponsorNotAllowed: 'STATE_SPONSOR_NOT_ALLOWED',
  // --- authorization ---
  notAdmin: 'STATE_NOT_ADMIN',
  notIssuer: 'STATE_NOT_ISSUER',
  notManager: 'STATE_NOT_MANAGER',
  notMerchant: 'STATE_NOT_MERCHANT',
  notTerminal: 'STATE_NOT_TERMINAL',
  notOwner: 'STATE_NOT_OWNER',
  roleConflict: 'STATE_ROLE_CONFLICT',
  // --- amounts ---
  zeroAmount: 'STATE_ZERO_AMOUNT',
  amountOverflow: 'STATE_AMOUNT_OVERFLOW',
  insufficientBalance: 'STATE_INSUFFICIENT_BALANCE',
  insufficientAllowance: 'STATE_INSUFFICIENT_ALLOWANCE',
  insufficientFloat: 'STATE_INSUFFICIENT_FLOAT',
  creditLimitExceeded: 'STATE_CREDIT_LIMIT_EXCEEDED',
  limitBelowLiability: 'STATE_LIMIT_BELOW_LIABILITY',
  // --- records ---
  pointExists: 'STATE_POINT_EXISTS',
  unknownPoint: 'STATE_UNKNOWN_POINT',
  notTransferable: 'STATE_NOT_TRANSFERABLE',
  selfTransfer: 'STATE_SELF_TRANSFER',
  merchantExists: 'STATE_MERCHANT_EXISTS',
  unknownMerchant: 'STATE_UNKNOWN_MERCHANT',
  merchantNotActive: 'STATE_MERCHANT_NOT_ACTIVE',
  badMerchantStatus: 'STATE_BAD_MERCHANT_STATUS',
  terminalExists: 'STATE_TERMINAL_EXISTS',
  unknownTerminal: 'STATE_UNKNOWN_TERMINAL',
  tooManyTerminals: 'STATE_TOO_MANY_TERMINALS',
  invalidParam: 'STATE_INVALID_PARAM',
  noTrafficRules: 'STATE_NO_TRAFFIC_RULES',
  anchorExists: 'STATE_ANCHOR_EXISTS',
  deviceExists: 'STATE_DEVICE_EXISTS',
  unknownDevice: 'STATE_UNKNOWN_DEVICE',
  badPossessionProof: 'STATE_BAD_POSSESSION_PROOF',
  deviceLimitExceeded: 'STATE_DEVICE_LIMIT_EXCEEDED',
  merchantNotAllowed: 'STATE_MERCHANT_NOT_ALLOWED',
  tooManyDevices: 'STATE_TOO_MANY_DEVICES',
  unknownGrant: 'STATE_UNKNOWN_GRANT',
  selfGrant: 'STATE_SELF_GRANT',
  associationExists: 'STATE_ASSOCIATION_EXISTS',
  unknownAssociation: 'STATE_UNKNOWN_ASSOCIATION',
  nodeKeyInUse: 'STATE_NODE_KEY_IN_USE',
  insufficientStake: 'STATE_INSUFFICIENT_STAKE',
  insufficientDelegation: 'STATE_INSUFFICIENT_DELEGATION',
  tooManyDelegations: 'STATE_TOO_MANY_DELEGATIONS',
  associationRetired: 'STATE_ASSOCIATION_RETIRED',
  /** association.update may not change the node key of a member of the current validator set. */
  associationInSet: 'STATE_ASSOCIATION_IN_SET',
  notJailed: 'STATE_NOT_JAILED',
  /** staking.unjail before the jail period (jailEpochs) is over. */
  jailNotOver: 'STATE_JAIL_NOT_OVER',
  observerExists: 'STATE_OBSERVER_EXISTS',
  unknownObserver: 'STATE_UNKNOWN_OBSERVER',
  /** observer.admit when MAX_OBSERVERS are admitted. */
  tooManyObservers: 'STATE_TOO_MANY_OBSERVERS',
  // --- governance ---
  /** gov.propose or gov.vote by an account that is not the association of a current validator. */
  notValidatorAssociation: 'STATE_NOT_VALIDATOR_ASSOCIATION',
  /** A deadline not after the current height or past MAX_VOTING_PERIOD_BLOCKS. */
  badDeadline: 'STATE_BAD_DEADLINE',
  /** gov.propose when MAX_OPEN_PROPOSALS are open. */
  tooManyProposals: 'STATE_TOO_MANY_PROPOSALS',
  unknownProposal: 'STATE_UNKNOWN_PROPOSAL',
  /** gov.vote on a proposal that passed, failed or expired. */
  proposalClosed: 'STATE_PROPOSAL_CLOSED',
  /** point.create when the chain holds MAX_POINTS points. */
  tooManyPoints: 'STATE_TOO_MANY_POINTS',
  /**
   * An expiry policy that is not one of: none, afterDays in 1..MAX_EXPIRY_DAYS, or a date at most
   * MAX_EXPIRY_DAYS ahead (expiry-policy.ts); both afterDays and atMs set is refused too.
   */
  badExpiryPolicy: 'STATE_BAD_EXPIRY_POLICY',
  /** A fixed expiry date (atMs) that is not after the block's time. */
  expiryDatePassed: 'STATE_EXPIRY_DATE_PASSED',
  /** A write whose record would pass the state's value limit (MAX_STATE_VALUE_BYTES); fails its tx. */
  recordTooLarge: 'STATE_RECORD_TOO_LARGE',
  /**
   * The tx raised an error that is not a state rule (a bug, such as a RangeError): it failed and
   * left no trace. Never the block: one tx cannot make a block invalid.
   */
  internalError: 'STATE_INTERNAL_ERROR',
  // --- purses (state/purses.ts) ---
  unknownPurse: 'STATE_UNKNOWN_PURSE',
  /** purse.open with a purse key that already opened a purse (a key is single use). */
  purseExists: 'STATE_PURSE_EXISTS',
  /** purse.open with an expiry not after the block time or past MAX_PURSE_LIFETIME_MS. */
  badPurseExpiry: 'STATE_BAD_PURSE_EXPIRY',
  /** A voucher, evidence or reclaim for a purse already closed. */
  purseClosed: 'STATE_PURSE_CLOSED',
  /** purse.evidence against a purse already frozen (nothing to change). */
  purseFrozen: 'STATE_PURSE_FROZEN',
  /** A voucher settled after the purse's settlement window (expiry + grace). */
  purseSettlementOver: 'STATE_PURSE_SETTLEMENT_OVER',
  /** purse.reclaim while vouchers may still settle. */
  purseNotOver: 'STATE_PURSE_NOT_OVER',
  /** A voucher of the wrong shape: counter 0, amount 0, amount above its running total, another point. */
  voucherInvalid: 'STATE_VOUCHER_INVALID',
  /** A voucher the purse key did not sign for this chain. */
  voucherBadSignature: 'STATE_VOUCHER_BAD_SIGNATURE',
  /** purse.settle of a voucher payable to another merchant than the signer's. */
  voucherNotPayee: 'STATE_VOUCHER_NOT_PAYEE',
  /** A voucher whose running total passes the purse's locked amount: no terminal may accept it. */
  voucherBeyondPurse: 'STATE_VOUCHER_BEYOND_PURSE',
  /** A voucher already settled (the same content, whatever the signature). */
  voucherReplayed: 'STATE_VOUCHER_REPLAYED',
  /** purse.evidence whose two vouchers are not two different vouchers of one purse with one counter. */
  vouchersNotConflicting: 'STATE_VOUCHERS_NOT_CONFLICTING',
  // --- refunds (state/refunds.ts) ---
  /** point.setRefundWindow above MAX_REFUND_WINDOW_MS. */
  badRefundWindow: 'STATE_BAD_REFUND_WINDOW',
  /** merchant.refund of a tx that is no refundable payment of this point (or whose record was pruned). */
  unknownPayment: 'STATE_UNKNOWN_PAYMENT',
  /** merchant.cancelAward of a tx that is no cancellable award of this point (or whose record was pruned). */
  unknownAward: 'STATE_UNKNOWN_AWARD',
  /** A refund or cancellation by another merchant than the one paid (or that awarded). */
  notPaymentMerchant: 'STATE_NOT_PAYMENT_MERCHANT',
  /** A refund or cancellation after the window the point had when the payment (or award) was made. */
  refundWindowOver: 'STATE_REFUND_WINDOW_OVER',
  /** A refund that would take a payment's refunds above the payment. */
  refundExceedsPayment: 'STATE_REFUND_EXCEEDS_PAYMENT',
  /** merchant.cancelAward of an award already cancelled. */
  awardCancelled: 'STATE_AWARD_CANCELLED',
  // --- campaigns (state/campaigns.ts) ---
  unknownCampaign: 'STATE_UNKNOWN_CAMPAIGN',
  /** campaign.create with an id the point has used already (an id is unique per point forever). */
  campaignExists: 'STATE_CAMPAIGN_EXISTS',
  /** campaign.fund or campaign.close of a campaign already closed. */
  campaignClosed: 'STATE_CAMPAIGN_CLOSED',
  /** campaign.fund of a campaign whose end has passed (it pays nothing more; close it). */
  campaignEnded: 'STATE_CAMPAIGN_ENDED',
  /** campaign.create when MAX_LIVE_CAMPAIGNS campaigns of the point are not closed. */
  tooManyCampaigns: 'STATE_TOO_MANY_CAMPAIGNS',
  /**
   * Campaign terms the rules refuse (protocol/campaign.ts campaignTermsError): no trigger or one twice,
   * no bonus, a window that is empty or already over, a merchant listed twice or not of the point, or a
   * merchant's campaign for other shops than its own.
   */
  badCampaign: 'STATE_BAD_CAMPAIGN',
  /** campaign.fund or campaign.close by an account that may not (not the owner, nor the manager). */
  notCampaignOwner: 'STATE_NOT_CAMPAIGN_OWNER',
  // --- confirmed traffic and pseudonyms (traffic.ts, pseudonyms.ts) ---
  /**
   * A traffic event's attestation that does not hold: no pseudonym named, a window longer than a day
   * or not holding the block's time, or a signature its pseudonym's key did not make for this event
   * at this shop. The whole batch fails: a shop cannot pass off its word as the customer's.
   */
  badAttestation: 'STATE_BAD_ATTESTATION',
  /** traffic.claim of more than the signing pseudonym has earned and not claimed. */
  claimExceedsUnclaimed: 'STATE_CLAIM_EXCEEDS_UNCLAIMED',
  // --- blocks and genesis (thrown, not receipts: the block or genesis is invalid) ---
  badHeight: 'STATE_BAD_HEIGHT',
  badBlockTime: 'STATE_BAD_BLOCK_TIME',
  invalidEvidence: 'STATE_INVALID_EVIDENCE',
  invalidGenesis: 'STATE_INVALID_GENESIS',
  corruptState: 'STATE_CORRUPT',
} as const
export type StateErrorCode = (typeof StateErrorCode)[keyof typeof StateErrorCode]

export class StateError extends ArcadeError<StateErrorCode> {
  constructor(code: StateErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'StateError'
  }
}

export function fail(code: StateErrorCode, message: string, details: Record<string, unknown> = {}): never {
  throw new StateError(code, message, details)
}
