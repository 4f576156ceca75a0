import { describe, expect, it } from 'vitest'
import { blockHash } from '../protocol/block.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import {
  type CompactProposal,
  compactProposalOf,
  decodeConsensusFrame,
} from '../protocol/compact-proposal.ts'
import {
  type ConsensusMessage,
  encodeConsensusMessage,
  type Proposal,
  proposalSignBytes,
} from '../protocol/consensus-message.ts'
import { verify } from '../protocol/crypto.ts'
import { CompactErrorCode } from './compact-errors.ts'
import {
  CompactProposals,
  type CompactProposalsDeps,
  consensusEncoder,
  RecentProposals,
  serveTxs,
} from './compact-proposals.ts'
import { CHAIN, keyOf, leader, poolOf, proposalOf, signedTxs } from './compact-testing.ts'

const txs = signedTxs(5)
const LEADER = toHex(leader.publicKey)

interface Fetch {
  readonly peer: string
  readonly height: number
  readonly ids: readonly Bytes[]
  readonly signal: AbortSignal
  resolve(txs: Bytes[]): void
  reject(err: unknown): void
}

/** A harness: a fake pool and fetch (settled by the test), and what reached consensus and metrics. */
function harness(pooled: readonly Bytes[], overrides: Partial<CompactProposalsDeps> = {}) {
  const delivered: { proposal: Proposal; from: string }[] = []
  const fetches: Fetch[] = []
  const counts: Record<string, number> = {}
  const dropped: string[] = []
  let head = 0
  const inc = (key: string, n = 1) => {
    counts[key] = (counts[key] ?? 0) + n
  }
  const pool = poolOf(pooled)
  const wakes: (() => void)[] = []
  const deps: CompactProposalsDeps = {
    knownTx: pool.knownTx,
    onTxsAdded: (wake) => {
      wakes.push(wake)
      return () => void wakes.splice(wakes.indexOf(wake), 1)
    },
    fetchTxs: (peer, height, ids, signal) =>
      new Promise<Bytes[]>((resolve, reject) => {
        fetches.push({ peer, height, ids, signal, resolve, reject })
        signal.addEventListener('abort', () => reject(signal.reason))
      }),
    verifySignature: (p) =>
      verify(p.signature, proposalSignBytes(CHAIN, p.height, p.view, blockHash(p.block.header)), p.proposer),
    maxBlockTxs: () => 100,
    headHeight: () => head,
    deliver: (proposal, from) => {
      delivered.push({ proposal, from })
    },
    metrics: {
      compactProposals: { inc: ({ outcome }) => inc(outcome) },
      compactDropped: { inc: ({ code }) => dropped.push(code) },
      compactTxsFetched: { inc: (n) => inc('txsFetched', n) },
      compactFetchSeconds: { observe: () => inc('fetchTimed') },
    },
    log: { debug: () => {}, warn: () => {} },
    ...overrides,
  }
  const compact = new CompactProposals({ maxPendingPerPeer: 2 }, deps)
  return {
    compact,
    delivered,
    fetches,
    counts,
    dropped,
    /** Gossip admitted to the pool: the pool's wake-ups run. */
    admit: (txs: readonly Bytes[]) => {
      for (const [key, held] of poolOf(txs).held) pool.held.set(key, held)
      for (const wake of [...wakes]) wake()
    },
    wakes,
    commit: (height: number) => {
      head = height
      compact.afterCommit(height)
    },
  }
}

/** The sender's own txs by id, to answer a fetch honestly. */
function answer(fetch: Fetch, source: readonly Bytes[] = txs): Bytes[] {
  const block = compactProposalOf(proposalOf(source)).block
  return fetch.ids.map((id) => source[block.txIds.findIndex((x) => toHex(x) === toHex(id))] as Bytes)
}

