/**
 * Block sync against fake peers: entries are checked as they are decoded; a dripping, silent or lying
 * peer cannot hold the sync, nor a claimed height drive `syncing`; and sync racing consensus for the
 * same height commits it once.
 */
import { describe, expect, it, vi } from 'vitest'
import { planDevnet } from '../../genesis/devnet.ts'
import { genesisHash } from '../../genesis/hash.ts'
import { toGenesisStateInput } from '../../genesis/to-state-input.ts'
import { type Block, encodeBlock, txHashesOf, txRootOf, ZERO_HASH } from '../../protocol/block.ts'
import { toHex, utf8 } from '../../protocol/bytes.ts'
import { decodeRaw, encode } from '../../protocol/codec.ts'
import { generateKeyPair, sha256 } from '../../protocol/crypto.ts'
import { ProtocolErrorCode } from '../../protocol/errors.ts'
import { encodeTx, signTx, txHashOfEncoded } from '../../protocol/tx.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  certificateFromVotes,
  certificateToTuple,
  signVote,
  VoteKind,
} from '../../protocol/vote.ts'
import { Chain, type CommittedBlock } from '../chain.ts'
import { executorPort } from '../consensus-ports.ts'
import type { Mempool } from '../mempool/mempool.ts'
import { createVerifyPool } from '../mempool/verify-pool.ts'
import { type BlockCommit, type ChainStore, createMemoryChainStore } from '../store/index.ts'
import { BlockSync, type BlockSyncOptions, decodeSyncEntry, encodeSyncEntry } from './block-sync.ts'

const key = generateKeyPair()
const txs = [1, 2].map((nonce) =>
  encodeTx(
    signTx(
      {
        chainId: 'c',
        signer: key.publicKey,
        nonce,
        validUntil: 10,
        sponsor: key.publicKey,
        body: { kind: 'point.transfer', point: 'SHOTEN', to: key.publicKey, amount: nonce },
      },
      key.secretKey,
    ),
  ),
)

function block(txRoot: Uint8Array): Block {
  return {
    header: {
      chainId: 'c',
      height: 1,
      view: 0,
      timeMs: 1_000,
      parentHash: ZERO_HASH,
      txRoot,
      stateRoot: sha256(utf8('state')),
      lastCommitHash: ZERO_HASH,
      validatorSetHash: ZERO_HASH,
      nextValidatorSetHash: ZERO_HASH,
      evidenceRoot: txRootOf([]),
      proposer: key.publicKey,
    },
    txs,
    lastCommit: null,
    evidence: [],
  }
}

const certificateBytes = encode(
  certificateToTuple(
    certificateFromVotes([signVote('c', { kind: 'commit', height: 1, view: 0, blockHash: ZERO_HASH }, key)]),
  ),
)

describe('decodeSyncEntry', () => {
  it('decodes a good entry, carrying the hashes of its txs', () => {
    const { block: decoded } = decodeSyncEntry(
      encodeSyncEntry(encodeBlock(block(txRootOf(txs))), certificateBytes),
    )
    expect(txHashesOf(decoded.txs).map(toHex)).toEqual(txs.map((t) => toHex(txHashOfEncoded(t))))
  })

  it('refuses a block whose tx root does not match its txs', () => {
    const entry = encodeSyncEntry(encodeBlock(block(sha256(utf8('other')))), certificateBytes)
    expect(() => decodeSyncEntry(entry)).toThrow(
      expect.objectContaining({
        code: ProtocolErrorCode.invalidField,
        details: expect.objectContaining({ field: 'block.header.txRoot' }),
      }),
    )
  })
})

const devnet = planDevnet(
  { validators: 4, observers: 0, chainId: 'arcade-block-sync', basePort: 41300, genesisTimeMs: 1_000 },
  { generateKeyPair },
)
const { genesis } = devnet
const nodeKeys = devnet.nodes.map((n) => n.nodeKey)
const peerIds = nodeKeys.map((k) => toHex(k.publicKey))

async function openChain(wrapStore?: (store: ChainStore) => ChainStore): Promise<Chain> {
  const inner = createMemoryChainStore({
    chain: { chainId: genesis.chainId, genesisHash: genesisHash(genesis) },
  })
  await inner.open()
  return Chain.open(
    {
      chainId: genesis.chainId,
      genesisHash: genesisHash(genesis),
      genesisTimeMs: genesis.genesisTimeMs,
      genesisState: toGenesisStateInput(genesis),
      maxClockDriftMs: 10_000,
    },
    {
      store: wrapStore?.(inner) ?? inner,
      verifier: createVerifyPool({ workers: 0, minBatchForWorkers: 64 }),
      nowMs: Date.now,
    },
    { certificate: (b) => certificateFromTuple(decodeRaw(b, 64 * 1024, 'certificate')) as CommitCertificate },
  )
}

