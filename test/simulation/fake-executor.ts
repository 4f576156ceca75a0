/**
 * A deterministic fake executor and chain store for one simulated node. Txs are opaque tuples that the
 * pool hands out over time; the state root is H(parent root ‖ tx root), so any node that re-executes a
 * block gets the same root. The store survives crashes (like LevelDB) and is what sync copies from.
 */

import type { ExecutorPort, ValidationResult } from '../../consensus/ports.ts'
import {
  type Block,
  type BlockHeader,
  blockHash,
  evidenceRootOf,
  txRootOf,
  ZERO_HASH,
} from '../../protocol/block.ts'
import { type Bytes, bytesEqual, toHex } from '../../protocol/bytes.ts'
import { encode } from '../../protocol/codec.ts'
import { sha256, sha256Parts } from '../../protocol/crypto.ts'
import { type ValidatorSet, validatorSetHash } from '../../protocol/validator-set.ts'
import { type CommitCertificate, certificateHash } from '../../protocol/vote.ts'
import type { VirtualClock } from './world.ts'

/** Txs submitted to the whole network over time (every mempool sees all of them). */
export class TxPool {
  readonly txs: Bytes[] = []
  readonly known = new Set<string>()
  #counter = 0

  /** Adds `count` txs of `size` payload bytes. */
  submit(count: number, size = 32): void {
    for (let i = 0; i < count; i++) {
      const payload = new Uint8Array(size)
      const n = this.#counter++
      payload[0] = n & 0xff
      payload[1] = (n >>> 8) & 0xff
      payload[2] = (n >>> 16) & 0xff
      payload[3] = (n >>> 24) & 0xff
      const tx = encode([payload, new Uint8Array(64)])
      this.txs.push(tx)
      this.known.add(toHex(sha256(payload)))
    }
  }
}

const ids = new WeakMap<Bytes, string>()

/**
 * A fake tx is msgpack [payload, signature]; its hash is SHA-256 of the payload (txHashOfEncoded), and its
 * signature is valid when it is the 64 zero bytes the pool wrote (a same-hash block flips one).
 */
function txId(tx: Bytes): string {
  let id = ids.get(tx)
  if (id === undefined) {
    id = toHex(sha256(tx.subarray(3, tx.length - 66)))
    ids.set(tx, id)
  }
  return id
}

function hasValidSignature(tx: Bytes): boolean {
  for (let i = tx.length - 64; i < tx.length; i++) if (tx[i] !== 0) return false
  return true
}

export interface FakeExecutorOptions {
  readonly chainId: string
  readonly proposer: Bytes
  readonly maxTxsPerBlock: number
  /** Added to the clock when this node stamps a block (twins differ, so their blocks differ). */
  readonly timeOffsetMs: number
  readonly maxClockDriftMs: number
  readonly validatorSetFor: (height: number) => ValidatorSet
}

export interface CommitRecord {
  readonly block: Block
  readonly certificate: CommitCertificate
}

export class FakeExecutor implements ExecutorPort {
  readonly blocks: CommitRecord[] = []
  readonly #roots: Bytes[] = []
  readonly #included = new Set<string>()
  #cursor = 0
  readonly #options: FakeExecutorOptions
  readonly #clock: VirtualClock
  readonly #pool: TxPool
  readonly #onCommit: (record: CommitRecord) => void
  /** Faults of the engine seen here (a commit that does not extend the head). */
  readonly faults: string[] = []

  constructor(
    options: FakeExecutorOptions,
    deps: { clock: VirtualClock; pool: TxPool; onCommit: (r: CommitRecord) => void },
  ) {
    this.#options = options
    this.#clock = deps.clock
    this.#pool = deps.pool
    this.#onCommit = deps.onCommit
  }

  get height(): number {
    return this.blocks.length
  }

  head(): { header: BlockHeader | null; certificate: CommitCertificate | null } {
    const last = this.blocks[this.blocks.length - 1]
    return { header: last?.block.header ?? null, certificate: last?.certificate ?? null }
  }