/** Resolves once the microtasks queued so far have run (a fetch settled → delivery). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

const compactOf = (p: Proposal): CompactProposal => compactProposalOf(p)

describe('compact proposals in the node', () => {
  it('every tx pooled: the full proposal reaches consensus at once, byte for byte', () => {
    const h = harness(txs)
    const p = proposalOf(txs)
    h.compact.receive(compactOf(p), LEADER)
    expect(h.delivered).toHaveLength(1)
    expect(encodeConsensusMessage(h.delivered[0]?.proposal as Proposal)).toEqual(encodeConsensusMessage(p))
    expect([h.fetches.length, h.counts]).toEqual([0, { complete: 1 }])
  })

  it("returns the driver's back-pressure promise when it delivers at once, nothing while it fetches", async () => {
    const held = Promise.resolve()
    const h = harness(txs, { deliver: () => held })
    expect(h.compact.receive(compactOf(proposalOf(txs)), LEADER)).toBe(held)
    const g = harness(txs.slice(1))
    expect(g.compact.receive(compactOf(proposalOf(txs)), LEADER)).toBeUndefined()
    expect(g.fetches).toHaveLength(1)
  })

  it('some txs missing: fetched from the sender for the height, then delivered whole', async () => {
    const h = harness(txs.slice(0, 2))
    const p = proposalOf(txs)
    h.compact.receive(compactOf(p), LEADER)
    expect(h.delivered).toHaveLength(0)
    const [fetch] = h.fetches as [Fetch]
    expect([fetch.peer, fetch.height, fetch.ids.length]).toEqual([LEADER, 1, 3])
    expect(h.compact.pending).toBe(1)
    fetch.resolve(answer(fetch))
    await settle()
    expect(encodeConsensusMessage(h.delivered[0]?.proposal as Proposal)).toEqual(encodeConsensusMessage(p))
    expect(h.counts).toEqual({ fetched: 1, txsFetched: 3, fetchTimed: 1 })
    expect(h.compact.pending).toBe(0)
  })

  it('the missing txs reaching the pool during the fetch complete it at once; the fetch is cancelled', async () => {
    const h = harness(txs.slice(0, 2))
    const p = proposalOf(txs)
    h.compact.receive(compactOf(p), LEADER)
    h.admit(txs.slice(2, 4))
    expect(h.delivered).toHaveLength(0)
    h.admit(txs.slice(4))
    expect(encodeConsensusMessage(h.delivered[0]?.proposal as Proposal)).toEqual(encodeConsensusMessage(p))
    const [fetch] = h.fetches as [Fetch]
    expect(fetch.signal.aborted).toBe(true)
    await settle()
    expect(h.counts).toEqual({ 'complete-late': 1, fetchTimed: 1 })
    expect([h.dropped, h.compact.pending, h.delivered.length]).toEqual([[], 0, 1])
    // Stopped, it no longer listens to the pool.
    h.compact.stop()
    expect(h.wakes).toHaveLength(0)
  })

  it('a lying or failing sender: the proposal is dropped with its code, nothing delivered', async () => {
    const h = harness([])
    h.compact.receive(compactOf(proposalOf(txs)), LEADER)
    ;(h.fetches[0] as Fetch).resolve(signedTxs(5, 50))
    await settle()
    h.compact.receive(compactOf(proposalOf(txs)), LEADER)
    ;(h.fetches[1] as Fetch).reject(Object.assign(new Error('timeout'), { code: 'P2P_ABORTED' }))
    await settle()
    expect(h.delivered).toHaveLength(0)
    expect(h.dropped).toEqual([CompactErrorCode.wrongTx, CompactErrorCode.fetchFailed])
    expect(h.counts).toEqual({ dropped: 2, fetchTimed: 2 })
  })

  it('refuses before any fetch: another signer than the sender, a bad signature, too many txs, a committed height', () => {
    const h = harness([], { maxBlockTxs: () => 4 })
    const p = proposalOf(txs.slice(0, 3))
    h.compact.receive(compactOf(p), toHex(keyOf('other').publicKey))
    h.compact.receive({ ...compactOf(p), signature: new Uint8Array(64) }, LEADER)
    h.compact.receive(compactOf(proposalOf(txs)), LEADER)
    h.commit(1)
    h.compact.receive(compactOf(p), LEADER)
    expect(h.fetches).toHaveLength(0)
    expect(h.dropped).toEqual([
      CompactErrorCode.unauthenticated,
      CompactErrorCode.unauthenticated,
      CompactErrorCode.tooManyTxs,
      CompactErrorCode.stale,
    ])
  })

  it('at most two wait per sender: a third replaces the oldest, whose fetch is aborted', async () => {
    const h = harness([])
    for (const height of [1, 2, 3]) h.compact.receive(compactOf(proposalOf(txs, { height })), LEADER)
    expect(h.fetches.map((f) => [f.height, f.signal.aborted])).toEqual([
      [1, true],
      [2, false],
      [3, false],
    ])
    // Another sender has places of its own.
    const other = keyOf('other')
    h.compact.receive(compactOf(proposalOf(txs, { by: other })), toHex(other.publicKey))
    expect(h.compact.pending).toBe(3)
    await settle()
    expect(h.dropped).toEqual([CompactErrorCode.replaced])
    for (const f of h.fetches.slice(1)) f.resolve(answer(f))
    await settle()
    expect(h.delivered.map((d) => [d.proposal.height, d.from.slice(0, 4)])).toEqual([
      [2, LEADER.slice(0, 4)],
      [3, LEADER.slice(0, 4)],
      [1, toHex(other.publicKey).slice(0, 4)],
    ])
  })

  it('a commit drops what waits for its height; stop() drops everything and delivers nothing after', async () => {
    const h = harness([])
    h.compact.receive(compactOf(proposalOf(txs, { height: 1 })), LEADER)
    h.compact.receive(compactOf(proposalOf(txs, { height: 2 })), LEADER)
    h.commit(1)
    await settle()
    expect(h.dropped).toEqual([CompactErrorCode.stale])
    const [, second] = h.fetches as [Fetch, Fetch]
    h.compact.stop()
    second.resolve(answer(second))
    await settle()
    expect(h.delivered).toHaveLength(0)
    h.compact.receive(compactOf(proposalOf(txs, { height: 3 })), LEADER)
    expect(h.fetches).toHaveLength(2)
  })
})

describe('the leader side', () => {
  it('sends proposals compact and serves their txs; every other message goes as it is', () => {
    const recent = new RecentProposals({ maxBlocks: 2 })
    const sizes: number[][] = [[], []]
    const encode = consensusEncoder(recent, {
      proposalBytes: { observe: (n) => sizes[0]?.push(n) },
      proposalBlockBytes: { observe: (n) => sizes[1]?.push(n) },
    })
    const p = proposalOf(txs)
    const bytes = encode(p)
    const frame = decodeConsensusFrame(bytes, CHAIN)
    expect(frame.type).toBe('compact-proposal')
    expect(sizes[0]).toEqual([bytes.length])
    expect((sizes[1]?.[0] as number) - bytes.length).toBeGreaterThan(txs.length * 100)
    const ids = compactOf(p).block.txIds
    expect(serveTxs(ids, recent, () => undefined)).toEqual(txs)
    // A prefix: the server stops at the first id it does not hold.
    const unknown = compactOf(proposalOf(signedTxs(1, 90))).block.txIds[0] as Bytes
    expect(serveTxs([ids[0] as Bytes, unknown, ids[1] as Bytes], recent, () => undefined)).toEqual([txs[0]])
    // Bounded: only the last two blocks' txs are kept, then the pool answers.
    encode(proposalOf(signedTxs(1, 10), { height: 2 }))
    encode(proposalOf(signedTxs(1, 20), { height: 3 }))
    expect(serveTxs(ids, recent, () => undefined)).toEqual([])
    expect(serveTxs(ids, recent, poolOf(txs).knownTx)).toEqual(txs)
    const vote: ConsensusMessage = {
      type: 'vote',
      vote: {
        kind: 'prepare',
        height: 1,
        view: 0,
        blockHash: new Uint8Array(32),
        validator: leader.publicKey,
        signature: new Uint8Array(64),
      },
    }
    expect(encode(vote)).toEqual(encodeConsensusMessage(vote))
  })
})
