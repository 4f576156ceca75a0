/**
 * Compact proposals in the node (protocol/compact-proposal.ts): a leader sends its proposal with tx
 * ids in place of txs and serves the txs of its recent proposals; a validator rebuilds each proposal it
 * receives from its mempool (node/compact-rebuild.ts), fetches from the sender what it lacks, and only
 * then hands consensus the full proposal, exactly as if it had come whole: consensus, its WAL and the
 * chain's checks are unchanged.
 *
 * Receiving, cheapest first: the sender must have signed it (the p2p gate already admitted the sender
 * as a validator) and it may name at most `maxBlockTxs` txs; a proposal whose txs are all pooled and
 * match the tx root goes to consensus at once, in the sender's stream order, with the same
 * back-pressure as any message. Otherwise its signature is verified before anything is buffered or
 * fetched, and it waits for the fetch off the consensus path: the sender's stream, and so its votes,
 * keep flowing. Should the missing txs reach the pool first (gossip still being verified when the
 * proposal came), it completes from the pool then and the fetch is cancelled. At most
 * `maxPendingPerPeer` wait per sender (a newer one replaces the oldest); one that cannot be completed
 * (the fetch fails or times out, the sender answers wrong bytes or its root lies) is dropped with a
 * log line and a metric, and the view timeout deals with it as with a lost message. No promise is
 * left unhandled.
 */
import { type Block, encodedBlockBytes, txHashesOf } from '../protocol/block.ts'
import { type Bytes, bytesKey, toHex } from '../protocol/bytes.ts'
import {
  type CompactProposal,
  compactProposalOf,
  encodeCompactProposal,
  fullProposalOf,
} from '../protocol/compact-proposal.ts'
import {
  type ConsensusMessage,
  encodeConsensusMessage,
  type Proposal,
} from '../protocol/consensus-message.ts'
import { isArcadeError } from '../protocol/errors.ts'
import { CompactError, CompactErrorCode } from './compact-errors.ts'
import { assemble, completeByFetch, type HeldTx, txsIfComplete } from './compact-rebuild.ts'
import type { Logger } from './logger.ts'

export interface CompactProposalsOptions {
  /** Compact proposals from one sender waiting for their txs at once; a newer one replaces the oldest. */
  readonly maxPendingPerPeer: number
}

export const defaultCompactProposalsOptions: CompactProposalsOptions = { maxPendingPerPeer: 2 }

/** What the node counts (node/metrics.ts `consensus`), or null. */
export interface CompactProposalMetrics {
  readonly compactProposals: {
    inc(labels: { outcome: 'complete' | 'complete-late' | 'fetched' | 'dropped' }): void
  }
  readonly compactDropped: { inc(labels: { code: string }): void }
  readonly compactTxsFetched: { inc(n: number): void }
  /** How long each completion by fetch took, from arrival to delivery (or failure). */
  readonly compactFetchSeconds: { observe(seconds: number): void }
}

export interface CompactProposalsDeps {
  /** The tx this node holds with this id (the mempool's `admittedByHash`). */
  readonly knownTx: (id: Bytes) => HeldTx | undefined
  /** Calls `wake` after txs were admitted to the pool (mempool `onPendingTxs`); returns the unsubscribe. */
  readonly onTxsAdded?: (wake: () => void) => () => void
  /** The txs of `ids` from `peer`, one per id in order (p2p `fetchTxs`); rejects on any failure. */
  readonly fetchTxs: (
    peer: string,
    height: number,
    ids: readonly Bytes[],
    signal: AbortSignal,
  ) => Promise<Bytes[]>
  /** Whether the proposal's signature verifies over its slot and block hash. */
  readonly verifySignature: (p: CompactProposal) => boolean
  /** The most txs a block at `height` may hold (the chain's `maxBlockTxs` in force). */
  readonly maxBlockTxs: (height: number) => number
  /** The committed head's height: a proposal at or below it is stale. */
  readonly headHeight: () => number
  /** Hands a full proposal to consensus (the driver's `receive`); a promise holds the sender. */
  readonly deliver: (proposal: Proposal, from: string) => void | Promise<void>
  readonly metrics: CompactProposalMetrics | null
  readonly log: Pick<Logger, 'debug' | 'warn'>
}

