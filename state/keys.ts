/**
 * The layout of the state: every record's key, in one place, so a reader can see the whole state at
 * a glance. A key is an ASCII path (`bal/SHIBU/…`) whose 32-byte parts (accounts, hashes) are the raw
 * bytes, held in JS strings one char per byte ("key ids", `keyId`) and stored as those bytes
 * (`keyBytes`, latin1). Raw rather than hex halves the key length, which halves the cost of every
 * Map lookup and keeps keys within one SHA-256 block. Keys stay unambiguous: variable-length parts
 * contain no `/` (point ids, decimal numbers) or come last (traffic event ids, as UTF-8 bytes).
 * Keys under `x/` are not in the authenticated map (see replay.ts); every other key is.
 */
import { type Bytes, bytesKey } from '../protocol/bytes.ts'

/** The key id of a byte string: one char per byte. */
export const keyId: (bytes: Bytes) => string = bytesKey

/** The bytes of a key id or key (every char is below 256). */
export function keyBytes(key: string): Bytes {
  const out = new Uint8Array(key.length)
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i)
  return out
}

const utf8 = new TextEncoder()
/** A free-form id (a traffic event id) as a key id of its UTF-8 bytes. */
function textId(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range check
  return /^[\x00-\x7f]*$/.test(text) ? text : keyId(utf8.encode(text))
}
export const Keys = {
  /** Chain identity, parameters, the last height and time. */
  meta: 'meta',
  /** The validator set for the next height. */
  validatorSet: 'vs',
  /** Node keys of the admitted observers, sorted (named in genesis or admitted later; the p2p gater admits them). */
  observers: 'obs',
  /** An admitted observer's record (its name). */
  observer: (nodeKey: string) => `obr/${nodeKey}`,
  /** Ledger parameters governance scheduled for the next epoch boundary. */
  pendingParams: 'parp',
  /** How many proposals were ever made (the next proposal's id). */
  proposalCount: 'govn',
  /** Open proposals with their deadlines. */
  openProposals: 'govo',
  proposal: (id: number) => `gov/${id}`,
  /** Every point id, in creation order (a regional program has a handful). */
  points: 'pts',
  roles: (account: string) => `role/${account}`,
  point: (point: string) => `pt/${point}`,
  balance: (point: string, account: string) => `bal/${point}/${account}`,
  allowance: (point: string, owner: string, spender: string) => `alw/${point}/${owner}/${spender}`,
  merchant: (point: string, merchant: string) => `mc/${point}/${merchant}`,
  /** The n-th merchant that applied to a point (append-only listing index). */
  merchantIndex: (point: string, seq: number) => `mci/${point}/${seq}`,
  /**
   * The merchant a merchant-side key acts for: a terminal's merchant, or a merchant itself (from its
   * application until its revocation). One lookup answers "is this key a customer?". Deleted when a
   * terminal is removed or a merchant revoked, so the key can be reused.
   */
  side: (point: string, account: string) => `side/${point}/${account}`,
  trafficRules: (point: string) => `tr/${point}`,
  trafficEvent: (point: string, merchant: string, eventId: string) =>
    `te/${point}/${merchant}/${textId(eventId)}`,
  /** Points one pseudonym earned from traffic on one JST day, across every shop of the point. */
  trafficCap: (point: string, day: number, pseudonym: string) => `tcap/${point}/${day}/${pseudonym}`,
  trafficShopDay: (point: string, merchant: string, day: number) => `tsd/${point}/${merchant}/${day}`,
  /** One pseudonym's traffic and unclaimed points (records.ts PseudonymTraffic). */
  trafficPseudonym: (point: string, pseudonym: string) => `tps/${point}/${pseudonym}`,
  anchor: (point: string, root: string) => `anc/${point}/${root}`,
  anchorIndex: (point: string, merchant: string, seq: number) => `anci/${point}/${merchant}/${seq}`,
  device: (device: string) => `dev/${device}`,
  ownerDevices: (owner: string) => `devo/${owner}`,
  /** A sponsor grant; grantee `*` is the grant to every user of the point. */
  grant: (point: string, grantee: string) => `gr/${point}/${grantee}`,
  grantIndex: (point: string, seq: number) => `gri/${point}/${seq}`,
  quotaUse: (point: string, signer: string, grantee: string) => `qu/${point}/${signer}/${grantee}`,
  stake: (member: string) => `stk/${member}`,
  association: (association: string) => `asc/${association}`,
  associationIndex: (seq: number) => `asci/${seq}`,
  nodeKey: (nodeKey: string) => `nk/${nodeKey}`,
  // --- point expiry (customer-balance.ts, expiry-sweep.ts) ---
  /** The lots of a customer's balance (records.ts Lots): only for a point that has (or had) a policy. */
  lots: (point: string, account: string) => `lot/${point}/${account}`,
  /**
   * The queue of expiry day `day` (a JST day number, amounts.ts jstDayOf): how many entries it ever
   * got, and each entry (an account of a point that got a lot expiring at that day's 00:00 JST).
   * There is no range scan in the map: the sweep walks days and entries by number.
   */
  expiryQueueLength: (day: number) => `exn/${day}`,
  expiryQueueEntry: (day: number, seq: number) => `exq/${day}/${seq}`,
  /** The sweep's cursor over the expiry days (absent until the first lot is ever made). */
  expirySweep: 'exs',
  // --- offline purses (purses.ts) ---
  /** An offline purse, under its purse key (state/purses.ts); kept after it closes. */
  purse: (purse: string) => `pur/${purse}`,
  /** The digest of the first voucher settled at a counter of a purse. */
  purseCounter: (purse: string, counter: number) => `purc/${purse}/${counter}`,
  /** A voucher settled at an already used counter (a cloned key's), by its digest, against its replay. */
  purseVoucher: (purse: string, digest: string) => `purv/${purse}/${digest}`,
  // --- refunds (refunds.ts) ---
  /** A payment a merchant may still refund (merchant.pay, device.pay), under its tx hash. */
  refundablePayment: (point: string, txHash: string) => `rfp/${point}/${txHash}`,
  /** An award (merchant.award) its merchant may still cancel, under its tx hash. */
  cancellableAward: (point: string, txHash: string) => `rfa/${point}/${txHash}`,
  /** The queue of records whose window ends on JST day `day`, which the refund sweep prunes. */
  refundQueueLength: (day: number) => `rfn/${day}`,
  refundQueueEntry: (day: number, seq: number) => `rfq/${day}/${seq}`,
  /** The refund sweep's cursor over those days (absent until the first record is ever made). */
  refundSweep: 'rfs',
  // --- campaigns (campaigns.ts) ---
  /** A campaign of a point, under its id (kept after it closes, so the id is never reused). */
  campaign: (point: string, campaign: string) => `cp/${point}/${campaign}`,
  /** The point's campaign index: how many were ever created, and the ids not closed (≤ MAX_LIVE_CAMPAIGNS). */
  campaignIndex: (point: string) => `cpl/${point}`,
  /** The n-th campaign created in a point (append-only listing index): its id. */
  campaignSeq: (point: string, seq: number) => `cpi/${point}/${seq}`,
} as const

export const EVERYONE = '*'
export const REPLAY_PREFIX = 'x/replay/'
