/**
 * The small interfaces consensus needs from the world, in domain terms. The node wires them to libp2p,
 * LevelDB and the state machine; the simulator wires them to an in-process network and fakes.
 * A port may answer synchronously or with a promise.
 */
import type { Block, BlockHeader } from '../protocol/block.ts'
import type { Bytes } from '../protocol/bytes.ts'
import type { ConsensusMessage, PreparedProof } from '../protocol/consensus-message.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import type { CommitCertificate, Evidence } from '../protocol/vote.ts'
import type { ViewTiming } from './options.ts'

export type MaybePromise<T> = T | Promise<T>

/** Peers are hex node keys. */
export interface NetworkPort {
  broadcast(message: ConsensusMessage): void
  send(peer: string, message: ConsensusMessage): void
}

/** Signs with this node's key and verifies anyone's; real Ed25519 in the node, a cheap fake in the sim. */
export interface SignaturePort {
  readonly publicKey: Bytes
  sign(message: Bytes): Bytes
  verify(signature: Bytes, message: Bytes, publicKey: Bytes): boolean
}

/** What the write-ahead log holds: every signed message before it is sent, and every prepared proof. */
export type WalEntry =
  | { readonly type: 'signed'; readonly message: ConsensusMessage }
  | { readonly type: 'prepared'; readonly proof: PreparedProof }

export interface WalPort {
  /** Durable when the returned value (or promise) settles. */
  append(entry: WalEntry): MaybePromise<void>
  /**
   * Every entry still stored, in append order. Recovery needs only each signed message's slot (height,
   * view, kind), its block hash and the prepared proof, so a WAL may give back a signed proposal (alone
   * or in a NEW-VIEW) with its block's header only and a NEW-VIEW without its view changes.
   */
  load(): MaybePromise<readonly WalEntry[]>
  /** Drops entries for heights below `height` (they are final). */
  prune(height: number): MaybePromise<void>
}

export type ValidationResult = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/** The chain as consensus sees it: committed head, validator sets, and the executor. */
export interface ExecutorPort {
  /** The committed head (null before height 1) and its commit certificate. */
  head(): { readonly header: BlockHeader | null; readonly certificate: CommitCertificate | null }
  /** The validator set certifying `height`; known for every height up to head + 1. */
  validatorSetFor(height: number): ValidatorSet
  /**
   * Optional: the view timeouts and empty-block interval in force at `height` (asked for the height
   * after the head). Without it every height uses the driver's options.
   */
  timingFor?(height: number): ViewTiming
  /** Whether txs are waiting (a leader proposes at once when there are, else after the idle interval). */
  hasPendingTxs(): boolean
  /**
   * Optional wake-up: calls `wake` after txs arrive (at least whenever the pool goes from empty to
   * non-empty), so a waiting leader proposes at once instead of polling `hasPendingTxs` every
   * `txPollMs`. `wake` may be called from any context and spuriously. Returns an unsubscribe function.
   */
  onPendingTxs?(wake: () => void): () => void
  /** Builds and executes a block (txs from the mempool, the given evidence, lastCommit, state root). */
  buildProposal(
    height: number,
    view: number,
    parent: { readonly lastCommit: CommitCertificate | null; readonly evidence: readonly Evidence[] },
  ): MaybePromise<Block>
  /** Re-executes the block on its parent state: ok only if the state root and every tx match. */
  validateProposal(block: Block): MaybePromise<ValidationResult>
  /** Stores the block with its certificate atomically and moves the head. */
  commit(block: Block, certificate: CommitCertificate): MaybePromise<void>
}

/** Catch-up: fetch and apply certified blocks from peers until at least `targetHeight` (best effort). */
export interface SyncPort {
  request(fromHeight: number, targetHeight: number): MaybePromise<void>
}

/** Timers on the node's clock (virtual in the simulator). */
export interface TimerPort {
  schedule(afterMs: number, fire: () => void): unknown
  cancel(handle: unknown): void
}

/** A tiny logger-ish sink: constant event names, data in fields. */
export interface ConsensusObserver {
  onCommit?(height: number, view: number, hash: Bytes): void
  onEvidence?(evidence: Evidence): void
  onViewChange?(height: number, view: number): void
  onWarning?(event: string, data: Record<string, unknown>): void
  /**
   * This node signed `message` and the WAL holds it durably; called before it is sent (a crash from here
   * on restarts with it remembered, so the node never signs a conflicting one).
   */
  onSigned?(message: ConsensusMessage): void
  /**
   * This node decided `block` with a valid commit certificate, but a sync had already stored another
   * block at that height: two certificates for one height, possible only with a third of the power
   * byzantine. The stored block stays; this hands the evidence of the fork to whoever audits it.
   */
  onConflictingDecision?(block: Block, certificate: CommitCertificate, stored: Bytes): void
}
