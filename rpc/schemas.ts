/**
 * JSON Schemas shared by the routes: Fastify validates inputs with them, serializes outputs with them,
 * and @fastify/swagger turns them into the OpenAPI document. Plain objects, no schema library.
 */

type Schema = Record<string, unknown>

/** An object schema whose listed properties are all required unless named in `optional`. */
export function object(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties: false,
  }
}

/**
 * OpenAPI 3.0's `nullable`, not `anyOf: [schema, null]`: the serializer then tests for null instead of
 * running a validator (with its regex) on every value of every response to pick the branch.
 */
export const nullable = (schema: Schema): Schema => ({ ...schema, nullable: true })
export const arrayOf = (items: Schema, maxItems?: number): Schema =>
  maxItems === undefined ? { type: 'array', items } : { type: 'array', items, maxItems }

export const uint: Schema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }
export const amount: Schema = { ...uint, description: 'an amount in the smallest unit (a safe integer)' }
export const bool: Schema = { type: 'boolean' }
export const text: Schema = { type: 'string' }
export const hexBytes: Schema = {
  type: 'string',
  pattern: '^[0-9a-f]*$',
  description: 'bytes as lowercase hex',
}
export const hash: Schema = {
  type: 'string',
  pattern: '^(0x)?[0-9a-fA-F]{64}$',
  description: 'a 32-byte hash as hex',
}
export const account: Schema = {
  type: 'string',
  pattern: '^arc1[02-9ac-hj-np-z]{6,}$',
  description: 'an account: bech32m with prefix arc',
}
export const nodeKey: Schema = {
  type: 'string',
  pattern: '^arcnode1[02-9ac-hj-np-z]{6,}$',
  description: 'a node (validator) key: bech32m with prefix arcnode',
}
export const pointId: Schema = {
  type: 'string',
  pattern: '^[A-Z][A-Z0-9]{1,11}$',
  description: 'a point symbol',
}
export const freeObject: Schema = { type: 'object', additionalProperties: true }

export const errorBody: Schema = {
  type: 'object',
  properties: { code: text, message: text, hash: hexBytes },
  required: ['code', 'message'],
  additionalProperties: false,
}

/** Every route answers errors in the same shape. */
export const errorResponses = { '4xx': errorBody, '5xx': errorBody }

/**
 * Named refusals for the OpenAPI document: per status, the codes a route may answer with (every
 * route may answer 429 RPC_RATE_LIMITED when the per-client rate limit is on).
 */
export function refusals(byStatus: Readonly<Record<number, readonly string[]>>): Record<string, Schema> {
  return Object.fromEntries(
    Object.entries(byStatus).map(([status, codes]) => [
      status,
      { ...errorBody, description: `refused: ${codes.join(', ')} (see the Retry-After header)` },
    ]),
  )
}

// --- params and queries ---

export const addressParams = object({ address: { type: 'string', minLength: 1, maxLength: 200 } })
export const pointParams = object({ id: pointId })
export const pointMerchantParams = object({ id: pointId, address: { type: 'string', maxLength: 200 } })
export const hashParams = object({ hash: { type: 'string', maxLength: 200 } })
export const pointHashParams = object({ id: pointId, hash: { type: 'string', maxLength: 200 } })
export const limitQuery = (max: number, fallback: number): Schema => ({
  type: 'integer',
  minimum: 1,
  maximum: max,
  default: fallback,
})

// --- domain responses ---

export const receipt: Schema = object({
  txHash: hexBytes,
  height: uint,
  index: uint,
  status: { type: 'string', enum: ['ok', 'failed'] },
  error: nullable(text),
  events: arrayOf({
    type: 'object',
    properties: { type: text },
    required: ['type'],
    additionalProperties: true,
    description: 'a ledger event: its type and fields (accounts as arc1…, other bytes as hex)',
  }),
})

export const certificate: Schema = object({
  kind: { type: 'string', enum: ['prepare', 'commit'] },
  height: uint,
  view: uint,
  blockHash: hexBytes,
  signers: arrayOf(object({ validator: nodeKey, signature: hexBytes })),
})

const vote: Schema = object({
  kind: text,
  height: uint,
  view: uint,
  blockHash: hexBytes,
  validator: nodeKey,
  signature: hexBytes,
})
export const evidence: Schema = object({ a: vote, b: vote })

export const block: Schema = object({
  hash: hexBytes,
  header: object({
    chainId: text,
    height: uint,
    view: uint,
    timeMs: uint,
    parentHash: hexBytes,
    txRoot: hexBytes,
    stateRoot: hexBytes,
    lastCommitHash: hexBytes,
    validatorSetHash: hexBytes,
    nextValidatorSetHash: hexBytes,
    evidenceRoot: hexBytes,
    proposer: nodeKey,
  }),
  txs: arrayOf(hexBytes),
  lastCommit: nullable(certificate),
  certificate: nullable(certificate),
  evidence: arrayOf(evidence),
})

