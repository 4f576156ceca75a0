/**
 * Helpers for tests and the bench: accounts, unsigned txs (applyBlock trusts the caller to have
 * verified signatures, so a zero signature is enough there) and a tiny chain driver.
 * Not used by production code.
 */
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import { type SignedTx, type TxFields, txPayload } from '../protocol/tx.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import type { Evidence } from '../protocol/vote.ts'
import { type ApplyBlockResult, applyBlock } from './apply-block.ts'
import { type ChainParams, createGenesisState, type GenesisStateInput, type LedgerState } from './ledger.ts'
import type { KvWrite } from './ports.ts'
import type { Receipt } from './receipt.ts'

export const TEST_CHAIN_ID = 'arcade-test'
export const GENESIS_TIME_MS = 1_767_225_600_000 // 2026-01-01T00:00:00Z = 09:00 JST

/** A deterministic 32-byte account from a small number. */
export function account(n: number): Bytes {
  const out = new Uint8Array(32)
  out[0] = 0xa0
  out[28] = (n >>> 24) & 0xff
  out[29] = (n >>> 16) & 0xff
  out[30] = (n >>> 8) & 0xff
  out[31] = n & 0xff
  return out
}

const ZERO_SIGNATURE = new Uint8Array(64)

/** A tx with a correct payload and hash but no real signature. */
export function unsignedTx(fields: Omit<TxFields, 'chainId'> & { chainId?: string }): SignedTx {
  const full: TxFields = { ...fields, chainId: fields.chainId ?? TEST_CHAIN_ID }
  const payload = txPayload(full)
  return { ...full, payload, signature: ZERO_SIGNATURE, hash: sha256(payload) }
}

export const ADMIN = account(1)
export const ISSUER = account(2)
export const ASSOCIATION = account(3)
export const NODE_KEY = account(4)

export function testGenesis(overrides: Partial<GenesisStateInput> = {}, params: Partial<ChainParams> = {}) {
  return createGenesisState({
    chainId: TEST_CHAIN_ID,
    genesisTimeMs: GENESIS_TIME_MS,
    params: { epochLength: 10, maxTxValidityBlocks: 100, ...params },
    accounts: [
      { address: ADMIN, roles: ['admin'], stake: 0 },
      { address: ISSUER, roles: ['issuer'], stake: 0 },
    ],
    associations: [{ account: ASSOCIATION, name: 'genesis association', nodeKey: NODE_KEY, stake: 1_000 }],
    observers: [],
    ...overrides,
  })
}

/** Drives blocks over a state, keeping every write so tests can reload from storage. */
export class TestChain {
  state: LedgerState
  readonly writes: KvWrite[] = []
  nonce = 0
  blockMs = 1_000
  last: ApplyBlockResult | null = null
  /** Sponsor of txs from accounts that cannot sponsor themselves (set by setupPoint). */
  defaultSponsor: Bytes | null = null
  readonly selfSponsored = new Set([toHex(ADMIN), toHex(ISSUER), toHex(ASSOCIATION)])

  constructor(genesis: { state: LedgerState; writes: KvWrite[] } = testGenesis()) {
    this.state = genesis.state
    this.writes.push(...genesis.writes)
  }

  get height(): number {
    return this.state.meta.height
  }

  /** A tx from `signer`, self-sponsored unless a sponsor is given, valid for 10 blocks. */
  tx(
    signer: Bytes,
    body: TxBody,
    options: { sponsor?: Bytes; validUntil?: number; nonce?: number } = {},
  ): SignedTx {
    return unsignedTx({
      signer,
      nonce: options.nonce ?? this.nonce++,
      validUntil: options.validUntil ?? this.height + 10,
      sponsor:
        options.sponsor ?? (this.selfSponsored.has(toHex(signer)) ? signer : (this.defaultSponsor ?? signer)),
      body,
    })
  }

  block(txs: readonly SignedTx[], options: { timeMs?: number; evidence?: readonly Evidence[] } = {}) {
    const result = applyBlock(
      this.state,
      {
        height: this.height + 1,
        timeMs: options.timeMs ?? this.state.meta.timeMs + this.blockMs,
        proposer: account(0),
        txs,
        evidence: options.evidence ?? [],
      },
      { chainId: TEST_CHAIN_ID },
    )
    this.state = result.state
    this.writes.push(...result.writes)
    this.last = result
    return result
  }

  /** Applies one tx in its own block and returns its receipt. */
  run(signer: Bytes, body: TxBody, options: { sponsor?: Bytes } = {}): Receipt {
    return this.block([this.tx(signer, body, options)]).receipts[0] as Receipt
  }
}

export const POINT = 'SHOP'

/** ISSUER creates POINT (transferable) and grants everyone a large quota; ISSUER sponsors the rest. */
export function setupPoint(chain: TestChain, point = POINT, transferable = true): void {
  const receipts = chain.block([
    chain.tx(ISSUER, { kind: 'point.create', point, name: 'Shopping street', decimals: 0, transferable }),
    chain.tx(ISSUER, {
      kind: 'sponsor.grant',
      point,
      grantee: null,
      txsPerPeriod: 1_000_000_000,
      periodMs: 86_400_000,
      expiresAtHeight: 0,
      kinds: [],
    }),
  ]).receipts
  for (const r of receipts) if (r.status !== 'ok') throw new Error(`setupPoint failed: ${r.error}`)
  chain.defaultSponsor = ISSUER
}

/** A merchant applies and is admitted with `creditLimit`, then adds `terminals`. */
export function setupMerchant(
  chain: TestChain,
  merchant: Bytes,
  creditLimit: number,
  terminals: readonly Bytes[] = [],
  point = POINT,
): void {
  const receipts = chain.block([
    chain.tx(merchant, { kind: 'merchant.apply', point, name: 'shop' }),
    chain.tx(ISSUER, { kind: 'merchant.admit', point, merchant, creditLimit }),
    ...terminals.map((terminal) => chain.tx(merchant, { kind: 'merchant.addTerminal', point, terminal })),
  ]).receipts
  for (const r of receipts) if (r.status !== 'ok') throw new Error(`setupMerchant failed: ${r.error}`)
}
