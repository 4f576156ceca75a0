/**
 * The node's committed chain: the head block, its certificate and the ledger state after it, over the
 * store. Everything that executes a block goes through here, so a validator voting on a proposal, a
 * leader building one, and a syncing node or observer applying a certified block run the same checks:
 *
 *   header commitments (tx root over every tx byte, last commit, evidence) → parent link, height,
 *   time, size → validator set hash → parent certificate → tx decode + signatures (skipping those
 *   the mempool already verified) → applyBlock → state root and next validator set hash match.
 *
 * The limits a block is checked against (maxBlockTxs, maxBlockBytes) are the chain's parameters in force
 * at its height, from the state of its parent (`paramsFor`): governance changes them at an epoch
 * boundary, so every node applies the old limits up to that boundary block and the new ones after it.
 *
 * The header's commitments are checked before anything is looked up by the block's hash, so the hash
 * stands for every byte of the block: an execution remembered under it is an execution of these bytes.
 *
 * A commit writes the block, its certificate, the state writes, receipts and indexes in one batch and
 * only then moves the in-memory head. Commits are serialised here (sync and consensus both commit): each
 * re-checks the height once it holds the turn, so one path commits a height and the other is told so.
 * A block that changes the validator set also persists, in its own batch, the set that certified it:
 * after a restart at that block the chain still knows the head's set (its certificate, the next
 * block's lastCommit and consensus's `lastValidators` need it) as well as the next one (from state).
 */
import {
  type Block,
  type BlockHeader,
  blockHash,
  checkBlockCommitments,
  decodeStoredBlock,
  encodeBlock,
  encodedBlockBytes,
  rememberTxHashes,
  txDigestsOf,
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
  type ChainParams,
  createGenesisState,
  encodeReceipt,
  type GenesisStateInput,
  type LedgerEvent,
  type LedgerState,
  loadLedgerState,
  type Receipt,
  validatorSetOf,
} from '../state/index.ts'
import { accountsOf } from './account-index.ts'
import { ChainError, ChainErrorCode } from './chain-errors.ts'
import {
  CERTIFYING_SET_META,
  encodeCertifyingSet,
  headValidatorSet,
  storedValidatorSet,
  VALIDATOR_SET_CHANGES_META,
  validatorSetChanges,
  validatorSetMeta,
} from './chain-validator-sets.ts'
import { journalEntriesOf, sponsoredEntriesOf } from './journal-index.ts'
import type { SignatureVerifier } from './mempool/verify-pool.ts'
import type { AccountIndexEntry, ChainStore } from './store/index.ts'

export { accountsOf } from './account-index.ts'
export { ChainError, ChainErrorCode } from './chain-errors.ts'

const EVIDENCE_HEIGHTS_META = 'evidence-heights'
/** Committed blocks kept decoded (with their tx hashes) for readers of the newest blocks. */
const RECENT_BLOCKS = 16
/** Executions kept for blocks not committed yet (one per proposal a validator checked at this height). */
const MAX_EXECUTIONS = 16

export interface ChainOptions {
  readonly chainId: string
  /** SHA-256 of the genesis document: the parent hash of block 1. */
  readonly genesisHash: Bytes
  readonly genesisTimeMs: number
  readonly genesisState: GenesisStateInput
  /**
   * For test doubles only (test/byzantine): block limits that replace the chain's, so a Byzantine node
   * can build blocks honest ones refuse. An honest node never sets it.
   */
  readonly blockLimitsOverride?: BlockLimits
  /** A proposal's time may run ahead of this node's clock by at most this much. */
  readonly maxClockDriftMs: number
}

/** The limits every block is checked against: parameters of the chain (state), per height. */
export type BlockLimits = Pick<ChainParams, 'maxBlockTxs' | 'maxBlockBytes'>

export interface ChainDeps {
  readonly store: ChainStore
  readonly verifier: SignatureVerifier
  /** Txs the mempool already decoded and verified, by hex hash. */
  readonly knownTx?: (hash: Bytes) => { readonly tx: SignedTx; readonly bytes: Bytes } | undefined
  readonly nowMs: () => number
  /** Durations the chain observes (node/metrics.ts `storage`), or none. */
  readonly timings?: ChainTimings | null
}

