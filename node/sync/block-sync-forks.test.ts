/**
 * Fork evidence through block sync, with a real chain and a real fork watch: a peer on the other side
 * of a fork (validators with more than a third of the power signed two blocks at one height) serves
 * blocks whose certificates contradict this node's chain, and the node keeps the evidence; a peer
 * that forges such a certificate raises nothing.
 */
import { describe, expect, it } from 'vitest'
import { planDevnet } from '../../genesis/devnet.ts'
import { genesisHash } from '../../genesis/hash.ts'
import { toGenesisStateInput } from '../../genesis/to-state-input.ts'
import { type Block, blockHash, encodeBlock } from '../../protocol/block.ts'
import { toHex } from '../../protocol/bytes.ts'
import { decodeRaw, encode } from '../../protocol/codec.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  certificateFromVotes,
  certificateToTuple,
  signVote,
  VoteKind,
} from '../../protocol/vote.ts'
import { Chain } from '../chain.ts'
import { ForkWatch, forkWatchChainOf, forkWatchStoreOf } from '../fork-watch.ts'
import { createVerifyPool } from '../mempool/verify-pool.ts'
import { type ChainStore, createMemoryChainStore } from '../store/index.ts'
import { BlockSync, encodeSyncEntry } from './block-sync.ts'

const devnet = planDevnet(
  { validators: 4, observers: 0, chainId: 'arcade-sync-forks', basePort: 41400, genesisTimeMs: 1_000 },
  { generateKeyPair },
)
const { genesis } = devnet
const nodeKeys = devnet.nodes.map((n) => n.nodeKey)
const peerIds = nodeKeys.map((k) => toHex(k.publicKey))

async function openChain(): Promise<{ chain: Chain; store: ChainStore }> {
  const store = createMemoryChainStore({
    chain: { chainId: genesis.chainId, genesisHash: genesisHash(genesis) },
  })
  await store.open()
  const chain = await Chain.open(
    {
      chainId: genesis.chainId,
      genesisHash: genesisHash(genesis),
      genesisTimeMs: genesis.genesisTimeMs,
      genesisState: toGenesisStateInput(genesis),
      maxClockDriftMs: 10_000,
    },
    { store, verifier: createVerifyPool({ workers: 0, minBatchForWorkers: 64 }), nowMs: Date.now },
    { certificate: (b) => certificateFromTuple(decodeRaw(b, 64 * 1024, 'certificate')) as CommitCertificate },
  )
  return { chain, store }
}

function certify(signers: typeof nodeKeys, height: number, hash: Uint8Array): CommitCertificate {
  return certificateFromVotes(
    signers.map((k) =>
      signVote(genesis.chainId, { kind: VoteKind.commit, height, view: 0, blockHash: hash }, k),
    ),
  ) as CommitCertificate
}

/** A certified chain of `count` blocks; from `forkAt` on, its blocks are proposed in view 1 instead. */
async function certifiedChain(count: number, forkAt = Number.POSITIVE_INFINITY) {
  const { chain } = await openChain()
  const blocks: Block[] = []
  const certificates: CommitCertificate[] = []
  for (let h = 1; h <= count; h++) {
    const { block, hash } = await chain.buildBlock({
      view: h >= forkAt ? 1 : 0,
      proposer: (nodeKeys[0] as (typeof nodeKeys)[0]).publicKey,
      txs: [],
      lastCommit: chain.headCertificate,
      evidence: [],
    })
    const certificate = certify(nodeKeys, h, hash)
    await chain.commit(block, certificate)
    blocks.push(block)
    certificates.push(certificate)
  }
  const entry = (h: number, cert?: CommitCertificate) =>
    encodeSyncEntry(
      encodeBlock(blocks[h - 1] as Block),
      encode(certificateToTuple(cert ?? (certificates[h - 1] as CommitCertificate))),
    )
  return { blocks, certificates, entry }
}

const quiet = { info: () => {}, debug: () => {}, warn: () => {}, error: () => {} }

