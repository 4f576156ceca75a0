/**
 * Offline purses in the SDK's browser-safe core: a phone or a device signs payment vouchers with its
 * purse key (`createVoucher`), and a merchant's terminal accepts them with no connection
 * (`verifyVoucherOffline`) against a certified proof of the purse it cached while online
 * (`ArcadeClient.purseProof`, or `fetchPurseProof`). The ledger's rules are in state/purses.ts; what a
 * voucher commits to is in protocol/purse.ts.
 *
 * A terminal's offline check (every step must pass):
 * 1. the voucher's shape (counter from 1, 0 < amount ≤ running total) and its payee is this terminal
 *    (or its merchant);
 * 2. the cached proof verifies: state proof → header → commit certificate of > 2/3 of the validator set
 *    the terminal trusts for that height (its own light client, never the node's word), is of this
 *    purse, and is recent (`maxProofAgeMs`, default a day: a freeze shows in proofs after it);
 * 3. the purse key signed the voucher for this chain;
 * 4. the purse is open (not frozen or closed) and not expired by the terminal's clock;
 * 5. its running total stays within the locked amount, and so does what the proof shows spent plus
 *    this amount; its counter is above the highest the proof shows settled;
 * 6. against the terminal's log of this purse (`last`: the last voucher it accepted from it): a higher
 *    counter, and a running total that grew by at least this amount.
 * Step 6 is what bounds the terminal's risk: the vouchers it accepts from one purse form one
 * consistent running total ≤ the locked amount, so it is never owed more than that by one purse.
 */
import type { BlockHeader } from '../protocol/block.ts'
import { type Bytes, bytesEqual, toHex } from '../protocol/bytes.ts'
import type { KeyPair } from '../protocol/crypto.ts'
import { signVoucher, type Voucher, verifyVoucherSignature, voucherShapeError } from '../protocol/purse.ts'
import { type Field, fromTuple, toTuple } from '../protocol/schema.ts'
import { voucher as voucherSchema } from '../protocol/tx-body.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import { normalizeField } from './build.ts'
import { ArcadeClientError, ClientErrorCode, invalidInput } from './errors.ts'
import { type AddressLike, addressOf, toAccount, toPointId } from './keys.ts'
import { LightClient, type LightClientCache } from './light-client.ts'
import { parseCertificate, parseHeader, parseValidatorSet } from './parse.ts'
import { verifyRecordProof } from './proof.ts'
import { type ProvenPurse, purseRecordKey, purseRecordOf } from './records.ts'
import type { BlockJson, CertificateJson, ProofJson, ValidatorsJson } from './types.ts'

/** A voucher as JSON (a file, a QR payload): addresses as `arc1…`, the signature as hex. */
export interface VoucherJson {
  readonly point: string
  readonly purse: string
  readonly payee: string
  readonly counter: number
  readonly amount: number
  readonly cumulative: number
  readonly signature: string
}

/** Where a purse's run of vouchers stands: its last counter and running total. */
export interface PurseSpend {
  readonly counter: number
  readonly cumulative: number
}

export function voucherToJson(v: Voucher): VoucherJson {
  return {
    point: v.point,
    purse: addressOf(v.purse),
    payee: addressOf(v.payee),
    counter: v.counter,
    amount: v.amount,
    cumulative: v.cumulative,
    signature: toHex(v.signature),
  }
}

/** A voucher from JSON (or a Voucher as is), every field checked. Throws CLIENT_INVALID_INPUT. */
export function voucherFrom(input: Voucher | VoucherJson | unknown): Voucher {
  const schema = voucherSchema as Field
  try {
    const normal = normalizeField(schema, input, 'voucher')
    return fromTuple(schema, toTuple(schema, normal), 'voucher') as Voucher
  } catch (err) {
    if (err instanceof ArcadeClientError) throw err
    throw invalidInput('voucher', err instanceof Error ? err.message : 'not a voucher')
  }
}

/**
 * Signs the purse's next voucher offline: counter and running total follow `previous` (what the purse
 * signed last; null for its first voucher). With `locked`, a voucher beyond the purse is refused
 * (no terminal would take it). Keep the returned `spend`: it is `previous` for the next one.
 */
