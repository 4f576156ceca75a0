/**
 * Customer-confirmed traffic, for the two sides of a shop's counter (browser-safe, like the rest of
 * the SDK core):
 *
 * - **The customer's wallet** derives its pseudonym for a point (`pseudonymWallet`): an Ed25519 key
 *   whose seed is HMAC-SHA256(wallet secret, [tag, chain id, point]). Every shop of the point sees the
 *   same pseudonym; nobody without the wallet's secret can tell whose it is, or link it to the same
 *   customer's pseudonym in another point. The wallet signs a till's challenge (`attestTraffic`):
 *   this event, at this shop, within a window, and hands back the confirmed event (a QR code).
 * - **The till** shows the challenge (`trafficChallenge`: point, shop, a fresh event id, kind, amount),
 *   checks what the wallet returns (`checkAttestation`) before batching it into traffic.record, so a
 *   bad one never fails a batch on the ledger.
 *
 * The points accrue to the pseudonym. The wallet claims them into an account when it chooses
 * (`operations.claimTraffic`, signed by the pseudonym wallet): the only link the ledger ever sees.
 */
import { encodeAddress } from '../protocol/address.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { hmacSha256, randomBytes } from '../protocol/crypto.ts'
import { trafficPseudonymSeedBytes } from '../protocol/sign-bytes.ts'
import {
  attestationWindowError,
  MAX_ATTESTATION_WINDOW_MS,
  signAttestation,
  type TrafficAttestation,
  type TrafficKind,
  verifyAttestationSignature,
} from '../protocol/traffic-attestation.ts'
import { TRAFFIC_KINDS } from '../protocol/tx-body.ts'
import { ArcadeClientError, ClientErrorCode, invalidInput } from './errors.ts'
import { type AddressLike, toAccount, toPointId, type Wallet, walletFromSecret } from './keys.ts'

export { MAX_ATTESTATION_WINDOW_MS }

/** The wallet's pseudonym for one point of one chain: a wallet of its own, deterministic. */
export function pseudonymWallet(wallet: Wallet, chainId: string, point: string): Wallet {
  return walletFromSecret(hmacSha256(wallet.secretKey, trafficPseudonymSeedBytes(chainId, toPointId(point))))
}

/** What a till asks the customer's wallet to confirm (shown as a QR code, or sent over NFC). */
export interface TrafficChallenge {
  readonly chainId: string
  readonly point: string
  /** The shop: the merchant's address, whichever terminal shows the code. */
  readonly merchant: string
  /** Fresh per event: the shop's event ids count once, and the wallet signs it. */
  readonly eventId: string
  readonly kind: TrafficKind
  /** A purchase's amount (0 for other kinds). */
  readonly amount: number
}

/** A till's challenge for one event, with a fresh random event id unless one is given. */
export function trafficChallenge(a: {
  chainId: string
  point: string
  merchant: AddressLike
  kind: TrafficKind
  amount?: number
  eventId?: string
}): TrafficChallenge {
  if (!TRAFFIC_KINDS.includes(a.kind))
    throw invalidInput('kind', `must be one of ${TRAFFIC_KINDS.join(', ')}`)
  const eventId = a.eventId ?? `c-${toHex(randomBytes(12))}`
  if (eventId.length < 1 || eventId.length > 64) throw invalidInput('eventId', 'must be 1 to 64 characters')
  const amount = a.amount ?? 0
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw invalidInput('amount', 'must be a non-negative integer')
  return {
    chainId: a.chainId,
    point: toPointId(a.point),
    merchant: encodeAddress(toAccount(a.merchant, 'merchant')),
    eventId,
    kind: a.kind,
    amount,
  }
}

/** A traffic event its customer confirmed, ready for `operations.recordTraffic`. */
export interface ConfirmedTrafficEvent {
  readonly eventId: string
  readonly kind: TrafficKind
  /** The customer's pseudonym in the point (`arc1…`). */
  readonly pseudonym: string
  readonly amount: number
  readonly attestation: TrafficAttestation
}

/**
 * The wallet's side: confirms the till's challenge under the wallet's pseudonym for the point, valid
 * from `nowMs` for `validForMs` (default an hour; at most a day): the till must record it by then.
 */
export function attestTraffic(
  wallet: Wallet,
  challenge: TrafficChallenge,
  opts: { nowMs?: number; validForMs?: number } = {},
): ConfirmedTrafficEvent {
  const now = opts.nowMs ?? Date.now()
  const validFor = opts.validForMs ?? 3_600_000
  if (!Number.isSafeInteger(validFor) || validFor < 0 || validFor > MAX_ATTESTATION_WINDOW_MS)
    throw invalidInput('validForMs', 'must be 0 to 86,400,000 ms')
  const pseudonym = pseudonymWallet(wallet, challenge.chainId, challenge.point)
  // A minute's slack before now: the block that records it may carry a slightly earlier clock.
  const notBeforeMs = Math.max(0, now - 60_000)
  const notAfterMs = Math.min(notBeforeMs + MAX_ATTESTATION_WINDOW_MS, now + validFor)
  const attestation = signAttestation(
    challenge.chainId,
    attestedOf(challenge, pseudonym.publicKey),
    { notBeforeMs, notAfterMs },
    pseudonym.secretKey,
  )
  return {
    eventId: challenge.eventId,
    kind: challenge.kind,
    pseudonym: pseudonym.address,
    amount: challenge.amount,
    attestation,
  }
}

/**
 * The till's side: the wallet's answer confirms this very challenge, under a valid signature, inside
 * its window at `nowMs`. Throws CLIENT_ATTESTATION_REJECTED with `details.reason` otherwise.
 */
export function checkAttestation(
  challenge: TrafficChallenge,
  event: ConfirmedTrafficEvent,
  nowMs: number = Date.now(),
): void {
  const reject = (reason: string) =>
    new ArcadeClientError(ClientErrorCode.attestationRejected, `attestation rejected: ${reason}`, null, {
      reason,
    })
  if (
    event.eventId !== challenge.eventId ||
    event.kind !== challenge.kind ||
    event.amount !== challenge.amount
  )
    throw reject('it confirms another event')
  const pseudonym = toAccount(event.pseudonym, 'pseudonym')
  const windowError = attestationWindowError(event.attestation, nowMs)
  if (windowError !== null) throw reject(windowError)
  if (!verifyAttestationSignature(challenge.chainId, attestedOf(challenge, pseudonym), event.attestation))
    throw reject("the pseudonym's key did not sign this event at this shop")
}

function attestedOf(c: TrafficChallenge, pseudonym: Bytes) {
  return {
    point: c.point,
    merchant: toAccount(c.merchant, 'merchant'),
    pseudonym,
    eventId: c.eventId,
    kind: c.kind,
    amount: c.amount,
  }
}