async function observer() {
  const { chain, store } = await openChain()
  const errors: string[] = []
  let refused = 0
  const watch = new ForkWatch(
    {},
    {
      chain: forkWatchChainOf(chain, store),
      store: forkWatchStoreOf(store),
      nowMs: () => 5_000,
      log: { ...quiet, error: (_d: unknown, msg: string) => void errors.push(msg) },
      onRejected: () => {
        refused++
      },
    },
  )
  await watch.open()
  return { chain, store, watch, errors, refused: () => refused }
}

function syncFrom(
  o: Awaited<ReturnType<typeof observer>>,
  serve: (from: number) => Uint8Array[],
  claim: number,
): BlockSync {
  return new BlockSync(
    { batchSize: 8, pollIntervalMs: 1_000, requestTimeoutMs: 1_000 },
    {
      chain: o.chain,
      peers: () => peerIds,
      requestStatus: async () => ({ height: claim }),
      requestBlocks: async (_peer, from) => serve(from),
      onCommitted: () => {},
      onCertificate: (peer, certificate, where) =>
        o.watch.offer(certificate, { source: where === 'entry' ? 'sync' : 'sync-last-commit', peer }),
      log: quiet,
    },
  )
}

describe('fork evidence from block sync', () => {
  it('a forged certificate for another block raises no alarm; a real one does, and it persists', async () => {
    const honest = await certifiedChain(3)
    const forked = await certifiedChain(3, 2)
    expect(blockHash((forked.blocks[1] as Block).header)).not.toEqual(
      blockHash((honest.blocks[1] as Block).header),
    )
    const o = await observer()
    // Follow the honest side to height 2.
    await syncFrom(o, (from) => [1, 2].filter((h) => h >= from).map((h) => honest.entry(h)), 2).catchUp()
    expect(o.chain.height).toBe(2)

    // A forger serves the other block at height 2 with certificates it made up: strangers' keys,
    // a validator's signature copied into another's slot, and too little power.
    const forkedHash = blockHash((forked.blocks[1] as Block).header)
    const strangers = Array.from({ length: 4 }, () => generateKeyPair())
    const real = forked.certificates[1] as CommitCertificate
    const tampered: CommitCertificate = {
      ...real,
      signatures: real.signatures.map((s, i) => ({
        ...s,
        signature: (real.signatures[(i + 1) % real.signatures.length] as typeof s).signature,
      })),
    }
    const forgeries = [
      certify(strangers, 2, forkedHash),
      tampered,
      certify(nodeKeys.slice(0, 2), 2, forkedHash),
    ]
    await syncFrom(o, () => forgeries.map((c) => forked.entry(2, c)), 3).catchUp()
    expect(o.watch.records).toEqual([])
    expect(o.errors).toEqual([])
    expect(o.refused()).toBe(3)

    // The forked side's block 3 does not extend this head; its lastCommit certifies its own block 2.
    await syncFrom(o, () => [forked.entry(3)], 3).catchUp()
    expect(o.chain.height).toBe(2)
    expect(o.watch.records).toHaveLength(1)
    const record = o.watch.records[0]
    expect(record).toMatchObject({ height: 2, source: 'sync-last-commit' })
    expect(toHex(record?.theirs.blockHash as Uint8Array)).toBe(toHex(forkedHash))
    expect(toHex(record?.ours?.blockHash as Uint8Array)).toBe(
      toHex(blockHash((honest.blocks[1] as Block).header)),
    )
    expect(o.errors).toEqual(['fork: two valid commit certificates at one height'])

    // Its entry for height 2 itself is the same fork: known, not a second record.
    await syncFrom(o, () => [forked.entry(2)], 3).catchUp()
    expect(o.watch.count).toBe(1)

    // After a restart the evidence is still there.
    const reopened = new ForkWatch(
      {},
      {
        chain: forkWatchChainOf(o.chain, o.store),
        store: forkWatchStoreOf(o.store),
        nowMs: () => 0,
        log: quiet,
      },
    )
    await reopened.open()
    expect(reopened.records).toHaveLength(1)
  })
})
