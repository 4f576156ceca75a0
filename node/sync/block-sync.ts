/**
 * Block sync: a node that is behind (a restarted validator, a new observer) fetches ranges of blocks
 * with their commit certificates from peers and applies each one only after checking it itself:
 * the certificate against the validator set it derived from its own chain, then re-execution and the
 * state root (Chain.execute). A peer that serves a bad block is skipped and the reason logged; nothing
 * it sent is kept. Sync never signs anything.
 *
 * Observers run it in a loop (`start`); validators call `catchUp` when consensus asks for sync.
 */
import { type Block, decodeBlock } from '../../protocol/block.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { decodeRaw, encode } from '../../protocol/codec.ts'
import { ArcadeError } from '../../protocol/errors.ts'
import { Limits } from '../../protocol/limits.ts'
import { type CommitCertificate, certificateFromTuple } from '../../protocol/vote.ts'
import type { Chain, CommittedBlock } from '../chain.ts'

export interface BlockSyncOptions {
  /** Blocks asked for per request. */
  readonly batchSize: number
  /** How often a following node (observer) asks its peers for new blocks. */
  readonly pollIntervalMs: number
  /** Per-request timeout. */
  readonly requestTimeoutMs: number
}

export const defaultBlockSyncOptions: BlockSyncOptions = {
  batchSize: 64,
  pollIntervalMs: 250,
  requestTimeoutMs: 10_000,
}

export interface SyncLogger {
  info(data: Record<string, unknown>, msg: string): void
  warn(data: Record<string, unknown>, msg: string): void
  debug(data: Record<string, unknown>, msg: string): void
}

export interface BlockSyncDeps {
  readonly chain: Chain
  readonly peers: () => readonly string[]
  readonly requestStatus: (peer: string, signal: AbortSignal) => Promise<{ height: number }>
  readonly requestBlocks: (peer: string, from: number, max: number, signal: AbortSignal) => Promise<Bytes[]>
  /** Called after each block is committed (mempool cleanup, events, metrics). */
  readonly onCommitted: (committed: CommittedBlock) => void | Promise<void>
  /** Called when a peer's block is refused, with the error code. */
  readonly onRejected?: (peer: string, code: string) => void
  readonly log: SyncLogger
}

/** A sync entry on the wire: `[blockBytes, certificateBytes]`. */
export function encodeSyncEntry(blockBytes: Bytes, certificateBytes: Bytes): Bytes {
  return encode([blockBytes, certificateBytes])
}

export function decodeSyncEntry(bytes: Bytes): { block: Block; certificate: CommitCertificate } {
  const raw = decodeRaw(bytes, Limits.maxBlockBytes + 64 * 1024, 'sync entry')
  if (
    !Array.isArray(raw) ||
    raw.length !== 2 ||
    !(raw[0] instanceof Uint8Array) ||
    !(raw[1] instanceof Uint8Array)
  ) {
    throw new ArcadeError('SYNC_MALFORMED_ENTRY', 'sync entry must be [block, certificate]')
  }
  const block = decodeBlock(raw[0])
  const certificate = certificateFromTuple(decodeRaw(raw[1], 64 * 1024, 'certificate'))
  if (certificate.kind !== 'commit')
    throw new ArcadeError('SYNC_MALFORMED_ENTRY', 'certificate must be a commit certificate')
  return { block, certificate: certificate as CommitCertificate }
}

export class BlockSync {
  readonly #options: BlockSyncOptions
  readonly #deps: BlockSyncDeps
  #running = false
  #timer: ReturnType<typeof setTimeout> | null = null
  #inFlight: Promise<number> | null = null
  readonly #abort = new AbortController()
  /** Highest height any peer reported: lets status say how far behind we are. */
  #bestKnownHeight = 0

  constructor(options: BlockSyncOptions, deps: BlockSyncDeps) {
    this.#options = options
    this.#deps = deps
  }

  get bestKnownHeight(): number {
    return Math.max(this.#bestKnownHeight, this.#deps.chain.height)
  }

  get syncing(): boolean {
    return this.#inFlight !== null
  }

  /** Follows the peers until stopped (observer mode). */
  start(): void {
    if (this.#running) return
    this.#running = true
    const tick = async () => {
      if (!this.#running) return
      await this.catchUp().catch((err: unknown) =>
        this.#deps.log.warn({ err: String(err) }, 'sync round failed'),
      )
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

  /** Fetches and applies blocks until no peer is ahead (one round at a time). Returns blocks applied. */
  catchUp(target = 0): Promise<number> {
    if (this.#inFlight !== null) return this.#inFlight
    const round = this.#round(target).finally(() => {
      this.#inFlight = null
    })
    this.#inFlight = round
    return round
  }

  async #round(target: number): Promise<number> {
    const { chain, log } = this.#deps
    let applied = 0
    for (const peer of this.#deps.peers()) {
      if (this.#abort.signal.aborted) break
      let peerHeight: number
      try {
        peerHeight = (await this.#deps.requestStatus(peer, this.#signal())).height
      } catch (err) {
        log.debug({ peer, err: String(err) }, 'status request failed')
        continue
      }
      this.#bestKnownHeight = Math.max(this.#bestKnownHeight, peerHeight)
      while (chain.height < peerHeight && !this.#abort.signal.aborted) {
        const from = chain.height + 1
        let entries: Bytes[]
        try {
          entries = await this.#deps.requestBlocks(peer, from, this.#options.batchSize, this.#signal())
        } catch (err) {
          log.debug({ peer, from, err: String(err) }, 'block request failed')
          break
        }
        if (entries.length === 0) break
        const ok = await this.#applyEntries(peer, entries)
        applied += ok.applied
        if (!ok.clean) break
      }
      if (target > 0 && chain.height >= target) break
    }
    if (applied > 0) log.info({ height: chain.height, applied }, 'synced blocks')
    return applied
  }

  async #applyEntries(peer: string, entries: readonly Bytes[]): Promise<{ applied: number; clean: boolean }> {
    const { chain } = this.#deps
    let applied = 0
    for (const bytes of entries) {
      try {
        const { block, certificate } = decodeSyncEntry(bytes)
        if (block.header.height <= chain.height) continue
        chain.checkCertificate(block, certificate)
        const committed = await chain.commit(block, certificate)
        // Null: consensus committed this very block while it was checked; it announced it.
        if (committed === null) continue
        applied++
        await this.#deps.onCommitted(committed)
      } catch (err) {
        const code = err instanceof ArcadeError ? err.code : 'SYNC_FAILED'
        this.#deps.log.warn(
          {
            peer,
            height: chain.height + 1,
            code,
            reason: err instanceof Error ? err.message : String(err),
            ...(err instanceof ArcadeError ? { details: err.details } : {}),
          },
          'rejected a block from a peer',
        )
        this.#deps.onRejected?.(peer, code)
        return { applied, clean: false }
      }
    }
    return { applied, clean: true }
  }

  #signal(): AbortSignal {
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.requestTimeoutMs)])
  }
}
