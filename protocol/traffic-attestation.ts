/**
 * Customer-confirmed traffic: what a customer's pseudonym key signs to confirm one event at one shop,
 * and the stateless rules both the ledger (state/traffic.ts) and a till (client/traffic-attestation.ts)
 * apply to it.
 *
 * An attestation commits to (chain id, point, merchant, pseudonym, event id, kind, amount, window)
 * under its own domain tag (sign-bytes.ts `trafficAttestationSignBytes`). So:
 * - a shop cannot invent one: only the pseudonym's key signs it;
 * - it counts at one shop only (the merchant is signed, whichever of its terminals records it), and
 *   once there (the event id is signed, and a shop's event ids count once);
 * - it is good only while its block's time is inside its window, which is at most a day long, so a
 *   shop cannot keep it to use on another day.
 */
import type { Bytes } from './bytes.ts'
import { sign, verify } from './crypto.ts'
import type { Infer } from './schema.ts'
import { trafficAttestationSignBytes } from './sign-bytes.ts'
import type { TRAFFIC_KINDS, trafficAttestation } from './tx-body.ts'

export type TrafficAttestation = Infer<typeof trafficAttestation>
export type TrafficKind = (typeof TRAFFIC_KINDS)[number]

/** Longest window an attestation may name: a till batches a day's events at most. */
export const MAX_ATTESTATION_WINDOW_MS = 86_400_000

/** The event an attestation confirms, as the ledger sees it. */
export interface AttestedEvent {
  readonly point: string
  /** The shop (the merchant's key), not the terminal that shows or scans the code. */
  readonly merchant: Bytes
  readonly pseudonym: Bytes
  readonly eventId: string
  readonly kind: TrafficKind
  readonly amount: number
}

export function attestationSignBytes(
  chainId: string,
  e: AttestedEvent,
  window: { readonly notBeforeMs: number; readonly notAfterMs: number },
): Bytes {
  return trafficAttestationSignBytes(
    chainId,
    e.point,
    e.merchant,
    e.pseudonym,
    e.eventId,
    e.kind,
    e.amount,
    window.notBeforeMs,
    window.notAfterMs,
  )
}

/** Signs an attestation with the pseudonym's secret key (the wallet's side). */
export function signAttestation(
  chainId: string,
  e: AttestedEvent,
  window: { readonly notBeforeMs: number; readonly notAfterMs: number },
  pseudonymSecretKey: Bytes,
): TrafficAttestation {
  const signature = sign(attestationSignBytes(chainId, e, window), pseudonymSecretKey)
  return { notBeforeMs: window.notBeforeMs, notAfterMs: window.notAfterMs, signature }
}

/** True when the event's pseudonym key signed this attestation for this chain. Never throws. */
export function verifyAttestationSignature(
  chainId: string,
  e: AttestedEvent,
  a: TrafficAttestation,
): boolean {
  return verify(a.signature, attestationSignBytes(chainId, e, a), e.pseudonym)
}

/**
 * Rule (attestation window): a window of at most MAX_ATTESTATION_WINDOW_MS that holds `timeMs` (the
 * block's time on the ledger, the till's clock offline). Null when it holds, else what is wrong.
 */
export function attestationWindowError(a: TrafficAttestation, timeMs: number): string | null {
  if (a.notAfterMs < a.notBeforeMs) return 'window ends before it starts'
  if (a.notAfterMs - a.notBeforeMs > MAX_ATTESTATION_WINDOW_MS) return 'window longer than a day'
  if (timeMs < a.notBeforeMs) return 'not yet valid'
  if (timeMs > a.notAfterMs) return 'expired'
  return null
}
