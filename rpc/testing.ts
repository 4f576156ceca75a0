/**
 * Test support for rpc: a real ledger (state/'s TestChain, so reads and proofs are the real thing),
 * a fake chain reader over blocks whose state roots match it, an event bus, and a submitter that
 * records what it receives and checks it is a well-formed tx. Never used by node/.
 */
import { Registry } from 'prom-client'
import { type Block, blockHash, txRootOf, ZERO_HASH } from '../protocol/block.ts'
import { type Bytes, bytesEqual } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair, sha256, sign } from '../protocol/crypto.ts'
import { devicePossessionSignBytes } from '../protocol/sign-bytes.ts'
import { decodeTx, encodeTx, signTx, verifyTxSignature } from '../protocol/tx.ts'
import { createValidatorSet, type ValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { type CommitCertificate, certificateFromVotes, signVote } from '../protocol/vote.ts'
import { createLedgerQuery } from '../state/query.ts'
import type { Receipt } from '../state/receipt.ts'
import {
  account,
  ISSUER,
  POINT,
  setupMerchant,
  setupPoint,
  TEST_CHAIN_ID,
  TestChain,
} from '../state/test-kit.ts'
import type { RpcOptions } from './options.ts'
import type {
  AdmissionResult,
  BlockRecord,
  ChainEvent,
  ChainEvents,
  ChainReader,
  DecodedTx,
  HistoryEntry,
  NodeStatus,
  RpcDeps,
  TxLookup,
  TxSubmitter,
} from './ports.ts'
import { createRpcServer, type RpcServer } from './server.ts'

export const CHAIN_ID = TEST_CHAIN_ID
export { ISSUER, POINT }

/** Signs the txs posted to the RPC (their signatures are real). */
export const alice: KeyPair = generateKeyPair()
export const MERCHANT = account(10)
export const TERMINAL = account(11)
export const CUSTOMER = account(12)
export const deviceKey: KeyPair = generateKeyPair()

const fill = (n: number): Bytes => new Uint8Array(32).fill(n)

/**
 * A validly encoded point.transfer, signed by alice unless `by` says otherwise; with `badSignature`
 * its signature does not verify (the encoding stays valid).
 */
export function makeTx(
  amount = 5,
  chainId = CHAIN_ID,
  opts: { by?: KeyPair; badSignature?: boolean } = {},
): { bytes: Bytes; hash: Bytes } {
  const by = opts.by ?? alice
  const signed = signTx(
    {
      chainId,
      signer: by.publicKey,
      nonce: Math.floor(Math.random() * 2 ** 32),
      validUntil: 100,
      sponsor: by.publicKey,
      body: { kind: 'point.transfer', point: POINT, to: CUSTOMER, amount },
    },
    by.secretKey,
  )
  const signature = signed.signature.slice()
  if (opts.badSignature === true) signature[0] = (signature[0] as number) ^ 1
  const tx = { ...signed, signature }
  return { bytes: encodeTx(tx), hash: tx.hash }
}

/** A ledger with a point, an admitted merchant with a terminal, an award to CUSTOMER and a device. */
export function buildLedger(): { chain: TestChain; awardReceipt: Receipt } {
  const chain = new TestChain()
  setupPoint(chain)
  setupMerchant(chain, MERCHANT, 500, [TERMINAL])
  const awardReceipt = chain.run(TERMINAL, {
    kind: 'merchant.award',
    point: POINT,
    customer: CUSTOMER,
    amount: 120,
    memo: 'coffee',
  })
  const possessionProof = sign(
    devicePossessionSignBytes(CHAIN_ID, CUSTOMER, deviceKey.publicKey),
    deviceKey.secretKey,
  )
  const bound = chain.run(CUSTOMER, {
    kind: 'device.bind',
    device: deviceKey.publicKey,
    point: POINT,
    maxPerTx: 10,
    maxPerPeriod: 50,
    periodMs: 86_400_000,
    merchants: [],
    possessionProof,
  })
  if (awardReceipt.status !== 'ok' || bound.status !== 'ok') {
    throw new Error(`ledger setup failed: ${awardReceipt.error} ${bound.error}`)
  }
  return { chain, awardReceipt }
}

export function receiptFor(hash: Bytes, height: number, index: number, ok = true): Receipt {
  return {
    txHash: hash,
    height,
    index,
    status: ok ? 'ok' : 'failed',
    error: ok ? null : 'STATE_INSUFFICIENT_BALANCE',
    events: ok
      ? [{ type: 'transfer', point: POINT, from: alice.publicKey, to: CUSTOMER, amount: 5, spender: null }]
      : [],
  }
}

export class FakeEvents implements ChainEvents {
  readonly listeners = new Set<(e: ChainEvent) => void>()
  subscribe(listener: (e: ChainEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  emit(event: ChainEvent): void {
    for (const l of [...this.listeners]) l(event)
  }
}

export type SubmitMode = 'accept' | 'full' | 'duplicate' | 'commit'

/**
 * Checks each tx's signature like the mempool (PROTOCOL_BAD_SIGNATURE when it fails), then answers by
 * `mode`. `received` lists every tx that reached it: a refusal before submission leaves it unchanged.
 */
export class FakeSubmitter implements TxSubmitter {
  mode: SubmitMode = 'accept'
  readonly received: Bytes[] = []
  /** Txs that reached the submitter but do not decode: must stay empty. */
  readonly invalid: Bytes[] = []
  readonly events: FakeEvents
  constructor(events: FakeEvents) {
    this.events = events
  }
  async submit(txs: readonly DecodedTx[]): Promise<readonly AdmissionResult[]> {
    return txs.map(({ bytes, tx }) => {
      this.received.push(bytes)
      let hash: Bytes
      try {
        hash = decodeTx(bytes, CHAIN_ID).hash
        // The route's decoded tx must be the one its bytes encode.
        if (!bytesEqual(hash, tx.hash)) throw new Error('decoded tx does not match its bytes')
      } catch {
        this.invalid.push(bytes)
        return { hash: null, accepted: false, code: 'MEMPOOL_INVALID' }
      }
      if (!verifyTxSignature(tx)) {
        return { hash, accepted: false, code: 'PROTOCOL_BAD_SIGNATURE', message: 'bad signature' }
      }
      if (this.mode === 'full')
        return { hash, accepted: false, code: 'MEMPOOL_FULL', message: 'mempool full' }
      if (this.mode === 'duplicate')
        return { hash, accepted: false, code: 'MEMPOOL_DUPLICATE', message: 'dup' }
      if (this.mode === 'commit') {
        // Commits at once, like a block landing right after admission.
        const index = this.received.length
        queueMicrotask(() => this.events.emit({ type: 'receipt', receipt: receiptFor(hash, 77, index) }))
      }
      return { hash, accepted: true }
    })
  }
}

function fakeBlock(
  height: number,
  txs: Bytes[],
  stateRoot: Bytes,
): BlockRecord & { certificate: CommitCertificate } {
  const header = {
    chainId: CHAIN_ID,
    height,
    view: 0,
    timeMs: 1_767_225_600_000 + height * 1000,
    parentHash: height === 1 ? ZERO_HASH : fill(height - 1),
    txRoot: txRootOf(txs),
    stateRoot,
    lastCommitHash: ZERO_HASH,
    validatorSetHash: fill(0xbb),
    nextValidatorSetHash: fill(0xbb),
    evidenceRoot: ZERO_HASH,
    proposer: fill(0xcc),
  }
  const block: Block = { header, txs, lastCommit: null, evidence: [] }
  const hash = blockHash(header)
  const certificate: CommitCertificate = {
    kind: 'commit',
    height,
    view: 0,
    blockHash: hash,
    signatures: [{ validator: fill(0xcc), signature: new Uint8Array(64).fill(1) }],
  }
  return { block, hash, certificate }
}

export class FakeChain implements ChainReader {
  role: NodeStatus['role'] = 'validator'
  syncing = false
  readonly committedTx = makeTx(3)
  readonly failedTx = makeTx(4)
  readonly pendingHash = fill(0x11)
  readonly blocks: (BlockRecord & { certificate: CommitCertificate })[] = []
  /** Unset: a node without the history (the route answers 501); tests set it. */
  validatorSets?: ChainReader['validatorSets']
  /** `height` blocks; the last but one carries two txs; each state root is `stateRootAt(h)`. */
  constructor(height: number, stateRootAt: (h: number) => Bytes) {
    for (let h = 1; h <= height; h++) {
      const txs = h === height - 1 ? [this.committedTx.bytes, this.failedTx.bytes] : []
      this.blocks.push(fakeBlock(h, txs, stateRootAt(h)))
    }
  }
  status(): NodeStatus {
    const head = this.blocks.at(-1)
    return {
      chainId: CHAIN_ID,
      height: this.blocks.length,
      role: this.role,
      peers: 3,
      syncing: this.syncing,
      mempoolSize: 0,
      headHash: head?.hash ?? null,
      latestBlockTimeMs: head?.block.header.timeMs ?? null,
    }
  }
  blockByHeight(height: number | 'latest'): BlockRecord | null {
    const record = height === 'latest' ? this.blocks.at(-1) : this.blocks[height - 1]
    if (record === undefined) return null
    // The head's certificate is not known until the next block carries it.
    return record === this.blocks.at(-1) ? { ...record, certificate: null } : record
  }
  txByHash(hash: Bytes): TxLookup | null {
    const at = this.blocks.length - 1
    if (bytesEqual(hash, this.pendingHash)) return { status: 'pending' }
    if (bytesEqual(hash, this.committedTx.hash))
      return { status: 'committed', receipt: receiptFor(hash, at, 0), tx: this.committedTx.bytes }
    if (bytesEqual(hash, this.failedTx.hash))
      return { status: 'committed', receipt: receiptFor(hash, at, 1, false) }
    return null
  }
  accountHistory(address: Bytes, page: { limit: number; before?: { height: number; index: number } }) {
    if (!bytesEqual(address, CUSTOMER)) return []
    // 30 entries at heights 30..1, index 0.
    const all: HistoryEntry[] = Array.from({ length: 30 }, (_, i) => ({
      height: 30 - i,
      index: 0,
      txHash: sha256(Uint8Array.of(i)),
      kind: 'point.transfer',
      status: 'ok',
      error: null,
    }))
    const before = page.before
    const from = before === undefined ? all : all.filter((e) => e.height < before.height)
    return from.slice(0, page.limit)
  }
}

export interface Harness {
  readonly server: RpcServer
  readonly chain: FakeChain
  readonly ledger: TestChain
  readonly awardReceipt: Receipt
  readonly submitter: FakeSubmitter
  readonly events: FakeEvents
  readonly metrics: Registry
}

/** A server over the ledger above; `pointIds` is provided unless `extra` overrides it. */
export function harness(options: RpcOptions = {}, extra: Partial<RpcDeps> = {}): Harness {
  const { chain: ledger, awardReceipt } = buildLedger()
  // The fake chain's state roots: the ledger's at its height (earlier roots do not matter here).
  const chain = new FakeChain(ledger.height, () => ledger.state.map.root)
  const events = new FakeEvents()
  const submitter = new FakeSubmitter(events)
  const metrics = new Registry()
  const deps: RpcDeps = {
    chain,
    submitter,
    query: () => createLedgerQuery(ledger.state),
    pointIds: () => [POINT],
    events,
    metrics,
    ...extra,
  }
  const server = createRpcServer({ rateLimit: null, ...options }, deps)
  return { server, chain, ledger, awardReceipt, submitter, events, metrics }
}

/**
 * Brings the fake chain's blocks up to the ledger's head, whose header then commits to the ledger's
 * state root and names the set of `validators` (power 1 each), and appends one block carrying the
 * head's commit certificate, signed by all but one of them: proofs of the head verify for real.
 * The set is also what `GET /v1/validator-sets` serves from height 1. Returns the set.
 */
export function certifyHead(h: Harness, validators: readonly KeyPair[]): ValidatorSet {
  const set = createValidatorSet(validators.map((k) => ({ publicKey: k.publicKey, power: 1 })))
  const blocks = h.chain.blocks
  const last = blocks.at(-1) as (typeof blocks)[number]
  while (blocks.length < h.ledger.height) blocks.push(last)
  blocks.length = h.ledger.height
  const header = {
    ...last.block.header,
    height: h.ledger.height,
    timeMs: h.ledger.state.meta.timeMs,
    stateRoot: h.ledger.state.map.root,
    validatorSetHash: validatorSetHash(set),
    nextValidatorSetHash: validatorSetHash(set),
  }
  const hash = blockHash(header)
  const certificate = certificateFromVotes(
    validators
      .slice(0, Math.max(1, validators.length - 1))
      .map((k) => signVote(CHAIN_ID, { kind: 'commit', height: header.height, view: 0, blockHash: hash }, k)),
  ) as CommitCertificate
  blocks[header.height - 1] = { block: { ...last.block, header }, hash, certificate }
  const next: Block = {
    header: { ...header, height: header.height + 1, parentHash: hash },
    txs: [],
    lastCommit: certificate,
    evidence: [],
  }
  blocks.push({ block: next, hash: blockHash(next.header), certificate })
  h.chain.validatorSets = () => [{ fromHeight: 1, set }]
  return set
}
