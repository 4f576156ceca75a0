/**
 * The SDK's one error class. An error the RPC answered carries the RPC's own stable code
 * (`MEMPOOL_FULL`, `PROTOCOL_BAD_SIGNATURE`, `RPC_TX_NOT_FOUND`, …) and its HTTP status; an error the
 * SDK finds itself carries one of the `CLIENT_*` codes below and a null status.
 */
import { ArcadeError } from '../protocol/errors.ts'

export const ClientErrorCode = {
  /** The RPC could not be reached, or the connection broke. */
  network: 'CLIENT_NETWORK',
  /** The request (or a wait for a commit) took longer than allowed. */
  timeout: 'CLIENT_TIMEOUT',
  /** The RPC answered something that is not the JSON this SDK expects. */
  badResponse: 'CLIENT_BAD_RESPONSE',
  /** An argument the SDK refuses before sending: bad amount, address, point id, option. */
  invalidInput: 'CLIENT_INVALID_INPUT',
  /** The tx was committed but failed; `details.error` holds the ledger's code. */
  txFailed: 'CLIENT_TX_FAILED',
  /** The mempool refused the tx (`details.code` holds its code) in a batch result. */
  txRejected: 'CLIENT_TX_REJECTED',
  /** A state proof, header or certificate does not check out. */
  proofInvalid: 'CLIENT_PROOF_INVALID',
  /** The proof's root is not signed yet (the head block has no certificate until the next block). */
  proofUnsigned: 'CLIENT_PROOF_UNSIGNED',
  /** Verification was asked for without a root to trust (genesis, checkpoint, cache or set). */
  trustRootMissing: 'CLIENT_TRUST_ROOT_MISSING',
  /** A terminal's offline check refused a purse voucher; `details.reason` says which step (client/purse.ts). */
  voucherRejected: 'CLIENT_VOUCHER_REJECTED',
  /** A till's check refused a customer's traffic attestation; `details.reason` says why (client/traffic.ts). */
  attestationRejected: 'CLIENT_ATTESTATION_REJECTED',
  /**
   * An anchored traffic event did not verify; `details.reason` says which check failed
   * (client/anchors.ts `AnchorRejection`).
   */
  anchorRejected: 'CLIENT_ANCHOR_REJECTED',
} as const
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode]

export class ArcadeClientError extends ArcadeError<string> {
  /** The HTTP status the RPC answered with; null when the error arose in the SDK. */
  readonly status: number | null

  constructor(
    code: string,
    message: string,
    status: number | null = null,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, details)
    this.name = 'ArcadeClientError'
    this.status = status
  }
}

export function invalidInput(field: string, reason: string): ArcadeClientError {
  return new ArcadeClientError(ClientErrorCode.invalidInput, `${field}: ${reason}`, null, { field, reason })
}