export function createVoucher(input: {
  readonly chainId: string
  /** The purse's key pair (its public key is the purse). */
  readonly purse: KeyPair
  readonly point: string
  /** The merchant or terminal paid. */
  readonly payee: AddressLike
  readonly amount: number
  readonly previous: PurseSpend | null
  readonly locked?: number
}): { voucher: Voucher; spend: PurseSpend } {
  const { amount, previous } = input
  if (!Number.isSafeInteger(amount) || amount < 1) throw invalidInput('amount', 'must be a positive integer')
  const counter = (previous?.counter ?? 0) + 1
  const cumulative = (previous?.cumulative ?? 0) + amount
  if (!Number.isSafeInteger(cumulative)) throw invalidInput('amount', 'running total overflows')
  if (input.locked !== undefined && cumulative > input.locked) {
    throw invalidInput('amount', `the running total ${cumulative} passes the purse's ${input.locked}`)
  }
  const voucher = signVoucher(
    input.chainId,
    {
      point: toPointId(input.point),
      purse: input.purse.publicKey,
      payee: toAccount(input.payee, 'payee'),
      counter,
      amount,
      cumulative,
    },
    input.purse.secretKey,
  )
  return { voucher, spend: { counter, cumulative } }
}

/**
 * What a terminal caches while online: the purse record's proof (GET /v1/proofs/purse:ADDR), the
 * header of its block and that block's commit certificate. Plain JSON: store it as it is.
 */
export interface CachedPurseProof {
  readonly chainId: string
  /** The purse key, `arc1…`. */
  readonly purse: string
  readonly proof: ProofJson
  readonly header: BlockJson['header']
  readonly certificate: CertificateJson
}

/**
 * The validator set a terminal trusts for the proof's height, offline: its light client (or that
 * client's exported cache), whose sets it verified while online, or a set it trusts outright.
 */
export type OfflineTrust =
  | LightClient
  | LightClientCache
  | { readonly chainId: string; readonly validators: ValidatorSet | ValidatorsJson }

/** A purse proven by a cached proof. */
export interface VerifiedPurse {
  readonly purse: Bytes
  readonly record: ProvenPurse
  readonly height: number
  /** The proof's block time. */
  readonly timeMs: number
}

/** Why a terminal refuses a voucher (`details.reason` of CLIENT_VOUCHER_REJECTED). */
export const VoucherRejection = {
  malformed: 'malformed',
  payee: 'payee',
  /** The cached proof is not of this voucher's purse, or the purse is of another point. */
  purse: 'purse',
  signature: 'signature',
  /** The cached proof does not verify (state proof, header, certificate, validator set, record). */
  proof: 'proof',
  /** No trusted validator set for the proof's height (the light client must catch up online). */
  trust: 'trust',
  staleProof: 'stale-proof',
  unknownPurse: 'unknown-purse',
  frozen: 'frozen',
  closed: 'closed',
  expired: 'expired',
  beyondPurse: 'beyond-purse',
  replay: 'replay',
  inconsistent: 'inconsistent',
} as const
export type VoucherRejection = (typeof VoucherRejection)[keyof typeof VoucherRejection]

function reject(reason: VoucherRejection, message: string, details: Record<string, unknown> = {}): never {
  throw new ArcadeClientError(ClientErrorCode.voucherRejected, message, null, { reason, ...details })
}

/** Default age limit of a cached proof: a day. */
export const DEFAULT_MAX_PROOF_AGE_MS = 86_400_000

function trustedSetFor(
  trust: OfflineTrust,
  height: number,
): { chainId: string; validators: ValidatorSet | ValidatorsJson } {
  if (!(trust instanceof LightClient) && !('sets' in trust)) return trust
  let light: LightClient
  try {
    light = trust instanceof LightClient ? trust : LightClient.fromCache(trust)
  } catch {
    return reject(VoucherRejection.trust, 'the trust cache is not a light client cache')
  }
  if (height < light.trustedFrom)
    reject(VoucherRejection.trust, `height ${height} is before the trusted root`)
  let found: ValidatorSet | null = null
  for (const s of light.sets) if (s.fromHeight <= height) found = s.set
  return { chainId: light.chainId, validators: found as ValidatorSet }
}

/**
 * Verifies a cached purse proof offline against the trusted validator set for its height and returns
 * the purse it proves. Throws CLIENT_VOUCHER_REJECTED (reason proof, trust or unknown-purse).
 */
