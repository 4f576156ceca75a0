/**
 * Double-sign evidence this node detected or a consensus peer gossiped, kept until a block includes
 * it or it grows too old, and offered to this node's next proposal: so evidence reaches the next
 * proposer even if that proposer never saw the equivocation itself.
 *
 * Bounded three ways: one item per accused validator (one proof is enough to jail it), at most
 * `maxPerSource` items taken from one peer, at most `maxItems` in all. Checked cheapest first; the
 * signatures last, with the evidence rule of protocol/vote.ts (never a false accusation).
 */
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { decodeRaw, encode } from '../protocol/codec.ts'
import { type Evidence, evidenceFromTuple, evidenceToTuple, isValidEvidence } from '../protocol/vote.ts'

export interface EvidencePoolOptions {
  readonly chainId: string
  /** Evidence more than this many heights below the head is dropped (and refused). */
  readonly maxAgeHeights: number
  readonly maxItems: number
  readonly maxPerSource: number
}

export const DEFAULT_EVIDENCE_POOL = { maxAgeHeights: 100, maxItems: 64, maxPerSource: 8 } as const

/** Largest encoded evidence frame: two votes (each ~140 bytes) with room to spare. */
export const MAX_EVIDENCE_BYTES = 1024

export interface EvidencePoolDeps {
  /** Whether `validator` is (or was, at `height`) a validator this node knows of. */
  readonly isValidator: (validator: Bytes, height: number) => boolean
}

export const EvidenceVerdict = {
  added: 'added',
  known: 'known',
  stale: 'stale',
  future: 'future',
  notValidator: 'not-validator',
  sourceFull: 'source-full',
  full: 'full',
  invalid: 'invalid',
} as const
export type EvidenceVerdict = (typeof EvidenceVerdict)[keyof typeof EvidenceVerdict]

interface Entry {
  readonly evidence: Evidence
  /** The peer it came from; null when this node detected it. */
  readonly source: string | null
}

export class EvidencePool {
  readonly #options: EvidencePoolOptions
  readonly #deps: EvidencePoolDeps
  /** By accused validator (hex), in arrival order. */
  readonly #entries = new Map<string, Entry>()
  readonly #perSource = new Map<string, number>()

  constructor(options: EvidencePoolOptions, deps: EvidencePoolDeps) {
    this.#options = options
    this.#deps = deps
  }

  get size(): number {
    return this.#entries.size
  }

  /** Takes `evidence` when it passes every check; `head` is this node's committed height. */
  add(evidence: Evidence, source: string | null, head: number): EvidenceVerdict {
    const height = evidence.a.height
    // Rule: not too old to matter, and not beyond the heights anyone can have voted on yet.
    if (height + this.#options.maxAgeHeights < head) return EvidenceVerdict.stale
    if (height > head + 2) return EvidenceVerdict.future
    const accused = toHex(evidence.a.validator)
    if (this.#entries.has(accused)) return EvidenceVerdict.known
    if (source !== null && (this.#perSource.get(source) ?? 0) >= this.#options.maxPerSource) {
      return EvidenceVerdict.sourceFull
    }
    if (this.#entries.size >= this.#options.maxItems) return EvidenceVerdict.full
    // Rule: only a validator's double vote is worth a block's room (anyone can sign two votes).
    if (!this.#deps.isValidator(evidence.a.validator, height)) return EvidenceVerdict.notValidator
    // Rule: two conflicting votes, both signed by the accused (protocol/vote.ts).
    if (!isValidEvidence(this.#options.chainId, evidence)) return EvidenceVerdict.invalid
    this.#entries.set(accused, { evidence, source })
    if (source !== null) this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1)
    return EvidenceVerdict.added
  }

  /** Up to `max` items for a proposal, oldest first. */
  pending(max: number): Evidence[] {
    return [...this.#entries.values()].slice(0, max).map((e) => e.evidence)
  }

  /** After a commit: drops what the block included (its validator is jailed now) and what is too old. */
  afterCommit(head: number, included: readonly Evidence[]): void {
    const jailed = new Set(included.map((e) => toHex(e.a.validator)))
    for (const [accused, entry] of this.#entries) {
      if (jailed.has(accused) || entry.evidence.a.height + this.#options.maxAgeHeights < head) {
        this.#delete(accused, entry)
      }
    }
  }

  #delete(accused: string, entry: Entry): void {
    this.#entries.delete(accused)
    if (entry.source === null) return
    const left = (this.#perSource.get(entry.source) ?? 1) - 1
    if (left > 0) this.#perSource.set(entry.source, left)
    else this.#perSource.delete(entry.source)
  }
}

export function encodeEvidence(evidence: Evidence): Bytes {
  return encode(evidenceToTuple(evidence))
}

/** Decodes one gossiped item; throws the protocol's coded error when malformed. */
export function decodeEvidence(bytes: Bytes): Evidence {
  return evidenceFromTuple(decodeRaw(bytes, MAX_EVIDENCE_BYTES, 'evidence'))
}
