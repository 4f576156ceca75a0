/**
 * The node's links between the evidence pool, p2p and consensus: evidence the driver detects is
 * pooled and gossiped; evidence a consensus peer gossips is decoded, pooled when it passes the pool's
 * checks, and relayed once (only what is new is relayed, so a flood dies at the first honest hop);
 * proposals take from the pool; each commit prunes it.
 */
import type { Bytes } from '../protocol/bytes.ts'
import { bytesEqual } from '../protocol/bytes.ts'
import type { Evidence } from '../protocol/vote.ts'
import type { Chain, CommittedBlock } from './chain.ts'
import {
  DEFAULT_EVIDENCE_POOL,
  decodeEvidence,
  EvidencePool,
  EvidenceVerdict,
  encodeEvidence,
} from './evidence-pool.ts'
import type { Logger } from './logger.ts'
import type { NodeMetrics } from './metrics.ts'

export interface EvidenceLinkDeps {
  readonly chain: Chain
  readonly gossip: (bytes: Bytes, except?: string) => number
  readonly metrics: NodeMetrics
  readonly log: Pick<Logger, 'info' | 'debug'>
}

export interface EvidenceLink {
  /** The consensus driver reported an equivocation it saw. */
  detected(evidence: Evidence): void
  /** A consensus peer gossiped an item (p2p's `onEvidence`). */
  received(from: string, bytes: Bytes): void
  pending(max: number): Evidence[]
  afterCommit(committed: CommittedBlock): void
}

/** A validator of a height the chain still knows, else of the head's or the next set. */
function knownValidator(chain: Chain, key: Bytes, height: number): boolean {
  for (const h of [height, chain.height, chain.height + 1]) {
    try {
      if (chain.validatorSetFor(h).validators.some((v) => bytesEqual(v.publicKey, key))) return true
    } catch {
      // That height's set is not kept: try the next one.
    }
  }
  return false
}

export function createEvidenceLink(deps: EvidenceLinkDeps): EvidenceLink {
  const { chain, metrics, log } = deps
  const pool = new EvidencePool(
    { chainId: chain.chainId, ...DEFAULT_EVIDENCE_POOL },
    { isValidator: (key, height) => knownValidator(chain, key, height) },
  )
  const take = (evidence: Evidence, from: string | null): void => {
    const verdict = pool.add(evidence, from, chain.height)
    metrics.evidence.received.inc({ source: from === null ? 'self' : 'peer', verdict })
    metrics.evidence.pending.set(pool.size)
    if (verdict !== EvidenceVerdict.added) return
    log.info({ height: evidence.a.height, from: from?.slice(0, 16) ?? 'self' }, 'evidence pooled')
    deps.gossip(encodeEvidence(evidence), from ?? undefined)
  }
  return {
    detected: (evidence) => take(evidence, null),
    received(from, bytes) {
      let evidence: Evidence
      try {
        evidence = decodeEvidence(bytes)
      } catch (err) {
        metrics.evidence.received.inc({ source: 'peer', verdict: 'malformed' })
        log.debug({ peer: from.slice(0, 16), err: String(err) }, 'dropped malformed evidence')
        return
      }
      take(evidence, from)
    },
    pending: (max) => pool.pending(max),
    afterCommit(committed) {
      pool.afterCommit(committed.block.header.height, committed.block.evidence)
      metrics.evidence.pending.set(pool.size)
    },
  }
}
