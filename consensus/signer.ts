/**
 * Signing and the double-sign guard. The driver asks the guard before it signs anything: a second,
 * different proposal or vote for the same (height, view, kind) is refused. Every message is appended
 * to the WAL before it is signed and sent, and the guard is rebuilt from the WAL after a restart, so a
 * crash can never make this node equivocate.
 */
import type { Block } from '../protocol/block.ts'
import { blockHash } from '../protocol/block.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import {
  type ConsensusMessage,
  heightOf,
  type PreparedProof,
  type Proposal,
  proposalSignBytes,
  type ViewChange,
  viewChangeSignBytes,
  viewOf,
} from '../protocol/consensus-message.ts'
import { type VoteKind, voteBytes } from '../protocol/vote.ts'
import type { SignaturePort, WalEntry } from './ports.ts'

/** A message the machine wants signed by this node. */
export type UnsignedMessage =
  | {
      readonly type: 'vote'
      readonly kind: VoteKind
      readonly height: number
      readonly view: number
      readonly blockHash: Bytes
    }
  | { readonly type: 'proposal'; readonly height: number; readonly view: number; readonly block: Block }
  | {
      readonly type: 'view-change'
      readonly height: number
      readonly view: number
      readonly prepared: PreparedProof | null
    }
  | {
      readonly type: 'new-view'
      readonly height: number
      readonly view: number
      readonly viewChanges: readonly ViewChange[]
      readonly block: Block
    }

/** The guard slot and the block a message commits this node to, or null when it cannot equivocate. */
function slotOf(m: UnsignedMessage | ConsensusMessage): { slot: string; hash: string } | null {
  switch (m.type) {
    case 'vote':
      if ('vote' in m) {
        const v = m.vote
        return { slot: `${v.kind}/${v.height}/${v.view}`, hash: toHex(v.blockHash) }
      }
      return { slot: `${m.kind}/${m.height}/${m.view}`, hash: toHex(m.blockHash) }
    case 'proposal':
      return { slot: `proposal/${m.height}/${m.view}`, hash: toHex(blockHash(m.block.header)) }
    case 'new-view':
      if ('proposal' in m) {
        return { slot: `proposal/${m.height}/${m.view}`, hash: toHex(blockHash(m.proposal.block.header)) }
      }
      return { slot: `proposal/${m.height}/${m.view}`, hash: toHex(blockHash(m.block.header)) }
    case 'view-change':
    case 'commit-certificate':
      return null
  }
}

export interface DoubleSignGuard {
  /** 'new' (never signed here), 'repeat' (the same block again: harmless) or 'conflict' (refuse). */
  check(m: UnsignedMessage): 'new' | 'repeat' | 'conflict'
  record(m: UnsignedMessage | ConsensusMessage): void
}

export function createDoubleSignGuard(entries: readonly WalEntry[] = []): DoubleSignGuard {
  const signed = new Map<string, string>()
  const guard: DoubleSignGuard = {
    check(m) {
      const s = slotOf(m)
      if (s === null) return 'new'
      const prior = signed.get(s.slot)
      if (prior === undefined) return 'new'
      return prior === s.hash ? 'repeat' : 'conflict'
    },
    record(m) {
      const s = slotOf(m)
      if (s !== null && !signed.has(s.slot)) signed.set(s.slot, s.hash)
    },
  }
  for (const e of entries) if (e.type === 'signed') guard.record(e.message)
  return guard
}

/**
 * What this node had reached at `height` by what it signed: the highest view it signed in, whether its
 * last word there was a VIEW-CHANGE (it was changing view: it must still follow that view's NEW-VIEW),
 * and its highest prepared proof.
 */
export function restoreFromWal(
  entries: readonly WalEntry[],
  height: number,
): { view: number; phase: 'normal' | 'view-change'; prepared: PreparedProof | null } {
  let view = 0
  let changing = false
  let prepared: PreparedProof | null = null
  for (const e of entries) {
    if (e.type === 'prepared') {
      const c = e.proof.certificate
      if (c.height === height && (prepared === null || c.view > prepared.certificate.view)) prepared = e.proof
      continue
    }
    const m = e.message
    if (heightOf(m) !== height) continue
    const v = viewOf(m)
    const isViewChange = m.type === 'view-change'
    if (v > view) {
      view = v
      changing = isViewChange
    } else if (v === view && !isViewChange) {
      changing = false
    }
  }
  return { view, phase: changing ? 'view-change' : 'normal', prepared }
}

export function signMessage(chainId: string, port: SignaturePort, m: UnsignedMessage): ConsensusMessage {
  const me = port.publicKey
  const proposal = (height: number, view: number, block: Block): Proposal => ({
    type: 'proposal',
    height,
    view,
    block,
    proposer: me,
    signature: port.sign(proposalSignBytes(chainId, height, view, blockHash(block.header))),
  })
  switch (m.type) {
    case 'vote':
      return {
        type: 'vote',
        vote: {
          kind: m.kind,
          height: m.height,
          view: m.view,
          blockHash: m.blockHash,
          validator: me,
          signature: port.sign(voteBytes(chainId, m.kind, m.height, m.view, m.blockHash)),
        },
      }
    case 'proposal':
      return proposal(m.height, m.view, m.block)
    case 'view-change':
      return {
        type: 'view-change',
        height: m.height,
        view: m.view,
        prepared: m.prepared,
        validator: me,
        signature: port.sign(viewChangeSignBytes(chainId, m.height, m.view, m.prepared)),
      }
    case 'new-view':
      return {
        type: 'new-view',
        height: m.height,
        view: m.view,
        viewChanges: m.viewChanges,
        proposal: proposal(m.height, m.view, m.block),
      }
  }
}
