import { describe, expect, it } from 'vitest'
import type { SignaturePort } from '../../consensus/ports.ts'
import { block, CHAIN, cfg, leader0, others, signed, started, vote } from '../../consensus/testing.ts'
import { addVote } from '../../consensus/vote-set.ts'
import type { Proposal } from '../../protocol/consensus-message.ts'
import { publicKeyFromSecret, sign, verify } from '../../protocol/crypto.ts'
import { type CommitCertificate, certificateFromVotes, type Vote } from '../../protocol/vote.ts'
import { checkBounds } from './bounds.ts'
import { KEY_CHANGES, type KeyChange, keySchedule, sharesUnderTwoThirds } from './key-epochs.ts'
import { createPrng } from './prng.ts'
import { replayCommand, runSeed } from './run.ts'
import type { SimResult } from './sim.ts'

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

function runAll(family: string, seeds: readonly number[]): { failures: string[]; results: SimResult[] } {
  const failures: string[] = []
  const results: SimResult[] = []
  for (const seed of seeds) {
    const r = runSeed(seed, family)
    results.push(r)
    if (r.violations.length > 0) failures.push(`${r.violations[0]} — replay: ${replayCommand(seed, family)}`)
  }
  return { failures, results }
}

/**
 * Validator sets that change by keys at epoch boundaries (key-epochs.ts, key-scenarios.ts), under
 * faults until GST. `npm run sim -- --scenario keys` (or keys-outsider, keys-sync) runs many more seeds.
 */
describe('simulation: validator sets that change by keys', () => {
  it('draws schedules that are the changes they are named for', () => {
    const sets = (change: KeyChange, seed: number) =>
      keySchedule(createPrng(seed), change, 8).sets.map((set) => new Set(set.keys()))
    for (const seed of range(1, 50)) {
      const pairs = (change: KeyChange) => {
        const s = sets(change, seed)
        return s.slice(1).map((next, i) => {
          const prev = s[i] as Set<number>
          const seen = new Set(s.slice(0, i + 1).flatMap((x) => [...x]))
          return {
            out: [...prev].filter((k) => !next.has(k)),
            in: [...next].filter((k) => !prev.has(k)),
            fresh: [...next].every((k) => prev.has(k) || !seen.has(k)),
            prev,
            next,
          }
        })
      }
      for (const p of pairs('join')) expect([p.out.length, p.in.length, p.fresh]).toEqual([0, 1, true])
      for (const p of pairs('rotate')) expect([p.out.length, p.in.length, p.fresh]).toEqual([1, 1, true])
      expect(pairs('leave')[0]?.out).toHaveLength(1)
      const sizes = sets('shrink-grow', seed).map((x) => x.size)
      expect([1, 4]).toContain(Math.min(...sizes))
      expect(sizes.slice(sizes.indexOf(Math.min(...sizes))).some((n) => n > Math.min(...sizes))).toBe(true)
      const s = keySchedule(createPrng(seed), 'disjoint', 8).sets
      for (let i = 1; i < s.length; i++)
        expect(sharesUnderTwoThirds(s[i - 1] as Map<number, number>, s[i] as Map<number, number>)).toBe(true)
    }
  })

  it('keeps agreement, each height certified by its own set, and progress across every change (keys, 40 seeds)', () => {
    const { failures, results } = runAll('keys', range(1, 40))
    expect(failures).toEqual([])
    // Every kind of change ran: join, leave, rotate, shrink-grow, disjoint (< 2/3 shared), walk.
    expect(new Set(results.map((r) => r.variant))).toEqual(new Set(KEY_CHANGES))
  })

  it('counts nothing a key signs outside its membership: a leaver after its exit, a newcomer before its entry (keys-outsider, 40 seeds)', () => {
    const { failures, results } = runAll('keys-outsider', range(1, 40))
    expect(failures).toEqual([])
    // The outsiders really sent votes, proposals and view changes on both sides of their membership.
    expect(results.reduce((n, r) => n + r.attacks.outsiderLate, 0)).toBeGreaterThan(1000)
    expect(results.reduce((n, r) => n + r.attacks.outsiderEarly, 0)).toBeGreaterThan(1000)
  })

  it('syncs across several key changes, each certificate checked against its own height set (keys-sync, 30 seeds)', () => {
    const { failures, results } = runAll('keys-sync', range(1, 30))
    expect(failures).toEqual([])
    // Nodes came up late or restarted after several changes, and one sync crossed three or more of them.
    expect(results.filter((r) => r.synced.mostInOne >= 3).length).toBeGreaterThan(5)
  })

  // Each failed before a node stuck in a view change asked for a sync of its own height (consensus/
  // machine-view-change.ts, syncWhenStuck): the set that decided the height had left and gone quiet.
  it('passes the seeds that once failed', () => {
    expect(runAll('keys', [91, 107]).failures).toEqual([])
    expect(runAll('keys-outsider', [150]).failures).toEqual([])
    expect(runAll('keys-sync', [9, 48, 279, 391]).failures).toEqual([])
  })

  it('catches a planted bug: a chain whose new sets take over one height late', () => {
    const results = range(1, 20).map((seed) => runSeed(seed, 'keys', 'late-set'))
    expect(results.filter((r) => r.violations.length === 0)).toEqual([])
    // Besides the header naming the wrong set, the certificates themselves fail their height's set.
    const certificates = results.filter((r) =>
      r.violations.some((v) => v.includes('is not a valid > 2/3 quorum')),
    )
    expect(certificates.length).toBeGreaterThan(10)
  })

  it('has a bounds check with teeth: a vote, proposal or certificate from outside the set is a violation', () => {
    const secret = new Uint8Array(32).fill(77)
    const outsider: SignaturePort = {
      publicKey: publicKeyFromSecret(secret),
      sign: (m) => sign(m, secret),
      verify,
    }
    const s = started()
    const a = block(leader0.publicKey)
    const bounds = (state: typeof s) => checkBounds(0, state, cfg.options, cfg.verify, CHAIN)
    expect(bounds(s)).toEqual([])
    const outsiderVote = (vote(outsider, 'prepare', a) as { vote: Vote }).vote
    const counted = { ...s, votes: addVote(s.votes, outsiderVote, 10).set }
    expect(bounds(counted)).toHaveLength(1)
    const proposal = signed(outsider, { type: 'proposal', height: 1, view: 0, block: a }) as Proposal
    expect(bounds({ ...s, proposals: new Map([[0, proposal]]) })).toHaveLength(1)
    // Two of four members' COMMITs are no quorum.
    const [x, y] = others as [SignaturePort, SignaturePort]
    const half = certificateFromVotes(
      [x, y].map((k) => (vote(k, 'commit', a) as { vote: Vote }).vote),
    ) as CommitCertificate
    expect(bounds({ ...s, certified: [half] })).toHaveLength(1)
  })
})