/** An honest chain of `count` certified blocks, as sync entries (index i is height i + 1). */
async function certifiedChain(
  count: number,
): Promise<{ entries: Uint8Array[]; blocks: Block[]; certificates: CommitCertificate[] }> {
  const leader = await openChain()
  const entries: Uint8Array[] = []
  const blocks: Block[] = []
  const certificates: CommitCertificate[] = []
  for (let h = 1; h <= count; h++) {
    const { block, hash } = await leader.buildBlock({
      view: 0,
      proposer: (nodeKeys[0] as (typeof nodeKeys)[0]).publicKey,
      txs: [],
      lastCommit: leader.headCertificate,
      evidence: [],
    })
    const certificate = certificateFromVotes(
      nodeKeys.map((k) =>
        signVote(genesis.chainId, { kind: VoteKind.commit, height: h, view: 0, blockHash: hash }, k),
      ),
    ) as CommitCertificate
    await leader.commit(block, certificate)
    blocks.push(block)
    certificates.push(certificate)
    entries.push(encodeSyncEntry(encodeBlock(block), encode(certificateToTuple(certificate))))
  }
  return { entries, blocks, certificates }
}

/** Resolves after `ms`, or rejects when `signal` aborts (as the real p2p request does). */
function answerAfter<T>(ms: number, signal: AbortSignal, value: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(() => resolve(value()), ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })
}

interface FakePeer {
  status: (signal: AbortSignal) => Promise<{ height: number }>
  blocks: (from: number, max: number, signal: AbortSignal) => Promise<Uint8Array[]>
}

function quietLog(warnings: { msg: string; data: Record<string, unknown> }[] = []) {
  return {
    info: () => {},
    debug: () => {},
    warn: (data: Record<string, unknown>, msg: string) => void warnings.push({ msg, data }),
  }
}

const SYNC_OPTIONS: BlockSyncOptions = {
  batchSize: 8,
  pollIntervalMs: 1_000,
  requestTimeoutMs: 300,
  minBlocksPerSecond: 10,
  minBytesPerSecond: 64 * 1024,
  syncingMarginBlocks: 2,
}

describe('sync cannot be held by a slow, silent or lying peer', () => {
  it('leaves a dripping peer and a silent one within the deadline, ignores a liar, and reaches the honest height', async () => {
    const { entries } = await certifiedChain(20)
    const serve = (from: number, max: number) => entries.slice(from - 1, from - 1 + max)
    const requests = new Map<string, number>()
    const chain = await openChain()
    let syncingWhileBehind: boolean | null = null
    let sync: BlockSync | null = null
    const [honest, dripper, liar, silent] = peerIds as [string, string, string, string]
    const peers = new Map<string, FakePeer>([
      // Answers status a little late, so the others are asked for blocks first.
      [
        honest,
        { status: (s) => answerAfter(20, s, () => ({ height: 20 })), blocks: async (f, m) => serve(f, m) },
      ],
      [
        dripper,
        {
          status: async () => ({ height: 20 }),
          // Valid blocks, one per request, slowly: well within the deadline, far below the rate.
          blocks: (f, _m, s) =>
            answerAfter(120, s, () => {
              syncingWhileBehind ??= sync?.syncing ?? null
              return serve(f, 1)
            }),
        },
      ],
      // Claims 2^53 and has nothing.
      [liar, { status: async () => ({ height: 2 ** 53 }), blocks: async () => [] }],
      // Claims the honest height, then never answers a block request.
      [
        silent,
        { status: async () => ({ height: 20 }), blocks: (_f, _m, s) => answerAfter(60_000, s, () => []) },
      ],
    ])
    const warnings: { msg: string; data: Record<string, unknown> }[] = []
    sync = new BlockSync(SYNC_OPTIONS, {
      chain,
      peers: () => [silent, dripper, liar, honest],
      requestStatus: (peer, signal) => (peers.get(peer) as FakePeer).status(signal),
      requestBlocks: (peer, from, max, signal) => {
        requests.set(peer, (requests.get(peer) ?? 0) + 1)
        return (peers.get(peer) as FakePeer).blocks(from, max, signal)
      },
      onCommitted: () => {},
      log: quietLog(warnings),
    })
    const started = performance.now()
    const applied = await sync.catchUp()
    const elapsedMs = performance.now() - started
    expect(applied).toBe(20)
    expect(chain.height).toBe(20)
    // The silent peer cost one deadline, the dripper one slow turn; then the honest peer served it all.
    expect(requests.get(silent)).toBe(1)
    expect(requests.get(dripper)).toBeLessThanOrEqual(2)
    expect(elapsedMs).toBeLessThan(2 * SYNC_OPTIONS.requestTimeoutMs + 1_500)
    // A third of the power claims 20: that is the best known height, not the liar's 2^53.
    expect(syncingWhileBehind).toBe(true)
    expect(sync.bestKnownHeight).toBe(20)
    expect(sync.syncing).toBe(false)
    expect(warnings).toEqual([])
  })

  it('a lone liar claiming 2^53 never makes the node report syncing', async () => {
    const chain = await openChain()
    const liar = peerIds[2] as string
    const sync = new BlockSync(SYNC_OPTIONS, {
      chain,
      peers: () => [liar],
      requestStatus: async () => ({ height: 2 ** 53 }),
      requestBlocks: async () => [],
      onCommitted: () => {},
      log: quietLog(),
    })
    expect(await sync.catchUp()).toBe(0)
    expect(sync.bestKnownHeight).toBe(0)
    expect(sync.syncing).toBe(false)
  })

  it('catchUp ends at its signal (a start-up deadline) even when a peer never answers', async () => {
    const chain = await openChain()
    const silent = peerIds[3] as string
    const sync = new BlockSync(
      { ...SYNC_OPTIONS, requestTimeoutMs: 60_000 },
      {
        chain,
        peers: () => [silent],
        requestStatus: async () => ({ height: 5 }),
        requestBlocks: (_p, _f, _m, s) => answerAfter(120_000, s, () => []),
        onCommitted: () => {},
        log: quietLog(),
      },
    )
    const deadline = new AbortController()
    const round = sync.catchUp(0, { signal: deadline.signal })
    deadline.abort()
    expect(await round).toBe(0)
  })
})

