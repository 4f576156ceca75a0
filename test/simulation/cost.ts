/**
 * Consensus cost per committed block: messages and bytes by type on a calm network of N equal
 * validators, with blocks of a given number of txs. Votes sign the block hash only, so everything but
 * the proposal should not grow with the txs in a block.
 */
import type { Scenario } from './scenarios.ts'
import { runScenario } from './sim.ts'

export interface CostFigures {
  readonly validators: number
  readonly txsPerBlock: number
  readonly blocks: number
  readonly messagesPerBlock: number
  readonly bytesPerBlock: number
  /** Everything except proposals (votes, view changes, new views). */
  readonly voteBytesPerBlock: number
  readonly proposalBytesPerBlock: number
}

export function measureCost(
  validators: number,
  txsPerBlock: number,
  durationMs = 2000,
  seed = 7,
): CostFigures {
  const scenario: Scenario = {
    name: `cost-${validators}-${txsPerBlock}`,
    epochPowers: [Array.from({ length: validators }, () => 1)],
    epochLength: 1_000_000,
    byzantine: [],
    crashes: [],
    network: {
      minDelayMs: 5,
      maxDelayMs: 15,
      lossRate: 0,
      duplicateRate: 0,
      gstMs: 0,
      partitions: [],
      wire: false,
      measure: true,
    },
    options: { viewTimeoutBaseMs: 2000, emptyBlockIntervalMs: 100, txPollMs: 10 },
    maxTxsPerBlock: Math.max(1, txsPerBlock),
    txBytes: 200,
    // Enough txs up front that every block is full (or none at all for the empty-block figure).
    txBursts: txsPerBlock === 0 ? [] : [[0, txsPerBlock * 400]],
    durationMs,
    ed25519: false,
    expect: { accountableOnly: false, liveness: false, minProgressAfterGst: 0, fairness: false },
  }
  const r = runScenario(scenario, seed)
  if (r.violations.length > 0) throw new Error(`cost run failed its checks: ${r.violations.join('; ')}`)
  const blocks = Math.max(1, r.height)
  const proposalBytes = (r.stats.byType.proposal?.bytes ?? 0) + (r.stats.byType['new-view']?.bytes ?? 0)
  return {
    validators,
    txsPerBlock,
    blocks: r.height,
    messagesPerBlock: r.stats.messages / blocks,
    bytesPerBlock: r.stats.bytes / blocks,
    voteBytesPerBlock: (r.stats.bytes - proposalBytes) / blocks,
    proposalBytesPerBlock: proposalBytes / blocks,
  }
}
