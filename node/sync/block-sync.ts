/**
 * Block sync: a node that is behind (a restarted validator, a new observer) fetches ranges of blocks
 * with their commit certificates from peers and applies each one only after checking it itself:
 * the certificate against the validator set it derived from its own chain, then re-execution and the
 * state root (Chain.commit). Sync never signs anything.
 *
 * Peers are not trusted, not even to be honest about their height or to answer at all:
 * - A claimed height is a hint of whom to ask, never a fact. `bestKnownHeight` (and so `syncing`, which
 *   the RPC shows) counts a claim only when validators holding a third of the power claim at least that
 *   height: then one honest validator has it. A lone liar claiming 2^53 moves nothing.
 * - Every request has a deadline for its whole batch, and a response slower than a minimum rate (in
 *   blocks and in bytes per second) costs the peer a demerit and its turn: the next request goes to
 *   another peer. Peers are asked in order of fewest demerits, so a peer that drips, stalls or serves
 *   bad blocks sinks to the back, across rounds too; a peer that fails outright (error, timeout, bad
 *   block, nothing where it claimed blocks) is dropped for the rest of the round.
 * - Only a fault of the peer's data is held against it (decoding, certificate, execution). A local
 *   failure (the verifier stopping, the store) ends the round without blaming anyone.
 *
 * Sync and consensus may hold the same certified block: `Chain.commit` serialises commits and answers
 * null for a block committed meanwhile, which sync then neither applies nor announces nor blames.
 *
 * Observers run it in a loop (`start`); validators call `catchUp` when consensus asks for sync, and at
 * start-up with a deadline (`catchUp(0, { signal })`) so the RPC can serve `syncing` meanwhile. A
 * validator runs the loop too, gated by `following`: while its key is not in the set for its next
 * height no consensus message reaches it (peers speak consensus with the set only), so consensus can
 * never ask, and the loop is what keeps a newcomer awaiting its election, or one that left, at the head.
 */
import { type Block, decodeBlock } from '../../protocol/block.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { decodeRaw, encode } from '../../protocol/codec.ts'
import { ArcadeError, ProtocolError } from '../../protocol/errors.ts'
import { Limits } from '../../protocol/limits.ts'
import { hasOneThird } from '../../protocol/validator-set.ts'
import { type CommitCertificate, certificateFromTuple } from '../../protocol/vote.ts'
import { type Chain, ChainErrorCode, type CommittedBlock } from '../chain.ts'

export interface BlockSyncOptions {
  /** Blocks asked for per request. */
  readonly batchSize: number
  /** How often a following node (observer) asks its peers for new blocks. */
  readonly pollIntervalMs: number
  /** Deadline for one whole request: a status, or a batch of blocks with every frame of it. */
  readonly requestTimeoutMs: number
  /**
   * The slowest a peer may deliver: a response below both rates (measured over the request, not over
   * this node's execution) costs the peer a demerit and its turn. Defaults in defaultBlockSyncOptions.
   */
  readonly minBlocksPerSecond?: number
  readonly minBytesPerSecond?: number
  /** `syncing` is true while the credible height is more than this many blocks above the head. */
  readonly syncingMarginBlocks?: number
}

export const defaultBlockSyncOptions: Required<BlockSyncOptions> = {
  batchSize: 64,
  pollIntervalMs: 250,
  requestTimeoutMs: 10_000,
  minBlocksPerSecond: 8,
  minBytesPerSecond: 256 * 1024,
  syncingMarginBlocks: 2,
}

export const SyncErrorCode = {
  /** A sync entry is not `[block, certificate]` with a commit certificate. */
  malformedEntry: 'SYNC_MALFORMED_ENTRY',
  /** Anything else a peer's entry failed on (an unexpected error type). */
  failed: 'SYNC_FAILED',
} as const
export type SyncErrorCode = (typeof SyncErrorCode)[keyof typeof SyncErrorCode]

export interface SyncLogger {
  info(data: Record<string, unknown>, msg: string): void
  warn(data: Record<string, unknown>, msg: string): void
  debug(data: Record<string, unknown>, msg: string): void
}