export function verifyPurseProof(cached: CachedPurseProof, trust: OfflineTrust): VerifiedPurse {
  let purse: Bytes
  let header: BlockHeader
  try {
    purse = toAccount(cached.purse, 'purse')
    header = parseHeader(cached.header)
  } catch {
    return reject(VoucherRejection.proof, 'the cached proof is malformed')
  }
  const height = cached.proof?.height
  if (!Number.isSafeInteger(height)) reject(VoucherRejection.proof, 'the cached proof has no height')
  const { chainId, validators } = trustedSetFor(trust, height)
  if (cached.chainId !== chainId) reject(VoucherRejection.proof, `the proof is of chain ${cached.chainId}`)
  let verified: ReturnType<typeof verifyRecordProof>
  try {
    const set = 'byKey' in validators ? validators : parseValidatorSet(validators)
    verified = verifyRecordProof(cached.proof, {
      chainId,
      header,
      validators: set,
      certificate: parseCertificate(cached.certificate),
    })
  } catch (err) {
    if (!(err instanceof ArcadeClientError)) throw err
    return reject(VoucherRejection.proof, `the cached proof does not verify: ${err.message}`, {
      cause: err.code,
      ...(err.details.reason === undefined ? {} : { proofFailure: err.details.reason }),
    })
  }
  if (!bytesEqual(verified.key, purseRecordKey(purse)))
    reject(VoucherRejection.proof, 'the cached proof is of another record')
  if (verified.value === null)
    reject(VoucherRejection.unknownPurse, `no purse ${cached.purse} at height ${verified.height}`)
  const record = purseRecordOf(verified.decoded)
  if (record === null) return reject(VoucherRejection.proof, 'the proven record is not a purse')
  return { purse, record, height: verified.height, timeMs: header.timeMs }
}

export interface VerifyVoucherOptions {
  /** The keys this terminal takes payment for: its own, and its merchant's. */
  readonly payees: readonly AddressLike[]
  /** The terminal's clock, ms since the epoch (default Date.now()). */
  readonly nowMs?: number
  /** The oldest proof accepted, by its block time (default DEFAULT_MAX_PROOF_AGE_MS). */
  readonly maxProofAgeMs?: number
  /** The last voucher this terminal (or its merchant, when they share a log) accepted from this purse. */
  readonly last?: PurseSpend | null
}

export interface AcceptedVoucher {
  readonly voucher: Voucher
  readonly purse: ProvenPurse
  /** The height and block time of the proof it was checked against. */
  readonly provenHeight: number
  readonly provenTimeMs: number
  /** Write this to the log for the purse: the next voucher from it must come after it. */
  readonly spend: PurseSpend
}

/**
 * The terminal's offline check of a voucher (the steps are in this file's header). `cached` is the
 * purse's cached proof, or the result of `verifyPurseProof` on it (to check many vouchers against one
 * proof). Returns the accepted voucher; throws CLIENT_VOUCHER_REJECTED with `details.reason`
 * (VoucherRejection), or CLIENT_INVALID_INPUT for input that is no voucher at all.
 */
export function verifyVoucherOffline(
  input: Voucher | VoucherJson,
  cached: CachedPurseProof | VerifiedPurse,
  trust: OfflineTrust,
  options: VerifyVoucherOptions,
): AcceptedVoucher {
  const v = voucherFrom(input)
  const shape = voucherShapeError(v)
  if (shape !== null) reject(VoucherRejection.malformed, shape)
  const payees = options.payees.map((p, i) => toAccount(p, `payees[${i}]`))
  if (!payees.some((p) => bytesEqual(p, v.payee)))
    reject(VoucherRejection.payee, 'the voucher pays someone else')
  const proven = 'record' in cached ? cached : verifyPurseProof(cached, trust)
  const r = proven.record
  if (!bytesEqual(v.purse, proven.purse) || v.point !== r.point)
    reject(VoucherRejection.purse, 'the proof is of another purse or point')
  if (!verifyVoucherSignature(trust.chainId, v))
    reject(VoucherRejection.signature, 'the purse key did not sign this voucher for this chain')
  const nowMs = options.nowMs ?? Date.now()
  const maxAge = options.maxProofAgeMs ?? DEFAULT_MAX_PROOF_AGE_MS
  if (nowMs - proven.timeMs > maxAge)
    reject(VoucherRejection.staleProof, 'the cached proof is too old: refresh it online', {
      provenTimeMs: proven.timeMs,
    })
  if (r.status === 'frozen') reject(VoucherRejection.frozen, 'the purse is frozen (a cloned key)')
  if (r.status === 'closed') reject(VoucherRejection.closed, 'the purse is closed')
  if (nowMs >= r.expiresAtMs) reject(VoucherRejection.expired, 'the purse has expired')
  if (v.cumulative > r.locked || r.spent + v.amount > r.locked)
    reject(VoucherRejection.beyondPurse, 'the voucher goes beyond the purse', {
      locked: r.locked,
      spent: r.spent,
    })
  if (v.counter <= r.maxCounter) reject(VoucherRejection.replay, 'the counter is already settled')
  const last = options.last ?? null
  if (last !== null && v.counter <= last.counter)
    reject(VoucherRejection.replay, 'not after the last voucher taken from this purse', { last })
  if (last !== null && v.cumulative - last.cumulative < v.amount)
    reject(VoucherRejection.inconsistent, 'the running total did not grow by the amount', { last })
  return {
    voucher: v,
    purse: r,
    provenHeight: proven.height,
    provenTimeMs: proven.timeMs,
    spend: { counter: v.counter, cumulative: v.cumulative },
  }
}
