/**
 * Fork evidence: a commit certificate for another block at a height this node has committed. Two
 * valid commit certificates for different blocks at one height mean that validators holding more
 * than a third of the power signed both (each certificate has a 2/3 quorum of the same set): the
 * safety promise is broken, and a regulator's observer must say so loudly and keep the proof.
 *
 * Where certificates reach a node (node.ts wires each source):
 * - block sync: an entry for a height already committed, and the `lastCommit` of an entry that does
 *   not extend the head (a forked peer's next block certifies its own parent);
 * - consensus: a certificate the driver assembled for a height that sync committed to another block.
 *
 * Nothing counts before it is verified in full, so a forged certificate raises no alarm:
 * - a commit certificate (a prepare certificate proves nothing about commits) for a committed height;
 * - for a block other than the one committed there (the cheap check, done first);
 * - signed by keys of the validator set of that height as this node's own chain derived it, every
 *   signature verifying, the signers holding a 2/3 quorum of the power (`verifyCertificate`).
 * Certificates that fail are remembered by hash (bounded) so that a peer repeating one costs no new
 * signature checks. At most `maxRecords` forks are kept (one per height and block), persisted in the
 * store's meta so that the alarm survives a restart; past that the alarm stays raised and further
 * forks are counted and logged, not stored. Clearing the evidence is an operator's act (a new data dir).
 */
import { blockHash, decodeStoredBlock } from '../protocol/block.ts'
import { type Bytes, bytesEqual, toHex } from '../protocol/bytes.ts'
import { decodeRaw, encode, type WireValue } from '../protocol/codec.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  certificateHash,
  certificateToTuple,
  verifyCertificate,
} from '../protocol/vote.ts'
import type { Chain } from './chain.ts'
import type { ChainStore } from './store/index.ts'

export const ForkSource = {
  /** A sync entry for a height this node had committed. */
  sync: 'sync',
  /** The `lastCommit` of a sync entry that did not extend this node's head. */
  syncLastCommit: 'sync-last-commit',
  /** A certificate consensus assembled for a height committed meanwhile to another block. */
  consensus: 'consensus',
} as const
export type ForkSource = (typeof ForkSource)[keyof typeof ForkSource]

export interface ForkRecord {
  readonly height: number
  /** The certificate of the block this node committed at `height` (null if the store lacks it). */
  readonly ours: CommitCertificate | null
  /** A fully verified certificate for another block at `height`. */
  readonly theirs: CommitCertificate
  readonly source: ForkSource
  /** Hex node key of the peer that delivered `theirs`, or null (consensus). */
  readonly peer: string | null
  readonly seenAtMs: number
}

/** What the watch needs of the chain, in domain terms (node.ts adapts Chain and the store). */
export interface ForkWatchChain {
  readonly chainId: string
  /** The committed head height. */
  height(): number
  /** The hash of the block committed at `height` (1..head), or null if unknown. */
  committedHash(height: number): Promise<Bytes | null>
  /** The certificate this node holds for its block at `height`, or null. */
  certificateAt(height: number): Promise<CommitCertificate | null>
  /** The validator set certifying `height`, as this node's chain derived it. */
  validatorSetAt(height: number): Promise<ValidatorSet>
}

/** Where the records persist (the store's meta in a node; memory in tests). */
export interface ForkWatchStore {
  load(): Promise<Bytes | null>
  save(bytes: Bytes): Promise<void>
}

export interface ForkWatchLogger {
  error(data: Record<string, unknown>, msg: string): void
  warn(data: Record<string, unknown>, msg: string): void
  debug(data: Record<string, unknown>, msg: string): void
}

export interface ForkWatchOptions {
  /** Forks kept as evidence (one per height and block). */
  readonly maxRecords: number
  /** Hashes of certificates that failed verification, remembered so they are not checked again. */
  readonly maxRejectedRemembered: number
}

export const defaultForkWatchOptions: ForkWatchOptions = { maxRecords: 32, maxRejectedRemembered: 256 }

export interface ForkWatchDeps {
  readonly chain: ForkWatchChain
  readonly store: ForkWatchStore
  readonly nowMs: () => number
  readonly log: ForkWatchLogger
  /** A new fork was verified (stored or not); metrics. */
  readonly onFork?: (record: ForkRecord, held: number) => void
  /** A certificate for another block failed verification (forged, wrong set, no quorum). */
  readonly onRejected?: (source: ForkSource) => void
}

