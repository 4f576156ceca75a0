/**
 * Simulator CLI: node test/simulation/run.ts --seeds N [--from S] [--scenario NAME] [--verbose]
 * Runs seeds S..S+N-1, prints seeds/min and every failing seed with the command that replays it.
 * With --quorum-bug it plants the > 1/2 quorum rule, to show the checks catch it. --cost prints the
 * consensus bytes per block; --flood N times a flood of N votes from one validator through the machine.
 */
import { parseArgs } from 'node:util'
import { measureCost } from './cost.ts'
import { measureVoteFlood } from './flood-bench.ts'
import { createPrng } from './prng.ts'
import { families, familyFor } from './scenarios.ts'
import { runScenario, type SimResult } from './sim.ts'

export function runSeed(seed: number, family?: string, quorumBug = false): SimResult {
  const name = family ?? familyFor(seed)
  const make = families[name]
  if (make === undefined)
    throw new Error(`unknown scenario ${name}; one of ${Object.keys(families).join(', ')}`)
  const scenario = make(createPrng(seed ^ 0x5eed))
  const withBug = quorumBug
    ? { ...scenario, options: { ...scenario.options, quorum: (p: number, t: number) => p * 2 > t } }
    : scenario
  return runScenario(withBug, seed)
}

export function replayCommand(seed: number, family: string, quorumBug = false): string {
  return `node_modules/.bin/node test/simulation/run.ts --seeds 1 --from ${seed} --scenario ${family}${quorumBug ? ' --quorum-bug' : ''} --verbose`
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      scenario: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'quorum-bug': { type: 'boolean', default: false },
      cost: { type: 'boolean', default: false },
      flood: { type: 'string' },
    },
  })
  if (values.flood !== undefined) {
    const f = measureVoteFlood(Number(values.flood))
    console.log(
      `${values.flood} votes: ${f.stepsMs.toFixed(1)} ms of steps, ${f.perVoteUs.toFixed(2)} µs per vote`,
    )
    return
  }
  if (values.cost) {
    for (const n of [4, 16, 64]) {
      for (const txs of [0, 10, 200]) {
        const started = performance.now()
        const c = measureCost(n, txs, n === 64 ? 600 : 2000)
        console.log(
          `N=${n} txs/block=${txs}: ${c.blocks} blocks, ${c.messagesPerBlock.toFixed(0)} msgs/block, ` +
            `${(c.bytesPerBlock / 1024).toFixed(1)} KiB/block total, votes+view-change ${(c.voteBytesPerBlock / 1024).toFixed(1)} KiB/block, ` +
            `proposals ${(c.proposalBytesPerBlock / 1024).toFixed(1)} KiB/block (${((performance.now() - started) / 1000).toFixed(1)} s)`,
        )
      }
    }
    return
  }
  const count = Number(values.seeds)
  const from = Number(values.from)
  const started = performance.now()
  let failures = 0
  let heights = 0
  let forks = 0
  const perFamily = new Map<string, number>()
  for (let seed = from; seed < from + count; seed++) {
    // A seed runs synchronously on virtual time, but the driver's effects still queue promise jobs and
    // immediates; yielding between seeds lets them run and their worlds be collected (without it a
    // long run holds every world it ran and exhausts the heap after some 15,000 seeds).
    await new Promise((resolve) => setImmediate(resolve))
    const family = values.scenario ?? familyFor(seed)
    let result: SimResult
    try {
      result = runSeed(seed, family, values['quorum-bug'])
    } catch (err) {
      failures++
      console.log(`FAIL seed ${seed} (${family}): threw ${(err as Error).stack}`)
      console.log(`  replay: ${replayCommand(seed, family, values['quorum-bug'])}`)
      continue
    }
    heights += result.height
    if (result.forked) forks++
    perFamily.set(family, (perFamily.get(family) ?? 0) + 1)
    if (values.verbose) {
      console.log(
        `seed ${seed} ${family}: height ${result.height}, ${result.stats.messages} msgs, ${result.virtualMs} virtual ms, forked=${result.forked}, attacks ${JSON.stringify(result.attacks)}`,
      )
    }
    if (result.violations.length > 0) {
      failures++
      console.log(`FAIL seed ${seed} (${family}): ${result.violations.slice(0, 5).join('; ')}`)
      console.log(`  replay: ${replayCommand(seed, family, values['quorum-bug'])}`)
    }
  }
  const minutes = (performance.now() - started) / 60_000
  console.log(
    `${count} seeds in ${(minutes * 60).toFixed(1)} s (${Math.round(count / minutes)} seeds/min), ` +
      `${failures} failed, mean height ${(heights / count).toFixed(1)}, forks ${forks}, ` +
      `families ${[...perFamily].map(([k, v]) => `${k}:${v}`).join(' ')}`,
  )
  if (failures > 0) process.exitCode = 1
}

if (import.meta.main) await main()