export interface BlockSyncDeps {
  readonly chain: Chain
  /** Connected peers: hex node keys (a validator's is its public key in the validator set). */
  readonly peers: () => readonly string[]
  readonly requestStatus: (peer: string, signal: AbortSignal) => Promise<{ height: number }>
  readonly requestBlocks: (peer: string, from: number, max: number, signal: AbortSignal) => Promise<Bytes[]>
  /** Called after each block sync committed (mempool cleanup, events, metrics); never twice a block. */
  readonly onCommitted: (committed: CommittedBlock) => void | Promise<void>
  /** Called when a peer's block is refused, with the error code. */
  readonly onRejected?: (peer: string, code: string) => void
  /**
   * A commit certificate from a peer for a height this node may have committed already: an entry
   * below the head, or the `lastCommit` of an entry that does not extend the head. For the fork
   * watch, which compares it with the committed block and verifies it; it must never throw.
   */
  readonly onCertificate?: (
    peer: string,
    certificate: CommitCertificate,
    where: 'entry' | 'last-commit',
  ) => Promise<unknown>
  /** Whether the `start` loop runs a round at this tick; default always (an observer). */
  readonly following?: () => boolean
  /** After a round of the `start` loop that applied blocks (a validator hands consensus its new head). */
  readonly onFollowed?: (applied: number) => void
  readonly log: SyncLogger
  /** Milliseconds for rate measurement; defaults to `performance.now`. */
  readonly nowMs?: () => number
}

/** A sync entry on the wire: `[blockBytes, certificateBytes]`. */
export function encodeSyncEntry(blockBytes: Bytes, certificateBytes: Bytes): Bytes {
  return encode([blockBytes, certificateBytes])
}

const MAX_CERTIFICATE_BYTES = 64 * 1024

/** Decodes an entry; `maxBlockBytes` (genesis maxBlockBytes) bounds the block before it is decoded. */
export function decodeSyncEntry(
  bytes: Bytes,
  maxBlockBytes: number = Limits.maxBlockBytes,
): { block: Block; certificate: CommitCertificate } {
  const blockLimit = Math.min(maxBlockBytes, Limits.maxBlockBytes)
  const raw = decodeRaw(bytes, blockLimit + MAX_CERTIFICATE_BYTES + 16, 'sync entry')
  if (
    !Array.isArray(raw) ||
    raw.length !== 2 ||
    !(raw[0] instanceof Uint8Array) ||
    !(raw[1] instanceof Uint8Array)
  ) {
    throw new ArcadeError(SyncErrorCode.malformedEntry, 'sync entry must be [block, certificate]')
  }
  const block = decodeBlock(raw[0], blockLimit)
  const certificate = certificateFromTuple(decodeRaw(raw[1], MAX_CERTIFICATE_BYTES, 'certificate'))
  if (certificate.kind !== 'commit')
    throw new ArcadeError(SyncErrorCode.malformedEntry, 'certificate must be a commit certificate')
  return { block, certificate: certificate as CommitCertificate }
}

/** Chain verdicts on a peer's block: the peer served it, so the peer is to blame. */
const PEER_FAULTS: ReadonlySet<string> = new Set<string>([
  ChainErrorCode.notNext,
  ChainErrorCode.invalidBlock,
  ChainErrorCode.invalidTx,
  ChainErrorCode.badCertificate,
  ChainErrorCode.blockTooLarge,
  SyncErrorCode.malformedEntry,
])

function isPeerFault(err: unknown): boolean {
  return err instanceof ProtocolError || (err instanceof ArcadeError && PEER_FAULTS.has(err.code))
}

/** How one peer's turn went. */
type Turn =
  | { readonly kind: 'progress'; readonly slow: boolean }
  /** Error, timeout, bad block, or nothing where it claimed blocks: out for this round. */
  | { readonly kind: 'failed' }
  /** A local failure (not the peer's): the round ends. */
  | { readonly kind: 'halt' }

export class BlockSync {
  readonly #options: Required<BlockSyncOptions>
  readonly #deps: BlockSyncDeps
  readonly #now: () => number
  #running = false
  #timer: ReturnType<typeof setTimeout> | null = null
  #inFlight: Promise<number> | null = null
  readonly #abort = new AbortController()
  /** Each peer's claimed height from the last round: hints of whom to ask. */
  #claims = new Map<string, number>()
  /** The highest height a third of the validators' power claims (see `bestKnownHeight`). */
  #credibleHeight = 0
  /** Demerits per peer, across rounds: peers with fewer are asked first. */
  readonly #demerits = new Map<string, number>()

