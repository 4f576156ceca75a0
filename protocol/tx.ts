/**
 * The tx envelope. On the wire a tx is `[payload, signature]`, where `payload` is the canonical bytes
 * of `[domain, chainId, signer, nonce, validUntil, sponsor, body]` (see sign-bytes.ts). Keeping the
 * signed bytes as they arrived means verifying and hashing never re-encode anything, and the tx hash
 * (the tx id), SHA-256 of the payload, does not depend on the signature: replay protection keys on it.
 *
 * The envelope itself is canonical too: exactly `encode([payload, signature])`, checked from its length
 * and header bytes without decoding or re-encoding (`txEnvelopeOf`). So a tx's bytes are a function of
 * (payload, signature), and a block's tx root, whose leaves are (tx id, signature), binds every byte.
 *
 * - nonce: any number the signer picks; with the expiry it makes each tx unique, so a shop's many
 *   terminals or a device can sign in parallel and offline with no sequence to coordinate.
 * - validUntil: the last height at which the tx may be included (the ledger bounds the window).
 * - sponsor: the account whose quota pays for the tx (it may be the signer itself when allowed).
 */

import { type Bytes, bytesEqual } from './bytes.ts'
import { validateChainId } from './chain-id.ts'
import { decodeRaw, encode } from './codec.ts'
import { SIGNATURE_BYTES, sha256, sign, verify } from './crypto.ts'
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
  const { payload, signature } = txEnvelopeOf(bytes)
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
  return { ...fields, payload, signature, hash: hash ?? sha256(payload) }
}

/** The two parts of an encoded tx, as views into its bytes (nothing copied). */
export interface TxEnvelope {
  readonly payload: Bytes
  readonly signature: Bytes
}

const ENVELOPE_HEADER = 0x92 // fixarray of 2
const BIN8 = 0xc4
const BIN16 = 0xc5
const BIN32 = 0xc6
/** What `encode` writes after the payload: bin8 of 64 bytes, then the signature. */
const SIGNATURE_TAIL_BYTES = 2 + SIGNATURE_BYTES

/**
 * Splits an encoded tx into payload and signature, accepting exactly the bytes `encodeTx` makes:
 * fixarray(2), the payload as bin in its shortest form (bin8 below 256 bytes, bin16 below 64 KiB,
 * else bin32), the signature as bin8 of 64 bytes, and nothing after. Checked from the length and the
 * header bytes alone: no msgpack decoding, no re-encoding, no hashing. Anything else is refused:
 * another spelling of the same values (a longer bin header, an ext type, an array16) with
 * PROTOCOL_NON_CANONICAL, bytes that are not such a tuple at all with the decoder's own error.
 */
export function txEnvelopeOf(bytes: Bytes): TxEnvelope {
  const size = bytes.length
  if (size > Limits.maxTxBytes) {
    throw new ProtocolError(
      ProtocolErrorCode.tooLarge,
      `tx: ${size} bytes exceeds the limit of ${Limits.maxTxBytes}`,
      { what: 'tx', size, limit: Limits.maxTxBytes },
    )
  }
  if (size > 2 && bytes[0] === ENVELOPE_HEADER) {
    const header = bytes[1]
    let length = -1
    let start = 0
    if (header === BIN8 && size > 3) {
      length = bytes[2] as number
      start = 3
    } else if (header === BIN16 && size > 4) {
      length = ((bytes[2] as number) << 8) | (bytes[3] as number)
      start = length > 0xff ? 4 : -1
    } else if (header === BIN32 && size > 6) {
      length =
        (((bytes[2] as number) << 24) |
          ((bytes[3] as number) << 16) |
          ((bytes[4] as number) << 8) |
          (bytes[5] as number)) >>>
        0
      start = length > 0xffff ? 6 : -1
    }
    const end = start + length
    if (
      start > 0 &&
      end + SIGNATURE_TAIL_BYTES === size &&
      bytes[end] === BIN8 &&
      bytes[end + 1] === SIGNATURE_BYTES
    ) {
      return { payload: bytes.subarray(start, end), signature: bytes.subarray(end + 2) }
    }
  }
  return refuseEnvelope(bytes)
}

/** The slow path, for bad input only: say why the bytes are not a canonical envelope. */
function refuseEnvelope(bytes: Bytes): never {
  const raw = decodeRaw(bytes, Limits.maxTxBytes, 'tx')
  if (!Array.isArray(raw) || raw.length !== 2 || !(raw[0] instanceof Uint8Array)) {
    throw invalidField('tx', 'must be a tuple [payload, signature]')
  }
  readBytes(raw[1], SIGNATURE_BYTES, 'tx.signature')
  // A tuple of bytes that msgpack reads back, but not in the one spelling `encode` gives it.
  throw new ProtocolError(ProtocolErrorCode.nonCanonical, 'tx envelope is not canonically encoded', {
    field: 'tx',
  })
}

/**
 * The hash (id) of an encoded tx without validating its body: used for block tx roots, where every tx
 * is validated separately during execution. Throws a typed error if the envelope is not canonical.
 */
export function txHashOfEncoded(bytes: Bytes): Bytes {
  return sha256(txEnvelopeOf(bytes).payload)
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
