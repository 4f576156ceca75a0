/**
 * The JSON representation of domain values, in one place: bytes as lowercase hex, accounts as bech32m
 * `arc1…`, node (validator) keys as `arcnode1…`, amounts as JSON numbers (they are safe integers).
 * And the reverse for inputs: hex or base64 tx bytes, hex hashes, addresses.
 */
import { decodeAddress, encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import type { Block } from '../protocol/block.ts'
import { type Bytes, fromHex, toHex } from '../protocol/bytes.ts'
import type { Evidence, QuorumCertificate, Vote } from '../protocol/vote.ts'
import type { Receipt } from '../state/receipt.ts'
import { RpcError, RpcErrorCode } from './errors.ts'
import type { BlockRecord } from './ports.ts'

export const hex = toHex
export const address = (key: Bytes): string => encodeAddress(key)
export const nodeKey = (key: Bytes): string => encodeAddress(key, NODE_KEY_PREFIX)

/** Parses a path or query address; a bad one is a PROTOCOL_BAD_ADDRESS (400). */
export const parseAddress = (text: string): Bytes => decodeAddress(text)

/** A 32-byte hash in hex (an optional 0x is allowed). */
export function parseHash(text: string, field: string): Bytes {
  const bytes = parseHex(text, field)
  if (bytes.length !== 32) throw new RpcError(RpcErrorCode.badEncoding, `${field}: must be 32 bytes of hex`)
  return bytes
}

export function parseHex(text: string, field: string): Bytes {
  const body = text.startsWith('0x') ? text.slice(2) : text
  try {
    return fromHex(body)
  } catch {
    throw new RpcError(RpcErrorCode.badEncoding, `${field}: not valid hex`)
  }
}

const HEX_RE = /^(0x)?[0-9a-fA-F]*$/
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/

/**
 * Tx bytes given as text: hex when the text is hex of even length (optionally 0x-prefixed), otherwise
 * standard or URL-safe base64. Hex wins the ambiguity, so base64 senders whose text happens to be
 * all hex digits should use hex instead (every encoding tool offers both).
 */
export function parseTxText(text: string, field: string): Bytes {
  if (HEX_RE.test(text) && text.length % 2 === 0) return parseHex(text, field)
  const padded = text.replace(/=+$/, '')
  if (!BASE64_RE.test(text) || padded.length % 4 === 1) {
    throw new RpcError(RpcErrorCode.badEncoding, `${field}: neither hex nor base64`)
  }
  return new Uint8Array(
    Buffer.from(padded, text.includes('-') || text.includes('_') ? 'base64url' : 'base64'),
  )
}

/** Event and record fields whose 32-byte values are accounts (rendered `arc1…`). */
const ACCOUNT_FIELDS = new Set([
  'account',
  'from',
  'to',
  'spender',
  'owner',
  'merchant',
  'customer',
  'payer',
  'payee',
  'terminal',
  'device',
  'signer',
  'sponsor',
  'manager',
  'grantee',
  'member',
  'association',
])
/** Fields whose 32-byte values are node keys (rendered `arcnode1…`). */
const NODE_KEY_FIELDS = new Set(['nodeKey', 'validator', 'proposer'])

/** Renders a free-form value: bytes as hex (accounts and node keys as bech32m), bigints as numbers. */
export function renderValue(value: unknown, key = ''): unknown {
  if (value instanceof Uint8Array) {
    if (value.length === 32 && ACCOUNT_FIELDS.has(key)) return address(value)
    if (value.length === 32 && NODE_KEY_FIELDS.has(key)) return nodeKey(value)
    return hex(value)
  }
  if (typeof value === 'bigint') return Number(value)
  if (Array.isArray(value)) return value.map((v) => renderValue(v, key))
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = renderValue(v, k)
    return out
  }
  return value
}

export function renderReceipt(r: Receipt): unknown {
  return {
    txHash: hex(r.txHash),
    height: r.height,
    index: r.index,
    status: r.status,
    error: r.error,
    events: r.events.map((e) => renderValue(e)),
  }
}

/** The accounts a receipt's events name: who a `?account=` stream filter matches. */
export function accountsOfReceipt(r: Receipt): Bytes[] {
  const out: Bytes[] = []
  for (const e of r.events) {
    for (const [k, v] of Object.entries(e)) {
      if (v instanceof Uint8Array && v.length === 32 && ACCOUNT_FIELDS.has(k)) out.push(v)
    }
  }
  return out
}

export function renderCertificate(c: QuorumCertificate): unknown {
  return {
    kind: c.kind,
    height: c.height,
    view: c.view,
    blockHash: hex(c.blockHash),
    signers: c.signatures.map((s) => ({ validator: nodeKey(s.validator), signature: hex(s.signature) })),
  }
}

function renderVote(v: Vote): unknown {
  return {
    kind: v.kind,
    height: v.height,
    view: v.view,
    blockHash: hex(v.blockHash),
    validator: nodeKey(v.validator),
    signature: hex(v.signature),
  }
}

export function renderEvidence(e: Evidence): unknown {
  return { a: renderVote(e.a), b: renderVote(e.b) }
}

export function renderBlock(record: BlockRecord, txHashes: readonly Bytes[]): unknown {
  const { block, hash, certificate } = record
  const h: Block['header'] = block.header
  return {
    hash: hex(hash),
    header: {
      chainId: h.chainId,
      height: h.height,
      view: h.view,
      timeMs: h.timeMs,
      parentHash: hex(h.parentHash),
      txRoot: hex(h.txRoot),
      stateRoot: hex(h.stateRoot),
      lastCommitHash: hex(h.lastCommitHash),
      validatorSetHash: hex(h.validatorSetHash),
      nextValidatorSetHash: hex(h.nextValidatorSetHash),
      evidenceRoot: hex(h.evidenceRoot),
      proposer: nodeKey(h.proposer),
    },
    txs: txHashes.map(hex),
    lastCommit: block.lastCommit === null ? null : renderCertificate(block.lastCommit),
    certificate: certificate === null ? null : renderCertificate(certificate),
    evidence: block.evidence.map(renderEvidence),
  }
}
