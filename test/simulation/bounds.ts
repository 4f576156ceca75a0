/**
 * A check run on every honest node during a simulation: what peers can make it hold stays within its
 * bounds (next-height buffer per member in messages and bytes, votes and view changes per member, views
 * near its own), and everything it holds is authentic (signed by the member whose connection delivered
 * it, a member of the set of its height: no vote, proposal, view change or height claim of a key outside
 * it, and every commit certificate a quorum of that set).
 */

import { bufferedMessages } from '../../consensus/future-buffer.ts'
import { VOTE_VIEWS_AHEAD, VOTE_VIEWS_BEHIND } from '../../consensus/machine-normal.ts'
import { VIEW_CHANGES_AHEAD } from '../../consensus/machine-view-change.ts'
import { type ConsensusOptions, memoryBounds } from '../../consensus/options.ts'
import type { ConsensusState } from '../../consensus/state.ts'
import {
  isValidCertificate,
  type Verify,
  verifyProposalWith,
  verifyViewChangeSignatureWith,
  verifyVoteWith,
} from '../../consensus/verify.ts'
import { countedVotes } from '../../consensus/vote-set.ts'
import { toHex } from '../../protocol/bytes.ts'
import { type ConsensusMessage, signerOf } from '../../protocol/consensus-message.ts'
import { hasQuorum } from '../../protocol/validator-set.ts'

function signedBySender(verify: Verify, chainId: string, m: ConsensusMessage): boolean {
  switch (m.type) {
    case 'vote':
      return verifyVoteWith(verify, chainId, m.vote)
    case 'proposal':
      return verifyProposalWith(verify, chainId, m)
    case 'new-view':
      return verifyProposalWith(verify, chainId, m.proposal)
    case 'view-change':
      return verifyViewChangeSignatureWith(verify, chainId, m)
    case 'commit-certificate':
      return false
  }
}

export function checkBounds(
  node: number,
  s: ConsensusState,
  options: ConsensusOptions,
  verify: Verify,
  chainId: string,
): string[] {
  const out: string[] = []
  const members = s.ctx.validators.byKey
  const perMember = new Map<string, { messages: number; bytes: number }>()
  for (const b of bufferedMessages(s.future)) {
    const signer = signerOf(b.message)
    if (signer === null || toHex(signer) !== b.from || !members.has(b.from)) {
      out.push(`bounds: node ${node} holds a next-height message not from its signer's own connection`)
    } else if (!signedBySender(verify, chainId, b.message)) {
      out.push(`bounds: node ${node} holds a next-height message whose signature does not verify`)
    }
    const used = perMember.get(b.from) ?? { messages: 0, bytes: 0 }
    perMember.set(b.from, { messages: used.messages + 1, bytes: used.bytes + b.bytes })
  }
  const cap = memoryBounds(options).futureMemberCapBytes
  for (const [who, used] of perMember) {
    if (used.messages > options.maxFutureMessagesPerMember || used.bytes > cap) {
      out.push(
        `bounds: node ${node} buffers ${used.messages} msgs, ${used.bytes} bytes of ${who.slice(0, 8)}`,
      )
    }
  }
  const votesBy = new Map<string, number>()
  for (const v of countedVotes(s.votes)) {
    const who = toHex(v.validator)
    if (!members.has(who)) out.push(`bounds: node ${node} counts a vote of a key outside its height's set`)
    votesBy.set(who, (votesBy.get(who) ?? 0) + 1)
    if (v.view + VOTE_VIEWS_BEHIND < s.view || v.view > s.view + VOTE_VIEWS_AHEAD) {
      out.push(`bounds: node ${node} at view ${s.view} holds a vote of view ${v.view}`)
    }
  }
  const maxVotes = 2 * 2 * (VOTE_VIEWS_BEHIND + VOTE_VIEWS_AHEAD + 1)
  for (const [who, n] of votesBy) {
    if (n > maxVotes) out.push(`bounds: node ${node} holds ${n} votes of ${who.slice(0, 8)}`)
  }
  for (const [view, byMember] of s.viewChanges) {
    if (view < s.view || view > s.view + VIEW_CHANGES_AHEAD) {
      out.push(`bounds: node ${node} at view ${s.view} holds view changes of view ${view}`)
    }
    for (const [who, m] of byMember) {
      if (toHex(m.validator) !== who || !members.has(who)) {
        out.push(`bounds: node ${node} holds a view change filed under another member`)
      }
    }
  }
  for (const p of s.proposals.values()) {
    if (!members.has(toHex(p.proposer)))
      out.push(`bounds: node ${node} took a proposal of a key outside its height's set`)
  }
  for (const c of s.certified) {
    if (!isValidCertificate(verify, hasQuorum, chainId, c, s.ctx.validators))
      out.push(`bounds: node ${node} holds a certificate that is no quorum of its height's set`)
  }
  for (const who of s.ahead.keys()) {
    if (!members.has(who)) out.push(`bounds: node ${node} counts a height claim of a non-member`)
  }
  return out
}