/** What `offer` concluded. */
export type ForkVerdict =
  /** Verified: fork evidence (stored unless the bound is reached). */
  | 'fork'
  /** This height and block are already held. */
  | 'known'
  /** It certifies the block this node committed: no fork. */
  | 'same'
  /** Not a height this node has committed (or not a commit certificate): nothing to compare. */
  | 'not-comparable'
  /** It does not verify against the height's validator set: no alarm. */
  | 'invalid'

const META_VERSION = 1
const MAX_META_BYTES = 8 * 1024 * 1024

function recordToTuple(r: ForkRecord): WireValue {
  return [
    r.height,
    r.ours === null ? null : certificateToTuple(r.ours),
    certificateToTuple(r.theirs),
    r.source,
    r.peer,
    r.seenAtMs,
  ]
}

function recordFromTuple(raw: unknown): ForkRecord {
  if (!Array.isArray(raw) || raw.length !== 6) throw new Error('fork record must have 6 fields')
  const [height, ours, theirs, source, peer, seenAtMs] = raw as unknown[]
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(seenAtMs)) throw new Error('bad fork record')
  if (!Object.values(ForkSource).includes(source as ForkSource)) throw new Error('bad fork source')
  if (peer !== null && typeof peer !== 'string') throw new Error('bad fork peer')
  return {
    height: height as number,
    ours: ours === null ? null : (certificateFromTuple(ours) as CommitCertificate),
    theirs: certificateFromTuple(theirs) as CommitCertificate,
    source: source as ForkSource,
    peer: peer as string | null,
    seenAtMs: seenAtMs as number,
  }
}

export function encodeForkRecords(records: readonly ForkRecord[]): Bytes {
  return encode([META_VERSION, records.map(recordToTuple)])
}

export function decodeForkRecords(bytes: Bytes): ForkRecord[] {
  const raw = decodeRaw(bytes, MAX_META_BYTES, 'fork evidence')
  if (!Array.isArray(raw) || raw[0] !== META_VERSION || !Array.isArray(raw[1])) {
    throw new Error('fork evidence has an unknown layout')
  }
  return (raw[1] as unknown[]).map(recordFromTuple)
}

