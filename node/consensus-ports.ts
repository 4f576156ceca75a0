/**
 * Adapters from the node's parts to the ports consensus declares (consensus/ports.ts): the chain as
 * executor, the store's WAL, libp2p as network. Thin by design: every rule lives in chain.ts or
 * consensus/.
 */
import type {
  ExecutorPort,
  NetworkPort,
  SignaturePort,
  TimerPort,
  WalEntry,
  WalPort,
} from '../consensus/ports.ts'
import {
  BLOCK_BYTES_PER_TX,
  blockFromTuple,
  blockOverheadBytes,
  blockToTuple,
  headerFromTuple,
  headerToTuple,
} from '../protocol/block.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { decodeRaw, encode } from '../protocol/codec.ts'
import {
  type ConsensusMessage,
  consensusMessageFromTuple,
  consensusMessageToTuple,
  encodeConsensusMessage,
  type Proposal,
} from '../protocol/consensus-message.ts'
import { type KeyPair, signerFor, verify } from '../protocol/crypto.ts'
import { invalidField } from '../protocol/errors.ts'
import { Limits } from '../protocol/limits.ts'
import { certificateFromTuple, certificateToTuple, type Evidence, evidenceHash } from '../protocol/vote.ts'
import type { Chain, CommittedBlock } from './chain.ts'
import type { Mempool } from './mempool/mempool.ts'
import { VerifyPoolError } from './mempool/verify-pool.ts'
import type { P2pHost } from './p2p/host.ts'
import type { ConsensusWal } from './store/index.ts'

export function signaturePort(keys: KeyPair): SignaturePort {
  return {
    publicKey: keys.publicKey,
    sign: signerFor(keys.secretKey),
    verify,
  }
}

/** `encodeMessage`: the wire form of each message (the node's sends proposals compact, see compact-proposals.ts). */
export function networkPort(
  p2p: Pick<P2pHost, 'broadcastConsensus' | 'sendConsensus'>,
  encodeMessage: (message: ConsensusMessage) => Bytes = encodeConsensusMessage,
): NetworkPort {
  return {
    broadcast: (message) => {
      p2p.broadcastConsensus(encodeMessage(message))
    },
    send: (peer, message) => {
      p2p.sendConsensus(peer, encodeMessage(message))
    },
  }
}

