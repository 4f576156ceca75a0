import { describe, expect, it } from 'vitest'
import { blockHash, evidenceRootOf, txRootOf, ZERO_HASH } from '../protocol/block.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { publicKeyFromSecret, sign, verify } from '../protocol/crypto.ts'
import { createValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { ConsensusDriver } from './driver.ts'
import { createLeaderSchedule } from './leader.ts'
import { consensusOptions } from './options.ts'
import type { SignaturePort, WalEntry } from './ports.ts'
import { createDoubleSignGuard, restoreFromWal, signMessage } from './signer.ts'

const CHAIN = 'arcade-test'
const keys: SignaturePort[] = [1, 2, 3, 4].map((i) => {
  const secret = new Uint8Array(32).fill(i)
  return { publicKey: publicKeyFromSecret(secret), sign: (m) => sign(m, secret), verify }
})
const set = createValidatorSet(keys.map((k) => ({ publicKey: k.publicKey, power: 1 })))
const leader = keys.find((k) =>
  bytesEqual(k.publicKey, createLeaderSchedule(set).leaderOf(1, 0)),
) as SignaturePort
const me = keys.find((k) => k !== leader) as SignaturePort

const block = (timeMs: number) => ({
  header: {
    chainId: CHAIN,
    height: 1,
    view: 0,
    timeMs,
    parentHash: ZERO_HASH,
    txRoot: txRootOf([]),
    stateRoot: ZERO_HASH,
    lastCommitHash: ZERO_HASH,
    validatorSetHash: validatorSetHash(set),
    nextValidatorSetHash: validatorSetHash(set),
    evidenceRoot: evidenceRootOf([]),
    proposer: leader.publicKey,
  },
  txs: [],
  lastCommit: null,
  evidence: [],
})

describe('double-sign guard', () => {
  const vote = (hashByte: number) =>
    ({
      type: 'vote',
      kind: 'prepare',
      height: 3,
      view: 1,
      blockHash: new Uint8Array(32).fill(hashByte),
    }) as const

  it('tells new, repeat and conflicting votes apart, and is rebuilt from the WAL', () => {
    const guard = createDoubleSignGuard()
    expect(guard.check(vote(1))).toBe('new')
    guard.record(vote(1))
    expect(guard.check(vote(1))).toBe('repeat')
    expect(guard.check(vote(2))).toBe('conflict')
    expect(guard.check({ ...vote(2), kind: 'commit' })).toBe('new')
    const wal: WalEntry[] = [{ type: 'signed', message: signMessage(CHAIN, me, vote(1)) }]
    expect(createDoubleSignGuard(wal).check(vote(2))).toBe('conflict')
  })
})

describe('restoring from the WAL', () => {
  const vc = (height: number, view: number) =>
    signMessage(CHAIN, me, { type: 'view-change', height, view, prepared: null })
  const vote = (height: number, view: number) =>
    signMessage(CHAIN, me, { type: 'vote', kind: 'prepare', height, view, blockHash: new Uint8Array(32) })
  const signed = (...messages: ConsensusMessage[]): WalEntry[] =>
    messages.map((message) => ({ type: 'signed', message }))

  it('is still changing view when its last word at the height was a VIEW-CHANGE', () => {
    expect(restoreFromWal(signed(vote(4, 0), vc(4, 1)), 4)).toMatchObject({ view: 1, phase: 'view-change' })
    // It voted in view 1 afterwards: it had followed the NEW-VIEW.
    expect(restoreFromWal(signed(vc(4, 1), vote(4, 1)), 4)).toMatchObject({ view: 1, phase: 'normal' })
    // Other heights do not count.
    expect(restoreFromWal(signed(vc(3, 5), vote(4, 0)), 4)).toMatchObject({ view: 0, phase: 'normal' })
    expect(restoreFromWal([], 4)).toEqual({ view: 0, phase: 'normal', prepared: null })
  })
})

describe('driver restart', () => {
  function node(wal: WalEntry[], sent: ConsensusMessage[]) {
    return new ConsensusDriver(
      { chainId: CHAIN, consensus: consensusOptions() },
      {
        network: { broadcast: (m) => sent.push(m), send: () => {} },
        signer: me,
        verify,
        wal: { append: (e) => void wal.push(e), load: () => [...wal], prune: () => {} },
        executor: {
          head: () => ({ header: null, certificate: null }),
          validatorSetFor: () => set,
          hasPendingTxs: () => false,
          buildProposal: () => {
            throw new Error('not the leader')
          },
          validateProposal: () => ({ ok: true }),
          commit: () => {},
        },
        sync: { request: () => {} },
        timers: { schedule: () => 0, cancel: () => {} },
      },
    )
  }
  const proposal = (timeMs: number) =>
    signMessage(CHAIN, leader, { type: 'proposal', height: 1, view: 0, block: block(timeMs) })
  const prepares = (sent: ConsensusMessage[]) =>
    sent
      .filter((m) => m.type === 'vote' && m.vote.kind === 'prepare')
      .map((m) => (m.type === 'vote' ? m.vote.blockHash : null))

  it('persists a vote before sending it and never signs a conflicting one after a restart', () => {
    const wal: WalEntry[] = []
    const sent: ConsensusMessage[] = []
    const first = node(wal, sent)
    first.start()
    first.receive(proposal(5), toHex(leader.publicKey))
    expect(prepares(sent)).toEqual([blockHash(block(5).header)])
    expect(wal.some((e) => e.type === 'signed' && e.message.type === 'vote')).toBe(true)
    void first.stop()

    const after: ConsensusMessage[] = []
    const second = node(wal, after)
    second.start()
    second.receive(proposal(6), toHex(leader.publicKey)) // the leader equivocates; this node already prepared the other block
    expect(prepares(after)).toEqual([])
    const fresh: ConsensusMessage[] = []
    const third = node([], fresh)
    third.start()
    third.receive(proposal(6), toHex(leader.publicKey))
    expect(prepares(fresh)).toEqual([blockHash(block(6).header)])
  })
})
