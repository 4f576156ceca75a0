/**
 * The consensus machine's state, events and effects as plain data. The state is immutable: `step`
 * returns a new one. Everything about the current height that the chain fixes is in `HeightContext`.
 */
import type { Block } from '../protocol/block.ts'
import type { Bytes } from '../protocol/bytes.ts'
import type { ConsensusMessage, PreparedProof, Proposal, ViewChange } from '../protocol/consensus-message.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import type { CommitCertificate, Evidence } from '../protocol/vote.ts'
import { emptyFutureBuffer, type FutureBuffer } from './future-buffer.ts'
import type { LeaderSchedule } from './leader.ts'
import type { ConsensusOptions, ViewTiming } from './options.ts'
import type { ValidationResult, WalEntry } from './ports.ts'
import type { UnsignedMessage } from './signer.ts'
import type { Verify } from './verify.ts'
import { emptyVoteSet, type VoteSet } from './vote-set.ts'

export interface HeightContext {
  readonly height: number
  readonly validators: ValidatorSet
  readonly validatorSetHash: Bytes
  readonly schedule: LeaderSchedule
  /** Hash and time of the committed parent (zero hash and 0 at height 1). */
  readonly parentHash: Bytes
  readonly parentTimeMs: number
  /** The parent's commit certificate (carried in this height's block) and the set that signed it. */
  readonly lastCommit: CommitCertificate | null
  readonly lastValidators: ValidatorSet | null
  /** The timeouts and empty-block interval in force at this height (absent: the machine options'). */
  readonly timing?: ViewTiming
}

/** Fixed for the machine's lifetime. `verify` is a pure function (the SignaturePort's). */
export interface MachineConfig {
  readonly chainId: string
  /** This node's key, or null for an observer that never votes. */
  readonly self: Bytes | null
  readonly options: ConsensusOptions
  readonly verify: Verify
}

export type Phase = 'normal' | 'view-change' | 'decided'

export interface ConsensusState {
  readonly ctx: HeightContext
  readonly view: number
  readonly phase: Phase
  /** The block decided at this height (phase 'decided'), waiting for the driver to commit it. */
  readonly decided: Block | null
  /** The proposal accepted per view (the first valid one). */
  readonly proposals: ReadonlyMap<number, Proposal>
  /** Blocks of this height seen in proposals or prepared proofs, by hex hash. */
  readonly blocks: ReadonlyMap<string, Block>
  readonly validation: ReadonlyMap<string, 'pending' | 'ok' | 'bad'>
  /** Votes of the views near this node's (see machine-normal.ts for the window). */
  readonly votes: VoteSet
  /**
   * Valid COMMIT certificates of this height (from a vote quorum, a relayed certificate, or the next
   * height's block): the first whose block this node knows is decided. At most a few (distinct blocks).
   */
  readonly certified: readonly CommitCertificate[]
  /** Highest PREPARE quorum this node has formed at this height (persisted before it commits). */
  readonly prepared: PreparedProof | null
  /**
   * Duties done: `prepare/v`, `commit/v`, `vc/v`, `nv/v`, `build/v`, `sync`, `behind`, `block/v` and
   * `block2/v` (blocks learned from proposals of view v), `nv-checked/v`, `help/peer` (forgotten on each
   * timeout), `sync-stuck` (a sync of this height asked for when stuck in a view change).
   */
  readonly done: ReadonlySet<string>
  /** VIEW-CHANGEs for the views from this node's view up to a few above it, by view and hex member key. */
  readonly viewChanges: ReadonlyMap<number, ReadonlyMap<string, ViewChange>>
  /** The highest view each member asked for in a signed VIEW-CHANGE at this height (hex key → view). */
  readonly viewsAsked: ReadonlyMap<string, number>
  /** The highest height each member claimed in a signed message (hex key → height). */
  readonly ahead: ReadonlyMap<string, number>
  /** Signed messages for the next height, bounded per member, replayed when this node gets there. */
  readonly future: FutureBuffer
  /** Evidence seen and not yet in a committed block (offered to the next proposal). */
  readonly evidence: readonly Evidence[]
  /** Evidence already reported (dedup keys). */
  readonly reported: ReadonlySet<string>
}

export type ConsensusEvent =
  | { readonly type: 'start' }
  /** `from`: the hex node key of the peer whose connection delivered the message (this node's own for its own). */
  | { readonly type: 'message'; readonly message: ConsensusMessage; readonly from: string }
  | { readonly type: 'timeout'; readonly height: number; readonly view: number }
  | { readonly type: 'proposal-built'; readonly height: number; readonly view: number; readonly block: Block }
  | { readonly type: 'proposal-validated'; readonly hash: Bytes; readonly result: ValidationResult }
  | { readonly type: 'block-committed'; readonly context: HeightContext }
  | { readonly type: 'sync-done'; readonly context: HeightContext }

export type ConsensusEffect =
  /** Persist (votes), sign, broadcast to every validator, and feed back to this machine. */
  | { readonly type: 'sign-and-broadcast'; readonly message: UnsignedMessage }
  | { readonly type: 'send'; readonly peer: string; readonly message: ConsensusMessage }
  | { readonly type: 'persist'; readonly entry: WalEntry }
  | {
      readonly type: 'schedule-timeout'
      readonly height: number
      readonly view: number
      readonly afterMs: number
    }
  | {
      readonly type: 'build-proposal'
      readonly height: number
      readonly view: number
      /** View 0 may wait for txs up to the empty-block interval; later views propose at once. */
      readonly waitForTxs: boolean
      readonly lastCommit: CommitCertificate | null
      readonly evidence: readonly Evidence[]
    }
  | { readonly type: 'validate-proposal'; readonly block: Block }
  | { readonly type: 'commit'; readonly block: Block; readonly certificate: CommitCertificate }
  | { readonly type: 'request-sync'; readonly fromHeight: number; readonly targetHeight: number }
  | { readonly type: 'report-evidence'; readonly evidence: Evidence }
  | { readonly type: 'view-entered'; readonly height: number; readonly view: number }

/** What the WAL says this node signed at the height: its view, whether it was changing view, its proof. */
export interface Restored {
  readonly view: number
  readonly phase: 'normal' | 'view-change'
  readonly prepared: PreparedProof | null
}

export function initialState(ctx: HeightContext, restored: Restored | null = null): ConsensusState {
  return {
    ctx,
    view: restored?.view ?? 0,
    phase: restored?.phase ?? 'normal',
    decided: null,
    proposals: new Map(),
    blocks: new Map(),
    validation: new Map(),
    votes: emptyVoteSet,
    certified: [],
    prepared: restored?.prepared ?? null,
    done: new Set(),
    viewChanges: new Map(),
    viewsAsked: new Map(),
    ahead: new Map(),
    future: emptyFutureBuffer,
    evidence: [],
    reported: new Set(),
  }
}