export const grant: Schema = object({
  point: pointId,
  grantee: nullable(account),
  txsPerPeriod: uint,
  periodMs: uint,
  expiresAtHeight: { ...uint, description: 'last height the grant pays at; 0 = never lapses' },
  kinds: arrayOf(text),
  revoked: bool,
})

const trafficRates: Schema = object({
  visit: uint,
  view: uint,
  click: uint,
  purchase: uint,
  purchasePerMille: uint,
})
const kindCounts: Schema = object({ visit: uint, view: uint, click: uint, purchase: uint })

const pointFields = {
  id: pointId,
  manager: account,
  name: text,
  decimals: uint,
  transferable: bool,
  totalSupply: {
    ...amount,
    description:
      'customer balances plus merchant floats plus points locked in offline purses plus campaign budgets',
  },
  totalLiability: { ...amount, description: 'merchant liabilities (awarded on credit)' },
  cumRepaid: amount,
  cumRedeemed: amount,
  merchantCount: uint,
  grantCount: uint,
  refundWindowMs: {
    ...uint,
    description: 'how long after a payment or award its merchant may refund or cancel it (0: never)',
  },
  cumExpired: {
    ...amount,
    description: 'points expired out of customer balances (breakage, burned from totalSupply)',
  },
  expiry: object({
    afterDays: {
      ...uint,
      description: 'future awards expire this many days after the award (0: not by days)',
    },
    atMs: {
      ...uint,
      description: 'or at this 00:00 JST instant (ms), for awards made before it (0: no fixed date)',
    },
    lapsed: {
      ...bool,
      description: 'the fixed date has passed: new awards never expire until the manager sets a new policy',
    },
  }),
  totalLocked: { ...amount, description: 'points locked in offline purses, not yet paid out or returned' },
  liveCampaigns: { ...uint, description: 'campaigns not yet closed (at most 8)' },
  campaignBudgets: {
    ...amount,
    description: 'points held in campaign budgets, not yet paid out or returned',
  },
  cumCampaignFunded: {
    ...amount,
    description: 'points the manager minted into its campaigns (against fiat)',
  },
  cumCampaignReturned: { ...amount, description: "what the manager's closed campaigns returned (burned)" },
  trafficUnclaimed: {
    ...amount,
    description: 'points traffic earned for pseudonyms that they have not claimed into an account yet',
  },
}
export const pointInfo: Schema = object(pointFields)
export const pointDetail: Schema = object({
  ...pointFields,
  trafficRules: nullable(
    object({
      confirmed: trafficRates,
      unconfirmed: trafficRates,
      dailyCapPerCustomer: { ...uint, description: 'most points one pseudonym earns per JST day, all shops' },
    }),
  ),
})

/** What of a customer's balance expires when (GET /v1/points/:id/accounts/:address/lots). */
export const lotsInfo: Schema = object({
  point: pointId,
  account,
  height: uint,
  timeMs: { ...uint, description: 'the head block time: what is expired is decided against it' },
  balance: { ...amount, description: 'what the customer may spend (the effective balance)' },
  stored: { ...amount, description: 'the balance record, not yet reduced by expiredUnswept' },
  expiredUnswept: { ...amount, description: 'expired, not yet swept: already unspendable' },
  nonExpiring: { ...amount, description: 'the part of balance that never expires' },
  lots: arrayOf(
    object({
      expiresAtMs: uint,
      expiresAt: { ...text, description: 'ISO 8601 UTC (a 00:00 JST)' },
      amount,
    }),
  ),
})

export const merchantInfo: Schema = object({
  point: pointId,
  address: account,
  name: text,
  status: { type: 'string', enum: ['applied', 'active', 'suspended', 'revoked'] },
  creditLimit: amount,
  float: amount,
  liability: amount,
  terminals: arrayOf(account),
  anchorCount: uint,
})

/** A shop's traffic on one JST day: events by kind, confirmed by their customers and not. */
export const shopDay: Schema = object({
  day: uint,
  confirmed: kindCounts,
  unconfirmed: kindCounts,
  amount,
  points: { ...amount, description: "points the day's traffic earned (campaign bonuses apart)" },
  duplicates: uint,
})

/** One shop's figures in a point-wide traffic listing for one day. */
export const shopDayOfMerchant: Schema = object({
  merchant: account,
  name: { type: 'string' },
  confirmed: kindCounts,
  unconfirmed: kindCounts,
  amount,
  points: amount,
  duplicates: uint,
})