  constructor(options: BlockSyncOptions, deps: BlockSyncDeps) {
    this.#options = { ...defaultBlockSyncOptions, ...options }
    this.#deps = deps
    this.#now = deps.nowMs ?? (() => performance.now())
  }

  /**
   * The highest height this node has reason to believe exists: its own head, or a height that
   * validators with a third of the power (of the set for the head's next height) claim to hold.
   */
  get bestKnownHeight(): number {
    return Math.max(this.#credibleHeight, this.#deps.chain.height)
  }

  /** True while the node is behind by more than `syncingMarginBlocks` of a credible height. */
  get syncing(): boolean {
    return this.bestKnownHeight > this.#deps.chain.height + this.#options.syncingMarginBlocks
  }

  /** Follows the peers until stopped (observer mode; a validator while `following` holds). */
  start(): void {
    if (this.#running) return
    this.#running = true
    const tick = async () => {
      if (!this.#running) return
      if (this.#deps.following?.() ?? true) {
        const applied = await this.catchUp().catch((err: unknown) => {
          this.#deps.log.warn({ err: String(err) }, 'sync round failed')
          return 0
        })
        if (applied > 0 && this.#running) this.#deps.onFollowed?.(applied)
      }
      if (this.#running) this.#timer = setTimeout(tick, this.#options.pollIntervalMs)
    }
    this.#timer = setTimeout(tick, 0)
  }

  async stop(): Promise<void> {
    this.#running = false
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#abort.abort()
    await this.#inFlight?.catch(() => {})
  }

  /**
   * One round: asks every peer its height, then fetches and applies blocks until no peer that claims
   * more has more to give, `target` (when above 0) is reached, or `signal` aborts (a start-up
   * deadline). A round already running is joined. Returns the blocks this round applied.
   */
  catchUp(target = 0, opts: { readonly signal?: AbortSignal } = {}): Promise<number> {
    if (this.#inFlight !== null) return this.#inFlight
    const signal =
      opts.signal === undefined ? this.#abort.signal : AbortSignal.any([this.#abort.signal, opts.signal])
    const round = this.#round(target, signal).finally(() => {
      this.#inFlight = null
    })
    this.#inFlight = round
    return round
  }

  async #round(target: number, signal: AbortSignal): Promise<number> {
    const { chain, log } = this.#deps
    await this.#gatherClaims(signal)
    // Fewest demerits first; among equals, the highest claim.
    const queue = [...this.#claims]
      .filter(([, claim]) => claim > chain.height)
      .sort(([a, ca], [b, cb]) => this.#demeritsOf(a) - this.#demeritsOf(b) || cb - ca)
      .map(([peer]) => peer)
    let applied = 0
    while (queue.length > 0 && !signal.aborted) {
      if (target > 0 && chain.height >= target) break
      const peer = queue.shift() as string
      if ((this.#claims.get(peer) ?? 0) <= chain.height) continue
      const before = chain.height
      const turn = await this.#turn(peer, signal)
      applied += chain.height - before
      if (turn.kind === 'halt') break
      if (turn.kind === 'failed') {
        this.#demerit(peer)
        continue
      }
      if (turn.slow) {
        // Left for the others, but kept last: a slow peer beats none.
        this.#demerit(peer)
        queue.push(peer)
      } else {
        this.#credit(peer)
        queue.unshift(peer)
      }
    }
    if (applied > 0) log.info({ height: chain.height, applied }, 'synced blocks')
    return applied
  }

  /** Asks every connected peer its height at once, each within the request deadline. */
  async #gatherClaims(signal: AbortSignal): Promise<void> {
    const { log } = this.#deps
    const peers = this.#deps.peers()
    const claims = new Map<string, number>()
    await Promise.all(
      peers.map(async (peer) => {
        try {
          const { height } = await this.#deps.requestStatus(peer, this.#deadline(signal))
          if (Number.isSafeInteger(height) && height >= 0) claims.set(peer, height)
        } catch (err) {
          log.debug({ peer, err: String(err) }, 'status request failed')
        }
      }),
    )
    this.#claims = claims
    // Forget peers that went away: the demerit table stays as small as the peer list.
    const connected = new Set(peers)
    for (const peer of this.#demerits.keys()) if (!connected.has(peer)) this.#demerits.delete(peer)
    this.#credibleHeight = this.#credible(claims)
  }

  /** The highest height claimed by validators holding at least a third of the power. */
  #credible(claims: ReadonlyMap<string, number>): number {
    const { chain } = this.#deps
    const set = chain.validatorSetFor(chain.height + 1)
    const byHeight = [...claims]
      .map(([peer, height]) => ({ height, power: set.byKey.get(peer)?.power ?? 0 }))
      .filter((c) => c.power > 0)
      .sort((a, b) => b.height - a.height)
    let power = 0
    for (const claim of byHeight) {
      power += claim.power
      if (hasOneThird(power, set.totalPower)) return claim.height
    }
    return 0
  }

  /** One request to `peer` and the blocks it brought applied. */
  async #turn(peer: string, signal: AbortSignal): Promise<Turn> {
    const { chain, log } = this.#deps
    const from = chain.height + 1
    const startedMs = this.#now()
    let entries: Bytes[]
    try {
      entries = await this.#deps.requestBlocks(peer, from, this.#options.batchSize, this.#deadline(signal))
    } catch (err) {
      log.debug({ peer, from, err: String(err) }, 'block request failed')
      return { kind: 'failed' }
    }
    const elapsedMs = Math.max(1, this.#now() - startedMs)
    if (entries.length === 0) {
      // It claimed more than this node holds and has nothing to give.
      log.debug({ peer, from, claimed: this.#claims.get(peer) }, 'peer had no blocks it claimed')
      return { kind: 'failed' }
    }
    let bytes = 0
    for (const entry of entries) bytes += entry.length
    const slow =
      (entries.length * 1000) / elapsedMs < this.#options.minBlocksPerSecond &&
      (bytes * 1000) / elapsedMs < this.#options.minBytesPerSecond
    const before = chain.height
    const outcome = await this.#applyEntries(peer, entries)
    if (outcome === 'halt') return { kind: 'halt' }
    if (outcome === 'rejected' || chain.height === before) return { kind: 'failed' }
    if (slow) log.debug({ peer, blocks: entries.length, bytes, elapsedMs }, 'peer is below the minimum rate')
    return { kind: 'progress', slow }
  }

  async #applyEntries(peer: string, entries: readonly Bytes[]): Promise<'clean' | 'rejected' | 'halt'> {
    const { chain } = this.#deps
    for (const bytes of entries) {
      let block: Block | null = null
      try {
        const entry = decodeSyncEntry(bytes, chain.maxBlockBytes)
        block = entry.block
        const { certificate } = entry
        // Committed meanwhile (by consensus, or an earlier entry): nothing to apply, but a certificate
        // for another block there would be fork evidence.
        if (block.header.height <= chain.height) {
          await this.#deps.onCertificate?.(peer, certificate, 'entry')
          continue
        }
        chain.checkCertificate(block, certificate)
        const committed = await chain.commit(block, certificate)
        // Null: consensus committed this very block while it was checked; it announced it.
        if (committed !== null) await this.#deps.onCommitted(committed)
      } catch (err) {
        const code = err instanceof ArcadeError ? err.code : SyncErrorCode.failed
        const fields = {
          peer,
          height: chain.height + 1,
          code,
          reason: err instanceof Error ? err.message : String(err),
          ...(err instanceof ArcadeError ? { details: err.details } : {}),
        }
        if (!isPeerFault(err)) {
          this.#deps.log.warn(fields, 'sync stopped by a local error')
          return 'halt'
        }
        this.#deps.log.warn(fields, 'rejected a block from a peer')
        this.#deps.onRejected?.(peer, code)
        // A block that does not extend the head certifies its own parent: on a fork, another block at
        // a height this node committed.
        const unlinked = code === ChainErrorCode.notNext || code === ChainErrorCode.badCertificate
        if (unlinked && block?.lastCommit != null) {
          await this.#deps.onCertificate?.(peer, block.lastCommit, 'last-commit')
        }
        return 'rejected'
      }
    }
    return 'clean'
  }

  #demeritsOf(peer: string): number {
    return this.#demerits.get(peer) ?? 0
  }

  #demerit(peer: string): void {
    this.#demerits.set(peer, this.#demeritsOf(peer) + 1)
  }

  #credit(peer: string): void {
    const d = this.#demeritsOf(peer)
    if (d > 0) this.#demerits.set(peer, d - 1)
  }

  #deadline(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, AbortSignal.timeout(this.#options.requestTimeoutMs)])
  }
}