/** Where the chain reports how long it took: executing a block, and writing its batch. */
export interface ChainTimings {
  readonly executeSeconds: { observe(seconds: number): void }
  readonly commitSeconds: { observe(seconds: number): void }
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
  /** Events of the block outside any tx (jailing, expired proposals, applied parameters). */
  readonly blockEvents: readonly LedgerEvent[]
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
  /** Executions of blocks not committed yet, by hex block hash (bounded, oldest dropped first). */
  readonly #executions = new Map<string, Execution>()
  /** The tail of the commit queue: commits run one after the other. */
  #commits: Promise<void> = Promise.resolve()
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
      /** The set that certified the head block (null at genesis). */
      headSet: ValidatorSet | null
    },
  ) {
    this.#options = options
    this.#deps = deps
    this.#state = head.state
    this.#header = head.header
    this.#hash = head.hash
    this.#certificate = head.certificate
    this.#sets.set(this.height + 1, validatorSetOf(this.#state))
    if (head.headSet !== null) this.#sets.set(this.height, head.headSet)
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
      return new Chain(options, deps, {
        state,
        header: null,
        hash: ZERO_HASH,
        certificate: null,
        headSet: null,
      })
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
    const headSet = await headValidatorSet(store, block.header, validatorSetOf(state))
    return new Chain(options, deps, {
      state,
      header: block.header,
      hash: head.blockHash,
      certificate,
      headSet,
    })
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
  /**
   * The chain's parameters in force at `height`: the head state's, for the next height (the only one
   * a block is built, checked or timed for). A governed change shows here from the height after the
   * boundary block that applied it.
   */
  paramsFor(height: number): ChainParams {
    if (height !== this.height + 1) {
      throw new ChainError(ChainErrorCode.notNext, `parameters are known for height ${this.height + 1}`, {
        height,
      })
    }
    return this.#state.meta.params
  }

  /** The block limits of `state`'s next height (or the test double's override). */
  #limitsOf(state: LedgerState): BlockLimits {
    return this.#options.blockLimitsOverride ?? state.meta.params
  }

  /** The block limits in force for the next height: what a leader builds within and every block meets. */
  get blockLimits(): BlockLimits {
    return this.#limitsOf(this.#state)
  }

  /** `maxBlockBytes` in force for the next height: no block larger than this (encoded) is executed. */
  get maxBlockBytes(): number {
    return this.blockLimits.maxBlockBytes
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
    for (let i = 0; i < input.txs.length; i++) {
      const { tx, bytes } = input.txs[i] as { tx: SignedTx; bytes: Bytes }
      txs[i] = tx
      txBytes[i] = bytes
    }
    // The mempool decoded these bytes into these txs, so their ids and signatures are known: the tx
    // root below and consensus's commitment check of our own proposal parse and hash no tx again.
    rememberTxHashes(txBytes, txs)
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
    const size = encodedBlockBytes(block)
    const { maxBlockBytes } = this.#limitsOf(this.#state)
    if (size > maxBlockBytes) {
      // The caller reaps within the limit (see blockOverheadBytes): reaching here is a bug, not input.
      throw new ChainError(ChainErrorCode.blockTooLarge, `built a block of ${size} bytes`, {
        size,
        limit: maxBlockBytes,
      })
    }
    const execution: Execution = { block, hash: blockHash(header), txs, result }
    this.#remember(execution)
    return execution
  }

  #remember(execution: Execution): void {
    if (this.#executions.size >= MAX_EXECUTIONS) {
      const oldest = this.#executions.keys().next().value as string
      this.#executions.delete(oldest)
    }
    this.#executions.set(toHex(execution.hash), execution)
  }

  /**
   * Checks a block that claims to be the next one and executes it on the head state (a validator
   * before it votes, sync before it applies). Throws a ChainError saying which rule failed.
   */
  async execute(block: Block): Promise<Execution> {
    // First the header's commitments to the body: then the hash stands for every byte of the block and
    // may key the cache. Cheap for a decoded block (its tx root is remembered from decoding).
    const digests = this.#txDigests(block.txs)
    try {
      checkBlockCommitments(block)
    } catch (err) {
      throw new ChainError(ChainErrorCode.invalidBlock, (err as Error).message, {
        cause: err instanceof ArcadeError ? err.code : undefined,
      })
    }
    const hash = blockHash(block.header)
    const cached = this.#executions.get(toHex(hash))
    if (cached !== undefined) return cached
    const startedMs = performance.now()
    const execution = await this.#executeUncached(block, hash, digests)
    this.#deps.timings?.executeSeconds.observe((performance.now() - startedMs) / 1000)
    return execution
  }

  async #executeUncached(
    block: Block,
    hash: Bytes,
    digests: ReturnType<typeof txDigestsOf>,
  ): Promise<Execution> {
    const { header } = block
    // The head this block must extend: if a commit moves it while the signatures are verified, the
    // result below would be for a stale parent, so it is checked again after the await.
    const parentHash = this.#hash
    const state = this.#state
    const height = this.height + 1
    if (header.chainId !== this.#options.chainId) {
      throw new ChainError(ChainErrorCode.invalidBlock, `block is for chain ${header.chainId}`)
    }
    if (header.height !== height || !bytesEqual(header.parentHash, parentHash)) {
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
    // Rule: the limits in force at this height (the parent state's parameters) bound the block,
    // whoever proposed or served it.
    const limits = this.#limitsOf(state)
    if (block.txs.length > limits.maxBlockTxs) {
      throw new ChainError(ChainErrorCode.invalidBlock, `block has more than ${limits.maxBlockTxs} txs`, {
        count: block.txs.length,
        limit: limits.maxBlockTxs,
      })
    }
    const size = encodedBlockBytes(block)
    if (size > limits.maxBlockBytes) {
      throw new ChainError(
        ChainErrorCode.blockTooLarge,
        `block of ${size} bytes exceeds maxBlockBytes ${limits.maxBlockBytes}`,
        { size, limit: limits.maxBlockBytes },
      )
    }
    if (!bytesEqual(header.validatorSetHash, validatorSetHash(this.validatorSetFor(height)))) {
      throw new ChainError(ChainErrorCode.invalidBlock, 'validatorSetHash is not the set for this height')
    }
    if (block.lastCommit !== null) {
      if (!bytesEqual(block.lastCommit.blockHash, parentHash) || block.lastCommit.height !== this.height) {
        throw new ChainError(ChainErrorCode.badCertificate, 'lastCommit does not certify the parent block')
      }
      try {
        verifyCertificate(this.#options.chainId, block.lastCommit, this.validatorSetFor(this.height))
      } catch (err) {
        throw new ChainError(ChainErrorCode.badCertificate, `lastCommit: ${(err as Error).message}`)
      }
    }
    const txs = await this.#decodeAndVerify(block.txs, digests)
    if (!bytesEqual(this.#hash, parentHash)) {
      throw new ChainError(ChainErrorCode.notNext, `head moved past ${this.height - 1} during execution`, {
        height: header.height,
        head: this.height,
      })
    }
    let result: ApplyBlockResult
    try {
      result = applyBlock(
        state,
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
    this.#remember(execution)
    return execution
  }

  /**
   * The tx ids and signatures decoding remembered; computed here only for a block built in memory by a
   * caller. A tx whose envelope is not canonical is an invalid tx.
   */
  #txDigests(encoded: readonly Bytes[]): ReturnType<typeof txDigestsOf> {
    try {
      return txDigestsOf(encoded)
    } catch (err) {
      throw new ChainError(ChainErrorCode.invalidTx, `tx envelope: ${(err as Error).message}`, {
        cause: err instanceof ArcadeError ? err.code : undefined,
      })
    }
  }

  /**
   * The block's txs, each decoded and signature-checked once per node: a tx the mempool admitted
   * (same id and the very same signature, so with canonical envelopes the very same bytes) is reused
   * as is; the others are decoded with the id the tx root check computed, then verified in one batch.
   * A verifier that cannot give a verdict (stopping) rejects, and that error passes through as it is:
   * only a verdict of 0 makes a tx invalid.
   */
  async #decodeAndVerify(
    encoded: readonly Bytes[],
    digests: ReturnType<typeof txDigestsOf>,
  ): Promise<SignedTx[]> {
    const { chainId } = this.#options
    const knownTx = this.#deps.knownTx
    const { hashes, signatures } = digests
    const txs: SignedTx[] = new Array(encoded.length)
    const unverified: number[] = []
    for (let i = 0; i < encoded.length; i++) {
      const bytes = encoded[i] as Bytes
      const hash = hashes[i] as Bytes
      // Same id (payload) and same signature as an admitted tx: both envelopes are canonical, so these
      // are its bytes and decode to that tx, whose signature verified. 64 bytes compared, not the tx.
      const known = knownTx?.(hash)
      if (
        known !== undefined &&
        known.tx.chainId === chainId &&
        bytesEqual(signatures[i] as Bytes, known.tx.signature)
      ) {
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

  /**
   * The validator sets in force from `fromHeight` on, oldest first: the set certifying `fromHeight`
   * (from genesis or from the change before it) and every change after, at most `limit`. Each item is
   * the height from which the set certifies; the change at height h was decided by block h − 1, whose
   * header's nextValidatorSetHash commits to it.
   */
  async validatorSets(
    fromHeight: number,
    limit: number,
  ): Promise<{ readonly fromHeight: number; readonly set: ValidatorSet }[]> {
    const changes = await validatorSetChanges(this.#deps.store)
    const starts = [1, ...changes]
    let first = 0
    while (first + 1 < starts.length && (starts[first + 1] as number) <= fromHeight) first++
    const out: { fromHeight: number; set: ValidatorSet }[] = []
    for (const start of starts.slice(first, first + limit)) {
      out.push({
        fromHeight: start,
        set: start === 1 ? this.#genesisSet() : await storedValidatorSet(this.#deps.store, start),
      })
    }
    return out
  }

  #genesisSetCache: ValidatorSet | null = null
  #genesisSet(): ValidatorSet {
    this.#genesisSetCache ??= validatorSetOf(createGenesisState(this.#options.genesisState).state)
    return this.#genesisSetCache
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
   *
   * Commits run one at a time, and each re-checks the height once it has its turn: sync and consensus
   * may both hold the same certified block. The block committed already at its height resolves to
   * null (nothing written, nothing to announce); another block at a committed height is
   * CHAIN_CONFLICTING_BLOCK.
   */
  commit(
    block: Block,
    certificate: CommitCertificate,
    opts: { walPruneBelowHeight?: number } = {},
  ): Promise<CommittedBlock | null> {
    const turn = this.#commits.then(() => this.#commitInTurn(block, certificate, opts))
    this.#commits = turn.then(
      () => {},
      () => {},
    )
    return turn
  }

  async #commitInTurn(
    block: Block,
    certificate: CommitCertificate,
    opts: { walPruneBelowHeight?: number },
  ): Promise<CommittedBlock | null> {
    const height = block.header.height
    if (height <= this.height) {
      const hash = blockHash(block.header)
      if (await this.#isCommitted(height, hash)) return null
      throw new ChainError(
        ChainErrorCode.conflictingBlock,
        `another block is committed at height ${height}`,
        { height, head: this.height },
      )
    }
    const execution = await this.execute(block)
    // The executed block, not the argument: the same bytes (the hash binds them), and the one whose
    // result is written.
    const { result, txs, hash } = execution
    const executed = execution.block
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
    if (executed.evidence.length > 0) {
      meta.push([EVIDENCE_HEIGHTS_META, encode([...(await this.evidenceHeights()), height])])
    }
    // A block that changes the set: keep the set that certified it, for a restart at this block.
    const certifyingSet = this.validatorSetFor(height)
    if (!bytesEqual(executed.header.nextValidatorSetHash, executed.header.validatorSetHash)) {
      meta.push([CERTIFYING_SET_META, encodeCertifyingSet(height, certifyingSet)])
      // And the new set into the history a light client walks (validatorSets below).
      meta.push([validatorSetMeta(height + 1), encodeCertifyingSet(height + 1, result.nextValidatorSet)])
      meta.push([
        VALIDATOR_SET_CHANGES_META,
        encode([...(await validatorSetChanges(this.#deps.store)), height + 1]),
      ])
    }
    // The journal (every movement of every point) and the sponsored txs, in the same batch as the block.
    const journal = journalEntriesOf(txs, result.receipts, executed.header, result.state, result.blockEvents)
    const sponsored = sponsoredEntriesOf(txs, result.receipts, executed.header.timeMs)
    const storeStartedMs = performance.now()
    await this.#deps.store.commitBlock({
      meta,
      height,
      timeMs: executed.header.timeMs,
      journal,
      sponsored,
      blockHash: hash,
      blockBytes: encodeBlock(executed),
      certificateBytes: encode(certificateToTuple(certificate)),
      stateWrites: result.writes,
      txs: txs.map((tx, i) => ({ hash: tx.hash, receiptBytes: receiptsBytes[i] as Bytes })),
      accountIndex,
      ...(opts.walPruneBelowHeight === undefined ? {} : { walPruneBelowHeight: opts.walPruneBelowHeight }),
    })
    this.#deps.timings?.commitSeconds.observe((performance.now() - storeStartedMs) / 1000)
    this.#state = result.state
    this.#header = executed.header
    this.#hash = hash
    this.#certificate = certificate
    this.#executions.clear()
    this.#sets.set(height + 1, result.nextValidatorSet)
    for (const h of this.#sets.keys()) if (h < height - 8) this.#sets.delete(h)
    const committed: CommittedBlock = {
      block: executed,
      hash,
      certificate,
      receipts: result.receipts,
      txs,
      blockEvents: result.blockEvents,
    }
    this.#recent.set(height, committed)
    this.#recent.delete(height - RECENT_BLOCKS)
    return committed
  }

  /** Whether the block with `hash` is the one committed at `height` (at most the head). */
  async #isCommitted(height: number, hash: Bytes): Promise<boolean> {
    if (height === this.height) return bytesEqual(hash, this.#hash)
    const recent = this.#recent.get(height)
    if (recent !== undefined) return bytesEqual(hash, recent.hash)
    return (await this.#deps.store.getBlockByHash(hash))?.height === height
  }
}
