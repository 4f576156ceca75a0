/**
 * The node's committed chain: the head block, its certificate and the ledger state after it, over the
 * store. Everything that executes a block goes through here, so a validator voting on a proposal, a
 * leader building one, and a syncing node or observer applying a certified block run the same checks:
 *
 *   stateless (decode, header commitments) → parent link, height, time → validator set hash →
 *   parent certificate → tx decode + signatures (skipping those the mempool already verified) →
 *   applyBlock → state root and next validator set hash match the header.
 *
 * A commit writes the block, its certificate, the state writes, receipts and indexes in one batch and
 * only then moves the in-memory head.
 */
import {
  type Block,
  type BlockHeader,
  blockHash,
  decodeStoredBlock,
  encodeBlock,
  rememberTxHashes,
  txHashesOf,
  txRootOf,
  ZERO_HASH,
} from '../protocol/block.ts'
import { type Bytes, bytesEqual, toHex } from '../protocol/bytes.ts'
import { decodeRaw, encode } from '../protocol/codec.ts'
import { ArcadeError } from '../protocol/errors.ts'
import { merkleRoot } from '../protocol/merkle.ts'
import { decodeTxWithHash, type SignedTx } from '../protocol/tx.ts'
import { type ValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import {
  type CommitCertificate,
  certificateHash,
  certificateToTuple,
  type Evidence,
  evidenceHash,
  verifyCertificate,
} from '../protocol/vote.ts'
import {
  type ApplyBlockResult,
  applyBlock,
  createGenesisState,
  encodeReceipt,
  type GenesisStateInput,
  type LedgerState,
  loadLedgerState,
  type Receipt,
  validatorSetOf,
} from '../state/index.ts'
import type { SignatureVerifier } from './mempool/verify-pool.ts'
import type { AccountIndexEntry, ChainStore } from './store/index.ts'

export const ChainErrorCode = {
  /** The block does not extend the head: wrong height or parent hash. */
  notNext: 'CHAIN_NOT_NEXT_BLOCK',
  /** The header disagrees with what executing the block gives, or with the chain's rules. */
  invalidBlock: 'CHAIN_INVALID_BLOCK',
  /** A tx in the block does not decode or its signature does not verify. */
  invalidTx: 'CHAIN_INVALID_TX',
  /** The certificate does not prove this block (wrong block, signers or power). */
  badCertificate: 'CHAIN_BAD_CERTIFICATE',
  /** The store belongs to another chain or is inconsistent with itself. */
  corrupt: 'CHAIN_CORRUPT_STORE',
} as const
export type ChainErrorCode = (typeof ChainErrorCode)[keyof typeof ChainErrorCode]

const EVIDENCE_HEIGHTS_META = 'evidence-heights'
/** Committed blocks kept decoded (with their tx hashes) for readers of the newest blocks. */
const RECENT_BLOCKS = 16

export class ChainError extends ArcadeError<ChainErrorCode> {
  constructor(code: ChainErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.name = 'ChainError'
  }
}

export interface ChainOptions {
  readonly chainId: string
  /** SHA-256 of the genesis document: the parent hash of block 1. */
  readonly genesisHash: Bytes
  readonly genesisTimeMs: number
  readonly genesisState: GenesisStateInput
  readonly maxBlockTxs: number
  readonly maxBlockBytes: number
  /** A proposal's time may run ahead of this node's clock by at most this much. */
  readonly maxClockDriftMs: number
}

export interface ChainDeps {
  readonly store: ChainStore
  readonly verifier: SignatureVerifier
  /** Txs the mempool already decoded and verified, by hex hash. */
  readonly knownTx?: (hash: Bytes) => { readonly tx: SignedTx; readonly bytes: Bytes } | undefined
  readonly nowMs: () => number
}

/** The result of executing a block on the head state, kept until the block commits or is dropped. */
export interface Execution {
  readonly block: Block
  readonly hash: Bytes
  readonly txs: readonly SignedTx[]
  readonly result: ApplyBlockResult
}

export interface CommittedBlock {
  readonly block: Block
  readonly hash: Bytes
  readonly certificate: CommitCertificate
  readonly receipts: readonly Receipt[]
  readonly txs: readonly SignedTx[]
}

/** Event fields that name accounts, for the account history index. */
const ACCOUNT_FIELDS = [
  'from',
  'to',
  'owner',
  'spender',
  'merchant',
  'terminal',
  'customer',
  'payer',
  'manager',
  'account',
  'association',
  'member',
  'device',
  'grantee',
] as const

export function accountsOf(tx: SignedTx, receipt: Receipt): Bytes[] {
  // A handful of accounts per tx: a linear scan dedups them without building hex keys.
  const seen: Bytes[] = [tx.signer]
  for (const event of receipt.events) {
    const fields = event as unknown as Record<string, unknown>
    for (const f of ACCOUNT_FIELDS) {
      const v = fields[f]
      if (v instanceof Uint8Array && v.length === 32 && !seen.some((a) => bytesEqual(a, v))) seen.push(v)
    }
  }
  return seen
}

export class Chain {
  readonly #options: ChainOptions
  readonly #deps: ChainDeps
  #state: LedgerState
  #header: BlockHeader | null
  #hash: Bytes
  #certificate: CommitCertificate | null
  /** Validator sets by height, for the heights consensus and sync may still ask about. */
  readonly #sets = new Map<number, ValidatorSet>()
  readonly #executions = new Map<string, Execution>()
  /** The last few committed blocks by height: the RPC and followers read the newest ones most. */
  readonly #recent = new Map<number, CommittedBlock>()

  private constructor(
    options: ChainOptions,
    deps: ChainDeps,
    head: {
      state: LedgerState
      header: BlockHeader | null
      hash: Bytes
      certificate: CommitCertificate | null
    },
  ) {
    this.#options = options
    this.#deps = deps
    this.#state = head.state
    this.#header = head.header
    this.#hash = head.hash
    this.#certificate = head.certificate
    const next = validatorSetOf(this.#state)
    this.#sets.set(this.height + 1, next)
    // After a restart consensus also needs the head's own set (to check the head's certificate in the
    // next proposal). Unless the head closed an epoch, it is the same set; the header says which.
    if (head.header !== null && bytesEqual(head.header.validatorSetHash, validatorSetHash(next))) {
      this.#sets.set(this.height, next)
    }
  }

  /**
   * Opens the chain over an opened store: writes genesis into an empty store, or loads the state and
   * head that are there. `decode` reads the stored head block and certificate.
   */
  static async open(
    options: ChainOptions,
    deps: ChainDeps,
    decode: {
      /** Defaults to `decodeStoredBlock`: the head block was checked when this node committed it. */
      block?: (bytes: Bytes) => Block
      certificate: (bytes: Bytes) => CommitCertificate
    },
  ): Promise<Chain> {
    const { store } = deps
    await store.ensureChain({ chainId: options.chainId, genesisHash: options.genesisHash })
    const head = await store.head()
    if (head === null) {
      const { state, writes } = createGenesisState(options.genesisState)
      const stored = await store.getMeta('genesis-state')
      if (stored === null) {
        await store.state.commit(writes)
        await store.setMeta('genesis-state', Uint8Array.of(1))
      }
      // Block 1's parent is the zero hash; the genesis hash binds the store (ensureChain) instead.
      return new Chain(options, deps, { state, header: null, hash: ZERO_HASH, certificate: null })
    }
    const entries: (readonly [Bytes, Bytes])[] = []
    for await (const entry of store.stateEntries()) entries.push(entry)
    const state = loadLedgerState(entries)
    const blockBytes = await store.getBlock(head.height)
    if (blockBytes === null)
      throw new ChainError(ChainErrorCode.corrupt, `head block ${head.height} is missing`)
    const block = (decode.block ?? decodeStoredBlock)(blockBytes)
    if (state.meta.height !== head.height || !bytesEqual(state.map.root, block.header.stateRoot)) {
      throw new ChainError(ChainErrorCode.corrupt, 'stored state does not match the head block', {
        stateHeight: state.meta.height,
        headHeight: head.height,
      })
    }
    const certBytes = await store.getCertificate(head.height)
    const certificate = certBytes === null ? null : decode.certificate(certBytes)
    return new Chain(options, deps, { state, header: block.header, hash: head.blockHash, certificate })
  }

  get height(): number {
    return this.#header?.height ?? 0
  }
  get headHash(): Bytes {
    return this.#hash
  }
  get headHeader(): BlockHeader | null {
    return this.#header
  }
  get headCertificate(): CommitCertificate | null {
    return this.#certificate
  }
  get state(): LedgerState {
    return this.#state
  }
  get chainId(): string {
    return this.#options.chainId
  }

  /** The set certifying `height`: known for recent heights up to head + 1. */
  validatorSetFor(height: number): ValidatorSet {
    const set = this.#sets.get(height)
    if (set === undefined) {
      throw new ChainError(ChainErrorCode.notNext, `no validator set known for height ${height}`, { height })
    }
    return set
  }

  /** Builds and executes the next block from the given txs (the leader's proposal). */
  async buildBlock(input: {
    view: number
    proposer: Bytes
    txs: readonly { tx: SignedTx; bytes: Bytes }[]
    lastCommit: CommitCertificate | null
    evidence: readonly Evidence[]
  }): Promise<Execution> {
    const height = this.height + 1
    const parentTime = this.#header?.timeMs ?? this.#options.genesisTimeMs
    const timeMs = Math.max(this.#deps.nowMs(), parentTime + 1)
    const txs: SignedTx[] = new Array(input.txs.length)
    const txBytes: Bytes[] = new Array(input.txs.length)
    const txHashes: Bytes[] = new Array(input.txs.length)
    for (let i = 0; i < input.txs.length; i++) {
      const { tx, bytes } = input.txs[i] as { tx: SignedTx; bytes: Bytes }
      txs[i] = tx
      txBytes[i] = bytes
      txHashes[i] = tx.hash
    }
    // The mempool decoded these bytes into these txs, so their hashes are known: the tx root below and
    // consensus's commitment check of our own proposal hash no tx again.
    rememberTxHashes(txBytes, txHashes)
    const result = applyBlock(
      this.#state,
      { height, timeMs, proposer: input.proposer, txs, evidence: input.evidence },
      { chainId: this.#options.chainId },
    )
    const header: BlockHeader = {
      chainId: this.#options.chainId,
      height,
      view: input.view,
      timeMs,
      parentHash: this.#hash,
      txRoot: txRootOf(txBytes),
      stateRoot: result.stateRoot,
      lastCommitHash: input.lastCommit === null ? ZERO_HASH : certificateHash(input.lastCommit),
      validatorSetHash: validatorSetHash(this.validatorSetFor(height)),
      nextValidatorSetHash: validatorSetHash(result.nextValidatorSet),
      evidenceRoot: merkleRoot(input.evidence.map(evidenceHash)),
      proposer: input.proposer,
    }
    const block: Block = { header, txs: txBytes, lastCommit: input.lastCommit, evidence: input.evidence }
    const execution: Execution = { block, hash: blockHash(header), txs, result }
    this.#executions.set(toHex(execution.hash), execution)
    return execution
  }

  /**
   * Checks a block that claims to be the next one and executes it on the head state (a validator
   * before it votes, sync before it applies). Throws a ChainError saying which rule failed.
   */
  async execute(block: Block): Promise<Execution> {
    const hash = blockHash(block.header)
    const cached = this.#executions.get(toHex(hash))
    if (cached !== undefined) return cached
    const { header } = block
    const height = this.height + 1
    if (header.chainId !== this.#options.chainId) {
      throw new ChainError(ChainErrorCode.invalidBlock, `block is for chain ${header.chainId}`)
    }
    if (header.height !== height || !bytesEqual(header.parentHash, this.#hash)) {
      throw new ChainError(
        ChainErrorCode.notNext,
        `block ${header.height} does not extend head ${this.height}`,
        {
          height: header.height,
          head: this.height,
        },
      )
    }
    const parentTime = this.#header?.timeMs ?? this.#options.genesisTimeMs
    if (header.timeMs <= parentTime)
      throw new ChainError(ChainErrorCode.invalidBlock, 'block time is not after its parent')
    if (header.timeMs > this.#deps.nowMs() + this.#options.maxClockDriftMs) {
      throw new ChainError(ChainErrorCode.invalidBlock, 'block time is too far in the future')
    }
    if (block.txs.length > this.#options.maxBlockTxs) {
      throw new ChainError(
        ChainErrorCode.invalidBlock,
        `block has more than ${this.#options.maxBlockTxs} txs`,
      )
    }
    if (!bytesEqual(header.validatorSetHash, validatorSetHash(this.validatorSetFor(height)))) {
      throw new ChainError(ChainErrorCode.invalidBlock, 'validatorSetHash is not the set for this height')
    }
    // The header's txRoot, lastCommitHash and evidenceRoot were checked against the body when the block
    // was decoded (blockFromTuple → checkBlockCommitments): every block reaching here came off the wire.
    if (block.lastCommit !== null) {
      if (!bytesEqual(block.lastCommit.blockHash, this.#hash) || block.lastCommit.height !== this.height) {
        throw new ChainError(ChainErrorCode.badCertificate, 'lastCommit does not certify the parent block')
      }
      try {
        verifyCertificate(this.#options.chainId, block.lastCommit, this.validatorSetFor(this.height))
      } catch (err) {
        throw new ChainError(ChainErrorCode.badCertificate, `lastCommit: ${(err as Error).message}`)
      }
    }
    const txs = await this.#decodeAndVerify(block.txs, this.#txHashes(block.txs))
    let result: ApplyBlockResult
    try {
      result = applyBlock(
        this.#state,
        { height, timeMs: header.timeMs, proposer: header.proposer, txs, evidence: block.evidence },
        { chainId: this.#options.chainId },
      )
    } catch (err) {
      throw new ChainError(ChainErrorCode.invalidBlock, `block does not apply: ${(err as Error).message}`, {
        cause: err instanceof ArcadeError ? err.code : undefined,
      })
    }
    if (!bytesEqual(result.stateRoot, header.stateRoot)) {
      throw new ChainError(
        ChainErrorCode.invalidBlock,
        'stateRoot differs from the result of executing the block',
      )
    }
    if (!bytesEqual(validatorSetHash(result.nextValidatorSet), header.nextValidatorSetHash)) {
      throw new ChainError(
        ChainErrorCode.invalidBlock,
        'nextValidatorSetHash differs from the election result',
      )
    }
    const execution: Execution = { block, hash, txs, result }
    this.#executions.set(toHex(hash), execution)
    return execution
  }

  /** The tx hashes decoding remembered; computed here only for a block built in memory by a caller. */
  #txHashes(encoded: readonly Bytes[]): readonly Bytes[] {
    try {
      return txHashesOf(encoded)
    } catch (err) {
      throw new ChainError(ChainErrorCode.invalidTx, `tx envelope: ${(err as Error).message}`, {
        cause: err instanceof ArcadeError ? err.code : undefined,
      })
    }
  }

  /**
   * The block's txs, each decoded and signature-checked once per node: a tx the mempool admitted
   * (same hash and the very same bytes) is reused as is; the others are decoded with the hash the tx
   * root check computed, then verified in one batch.
   */
  async #decodeAndVerify(encoded: readonly Bytes[], hashes: readonly Bytes[]): Promise<SignedTx[]> {
    const { chainId } = this.#options
    const knownTx = this.#deps.knownTx
    const txs: SignedTx[] = new Array(encoded.length)
    const unverified: number[] = []
    for (let i = 0; i < encoded.length; i++) {
      const bytes = encoded[i] as Bytes
      const hash = hashes[i] as Bytes
      // Bytes equal to an admitted tx's encoding decode to that tx: same fields, verified signature.
      const known = knownTx?.(hash)
      if (known !== undefined && known.tx.chainId === chainId && bytesEqual(bytes, known.bytes)) {
        txs[i] = known.tx
        continue
      }
      try {
        txs[i] = decodeTxWithHash(bytes, hash, chainId)
      } catch (err) {
        throw new ChainError(ChainErrorCode.invalidTx, `tx ${i}: ${(err as Error).message}`, { index: i })
      }
      unverified.push(i)
    }
    if (unverified.length > 0) {
      const verdicts = await this.#deps.verifier.verify(unverified.map((i) => txs[i] as SignedTx))
      for (let j = 0; j < unverified.length; j++) {
        if (verdicts[j] !== 1) {
          throw new ChainError(ChainErrorCode.invalidTx, `tx ${unverified[j]}: signature does not verify`, {
            index: unverified[j],
          })
        }
      }
    }
    return txs
  }

  /**
   * One of the last few blocks this node committed, already decoded and with its tx hashes known
   * (`txHashesOf(block.txs)` costs nothing): spares a store read, a decode and a re-hash per tx.
   * Undefined for older heights: read those from the store.
   */
  recentBlock(height: number): CommittedBlock | undefined {
    return this.#recent.get(height)
  }

  /** Heights of blocks that included equivocation evidence, oldest first. */
  async evidenceHeights(): Promise<number[]> {
    const bytes = await this.#deps.store.getMeta(EVIDENCE_HEIGHTS_META)
    if (bytes === null) return []
    const raw = decodeRaw(bytes, 1 << 24, 'evidence index')
    if (!Array.isArray(raw) || !raw.every((h) => Number.isSafeInteger(h))) {
      throw new ChainError(ChainErrorCode.corrupt, 'evidence index is malformed')
    }
    return raw as number[]
  }

  /** Checks that `certificate` proves `block` with the validator set of its height. */
  checkCertificate(block: Block, certificate: CommitCertificate): void {
    const hash = blockHash(block.header)
    if (certificate.height !== block.header.height || !bytesEqual(certificate.blockHash, hash)) {
      throw new ChainError(ChainErrorCode.badCertificate, 'certificate is for another block')
    }
    try {
      verifyCertificate(this.#options.chainId, certificate, this.validatorSetFor(block.header.height))
    } catch (err) {
      throw new ChainError(ChainErrorCode.badCertificate, (err as Error).message, {
        cause: err instanceof ArcadeError ? err.code : undefined,
      })
    }
  }

  /**
   * Commits the next block with its certificate: executes it if not done yet, writes everything in
   * one batch, then moves the head. The certificate must already have been checked by the caller
   * (consensus assembled it, or sync ran `checkCertificate`).
   */
  async commit(block: Block, certificate: CommitCertificate, opts: { walPruneBelowHeight?: number } = {}) {
    const execution = await this.execute(block)
    const { result, txs, hash } = execution
    const height = block.header.height
    const receiptsBytes = result.receipts.map(encodeReceipt)
    const accountIndex: AccountIndexEntry[] = []
    for (let i = 0; i < txs.length; i++) {
      for (const account of accountsOf(txs[i] as SignedTx, result.receipts[i] as Receipt)) {
        accountIndex.push({
          account,
          txIndex: i,
          kind: (txs[i] as SignedTx).body.kind,
          error: (result.receipts[i] as Receipt).error,
        })
      }
    }
    // Heights whose blocks carry evidence: a tiny index for the RPC, written in the same batch.
    const meta: [string, Bytes][] = []
    if (block.evidence.length > 0) {
      meta.push([EVIDENCE_HEIGHTS_META, encode([...(await this.evidenceHeights()), height])])
    }
    await this.#deps.store.commitBlock({
      meta,
      height,
      blockHash: hash,
      blockBytes: encodeBlock(block),
      certificateBytes: encode(certificateToTuple(certificate)),
      stateWrites: result.writes,
      txs: txs.map((tx, i) => ({ hash: tx.hash, receiptBytes: receiptsBytes[i] as Bytes })),
      accountIndex,
      ...(opts.walPruneBelowHeight === undefined ? {} : { walPruneBelowHeight: opts.walPruneBelowHeight }),
    })
    this.#state = result.state
    this.#header = block.header
    this.#hash = hash
    this.#certificate = certificate
    this.#executions.clear()
    this.#sets.set(height + 1, result.nextValidatorSet)
    for (const h of this.#sets.keys()) if (h < height - 8) this.#sets.delete(h)
    const committed: CommittedBlock = { block, hash, certificate, receipts: result.receipts, txs }
    this.#recent.set(height, committed)
    this.#recent.delete(height - RECENT_BLOCKS)
    return committed
  }
}
