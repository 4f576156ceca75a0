/**
 * Micro-benchmark of a vote flood (no assertion: `npm run sim -- --flood N`): one validator's N signed
 * votes over N/2 views, each for a block of its own, fed through the machine's step. Signing is done
 * first and not timed; the figure is the main-thread time of the steps.
 */
import { step } from '../../consensus/machine.ts'
import type { ConsensusEvent } from '../../consensus/state.ts'
import { block, cfg, leader0, msg, others, started, vote } from '../../consensus/testing.ts'

export function measureVoteFlood(votes: number): { stepsMs: number; perVoteUs: number } {
  const flooder = others[0] as (typeof others)[number]
  const events: ConsensusEvent[] = []
  for (let view = 0; events.length < votes; view++) {
    const b = block(leader0.publicKey, view, 10 + view)
    events.push(msg(vote(flooder, 'prepare', b, view)), msg(vote(flooder, 'commit', b, view)))
  }
  let state = started()
  const t0 = performance.now()
  for (const e of events) state = step(cfg, state, e).state
  const stepsMs = performance.now() - t0
  return { stepsMs, perVoteUs: (stepsMs * 1000) / events.length }
}
