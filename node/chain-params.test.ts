/**
 * The chain's parameters come from the state at every height: a governed change of the block limits
 * (params.set, applied by the block that closes the epoch) is the rule for blocks after that boundary
 * and not before it, a restarted chain reads the changed values from its store, and consensus gets
 * each height's timeouts (with the node's own empty-block interval kept as a local override).
 */
import { describe, expect, it } from 'vitest'
import { planDevnet } from '../genesis/devnet.ts'
import { genesisHash } from '../genesis/hash.ts'
import { toGenesisStateInput } from '../genesis/to-state-input.ts'
import { type Block, decodeBlock, encodeBlock } from '../protocol/block.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { decodeTx, encodeTx, type SignedTx, signTx } from '../protocol/tx.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  certificateFromVotes,
  signVote,
  VoteKind,
} from '../protocol/vote.ts'
import { Chain, ChainErrorCode } from './chain.ts'
import { executorPort } from './consensus-ports.ts'
import type { Mempool } from './mempool/mempool.ts'
import { createVerifyPool } from './mempool/verify-pool.ts'
import { createMemoryChainStore } from './store/index.ts'
import { MemoryKv } from './store/raw-kv.ts'

const EPOCH_LENGTH = 2
const devnet = planDevnet(
  { validators: 1, observers: 0, chainId: 'arcade-params-test', basePort: 41300, genesisTimeMs: 1_000 },
  { generateKeyPair },
)
const genesis = {
  ...devnet.genesis,
  params: {
    ...devnet.genesis.params,
    ledger: { ...devnet.genesis.params.ledger, epochLength: EPOCH_LENGTH },
  },
}
const validatorKey = devnet.nodes[0]?.nodeKey as NonNullable<(typeof devnet.nodes)[0]>['nodeKey']
const { manager } = devnet

async function openChain(kv: MemoryKv, options: { unlimited?: boolean } = {}): Promise<Chain> {
  const store = createMemoryChainStore(
    { chain: { chainId: genesis.chainId, genesisHash: genesisHash(genesis) } },
    { kv },
  )
  await store.open()
  return Chain.open(
    {
      chainId: genesis.chainId,
      genesisHash: genesisHash(genesis),
      genesisTimeMs: genesis.genesisTimeMs,
      genesisState: toGenesisStateInput(genesis),
      ...(options.unlimited === true
        ? { blockLimitsOverride: { maxBlockTxs: 100_000, maxBlockBytes: 16 * 1024 * 1024 } }
        : {}),
      maxClockDriftMs: 10_000,
    },
    { store, verifier: createVerifyPool({ workers: 0, minBatchForWorkers: 64 }), nowMs: Date.now },
    { certificate: (b) => certificateFromTuple(decodeRaw(b, 64 * 1024, 'certificate')) as CommitCertificate },
  )
}

let nonce = 0
function txs(bodies: readonly TxBody[]): { tx: SignedTx; bytes: Uint8Array }[] {
  return bodies.map((body) => {
    const bytes = encodeTx(
      signTx(
        {
          chainId: genesis.chainId,
          signer: manager.publicKey,
          nonce: nonce++,
          validUntil: 50,
          sponsor: manager.publicKey,
          body,
        },
        manager.secretKey,
      ),
    )
    return { tx: decodeTx(bytes, genesis.chainId), bytes }
  })
}
const approvals = (n: number): TxBody[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'point.approve',
    point: 'PARAM',
    spender: generateKeyPair().publicKey,
    amount: i + 1,
  }))

async function build(leader: Chain, bodies: readonly TxBody[]): Promise<Block> {
  const execution = await leader.buildBlock({
    view: 0,
    proposer: validatorKey.publicKey,
    txs: txs(bodies),
    lastCommit: leader.headCertificate,
    evidence: [],
  })
  return execution.block
}

function certify(height: number, blockHash: Uint8Array): CommitCertificate {
  return certificateFromVotes([
    signVote(genesis.chainId, { kind: VoteKind.commit, height, view: 0, blockHash }, validatorKey),
  ]) as CommitCertificate
}

/** The follower checks the block as a validator would, then both commit it. */
async function commitBoth(leader: Chain, follower: Chain, block: Block): Promise<void> {
  const execution = await follower.execute(decodeBlock(encodeBlock(block)))
  const certificate = certify(block.header.height, execution.hash)
  await leader.commit(block, certificate)
  await follower.commit(decodeBlock(encodeBlock(block)), certificate)
}

