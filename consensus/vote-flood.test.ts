/**
 * A vote flood costs bounded work: votes outside a small window of views are refused before their
 * signature is checked, a member holds a bounded number of counted votes, inserting one does not copy
 * the set, and `progress` looks only at tallies that can have reached a quorum.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import type { ConsensusEvent, ConsensusState, MachineConfig } from './state.ts'
import { block, cfg, leader0, msg, others, run, started, vote } from './testing.ts'
import { countedVotes, tallyKey } from './vote-set.ts'

const voteCount = (s: ConsensusState): number => countedVotes(s.votes).length
const tallyCount = (s: ConsensusState): number =>
  new Set(countedVotes(s.votes).map((v) => tallyKey(v.kind, v.view, toHex(v.blockHash)))).size

describe('vote flood', () => {
  it('8,000 votes over 4,000 views from one validator: bounded signature checks, votes and tallies', () => {
    let verifies = 0
    const counting: MachineConfig = {
      ...cfg,
      verify: (sig, message, key) => {
        verifies++
        return cfg.verify(sig, message, key)
      },
    }
    const flooder = others[0] as (typeof others)[number]
    const events: ConsensusEvent[] = []
    for (let view = 0; view < 4000; view++) {
      // Each view its own block, so every vote would open a tally of its own.
      const b = block(leader0.publicKey, view, 10 + view)
      events.push(msg(vote(flooder, 'prepare', b, view)), msg(vote(flooder, 'commit', b, view)))
    }
    const r = run(started(counting), events, counting)
    // Only views near this node's view (0) are taken: at most 2 kinds × 4 views × 2 votes per slot.
    expect(voteCount(r.state)).toBeLessThanOrEqual(16)
    expect(tallyCount(r.state)).toBeLessThanOrEqual(16)
    expect(verifies).toBeLessThanOrEqual(16)
  })
})