/** A pseudonym's traffic in a point (GET /v1/points/:id/pseudonyms/:address/traffic). */
export const pseudonymTraffic: Schema = object({
  point: pointId,
  pseudonym: account,
  events: uint,
  confirmed: { ...uint, description: 'of the events, those its customer confirmed' },
  amount,
  points: { ...amount, description: 'points earned, campaign bonuses included' },
  unclaimed: { ...amount, description: 'earned and not yet claimed into an account' },
})

export const deviceInfo: Schema = object({
  device: account,
  owner: account,
  point: pointId,
  maxPerTx: amount,
  maxPerPeriod: amount,
  periodMs: uint,
  merchants: arrayOf(account),
  period: uint,
  spent: amount,
})

/** An offline purse (GET /v1/purses/:address). */
/** A campaign (GET /v1/points/:id/campaigns/:campaign; state/campaigns.ts). */
export const campaignInfo: Schema = object({
  point: pointId,
  campaign: { type: 'string', maxLength: 32 },
  account: { ...account, description: 'the account its budget goes by in the journal (no key signs for it)' },
  owner: account,
  funder: {
    type: 'string',
    enum: ['manager', 'merchant'],
    description:
      "manager: its budget is minted and its rest burned; merchant: charged to and returned to the merchant's books",
  },
  triggers: arrayOf({ type: 'string', enum: ['award', 'visit', 'view', 'click', 'purchase'] }),
  bonusPerMille: {
    ...uint,
    description: 'extra points per 1,000 points of the base award (1000 = double points)',
  },
  flatBonus: { ...uint, description: 'extra points per qualifying award or rewarded event' },
  startMs: { ...uint, description: 'pays at block times from this (inclusive)' },
  endMs: { ...uint, description: 'to this (exclusive); past it, it pays nothing until it is closed' },
  merchants: {
    ...arrayOf(account),
    description: 'whose awards qualify; empty = every merchant of the point',
  },
  funded: { ...amount, description: 'Σ the budget it was funded with' },
  remaining: { ...amount, description: 'left to pay' },
  paid: { ...amount, description: 'Σ bonuses paid' },
  returned: { ...amount, description: 'what went back at close' },
  status: { type: 'string', enum: ['open', 'closed'] },
  active: { ...bool, description: 'open, and the head block time is within its window: it pays now' },
  createdAtHeight: uint,
  closedAtHeight: { ...uint, description: '0 while open' },
})

export const purseInfo: Schema = object({
  purse: account,
  owner: account,
  point: pointId,
  locked: { ...amount, description: 'points locked at open: the most the purse itself ever pays out' },
  spent: { ...amount, description: 'paid out of the purse to merchants so far' },
  remaining: { ...amount, description: 'locked − spent' },
  expiresAtMs: { ...uint, description: 'terminals accept its vouchers while their clock is before this' },
  settleUntilMs: {
    ...uint,
    description: 'vouchers settle while block time ≤ this; then it can be reclaimed',
  },
  status: { type: 'string', enum: ['open', 'frozen', 'closed'] },
  vouchers: { ...uint, description: 'distinct vouchers settled' },
  maxCounter: { ...uint, description: 'the highest counter settled (0: none)' },
  charged: { ...amount, description: "overdraft charged to the owner's free balance" },
  shortfall: { ...amount, description: "overdraft left unpaid: the merchants' loss, the owner's debt" },
  returned: { ...amount, description: 'what went back to the owner at close' },
  openedAtHeight: uint,
  frozenAtHeight: { ...uint, description: 'when evidence of a cloned key froze it (0: never)' },
  lots: {
    ...arrayOf(
      object({
        expiresAtMs: uint,
        expiresAt: { ...text, description: 'ISO 8601 UTC (a 00:00 JST)' },
        amount,
      }),
    ),
    description:
      "what the purse holds that expires, with the owner's own expiries, soonest first (paid out first; " +
      'what is left returns with them at close, an expired lot burned then)',
  },
  nonExpiring: { ...amount, description: 'what the purse holds that never expires (paid out last)' },
})

/** Result of admitting one tx (and, with ?wait=true, of waiting for its commit). */
export const admission: Schema = object(
  {
    hash: nullable(hexBytes),
    accepted: bool,
    code: text,
    message: text,
    status: { type: 'string', enum: ['pending', 'committed'] },
    height: uint,
    index: uint,
    receipt,
  },
  ['code', 'message', 'status', 'height', 'index', 'receipt'],
)

export const txBodyJson: Schema = object({
  tx: { type: 'string', minLength: 1, description: 'the encoded signed tx, as hex or base64' },
})

export const msgpackBody: Schema = {
  description: 'the encoded signed tx(s): raw msgpack bytes',
}

