import { describe, expect, it } from 'vitest'
import type { Bytes } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair } from '../protocol/crypto.ts'
import { createValidatorSet } from '../protocol/validator-set.ts'
import { type CommitCertificate, certificateFromVotes, signVote } from '../protocol/vote.ts'
import { decodeForkRecords, ForkSource, ForkWatch, type ForkWatchChain } from './fork-watch.ts'

const CHAIN = 'arcade-test'
const hash = (n: number) => new Uint8Array(32).fill(n)
const vals = Array.from({ length: 4 }, () => generateKeyPair())
const set = createValidatorSet(vals.map((k) => ({ publicKey: k.publicKey, power: 10 })))

function certificate(
  signers: readonly KeyPair[],
  height: number,
  blockHash: Bytes,
  kind: 'commit' | 'prepare' = 'commit',
): CommitCertificate {
  const votes = signers.map((k) => signVote(CHAIN, { kind, height, view: 0, blockHash }, k))
  return certificateFromVotes(votes) as CommitCertificate
}

/** A chain at height 5 whose block at height h has hash(h). */
function setup(options: { maxRecords?: number } = {}) {
  let saved: Bytes | null = null
  const logs: { level: string; msg: string }[] = []
  const forks: number[] = []
  let rejected = 0
  const chain: ForkWatchChain = {
    chainId: CHAIN,
    height: () => 5,
    committedHash: async (h) => (h >= 1 && h <= 5 ? hash(h) : null),
    certificateAt: async (h) => certificate(vals.slice(0, 3), h, hash(h)),
    validatorSetAt: async () => set,
  }
  const deps = {
    chain,
    store: {
      load: async () => saved,
      save: async (bytes: Bytes) => {
        saved = bytes
      },
    },
    nowMs: () => 1_000,
    log: {
      error: (_d: unknown, msg: string) => logs.push({ level: 'error', msg }),
      warn: (_d: unknown, msg: string) => logs.push({ level: 'warn', msg }),
      debug: () => {},
    },
    onFork: (_r: unknown, held: number) => forks.push(held),
    onRejected: () => {
      rejected++
    },
  }
  const watch = new ForkWatch(options, deps)
  return { watch, deps, logs, forks, rejected: () => rejected, saved: () => saved }
}

const from = { source: ForkSource.sync, peer: 'ab'.repeat(32) }

describe('ForkWatch', () => {
  it('keeps a fully verified conflicting certificate as fork evidence, persisted, with an error log', async () => {
    const s = setup()
    const theirs = certificate(vals.slice(1, 4), 3, hash(99))
    expect(await s.watch.offer(theirs, from)).toBe('fork')
    expect(s.watch.records).toHaveLength(1)
    expect(s.watch.records[0]).toMatchObject({ height: 3, source: 'sync', peer: from.peer, seenAtMs: 1_000 })
    expect(s.watch.records[0]?.ours?.blockHash).toEqual(hash(3))
    expect(s.forks).toEqual([1])
    expect(s.logs.some((l) => l.level === 'error')).toBe(true)
    expect(decodeForkRecords(s.saved() as Bytes)).toHaveLength(1)
    // The same fork again (another peer) is known, not a second record.
    expect(await s.watch.offer(theirs, { source: ForkSource.syncLastCommit, peer: null })).toBe('known')
    expect(s.watch.count).toBe(1)
  })

  it('raises no alarm for a forged second certificate', async () => {
    const s = setup()
    const real = certificate(vals.slice(1, 4), 3, hash(99))
    // A signature copied from another vote: does not verify.
    const forged: CommitCertificate = {
      ...real,
      signatures: real.signatures.map((sig, i) =>
        i === 0 ? { ...sig, signature: (real.signatures[1] as typeof sig).signature } : sig,
      ),
    }
    expect(await s.watch.offer(forged, from)).toBe('invalid')
    // Signed by outsiders holding no power in this set.
    const strangers = Array.from({ length: 3 }, () => generateKeyPair())
    expect(await s.watch.offer(certificate(strangers, 3, hash(98)), from)).toBe('invalid')
    // Honest signatures, but only a third of the power: no quorum.
    expect(await s.watch.offer(certificate(vals.slice(0, 2), 3, hash(97)), from)).toBe('invalid')
    // A prepare certificate proves nothing about commits.
    const prepare = certificate(vals.slice(1, 4), 3, hash(96), 'prepare')
    expect(await s.watch.offer(prepare, from)).toBe('not-comparable')
    expect(s.watch.records).toEqual([])
    expect(s.forks).toEqual([])
    expect(s.saved()).toBeNull()
    expect(s.rejected()).toBe(3)
    expect(s.logs.every((l) => l.level !== 'error')).toBe(true)
    // A repeated forged one is not verified again (remembered by hash) and stays invalid.
    expect(await s.watch.offer(forged, from)).toBe('invalid')
    expect(s.rejected()).toBe(3)
  })

  it('ignores certificates for its own block and for heights it has not committed', async () => {
    const s = setup()
    expect(await s.watch.offer(certificate(vals.slice(1, 4), 3, hash(3)), from)).toBe('same')
    expect(await s.watch.offer(certificate(vals.slice(1, 4), 6, hash(42)), from)).toBe('not-comparable')
    expect(s.watch.count).toBe(0)
  })

  it('keeps at most maxRecords forks, counts the rest, and reloads the evidence after a restart', async () => {
    const s = setup({ maxRecords: 2 })
    for (const h of [1, 2, 3]) {
      expect(await s.watch.offer(certificate(vals.slice(1, 4), h, hash(100 + h)), from)).toBe('fork')
    }
    expect(s.watch.records.map((r) => r.height)).toEqual([1, 2])
    expect(s.watch.count).toBe(3)
    const restarted = new ForkWatch({ maxRecords: 2 }, s.deps)
    await restarted.open()
    expect(restarted.records.map((r) => r.height)).toEqual([1, 2])
    expect(await restarted.offer(certificate(vals.slice(1, 4), 2, hash(102)), from)).toBe('known')
  })
})