describe('sync and consensus committing the same height', () => {
  it('write it once, announce it once, and blame no peer', async () => {
    const { blocks, certificates, entries } = await certifiedChain(1)
    let release = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const writes: number[] = []
    let firstWrite = () => {}
    const written = new Promise<void>((resolve) => {
      firstWrite = resolve
    })
    const chain = await openChain(
      (inner) =>
        new Proxy(inner, {
          get(target, prop) {
            if (prop === 'commitBlock') {
              return async (commit: BlockCommit) => {
                writes.push(commit.height)
                firstWrite()
                await held
                return target.commitBlock(commit)
              }
            }
            const value = Reflect.get(target, prop, target)
            return typeof value === 'function' ? value.bind(target) : value
          },
        }),
    )
    const commitCalls = vi.spyOn(chain, 'commit')
    const announced: CommittedBlock[] = []
    const executor = executorPort({
      chain,
      mempool: {} as Mempool,
      proposer: (nodeKeys[0] as (typeof nodeKeys)[0]).publicKey,
      emptyBlockIntervalMs: null,
      onCommitted: (c) => void announced.push(c),
    })
    const warnings: { msg: string; data: Record<string, unknown> }[] = []
    const rejected: string[] = []
    const sync = new BlockSync(SYNC_OPTIONS, {
      chain,
      peers: () => [peerIds[1] as string],
      requestStatus: async () => ({ height: 1 }),
      requestBlocks: async (_p, from) => entries.slice(from - 1),
      onCommitted: (c) => void announced.push(c),
      onRejected: (_peer, code) => void rejected.push(code),
      log: quietLog(warnings),
    })
    // Consensus decides block 1 and starts writing it; the write is held.
    const consensus = Promise.resolve(
      executor.commit(blocks[0] as Block, certificates[0] as CommitCertificate),
    )
    await written
    // Meanwhile sync fetches the same block from a peer and commits it too.
    const synced = sync.catchUp()
    await vi.waitFor(() => expect(commitCalls).toHaveBeenCalledTimes(2))
    // Let every step that does not wait on the held write run, then let the write finish.
    await new Promise((resolve) => setImmediate(resolve))
    release()
    await expect(consensus).resolves.toBeUndefined()
    await synced
    expect(writes).toEqual([1])
    expect(announced.map((c) => c.block.header.height)).toEqual([1])
    expect(rejected).toEqual([])
    expect(warnings).toEqual([])
    expect(chain.height).toBe(1)
  })
})

describe('the follow loop (start)', () => {
  it('runs a round only while `following` holds, and reports each round that applied blocks', async () => {
    const { entries } = await certifiedChain(6)
    const chain = await openChain()
    const peer = peerIds[1] as string
    let available = 3
    let follow = false
    let ticks = 0
    let statusAsks = 0
    const followed: number[] = []
    const sync = new BlockSync(
      { ...SYNC_OPTIONS, pollIntervalMs: 5 },
      {
        chain,
        peers: () => [peer],
        requestStatus: async () => {
          statusAsks++
          return { height: available }
        },
        requestBlocks: async (_p, from, max) => entries.slice(from - 1, Math.min(available, from - 1 + max)),
        onCommitted: () => {},
        following: () => {
          ticks++
          return follow
        },
        onFollowed: (applied) => void followed.push(applied),
        log: quietLog(),
      },
    )
    sync.start()
    try {
      // A validator in the set: the loop ticks and asks nobody anything.
      await vi.waitFor(() => expect(ticks).toBeGreaterThanOrEqual(3))
      expect(statusAsks).toBe(0)
      expect(chain.height).toBe(0)
      // Out of the set: it follows, and hands over each new head once.
      follow = true
      await vi.waitFor(() => expect(chain.height).toBe(3))
      available = 6
      await vi.waitFor(() => expect(chain.height).toBe(6))
      await vi.waitFor(() => expect(followed).toEqual([3, 3]))
      // Back in the set: no more rounds.
      follow = false
      const asked = statusAsks
      const at = ticks
      await vi.waitFor(() => expect(ticks).toBeGreaterThanOrEqual(at + 3))
      expect(statusAsks).toBeLessThanOrEqual(asked + 1)
    } finally {
      await sync.stop()
    }
  })
})