// --- governance and membership ---

export const proposalStatus: Schema = {
  type: 'string',
  enum: ['open', 'passed', 'failed', 'expired'],
  description:
    'open (voting until its deadline), passed (its action executed), failed (it passed but its action ' +
    'was refused: `error` says why), expired (not passed by its deadline)',
}

export const proposal: Schema = object({
  id: uint,
  proposer: account,
  action: {
    type: 'object',
    properties: { kind: text },
    required: ['kind'],
    additionalProperties: true,
    description:
      'the governed tx body it executes when it passes: `kind` and its fields (accounts as arc1…, node ' +
      'keys as arcnode1…)',
  },
  deadline: { ...uint, description: 'last height it may be voted on' },
  height: { ...uint, description: 'the height it was proposed at' },
  status: proposalStatus,
  error: nullable(text),
  votes: arrayOf(
    object({
      association: account,
      yes: bool,
      power: { ...uint, description: "the association's power in the current set" },
    }),
  ),
  tally: object({
    yes: uint,
    no: uint,
    total: { ...uint, description: 'the power of the current validator set' },
    needed: { ...uint, description: 'the least yes power that passes it (more than 2/3 of total)' },
  }),
})

const paramsFields = {
  epochLength: uint,
  maxValidators: uint,
  minValidatorStake: amount,
  unbondingEpochs: uint,
  maxTxValidityBlocks: uint,
  maxTerminalsPerMerchant: uint,
  maxDevicesPerOwner: uint,
  maxDelegationsPerMember: uint,
  jailEpochs: uint,
  maxBlockBytes: uint,
  maxBlockTxs: uint,
  viewTimeoutBaseMs: uint,
  viewTimeoutIncrementMs: uint,
  viewTimeoutCapMs: uint,
  emptyBlockIntervalMs: uint,
}
export const ledgerParams: Schema = object(paramsFields)

export const association: Schema = object({
  address: account,
  name: text,
  nodeKey,
  delegated: amount,
  power: uint,
  jailed: bool,
  jailedUntilEpoch: { ...uint, description: 'while jailed: the first epoch it may unjail itself in' },
  unjailFromHeight: nullable({
    ...uint,
    description: 'while jailed: the first height staking.unjail passes',
  }),
  retired: bool,
  p2p: nullable({
    ...text,
    description: 'where its validator node listens for peers, as published on chain',
  }),
  rpc: nullable({ ...text, description: 'its public RPC URL, as published on chain' }),
})

/** A payment its merchant may still refund (GET /v1/points/:id/payments/:hash). */
export const refundablePaymentInfo: Schema = object({
  point: pointId,
  payment: { ...text, description: 'the tx hash of the merchant.pay or device.pay (hex)' },
  merchant: account,
  payer: { ...account, description: 'the customer (or device owner) refunds go back to' },
  amount: { ...amount, description: 'the payment' },
  refunded: { ...amount, description: 'Σ refunded so far' },
  refundable: { ...amount, description: 'what may still be refunded now (0 once the window is over)' },
  refundableUntilMs: { ...uint, description: 'refunds are taken while block time ≤ this' },
  refundableUntil: { ...text, description: 'ISO 8601 UTC' },
})

/** An award its merchant may still cancel (GET /v1/points/:id/awards/:hash). */
export const cancellableAwardInfo: Schema = object({
  point: pointId,
  award: { ...text, description: 'the tx hash of the merchant.award (hex)' },
  merchant: account,
  customer: account,
  amount,
  cancelled: bool,
  cancellable: { ...bool, description: 'not cancelled and within its window at the head block time' },
  cancellableUntilMs: { ...uint, description: 'cancellation is taken while block time ≤ this' },
  cancellableUntil: { ...text, description: 'ISO 8601 UTC' },
})

/** An anchored batch of off-ledger traffic (GET /v1/points/:id/anchors/:root; protocol/traffic-leaf.ts). */
export const anchorInfo: Schema = object({
  point: pointId,
  root: {
    ...hexBytes,
    description: "the batch's Merkle root over its events' leaves (protocol/traffic-leaf.ts)",
  },
  merchant: { ...account, description: 'the shop whose batch it is (a terminal anchors for its merchant)' },
  count: { ...uint, description: 'events in the batch: the size of every inclusion proof against the root' },
  periodStartMs: { ...uint, description: 'the earliest event time the shop declared (ms)' },
  periodEndMs: { ...uint, description: 'the latest event time the shop declared (ms, inclusive)' },
  height: { ...uint, description: 'the block that anchored it' },
  txHash: { ...hexBytes, description: 'the traffic.anchor tx (GET /v1/txs/:hash)' },
})