  /**
   * Known, as in the node's chain, for the head's height (its certifying set) and the next one only: a
   * question about another height is a fault of the engine (it would assume a set it cannot know).
   */
  validatorSetFor(height: number): ValidatorSet {
    if (height < Math.max(1, this.height) || height > this.height + 1) {
      this.faults.push(`validator set of height ${height} asked at head ${this.height}`)
    }
    return this.#options.validatorSetFor(height)
  }

  #pending(): Bytes[] {
    const out: Bytes[] = []
    const txs = this.#pool.txs
    while (this.#cursor < txs.length && this.#included.has(txId(txs[this.#cursor] as Bytes))) this.#cursor++
    for (let i = this.#cursor; i < txs.length && out.length < this.#options.maxTxsPerBlock; i++) {
      const tx = txs[i] as Bytes
      if (!this.#included.has(txId(tx))) out.push(tx)
    }
    return out
  }

  hasPendingTxs(): boolean {
    return this.#pending().length > 0
  }

  #parentRoot(): Bytes {
    return this.#roots[this.#roots.length - 1] ?? ZERO_HASH
  }

  buildProposal(
    height: number,
    view: number,
    parent: { lastCommit: CommitCertificate | null; evidence: readonly Block['evidence'][number][] },
  ): Block {
    const o = this.#options
    const head = this.head().header
    const txs = this.#pending()
    const txRoot = txRootOf(txs)
    const header: BlockHeader = {
      chainId: o.chainId,
      height,
      view,
      timeMs: Math.max(this.#clock.now + o.timeOffsetMs, (head?.timeMs ?? 0) + 1),
      parentHash: head === null ? ZERO_HASH : blockHash(head),
      txRoot,
      stateRoot: sha256Parts(this.#parentRoot(), txRoot),
      lastCommitHash: parent.lastCommit === null ? ZERO_HASH : certificateHash(parent.lastCommit),
      validatorSetHash: validatorSetHash(o.validatorSetFor(height)),
      nextValidatorSetHash: validatorSetHash(o.validatorSetFor(height + 1)),
      evidenceRoot: evidenceRootOf(parent.evidence),
      proposer: o.proposer,
    }
    return { header, txs, lastCommit: parent.lastCommit, evidence: parent.evidence }
  }

  /** Re-executes: every tx known and not yet on this chain, the state root, the next set, the time. */
  validateProposal(block: Block): ValidationResult {
    const seen = new Set<string>()
    for (const tx of block.txs) {
      const id = txId(tx)
      if (!this.#pool.known.has(id) || this.#included.has(id) || seen.has(id) || !hasValidSignature(tx)) {
        return { ok: false, reason: 'bad tx' }
      }
      seen.add(id)
    }
    const h = block.header
    if (!bytesEqual(h.stateRoot, sha256Parts(this.#parentRoot(), h.txRoot)))
      return { ok: false, reason: 'root' }
    if (!bytesEqual(h.nextValidatorSetHash, validatorSetHash(this.#options.validatorSetFor(h.height + 1)))) {
      return { ok: false, reason: 'next validator set' }
    }
    if (h.timeMs > this.#clock.now + this.#options.maxClockDriftMs) return { ok: false, reason: 'future' }
    return { ok: true }
  }

  commit(block: Block, certificate: CommitCertificate): void {
    const head = this.head().header
    const h = block.header
    if (
      h.height !== this.height + 1 ||
      !bytesEqual(h.parentHash, head === null ? ZERO_HASH : blockHash(head))
    ) {
      this.faults.push(`commit of height ${h.height} does not extend head ${this.height}`)
      return
    }
    if (!bytesEqual(h.stateRoot, sha256Parts(this.#parentRoot(), h.txRoot))) {
      this.faults.push(`committed block ${h.height} has a wrong state root`)
    }
    for (const tx of block.txs) {
      const id = txId(tx)
      if (this.#included.has(id)) this.faults.push(`tx included twice at height ${h.height}`)
      if (!hasValidSignature(tx))
        this.faults.push(`committed a tx with a bad signature at height ${h.height}`)
      this.#included.add(id)
    }
    this.#roots.push(h.stateRoot)
    const record = { block, certificate }
    this.blocks.push(record)
    this.#onCommit(record)
  }
}
