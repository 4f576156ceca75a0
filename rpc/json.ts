/**
 * The JSON representation of domain values, in one place: bytes as lowercase hex, accounts as bech32m
 * `arc1…`, node (validator) keys as `arcnode1…`, amounts as JSON numbers (they are safe integers).
 * And the reverse for inputs: hex or base64 tx bytes, hex hashes, addresses.
 */
import { ADDRESS_PREFIX, decodeAddress, encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import type { Block } from '../protocol/block.ts'
import { type Bytes, bytesEqual, fromHex, toHex } from '../protocol/bytes.ts'
import type { Evidence, QuorumCertificate, Vote } from '../protocol/vote.ts'
import type { Receipt } from '../state/receipt.ts'
import { RpcError, RpcErrorCode } from './errors.ts'
import type { BlockRecord } from './ports.ts'

export const hex = toHex

/**
 * Bech32m is costly (~4 us) and receipts name the same accounts over and over (shops, terminals,
 * managers), so each prefix keeps a bounded memo keyed by the key's first 4 bytes and checked against
 * the whole key: a prefix collision only costs a miss. A memo of a pure function, so it is shared.
 */
const MEMO_MAX = 8192
function memoEncoder(prefix: string): (key: Bytes) => string {
  const memo = new Map<number, { key: Bytes; text: string }>()
  return (key) => {
    if (key.length < 4) return encodeAddress(key, prefix)
    const slot =
      ((key[0] as number) << 22) ^ ((key[1] as number) << 14) ^ ((key[2] as number) << 6) ^ (key[3] as number)
    const hit = memo.get(slot)
    if (hit !== undefined && bytesEqual(hit.key, key)) return hit.text
    const text = encodeAddress(key, prefix)
    if (memo.size >= MEMO_MAX) memo.clear()
    // A copy: the caller's bytes may be a view into a buffer that is reused.
    memo.set(slot, { key: key.slice(), text })
    return text
  }
}
export const address: (key: Bytes) => string = memoEncoder(ADDRESS_PREFIX)
export const nodeKey: (key: Bytes) => string = memoEncoder(NODE_KEY_PREFIX)

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
  // A governance proposal's author (an association's account), not a block's proposing node.
  'proposer',
  // An offline purse's key (its vouchers' signer).
  'purse',
  // A customer's per-point traffic pseudonym (a key its wallet derives).
  'pseudonym',
])
/** Fields whose 32-byte values are node keys (rendered `arcnode1…`). */
const NODE_KEY_FIELDS = new Set(['nodeKey', 'validator'])

/** Renders a free-form value: bytes as hex (accounts and node keys as bech32m), bigints as numbers. */
export function renderValue(value: unknown, key = ''): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'bigint' ? Number(value) : value
  if (value instanceof Uint8Array) {
    if (value.length === 32 && ACCOUNT_FIELDS.has(key)) return address(value)
    if (value.length === 32 && NODE_KEY_FIELDS.has(key)) return nodeKey(value)
    return hex(value)
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, key))
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(value)) out[k] = renderValue((value as Record<string, unknown>)[k], k)
  return out
}

/**
 * A receipt in the key order of its response schema (`S.receipt`, events with `type` first), so that
 * `JSON.stringify` of it writes the same bytes as the schema serializer (see the batch route).
 * `txHashHex` saves re-encoding a hash the caller has already rendered.
 */
export function renderReceipt(r: Receipt, txHashHex: string = hex(r.txHash)): unknown {
  const events = new Array<unknown>(r.events.length)
  for (let i = 0; i < events.length; i++) events[i] = renderEvent(r.events[i] as Record<string, unknown>)
  return { txHash: txHashHex, height: r.height, index: r.index, status: r.status, error: r.error, events }
}

/** A ledger event with `type` first, bytes rendered by field name (see `renderValue`). */
export function renderEvent(event: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: event.type }
  for (const k of Object.keys(event)) if (k !== 'type') out[k] = renderValue(event[k], k)
  return out
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