const codeOf = (err: unknown) => (err as { code?: string }).code

describe('block limits follow the chain parameters in state, switching at the epoch boundary', () => {
  it('refuses a block over the new limit after the boundary, accepts one over it before, and keeps it after a restart', async () => {
    const leader = await openChain(new MemoryKv(), { unlimited: true })
    const followerKv = new MemoryKv()
    const follower = await openChain(followerKv)
    const before = follower.paramsFor(1)
    expect(before.maxBlockBytes).toBe(genesis.params.consensus.maxBlockBytes)

    // How large a block of eight approvals is, to set the new limit just below it (a dry run: built,
    // never committed).
    await commitBoth(
      leader,
      follower,
      await build(leader, [
        { kind: 'point.create', point: 'PARAM', name: 'p', decimals: 0, transferable: true },
      ]),
    )
    const eight = encodeBlock(await build(leader, approvals(8))).length
    const limit = eight - 1
    expect(limit).toBeGreaterThanOrEqual(1_024)

    // Height 2 closes the epoch: the change it carries is applied by this very block, and the block
    // itself, over the new limit, is still judged by the old one.
    const boundaryBlock = await build(leader, [
      {
        kind: 'params.set',
        changes: [
          { param: 'maxBlockBytes', value: limit },
          { param: 'viewTimeoutBaseMs', value: 700 },
          { param: 'viewTimeoutCapMs', value: 900 },
          { param: 'emptyBlockIntervalMs', value: 40 },
        ],
      },
      ...approvals(8),
    ])
    expect(encodeBlock(boundaryBlock).length).toBeGreaterThan(limit)
    expect(boundaryBlock.header.height % EPOCH_LENGTH).toBe(0)
    await commitBoth(leader, follower, boundaryBlock)
    expect(follower.paramsFor(3).maxBlockBytes).toBe(limit)
    expect(follower.maxBlockBytes).toBe(limit)

    // Height 3: the same kind of block is now over the limit, whoever proposed it.
    const over = await build(leader, approvals(8))
    const err = await follower.execute(decodeBlock(encodeBlock(over))).catch((e: unknown) => e)
    expect(codeOf(err)).toBe(ChainErrorCode.blockTooLarge)
    expect((err as { details: { limit: number } }).details.limit).toBe(limit)
    expect(follower.height).toBe(2)
    // An honest leader builds within it.
    await expect(
      follower.buildBlock({
        view: 0,
        proposer: validatorKey.publicKey,
        txs: txs(approvals(8)),
        lastCommit: follower.headCertificate,
        evidence: [],
      }),
    ).rejects.toMatchObject({ code: ChainErrorCode.blockTooLarge })
    await commitBoth(leader, follower, await build(leader, approvals(2)))

    // The executor port hands consensus the height's timeouts; the node's own interval overrides the chain's.
    const port = (interval: number | null) =>
      executorPort({
        chain: follower,
        mempool: {} as Mempool,
        proposer: validatorKey.publicKey,
        emptyBlockIntervalMs: interval,
        onCommitted: () => {},
      })
    expect(port(null).timingFor?.(4)).toEqual({
      viewTimeoutBaseMs: 700,
      viewTimeoutIncrementMs: genesis.params.consensus.viewTimeoutIncrementMs,
      viewTimeoutCapMs: 900,
      emptyBlockIntervalMs: 40,
    })
    expect(port(250).timingFor?.(4)?.emptyBlockIntervalMs).toBe(250)

    // Restarted from its store, with the same genesis: the values are the state's, not genesis's.
    const restarted = await openChain(followerKv)
    expect(restarted.height).toBe(3)
    expect(restarted.paramsFor(4)).toEqual(follower.paramsFor(4))
    expect(restarted.maxBlockBytes).toBe(limit)
    const again = await build(leader, approvals(8))
    const refused = await restarted.execute(decodeBlock(encodeBlock(again))).catch((e: unknown) => e)
    expect(codeOf(refused)).toBe(ChainErrorCode.blockTooLarge)
    expect(() => restarted.paramsFor(9)).toThrow(expect.objectContaining({ code: ChainErrorCode.notNext }))
  })
})