export const timerPort: TimerPort = {
  schedule: (afterMs, fire) => setTimeout(fire, afterMs),
  cancel: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

function heightOfEntry(entry: WalEntry): number {
  if (entry.type === 'prepared') return entry.proof.certificate.height
  const m: ConsensusMessage = entry.message
  return m.type === 'vote' ? m.vote.height : m.height
}

/**
 * WAL entries as msgpack: `['signed', message]`, `['prepared', certificate, block]`, or for a proposal
 * this node signed (alone or in a NEW-VIEW) `['proposed', isNewView, height, view, header, proposer,
 * signature]`: recovery needs only its slot and block hash (see WalPort.load), so a 2,000-tx proposal
 * is written as ~500 bytes instead of its whole block. The prepared proof keeps its block: a view
 * change after a restart must carry it.
 */
export function encodeWalEntry(entry: WalEntry): Bytes {
  if (entry.type === 'signed') {
    const m = entry.message
    const p = m.type === 'proposal' ? m : m.type === 'new-view' ? m.proposal : null
    if (p !== null) {
      return encode([
        'proposed',
        m.type === 'new-view',
        p.height,
        p.view,
        headerToTuple(p.block.header),
        p.proposer,
        p.signature,
      ])
    }
    return encode(['signed', consensusMessageToTuple(m)])
  }
  return encode(['prepared', certificateToTuple(entry.proof.certificate), blockToTuple(entry.proof.block)])
}

/** A proposal back from its `proposed` entry: the block is its header only (no txs, no body). */
function proposedFromTuple(raw: unknown[]): ConsensusMessage {
  if (raw.length !== 7 || typeof raw[1] !== 'boolean') throw invalidField('wal', 'malformed proposed entry')
  const header = headerFromTuple(raw[4], 'wal.header')
  const height = raw[2]
  const view = raw[3]
  if (height !== header.height || view !== header.view) {
    throw invalidField('wal', 'proposed entry disagrees with its header')
  }
  if (!(raw[5] instanceof Uint8Array) || !(raw[6] instanceof Uint8Array)) {
    throw invalidField('wal', 'proposer and signature must be bytes')
  }
  const proposal: Proposal = {
    type: 'proposal',
    height: header.height,
    view: header.view,
    block: { header, txs: [], lastCommit: null, evidence: [] },
    proposer: raw[5],
    signature: raw[6],
  }
  if (!raw[1]) return proposal
  return { type: 'new-view', height: header.height, view: header.view, viewChanges: [], proposal }
}

export function decodeWalEntry(bytes: Bytes, chainId: string): WalEntry {
  const raw = decodeRaw(bytes, Limits.maxConsensusMessageBytes, 'wal entry')
  if (!Array.isArray(raw) || raw.length < 2) throw invalidField('wal', 'must be a tagged tuple')
  if (raw[0] === 'signed') return { type: 'signed', message: consensusMessageFromTuple(raw[1], chainId) }
  if (raw[0] === 'proposed') return { type: 'signed', message: proposedFromTuple(raw) }
  if (raw[0] === 'prepared' && raw.length === 3) {
    return {
      type: 'prepared',
      proof: { certificate: certificateFromTuple(raw[1]), block: blockFromTuple(raw[2]) },
    }
  }
  throw invalidField('wal', 'unknown entry type')
}

export function walPort(wal: ConsensusWal, chainId: string): WalPort {
  return {
    append: (entry) => wal.append(heightOfEntry(entry), encodeWalEntry(entry)),
    load: async () => (await wal.load()).map((record) => decodeWalEntry(record.entry, chainId)),
    prune: (height) => wal.pruneBelow(height),
  }
}

export interface ExecutorDeps {
  readonly chain: Chain
  readonly mempool: Mempool
  readonly proposer: Bytes
  /**
   * This node's own empty-block interval (config `emptyBlockIntervalMs`), which replaces the chain's
   * at every height; null follows the chain's parameter. A leader-local choice: how long it waits
   * for txs before proposing, and the view-0 timeout built on it; never a validity rule.
   */
  readonly emptyBlockIntervalMs: number | null
  /** Runs after every commit made by consensus (mempool cleanup, events, metrics). */
  readonly onCommitted: (committed: CommittedBlock) => void
  /** Evidence gossiped to this node (the evidence pool), offered beside what consensus saw itself. */
  readonly pendingEvidence?: (max: number) => readonly Evidence[]
  /** Where each proposal built reports its time (reap and execute), or none. */
  readonly buildSeconds?: { observe(seconds: number): void } | null
}

/** Evidence items one proposal carries at most (the block decoder allows up to Limits.maxValidators). */
export const MAX_PROPOSAL_EVIDENCE = 16

/** Consensus's own evidence first, then the pool's, without repeats, at most `MAX_PROPOSAL_EVIDENCE`. */
export function proposalEvidence(own: readonly Evidence[], pooled: readonly Evidence[]): Evidence[] {
  const out = new Map<string, Evidence>()
  for (const e of [...own, ...pooled]) {
    if (out.size >= MAX_PROPOSAL_EVIDENCE) break
    out.set(toHex(evidenceHash(e)), e)
  }
  return [...out.values()]
}

export function executorPort(deps: ExecutorDeps): ExecutorPort {
  const { chain, mempool } = deps
  return {
    head: () => ({ header: chain.headHeader, certificate: chain.headCertificate }),
    validatorSetFor: (height) => chain.validatorSetFor(height),
    // The chain's timeouts in force at the height (they change at an epoch boundary, from state).
    timingFor(height) {
      const p = chain.paramsFor(height)
      return {
        viewTimeoutBaseMs: p.viewTimeoutBaseMs,
        viewTimeoutIncrementMs: p.viewTimeoutIncrementMs,
        viewTimeoutCapMs: p.viewTimeoutCapMs,
        emptyBlockIntervalMs: deps.emptyBlockIntervalMs ?? p.emptyBlockIntervalMs,
      }
    },
    hasPendingTxs: () => mempool.size > 0,
    // Arriving txs wake a leader waiting for them, instead of it polling the pool.
    onPendingTxs: (wake) => mempool.onPendingTxs(wake),
    async buildProposal(_height, view, parent) {
      const startedMs = performance.now()
      const evidence = proposalEvidence(parent.evidence, deps.pendingEvidence?.(MAX_PROPOSAL_EVIDENCE) ?? [])
      // Within the limits in force at the height built (the head state's parameters), leaving room for
      // the header, certificate, evidence and per-tx headers.
      const { maxBlockTxs, maxBlockBytes } = chain.blockLimits
      const overhead =
        blockOverheadBytes(null, parent.lastCommit, evidence, maxBlockTxs) + maxBlockTxs * BLOCK_BYTES_PER_TX
      const txs = mempool.reap(maxBlockTxs, Math.max(0, maxBlockBytes - overhead))
      const execution = await chain.buildBlock({
        view,
        proposer: deps.proposer,
        txs,
        lastCommit: parent.lastCommit,
        evidence,
      })
      deps.buildSeconds?.observe((performance.now() - startedMs) / 1000)
      return execution.block
    },
    async validateProposal(block) {
      try {
        await chain.execute(block)
        return { ok: true }
      } catch (err) {
        // No verdict (the verifier is stopping): not a reason to call the block invalid.
        if (err instanceof VerifyPoolError) throw err
        return { ok: false, reason: err instanceof Error ? err.message : String(err) }
      }
    },
    async commit(block, certificate) {
      // The finished height's WAL entries go in the block's own batch: one synced write, not two
      // (the driver's prune after the commit then finds nothing left to drop).
      const walPruneBelowHeight = block.header.height + 1
      const committed = await chain.commit(block, certificate, { walPruneBelowHeight })
      // Null: sync committed this very block first and announced it; the head is where it should be.
      if (committed !== null) deps.onCommitted(committed)
    },
  }
}