interface Pending {
  readonly proposal: CompactProposal
  readonly from: string
  readonly abort: AbortController
  readonly startedMs: number
  /** Ids of the txs it lacked on arrival: once all are pooled, it may complete without the fetch. */
  readonly missing: readonly Bytes[]
  /** Delivered (or dropped): whatever the fetch brings after is ignored. */
  settled: boolean
}

/** Drops that only a Byzantine sender causes: logged at warn, the rest at debug. */
const LIES: ReadonlySet<string> = new Set([CompactErrorCode.wrongTx, CompactErrorCode.rootMismatch])

export class CompactProposals {
  readonly #options: CompactProposalsOptions
  readonly #deps: CompactProposalsDeps
  readonly #pending = new Map<string, Pending[]>()
  #stopped = false

  readonly #unsubscribe: () => void

  constructor(options: CompactProposalsOptions, deps: CompactProposalsDeps) {
    this.#options = options
    this.#deps = deps
    const grew = (): void => {
      try {
        this.#poolGrew()
      } catch (err) {
        // Called from inside the mempool's admission: never let this throw into it.
        deps.log.warn({ err: String(err) }, 'compact proposal: pool check failed')
      }
    }
    this.#unsubscribe = deps.onTxsAdded?.(grew) ?? (() => {})
  }

