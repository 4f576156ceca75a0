/**
 * Simulator CLI: node test/simulation/run.ts --seeds N [--from S] [--scenario NAME] [--verbose] [--trace]
 * Runs seeds S..S+N-1, prints seeds/min and every failing seed with the command that replays it.
 * With --quorum-bug it plants the > 1/2 quorum rule, with --late-set-bug a chain whose new sets take
 * over one height late, to show the checks catch them. --trace prints every node's height, view and phase
 * each 500 virtual ms. --cost prints the consensus bytes per block; --flood N times a flood of N votes
 * from one validator through the machine.
 */
import { parseArgs } from 'node:util'
import { measureCost } from './cost.ts'
import { measureVoteFlood } from './flood-bench.ts'
import { keyFamilies } from './key-scenarios.ts'
import { createPrng } from './prng.ts'
import { families, familyFor } from './scenarios.ts'
import { runScenario, type SimResult } from './sim.ts'

const allFamilies = { ...families, ...keyFamilies }

/** A bug planted to show the checks catch it: quorum counted as > 1/2, or new sets one height late. */
export type Plant = 'quorum' | 'late-set'

export function runSeed(
  seed: number,
  family?: string,
  plant?: Plant,
  trace?: (line: string) => void,
): SimResult {
  const name = family ?? familyFor(seed)
  const make = allFamilies[name]
  if (make === undefined)
    throw new Error(`unknown scenario ${name}; one of ${Object.keys(allFamilies).join(', ')}`)
  const scenario = make(createPrng(seed ^ 0x5eed))
  const withBug =
    plant === 'quorum'
      ? { ...scenario, options: { ...scenario.options, quorum: (p: number, t: number) => p * 2 > t } }
      : plant === 'late-set'
        ? { ...scenario, plantLateSet: true }
        : scenario
  return runScenario(withBug, seed, trace)
}

const plantFlags: Record<Plant, string> = { quorum: ' --quorum-bug', 'late-set': ' --late-set-bug' }

export function replayCommand(seed: number, family: string, plant?: Plant): string {
  return `node_modules/.bin/node test/simulation/run.ts --seeds 1 --from ${seed} --scenario ${family}${plant === undefined ? '' : plantFlags[plant]} --verbose`
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      scenario: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'quorum-bug': { type: 'boolean', default: false },
      'late-set-bug': { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
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
  const plant: Plant | undefined = values['quorum-bug']
    ? 'quorum'
    : values['late-set-bug']
      ? 'late-set'
      : undefined
  const trace = values.trace ? (line: string) => console.log(line) : undefined
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
      result = runSeed(seed, family, plant, trace)
    } catch (err) {
      failures++
      console.log(`FAIL seed ${seed} (${family}): threw ${(err as Error).stack}`)
      console.log(`  replay: ${replayCommand(seed, family, plant)}`)
      continue
    }
    heights += result.height
    if (result.forked) forks++
    perFamily.set(family, (perFamily.get(family) ?? 0) + 1)
    if (values.verbose) {
      console.log(
        `seed ${seed} ${family}${result.variant === undefined ? '' : ` (${result.variant})`}: height ${result.height}, ${result.stats.messages} msgs, ${result.virtualMs} virtual ms, forked=${result.forked}, attacks ${JSON.stringify(result.attacks)}, synced ${JSON.stringify(result.synced)}`,
      )
    }
    if (result.violations.length > 0) {
      failures++
      console.log(`FAIL seed ${seed} (${family}): ${result.violations.slice(0, 5).join('; ')}`)
      console.log(`  replay: ${replayCommand(seed, family, plant)}`)
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
