/**
 * Byzantine behaviours. A byzantine node holds only its own key (it cannot forge others' signatures).
 * - `voteForEverything`: signs PREPARE and COMMIT for every proposal it sees, at once and for all of them.
 * - `equivocatingNetwork`: wraps an honest driver's network; each fresh proposal it makes goes to half of
 *   the peers, and a second block (another timestamp, so another hash) goes to the other half, with
 *   votes for each block to its half.
 * - `outsiderAttack`: beside an honest driver, at every height where its key is not in the set (after it
 *   left, before it joins) it answers each proposal it sees with PREPARE and COMMIT for that block and
 *   for a block of its own, its own proposal of that block, and a VIEW-CHANGE to the next view. None of
 *   it may count: a member counts only at the heights of its membership.
 * Twins (two honest instances sharing one key) are built by the runner.
 */

import type { NetworkPort, SignaturePort } from '../../consensus/ports.ts'
import { type Block, blockHash } from '../../protocol/block.ts'
import { toHex } from '../../protocol/bytes.ts'
import {
  type ConsensusMessage,
  type Proposal,
  proposalSignBytes,
  viewChangeSignBytes,
} from '../../protocol/consensus-message.ts'
import { type VoteKind, voteBytes } from '../../protocol/vote.ts'
import type { Prng } from './prng.ts'
import type { SimNetwork } from './world.ts'

function signVoteMessage(
  chainId: string,
  key: SignaturePort,
  kind: VoteKind,
  height: number,
  view: number,
  hash: Uint8Array,
): ConsensusMessage {
  return {
    type: 'vote',
    vote: {
      kind,
      height,
      view,
      blockHash: hash,
      validator: key.publicKey,
      signature: key.sign(voteBytes(chainId, kind, height, view, hash)),
    },
  }
}

export function voteForEverything(
  chainId: string,
  key: SignaturePort,
  net: SimNetwork,
  self: number,
): (m: ConsensusMessage) => void {
  const done = new Set<string>()
  return (m) => {
    const p = m.type === 'proposal' ? m : m.type === 'new-view' ? m.proposal : null
    if (p === null) return
    const hash = blockHash(p.block.header)
    const id = `${p.height}/${p.view}/${toHex(hash)}`
    if (done.has(id)) return
    done.add(id)
    const port = net.port(self)
    port.broadcast(signVoteMessage(chainId, key, 'prepare', p.height, p.view, hash))
    port.broadcast(signVoteMessage(chainId, key, 'commit', p.height, p.view, hash))
  }
}

export function equivocatingNetwork(
  chainId: string,
  key: SignaturePort,
  net: SimNetwork,
  self: number,
  prng: Prng,
): NetworkPort {
  const inner = net.port(self)
  // original hash → the twin block's hash and the half that sees it
  const variants = new Map<string, { hash: Uint8Array; halfA: number[]; halfB: number[] }>()
  const split = () => {
    const others = prng.shuffle(net.instances.map((_, i) => i).filter((i) => i !== self))
    const cut = Math.ceil(others.length / 2)
    return { halfA: others.slice(0, cut), halfB: others.slice(cut) }
  }
  const variantOf = (p: Proposal): { proposal: Proposal; halfA: number[]; halfB: number[] } => {
    const block: Block = { ...p.block, header: { ...p.block.header, timeMs: p.block.header.timeMs + 1 } }
    const hash = blockHash(block.header)
    const proposal: Proposal = {
      ...p,
      block,
      signature: key.sign(proposalSignBytes(chainId, p.height, p.view, hash)),
    }
    const halves = split()
    variants.set(toHex(blockHash(p.block.header)), { hash, ...halves })
    return { proposal, ...halves }
  }
  return {
    send: inner.send,
    broadcast(m) {
      if (m.type === 'proposal' || (m.type === 'new-view' && m.proposal.block.header.view === m.view)) {
        const p = m.type === 'proposal' ? m : m.proposal
        const v = variantOf(p)
        net.sendTo(self, v.halfA, m)
        net.sendTo(self, v.halfB, m.type === 'proposal' ? v.proposal : { ...m, proposal: v.proposal })
        return
      }
      if (m.type === 'vote') {
        const v = variants.get(toHex(m.vote.blockHash))
        if (v !== undefined) {
          net.sendTo(self, v.halfA, m)
          const { kind, height, view } = m.vote
          net.sendTo(self, v.halfB, signVoteMessage(chainId, key, kind, height, view, v.hash))
          return
        }
      }
      inner.broadcast(m)
    },
  }
}

/**
 * The outsider's hook on what it receives (see the file's comment); `isMember(h)` says whether its key is
 * in height h's set, and `sent(count, height)` counts what it sends where it is not.
 */
export function outsiderAttack(
  chainId: string,
  key: SignaturePort,
  net: SimNetwork,
  self: number,
  isMember: (height: number) => boolean,
  sent: (count: number, height: number) => void,
): (m: ConsensusMessage) => void {
  const done = new Set<string>()
  const port = net.port(self)
  return (m) => {
    const p = m.type === 'proposal' ? m : m.type === 'new-view' ? m.proposal : null
    if (p === null || isMember(p.height)) return
    const hash = blockHash(p.block.header)
    const id = `${p.height}/${p.view}`
    if (done.has(id)) return
    done.add(id)
    // Its own block: the same one with itself as proposer, proposed in the same slot.
    const block: Block = {
      ...p.block,
      header: { ...p.block.header, proposer: key.publicKey, timeMs: p.block.header.timeMs + 1 },
    }
    const own = blockHash(block.header)
    const proposal: Proposal = {
      type: 'proposal',
      height: p.height,
      view: p.view,
      block,
      proposer: key.publicKey,
      signature: key.sign(proposalSignBytes(chainId, p.height, p.view, own)),
    }
    const messages: ConsensusMessage[] = [
      signVoteMessage(chainId, key, 'prepare', p.height, p.view, hash),
      signVoteMessage(chainId, key, 'commit', p.height, p.view, hash),
      proposal,
      signVoteMessage(chainId, key, 'prepare', p.height, p.view, own),
      signVoteMessage(chainId, key, 'commit', p.height, p.view, own),
      {
        type: 'view-change',
        height: p.height,
        view: p.view + 1,
        prepared: null,
        validator: key.publicKey,
        signature: key.sign(viewChangeSignBytes(chainId, p.height, p.view + 1, null)),
      },
    ]
    for (const x of messages) port.broadcast(x)
    sent(messages.length, p.height)
  }
}