  /** Proposals waiting for their txs, all senders together. */
  get pending(): number {
    let n = 0
    for (const list of this.#pending.values()) n += list.length
    return n
  }

  /**
   * A compact proposal from the peer `from`. Returns the driver's promise when it went to consensus
   * at once (the caller holds that peer's stream until it settles), else nothing: a fetch never holds
   * the stream.
   */
  receive(proposal: CompactProposal, from: string): void | Promise<void> {
    if (this.#stopped) return
    const { height } = proposal
    // Rule: signed by the peer that delivered it (consensus would drop it anyway).
    if (toHex(proposal.proposer) !== from) {
      return this.#drop(proposal, from, new CompactError(CompactErrorCode.unauthenticated, 'not the sender'))
    }
    const maxTxs = this.#deps.maxBlockTxs(height)
    if (proposal.block.txIds.length > maxTxs) {
      return this.#drop(
        proposal,
        from,
        new CompactError(CompactErrorCode.tooManyTxs, 'more txs than a block may hold', {
          txs: proposal.block.txIds.length,
          limit: maxTxs,
        }),
      )
    }
    if (height <= this.#deps.headHeight()) {
      return this.#drop(proposal, from, new CompactError(CompactErrorCode.stale, 'height already committed'))
    }
    const assembly = assemble(proposal.block, this.#deps.knownTx)
    if (assembly.missing.length === 0) {
      const txs = txsIfComplete(assembly)
      if (txs !== null) {
        this.#deps.metrics?.compactProposals.inc({ outcome: 'complete' })
        return this.#deps.deliver(fullProposalOf(proposal, txs), from)
      }
    }
    // Authenticated before it takes a place in the queue or makes us ask the sender for anything.
    if (!this.#deps.verifySignature(proposal)) {
      return this.#drop(proposal, from, new CompactError(CompactErrorCode.unauthenticated, 'bad signature'))
    }
    const pending: Pending = {
      proposal,
      from,
      abort: new AbortController(),
      startedMs: performance.now(),
      missing: assembly.missing.map((i) => proposal.block.txIds[i] as Bytes),
      settled: false,
    }
    const list = this.#pending.get(from) ?? []
    while (list.length >= this.#options.maxPendingPerPeer) {
      const oldest = list.shift() as Pending
      oldest.abort.abort(new CompactError(CompactErrorCode.replaced, 'a newer proposal from the sender'))
    }
    list.push(pending)
    this.#pending.set(from, list)
    this.#deps.log.debug(
      { peer: from.slice(0, 16), height, view: proposal.view, missing: assembly.missing.length },
      'compact proposal: fetching txs',
    )
    const fetch = (ids: readonly Bytes[]) => this.#deps.fetchTxs(from, height, ids, pending.abort.signal)
    completeByFetch(assembly, fetch)
      .then(
        ({ txs, fetched }) => this.#completed(pending, from, fullProposalOf(proposal, txs), fetched),
        (err: unknown) => this.#failed(pending, from, err),
      )
      .catch((err: unknown) => this.#deps.log.warn({ err: String(err) }, 'compact proposal: handler failed'))
  }

  /** After a commit: drops what waits for a height now committed. */
  afterCommit(height: number): void {
    for (const list of this.#pending.values()) {
      for (const p of list) {
        if (p.proposal.height <= height) {
          p.abort.abort(new CompactError(CompactErrorCode.stale, 'height committed while it waited'))
        }
      }
    }
  }

  /** Aborts every fetch in progress; nothing is delivered after. Harmless twice. */
  stop(): void {
    this.#stopped = true
    this.#unsubscribe()
    for (const list of this.#pending.values()) for (const p of list) p.abort.abort()
    this.#pending.clear()
  }

  /**
   * The pool admitted txs: a proposal whose missing txs are all pooled now (gossip that was still being
   * verified when it arrived) completes at once, without waiting for the fetch, which is cancelled.
   */
  #poolGrew(): void {
    if (this.#pending.size === 0 || this.#stopped) return
    for (const list of [...this.#pending.values()]) {
      for (const pending of [...list]) {
        if (pending.settled || pending.abort.signal.aborted) continue
        if (!pending.missing.every((id) => this.#deps.knownTx(id) !== undefined)) continue
        const txs = txsIfComplete(assemble(pending.proposal.block, this.#deps.knownTx))
        // A root that differs needs the sender's own txs: the fetch goes on.
        if (txs === null) continue
        pending.settled = true
        this.#forget(pending, pending.from)
        pending.abort.abort()
        this.#deps.metrics?.compactProposals.inc({ outcome: 'complete-late' })
        this.#hand(fullProposalOf(pending.proposal, txs), pending.from)
      }
    }
  }

  /**
   * Hands a proposal completed off the stream to the driver: queued now (the driver takes an empty
   * queue's message always); its back-pressure promise is for a stream this proposal no longer holds.
   */
  #hand(proposal: Proposal, from: string): void {
    const held = this.#deps.deliver(proposal, from)
    if (held instanceof Promise) {
      held.catch((err: unknown) =>
        this.#deps.log.warn({ err: String(err) }, 'compact proposal: delivery failed'),
      )
    }
  }

  #forget(pending: Pending, from: string): void {
    this.#deps.metrics?.compactFetchSeconds.observe((performance.now() - pending.startedMs) / 1000)
    const list = this.#pending.get(from)
    if (list === undefined) return
    const i = list.indexOf(pending)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.#pending.delete(from)
  }

  #completed(pending: Pending, from: string, proposal: Proposal, fetched: number): void {
    if (pending.settled) return
    pending.settled = true
    this.#forget(pending, from)
    if (this.#stopped) return
    if (pending.abort.signal.aborted) {
      this.#drop(proposal, from, pending.abort.signal.reason)
      return
    }
    if (proposal.height <= this.#deps.headHeight()) {
      this.#drop(proposal, from, new CompactError(CompactErrorCode.stale, 'height committed meanwhile'))
      return
    }
    this.#deps.metrics?.compactProposals.inc({ outcome: 'fetched' })
    this.#deps.metrics?.compactTxsFetched.inc(fetched)
    this.#deps.log.debug(
      { peer: from.slice(0, 16), height: proposal.height, view: proposal.view, fetched },
      'compact proposal: completed by fetch',
    )
    this.#hand(proposal, from)
  }

  #failed(pending: Pending, from: string, err: unknown): void {
    if (pending.settled) return
    pending.settled = true
    this.#forget(pending, from)
    if (this.#stopped) return
    // An abort wins over what it caused (a fetch failing because it was aborted).
    this.#drop(pending.proposal, from, pending.abort.signal.aborted ? pending.abort.signal.reason : err)
  }

  #drop(proposal: CompactProposal | Proposal, from: string, err: unknown): void {
    const code = isArcadeError(err) ? err.code : 'COMPACT_UNKNOWN'
    this.#deps.metrics?.compactProposals.inc({ outcome: 'dropped' })
    this.#deps.metrics?.compactDropped.inc({ code })
    const fields = {
      peer: from.slice(0, 16),
      height: proposal.height,
      view: proposal.view,
      code,
      ...(isArcadeError(err) ? err.details : { err: String(err) }),
    }
    if (LIES.has(code)) this.#deps.log.warn(fields, 'compact proposal dropped')
    else this.#deps.log.debug(fields, 'compact proposal dropped')
  }
}

/**
 * The txs of the last few proposals this node built, by id, to answer tx-fetch requests: bounded by
 * `maxBlocks` (each block is within the block byte limit). Filled as each proposal is sent.
 */
export class RecentProposals {
  readonly #maxBlocks: number
  readonly #blocks: { readonly height: number; readonly byId: Map<string, Bytes> }[] = []

  constructor(options: { readonly maxBlocks: number }) {
    this.#maxBlocks = options.maxBlocks
  }

  remember(block: Block): void {
    const byId = new Map<string, Bytes>()
    const ids = txHashesOf(block.txs)
    for (let i = 0; i < ids.length; i++) byId.set(bytesKey(ids[i] as Bytes), block.txs[i] as Bytes)
    this.#blocks.push({ height: block.header.height, byId })
    while (this.#blocks.length > this.#maxBlocks) this.#blocks.shift()
  }

  get(id: Bytes): Bytes | undefined {
    const key = bytesKey(id)
    // Newest first: the one being asked about is almost always the last one sent.
    for (let i = this.#blocks.length - 1; i >= 0; i--) {
      const tx = this.#blocks[i]?.byId.get(key)
      if (tx !== undefined) return tx
    }
    return undefined
  }
}

/** The tx-fetch server's answer: what it holds of `ids` in order (its recent proposals, then the pool). */
export function serveTxs(
  ids: readonly Bytes[],
  recent: RecentProposals,
  knownTx: (id: Bytes) => HeldTx | undefined,
): Bytes[] {
  const out: Bytes[] = []
  for (const id of ids) {
    const tx = recent.get(id) ?? knownTx(id)?.bytes
    if (tx === undefined) break
    out.push(tx)
  }
  return out
}

/** Where the leader reports what its proposals weigh on the wire, against the blocks they carry. */
export interface ProposalSizeMetrics {
  readonly proposalBytes: { observe(bytes: number): void }
  readonly proposalBlockBytes: { observe(bytes: number): void }
}

/**
 * The encoder of outgoing consensus messages: a proposal goes compact, and its txs are remembered to
 * serve the fetches it causes (before it is sent, so no fetch can come first). Everything else,
 * NEW-VIEW's proposal included, goes as it is.
 */
export function consensusEncoder(
  recent: RecentProposals,
  metrics: ProposalSizeMetrics | null,
): (message: ConsensusMessage) => Bytes {
  return (message) => {
    if (message.type !== 'proposal') return encodeConsensusMessage(message)
    recent.remember(message.block)
    const bytes = encodeCompactProposal(compactProposalOf(message))
    metrics?.proposalBytes.observe(bytes.length)
    metrics?.proposalBlockBytes.observe(encodedBlockBytes(message.block))
    return bytes
  }
}
