/**
 * Building and signing txs of every kind, driven by `TX_BODY_SCHEMAS`: the schema gives each kind's
 * input type and the walk that turns friendly input (addresses as `arc1…` text, hashes as hex, missing
 * optional fields and lists) into the canonical body, so a new kind needs no code here.
 */
import { NODE_KEY_PREFIX } from '../protocol/address.ts'
import { type Bytes, fromHex, toHex } from '../protocol/bytes.ts'
import { type KeyPair, randomBytes } from '../protocol/crypto.ts'
import { isArcadeError } from '../protocol/errors.ts'
import type { Field } from '../protocol/schema.ts'
import { type SignedTx, signTx } from '../protocol/tx.ts'
import { isTxKind, TX_BODY_SCHEMAS, type TxBody, type TxBodyOf, type TxKind } from '../protocol/tx-body.ts'
import { ArcadeClientError, ClientErrorCode, invalidInput } from './errors.ts'
import { type AddressLike, toAccount } from './keys.ts'

/** What a caller may pass for a schema field: bytes also as text (bech32m address or hex). */
export type InputOf<F> = F extends { t: 'uint' }
  ? number
  : F extends { t: 'bytes' }
    ? Bytes | string
    : F extends { t: 'varbytes' }
      ? Bytes
      : F extends { t: 'string' }
        ? string
        : F extends { t: 'bool' }
          ? boolean
          : F extends { t: 'enum'; values: readonly (infer V)[] }
            ? V
            : F extends { t: 'optional' | 'appended'; of: infer X }
              ? InputOf<X> | null
              : F extends { t: 'list'; of: infer X }
                ? readonly InputOf<X>[]
                : F extends { t: 'struct'; fields: infer S }
                  ? StructInput<S>
                  : F extends { t: 'union'; variants: infer V }
                    ? { [K in keyof V]: { readonly kind: K } & InputOf<V[K]> }[keyof V]
                    : never

type OptionalKeys<S> = {
  [K in keyof S]: S[K] extends { t: 'optional' } | { t: 'appended' } | { t: 'list' } ? K : never
}[keyof S]
/** Optional and list fields may be left out (null and [] then). */
type StructInput<S> = { readonly [K in Exclude<keyof S, OptionalKeys<S>>]: InputOf<S[K]> } & {
  readonly [K in OptionalKeys<S>]?: InputOf<S[K]>
}

/** The fields of a tx body of kind K, as a caller gives them. */
export type TxInput<K extends TxKind> = InputOf<(typeof TX_BODY_SCHEMAS)[K]>

export interface TxRequest<K extends TxKind = TxKind> {
  readonly kind: K
  readonly fields: TxInput<K>
}

export interface TxEnvelope {
  readonly chainId: string
  /** The signing key pair: its public key is the tx's signer. */
  readonly signer: KeyPair
  /** Whose quota pays for the tx; default the signer. */
  readonly sponsor?: AddressLike
  /** Default: random 48-bit. */
  readonly nonce?: number
  /** Last height the tx may be included at. */
  readonly validUntil: number
}

function bytesFrom(value: unknown, length: number, path: string): Bytes {
  if (value instanceof Uint8Array) return value
  if (typeof value !== 'string') throw invalidInput(path, `must be ${length} bytes`)
  const text = value.trim()
  if (length === 32 && text.startsWith(`${NODE_KEY_PREFIX}1`)) return toAccount(text, path, NODE_KEY_PREFIX)
  if (length === 32 && text.startsWith('arc1')) return toAccount(text, path)
  const hex = text.replace(/^0x/, '')
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== 2 * length) {
    throw invalidInput(
      path,
      length === 32 ? 'must be an arc1… address or 64 hex digits' : `must be ${length} bytes of hex`,
    )
  }
  return fromHex(hex)
}

/** Turns friendly input into the body value the schema describes (final checks are protocol's). */
export function normalizeField(field: Field, value: unknown, path: string): unknown {
  switch (field.t) {
    case 'bytes':
      return bytesFrom(value, field.length, path)
    case 'optional':
    case 'appended':
      return value === null || value === undefined ? null : normalizeField(field.of, value, path)
    case 'list':
      if (value === undefined) return []
      if (!Array.isArray(value)) throw invalidInput(path, 'must be a list')
      return value.map((item, i) => normalizeField(field.of, item, `${path}[${i}]`))
    case 'struct': {
      if (typeof value !== 'object' || value === null) throw invalidInput(path, 'must be an object')
      const record = value as Record<string, unknown>
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(field.fields)) {
        out[key] = normalizeField(
          field.fields[key] as Field,
          record[key],
          path === '' ? key : `${path}.${key}`,
        )
      }
      return out
    }
    case 'union': {
      // A nested body (a proposal's action): `{ kind, ...fields }`, normalized by its variant.
      const kind = (value as { kind?: unknown } | null)?.kind
      if (typeof kind !== 'string' || !Object.hasOwn(field.variants, kind)) {
        throw invalidInput(`${path}.kind`, `must be one of ${Object.keys(field.variants).join(', ')}`)
      }
      return { kind, ...(normalizeField(field.variants[kind] as Field, value, path) as object) }
    }
    default:
      return value
  }
}

/** The typed body of a kind from friendly fields. Throws CLIENT_INVALID_INPUT naming the field. */
export function txBody<K extends TxKind>(kind: K, fields: TxInput<K>): TxBodyOf<K> {
  if (!isTxKind(kind))
    throw invalidInput('kind', `unknown tx kind ${JSON.stringify(String(kind).slice(0, 40))}`)
  const value = normalizeField(TX_BODY_SCHEMAS[kind] as Field, fields, '') as Record<string, unknown>
  return { kind, ...value } as TxBodyOf<K>
}

/** A 48-bit random nonce: with the expiry it makes a tx unique, no sequence to coordinate. */
export function randomNonce(): number {
  const b = randomBytes(6)
  let n = 0
  for (const byte of b) n = n * 256 + byte
  return n
}

/** Builds and signs a tx of any kind. Bad input is a CLIENT_INVALID_INPUT naming the field. */
export function createTx<K extends TxKind>(kind: K, fields: TxInput<K>, envelope: TxEnvelope): SignedTx {
  return signBody(txBody(kind, fields) as unknown as TxBody, envelope)
}

/** Signs a ready body. */
export function signBody(body: TxBody, envelope: TxEnvelope): SignedTx {
  const signer = envelope.signer
  try {
    return signTx(
      {
        chainId: envelope.chainId,
        signer: signer.publicKey,
        nonce: envelope.nonce ?? randomNonce(),
        validUntil: envelope.validUntil,
        sponsor: envelope.sponsor === undefined ? signer.publicKey : toAccount(envelope.sponsor, 'sponsor'),
        body,
      },
      signer.secretKey,
    )
  } catch (err) {
    // protocol's stateless check names the field; the SDK reports it under its own code.
    if (isArcadeError(err) && err.code !== ClientErrorCode.invalidInput) {
      const field = typeof err.details.field === 'string' ? err.details.field : 'tx'
      throw new ArcadeClientError(ClientErrorCode.invalidInput, err.message, null, { field, cause: err.code })
    }
    throw err
  }
}

export const txHashHex = (tx: SignedTx): string => toHex(tx.hash)