export class ForkWatch {
  readonly #options: ForkWatchOptions
  readonly #deps: ForkWatchDeps
  #records: ForkRecord[] = []
  /** `height:blockHash` of every verified fork, held or not (bounded by the same limit times two). */
  readonly #seen = new Set<string>()
  /** Hex hashes of certificates that failed verification, oldest first. */
  readonly #rejected = new Set<string>()
  /** Forks verified beyond `maxRecords`. */
  #dropped = 0
  /** Offers run one at a time: two peers serving the same fork store it once. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(options: Partial<ForkWatchOptions>, deps: ForkWatchDeps) {
    this.#options = { ...defaultForkWatchOptions, ...options }
    this.#deps = deps
  }

  /** Loads the persisted evidence; unreadable evidence is logged and kept out (never silently fine). */
  async open(): Promise<void> {
    const bytes = await this.#deps.store.load()
    if (bytes === null) return
    try {
      this.#records = decodeForkRecords(bytes).slice(0, this.#options.maxRecords)
    } catch (err) {
      this.#deps.log.error({ err: String(err) }, 'stored fork evidence is unreadable')
      return
    }
    for (const r of this.#records) this.#seen.add(keyOf(r.height, r.theirs.blockHash))
    if (this.#records.length > 0) {
      this.#deps.log.error(
        { forks: this.#records.length, heights: this.#records.map((r) => r.height) },
        'fork evidence on record',
      )
    }
  }

  /** The evidence held, oldest first. */
  get records(): readonly ForkRecord[] {
    return this.#records
  }

  /** Forks verified in all (held and beyond the bound). */
  get count(): number {
    return this.#records.length + this.#dropped
  }

  /** Checks a certificate seen somewhere; never throws (a failing check is logged). */
  offer(
    certificate: CommitCertificate,
    from: { readonly source: ForkSource; readonly peer: string | null },
  ): Promise<ForkVerdict> {
    const run = this.#queue.then(() => this.#offer(certificate, from))
    const settled = run.catch((err: unknown) => {
      this.#deps.log.warn({ err: String(err), height: certificate.height }, 'fork check failed')
      return 'not-comparable' as const
    })
    this.#queue = settled
    return settled
  }

  async #offer(
    cert: CommitCertificate,
    from: { readonly source: ForkSource; readonly peer: string | null },
  ): Promise<ForkVerdict> {
    const { chain, log } = this.#deps
    // Rule: only a commit certificate for a height this node committed can contradict it.
    if (cert.kind !== 'commit' || cert.height < 1 || cert.height > chain.height()) return 'not-comparable'
    const committed = await chain.committedHash(cert.height)
    if (committed === null) return 'not-comparable'
    // The cheap check first: a certificate for our own block is the common case.
    if (bytesEqual(committed, cert.blockHash)) return 'same'
    const key = keyOf(cert.height, cert.blockHash)
    if (this.#seen.has(key)) return 'known'
    const hash = toHex(certificateHash(cert))
    if (this.#rejected.has(hash)) return 'invalid'
    // Rule: every signer in the height's set, every signature valid, a 2/3 quorum of its power.
    try {
      verifyCertificate(chain.chainId, cert, await chain.validatorSetAt(cert.height))
    } catch (err) {
      this.#rememberRejected(hash)
      this.#deps.onRejected?.(from.source)
      log.warn(
        { height: cert.height, source: from.source, peer: from.peer?.slice(0, 16), err: String(err) },
        'refused a conflicting certificate that does not verify',
      )
      return 'invalid'
    }
    const record: ForkRecord = {
      height: cert.height,
      ours: await chain.certificateAt(cert.height),
      theirs: cert,
      source: from.source,
      peer: from.peer,
      seenAtMs: this.#deps.nowMs(),
    }
    // Bounded: the held ones always fit; beyond, a repeated fork is counted again, which is harmless.
    if (this.#seen.size < 2 * this.#options.maxRecords) this.#seen.add(key)
    const fields = {
      height: record.height,
      ours: toHex(committed),
      theirs: toHex(cert.blockHash),
      source: record.source,
      peer: record.peer,
    }
    if (this.#records.length < this.#options.maxRecords) {
      this.#records = [...this.#records, record]
      await this.#deps.store.save(encodeForkRecords(this.#records))
    } else {
      this.#dropped++
    }
    log.error(
      { ...fields, held: this.#records.length, dropped: this.#dropped },
      'fork: two valid commit certificates at one height',
    )
    this.#deps.onFork?.(record, this.#records.length)
    return 'fork'
  }

  #rememberRejected(hash: string): void {
    this.#rejected.add(hash)
    if (this.#rejected.size > this.#options.maxRejectedRemembered) {
      this.#rejected.delete(this.#rejected.values().next().value as string)
    }
  }
}

function keyOf(height: number, blockHash: Bytes): string {
  return `${height}:${toHex(blockHash)}`
}

/** The watch's view of the node's chain: the head from memory, older heights from the store. */
export function forkWatchChainOf(
  chain: Chain,
  store: Pick<ChainStore, 'getBlock' | 'getCertificate'>,
): ForkWatchChain {
  return {
    chainId: chain.chainId,
    height: () => chain.height,
    async committedHash(height) {
      if (height < 1 || height > chain.height) return null
      if (height === chain.height) return chain.headHash
      const recent = chain.recentBlock(height)
      if (recent !== undefined) return recent.hash
      const bytes = await store.getBlock(height)
      // Our own store: its commitments were checked before commit.
      return bytes === null ? null : blockHash(decodeStoredBlock(bytes).header)
    },
    async certificateAt(height) {
      if (height === chain.height && chain.headCertificate !== null) return chain.headCertificate
      const bytes = await store.getCertificate(height)
      if (bytes === null) return null
      return certificateFromTuple(decodeRaw(bytes, 64 * 1024, 'certificate')) as CommitCertificate
    },
    async validatorSetAt(height) {
      try {
        return chain.validatorSetFor(height)
      } catch {
        // Older than the chain keeps in memory: the set history in the store.
        const [first] = await chain.validatorSets(height, 1)
        if (first === undefined) throw new Error(`no validator set known for height ${height}`)
        return first.set
      }
    },
  }
}

/** The evidence persists in the store's meta (its own key, outside any block's batch). */
export function forkWatchStoreOf(store: Pick<ChainStore, 'getMeta' | 'setMeta'>): ForkWatchStore {
  return {
    load: () => store.getMeta(FORK_EVIDENCE_META),
    save: (bytes) => store.setMeta(FORK_EVIDENCE_META, bytes),
  }
}

const FORK_EVIDENCE_META = 'fork-evidence'
