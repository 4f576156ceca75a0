/**
 * The tx envelope. On the wire a tx is `[payload, signature]`, where `payload` is the canonical bytes
 * of `[domain, chainId, signer, nonce, validUntil, sponsor, body]` (see sign-bytes.ts). Keeping the
 * signed bytes as they arrived means verifying and hashing never re-encode anything, and the tx hash,
 * SHA-256 of the payload, does not depend on the signature.
 *
 * - nonce: any number the signer picks; with the expiry it makes each tx unique, so a shop's many
 *   terminals or a device can sign in parallel and offline with no sequence to coordinate.
 * - validUntil: the last height at which the tx may be included (the ledger bounds the window).
 * - sponsor: the account whose quota pays for the tx (it may be the signer itself when allowed).
 */

import { type Bytes, bytesEqual } from './bytes.ts'
import { validateChainId } from './chain-id.ts'
import { decodeRaw, encode } from './codec.ts'
import { sha256, sign, verify } from './crypto.ts'
import { invalidField, ProtocolError, ProtocolErrorCode } from './errors.ts'
import { readBytes, readUint } from './fields.ts'
import { Limits } from './limits.ts'
import { Domain, txPayloadBytes } from './sign-bytes.ts'
import { type TxBody, txBodyFromTuple, txBodyToTuple } from './tx-body.ts'

export interface TxFields {
  readonly chainId: string
  readonly signer: Bytes
  readonly nonce: number
  readonly validUntil: number
  readonly sponsor: Bytes
  readonly body: TxBody
}

export interface SignedTx extends TxFields {
  /** The canonical signed bytes. */
  readonly payload: Bytes
  readonly signature: Bytes
  /** SHA-256 of the payload: the tx id. */
  readonly hash: Bytes
}

export function validateTxFields(fields: TxFields): void {
  validateChainId(fields.chainId, 'chainId')
  readBytes(fields.signer, 32, 'signer')
  readUint(fields.nonce, 'nonce')
  readUint(fields.validUntil, 'validUntil')
  readBytes(fields.sponsor, 32, 'sponsor')
  // Round-trip the body through its schema: this is the same check a decoder makes.
  txBodyFromTuple(txBodyToTuple(fields.body))
}

export function txPayload(fields: TxFields): Bytes {
  return txPayloadBytes(
    fields.chainId,
    fields.signer,
    fields.nonce,
    fields.validUntil,
    fields.sponsor,
    txBodyToTuple(fields.body),
  )
}

/** Builds and signs a tx. The signer's public key must match `fields.signer`. */
export function signTx(fields: TxFields, secretKey: Bytes): SignedTx {
  validateTxFields(fields)
  const payload = txPayload(fields)
  return { ...fields, payload, signature: sign(payload, secretKey), hash: sha256(payload) }
}

export function encodeTx(tx: SignedTx): Bytes {
  return encode([tx.payload, tx.signature])
}

/**
 * Decodes and statelessly validates a tx: size, shape, canonical payload, every field, and (when
 * given) the chain id. The signature is not checked here, so that callers can verify in bulk or on
 * worker threads: call `verifyTxSignature`.
 */
export function decodeTx(bytes: Bytes, expectedChainId?: string): SignedTx {
  return decodeTxInner(bytes, expectedChainId, null)
}

/**
 * `decodeTx` for bytes whose hash the caller already has from `txHashOfEncoded` of these same bytes
 * (a block's tx root check computes it): skips hashing the payload again. Passing any other hash
 * gives a tx with a wrong id, so only pass hashes computed from `bytes`.
 */
export function decodeTxWithHash(bytes: Bytes, hash: Bytes, expectedChainId?: string): SignedTx {
  return decodeTxInner(bytes, expectedChainId, hash)
}

function decodeTxInner(bytes: Bytes, expectedChainId: string | undefined, hash: Bytes | null): SignedTx {
  const raw = decodeRaw(bytes, Limits.maxTxBytes, 'tx')
  if (!Array.isArray(raw) || raw.length !== 2)
    throw invalidField('tx', 'must be a tuple [payload, signature]')
  const [payload, signature] = raw as [unknown, unknown]
  if (!(payload instanceof Uint8Array)) throw invalidField('tx.payload', 'must be bytes')
  readBytes(signature, 64, 'tx.signature')
  const inner = decodeRaw(payload, Limits.maxTxBytes, 'tx.payload')
  if (!Array.isArray(inner) || inner.length !== 7) {
    throw invalidField(
      'tx.payload',
      'must be a tuple [domain, chainId, signer, nonce, validUntil, sponsor, body]',
    )
  }
  const [domain, chainId, signer, nonce, validUntil, sponsor, bodyTuple] = inner as unknown[]
  if (domain !== Domain.tx) throw invalidField('tx.domain', `must be ${Domain.tx}`)
  const fields: TxFields = {
    chainId: validateChainId(chainId, 'chainId'),
    signer: readBytes(signer, 32, 'signer'),
    nonce: readUint(nonce, 'nonce'),
    validUntil: readUint(validUntil, 'validUntil'),
    sponsor: readBytes(sponsor, 32, 'sponsor'),
    body: txBodyFromTuple(bodyTuple),
  }
  if (expectedChainId !== undefined && fields.chainId !== expectedChainId) {
    throw new ProtocolError(
      ProtocolErrorCode.wrongChain,
      `tx is for chain ${fields.chainId}, not ${expectedChainId}`,
      {
        field: 'chainId',
        expected: expectedChainId,
        actual: fields.chainId,
      },
    )
  }
  // Only the canonical encoding is accepted, so one logical tx has exactly one hash.
  if (!bytesEqual(txPayload(fields), payload)) {
    throw new ProtocolError(ProtocolErrorCode.nonCanonical, 'tx payload is not canonically encoded', {
      field: 'tx.payload',
    })
  }
  return { ...fields, payload, signature: signature as Bytes, hash: hash ?? sha256(payload) }
}

/**
 * The hash of an encoded tx without validating its body: used for block tx roots, where every tx is
 * validated separately during execution. Throws a typed error if the envelope itself is malformed.
 */
export function txHashOfEncoded(bytes: Bytes): Bytes {
  const raw = decodeRaw(bytes, Limits.maxTxBytes, 'tx')
  if (!Array.isArray(raw) || raw.length !== 2 || !(raw[0] instanceof Uint8Array)) {
    throw invalidField('tx', 'must be a tuple [payload, signature]')
  }
  return sha256(raw[0])
}

export function verifyTxSignature(tx: SignedTx): boolean {
  return verify(tx.signature, tx.payload, tx.signer)
}

/** decodeTx + signature check in one call, throwing a typed error on a bad signature. */
export function decodeAndVerifyTx(bytes: Bytes, expectedChainId?: string): SignedTx {
  const tx = decodeTx(bytes, expectedChainId)
  if (!verifyTxSignature(tx)) {
    throw new ProtocolError(ProtocolErrorCode.badSignature, 'tx signature does not verify', {
      field: 'tx.signature',
    })
  }
  return tx
}
