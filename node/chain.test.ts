/**
 * Chain.execute on a block off the wire: each tx is hashed once (while decoding checks the tx root),
 * a tx the mempool admitted is reused only when the block carries its very bytes, and every other tx
 * is decoded and signature-checked here.
 */
import { describe, expect, it } from 'vitest'
import { planDevnet } from '../genesis/devnet.ts'
import { genesisHash } from '../genesis/hash.ts'
import { toGenesisStateInput } from '../genesis/to-state-input.ts'
import {
  type Block,
  type BlockHeader,
  blockHash,
  decodeBlock,
  encodeBlock,
  txHashesOf,
} from '../protocol/block.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { decodeTx, encodeTx, type SignedTx, signTx, txHashOfEncoded } from '../protocol/tx.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  certificateFromVotes,
  signVote,
  VoteKind,
} from '../protocol/vote.ts'
import type { Receipt } from '../state/index.ts'
import { accountsOf, Chain, ChainErrorCode } from './chain.ts'
import { createVerifyPool, type SignatureVerifier } from './mempool/verify-pool.ts'
import { createMemoryChainStore } from './store/index.ts'
import { MemoryKv } from './store/raw-kv.ts'

const devnet = planDevnet(
  { validators: 1, observers: 0, chainId: 'arcade-chain-test', basePort: 41200, genesisTimeMs: 1_000 },
  { generateKeyPair },
)
const { genesis } = devnet
const validatorKey = devnet.nodes[0]?.nodeKey as NonNullable<(typeof devnet.nodes)[0]>['nodeKey']

/** A verifier that counts the signatures it is asked to check. */
function countingVerifier(): SignatureVerifier & { checked: number } {
  const pool = createVerifyPool({ workers: 0, minBatchForWorkers: 64 })
  const counter = {
    checked: 0,
    verify: (items: Parameters<SignatureVerifier['verify']>[0]) => {
      counter.checked += items.length
      return pool.verify(items)
    },
    verifyBatch: (items: Parameters<SignatureVerifier['verifyBatch']>[0]) => {
      counter.checked += items.length
      return pool.verifyBatch(items)
    },
    stop: () => pool.stop(),
  }
  return counter
}

async function openChain(
  deps: {
    knownTx?: (hash: Bytes) => { tx: SignedTx; bytes: Uint8Array } | undefined
    verifier?: SignatureVerifier
  } = {},
  kv = new MemoryKv(),
): Promise<Chain> {
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
      maxBlockTxs: genesis.params.consensus.maxBlockTxs,
      maxBlockBytes: genesis.params.consensus.maxBlockBytes,
      maxClockDriftMs: 10_000,
    },
    {
      store,
      verifier: deps.verifier ?? createVerifyPool({ workers: 0, minBatchForWorkers: 64 }),
      ...(deps.knownTx === undefined ? {} : { knownTx: deps.knownTx }),
      nowMs: Date.now,
    },
    { certificate: (b) => certificateFromTuple(decodeRaw(b, 64 * 1024, 'certificate')) as CommitCertificate },
  )
}

/** Four txs as the mempool holds them (decoded and verified), and a block a leader built from them. */
async function leaderBlock(): Promise<{ block: Block; txs: { tx: SignedTx; bytes: Uint8Array }[] }> {
  const { manager } = devnet
  const sign = (nonce: number, body: TxBody) =>
    encodeTx(
      signTx(
        {
          chainId: genesis.chainId,
          signer: manager.publicKey,
          nonce,
          validUntil: 50,
          sponsor: manager.publicKey,
          body,
        },
        manager.secretKey,
      ),
    )
  // The manager may create points and sponsor itself; each approval names a fresh spender.
  const built = [
    sign(1, { kind: 'point.create', point: 'CHAIN', name: 'chain', decimals: 0, transferable: true }),
  ]
  for (let i = 1; i < 4; i++) {
    built.push(
      sign(i + 1, { kind: 'point.approve', point: 'CHAIN', spender: generateKeyPair().publicKey, amount: i }),
    )
  }
  const txs = built.map((bytes) => ({ tx: decodeTx(bytes, genesis.chainId), bytes }))
  const leader = await openChain()
  const { block } = await leader.buildBlock({
    view: 0,
    proposer: validatorKey.publicKey,
    txs,
    lastCommit: null,
    evidence: [],
  })
  return { block, txs }
}

function codeOf(err: unknown): string {
  return (err as { code: string }).code
}

describe('Chain.execute: each tx decoded, hashed and verified once per node', () => {
  it('reuses the txs the mempool admitted and decodes and verifies only the others', async () => {
    const { block, txs } = await leaderBlock()
    const pool = new Map(
      [txs[0], txs[2]].map((t) => [
        toHex(t?.tx.hash as Uint8Array),
        t as { tx: SignedTx; bytes: Uint8Array },
      ]),
    )
    const verifier = countingVerifier()
    const follower = await openChain({ knownTx: (h) => pool.get(toHex(h)), verifier })
    const wire = decodeBlock(encodeBlock(block))
    expect(txHashesOf(wire.txs).map(toHex)).toEqual(wire.txs.map((t) => toHex(txHashOfEncoded(t))))

    const execution = await follower.execute(wire)
    expect(execution.txs[0]).toBe(txs[0]?.tx)
    expect(execution.txs[2]).toBe(txs[2]?.tx)
    expect(verifier.checked).toBe(2)
    for (const i of [1, 3]) {
      expect(execution.txs[i]).toEqual(txs[i]?.tx)
      expect(toHex(execution.txs[i]?.hash as Uint8Array)).toBe(
        toHex(txHashOfEncoded(wire.txs[i] as Uint8Array)),
      )
    }
    expect(execution.result.stateRoot).toEqual(block.header.stateRoot)
  })

  it('a tx with an admitted tx hash but other bytes (a bad signature) is decoded and refused', async () => {
    const { block, txs } = await leaderBlock()
    const good = txs[1]?.tx as SignedTx
    const badBytes = encodeTx({ ...good, signature: new Uint8Array(64).fill(3) })
    // The hash covers the payload only: the header's tx root still matches, so the block decodes.
    const forged = decodeBlock(
      encodeBlock({ ...block, txs: block.txs.map((t, i) => (i === 1 ? badBytes : t)) }),
    )
    const pool = new Map(txs.map((t) => [toHex(t.tx.hash), t]))
    for (const knownTx of [(h: Bytes) => pool.get(toHex(h)), undefined]) {
      const follower = await openChain(knownTx === undefined ? {} : { knownTx })
      const err = await follower.execute(forged).catch((e: unknown) => e)
      expect(codeOf(err)).toBe(ChainErrorCode.invalidTx)
      expect((err as { details: { index: number } }).details.index).toBe(1)
      expect(follower.height).toBe(0)
    }
  })

  it('a block built in memory with a malformed tx envelope is refused as an invalid tx', async () => {
    const { block } = await leaderBlock()
    const follower = await openChain()
    const err = await follower.execute({ ...block, txs: [Uint8Array.of(1, 2, 3)] }).catch((e: unknown) => e)
    expect(codeOf(err)).toBe(ChainErrorCode.invalidTx)
  })

  it('keeps its newest committed blocks decoded, and reopens from its store without a block decoder', async () => {
    const kv = new MemoryKv()
    const chain = await openChain({}, kv)
    const { block, txs } = await leaderBlock()
    const execution = await chain.buildBlock({
      view: 0,
      proposer: validatorKey.publicKey,
      txs,
      lastCommit: null,
      evidence: [],
    })
    expect(execution.block.header.txRoot).toEqual(block.header.txRoot)
    const vote = signVote(
      genesis.chainId,
      { kind: VoteKind.commit, height: 1, view: 0, blockHash: execution.hash },
      validatorKey,
    )
    await chain.commit(execution.block, certificateFromVotes([vote]) as CommitCertificate)
    const recent = chain.recentBlock(1)
    expect(recent?.block).toBe(execution.block)
    expect(recent?.hash).toBe(execution.hash)
    expect(txHashesOf(recent?.block.txs ?? []).map(toHex)).toEqual(txs.map((t) => toHex(t.tx.hash)))
    expect(chain.recentBlock(2)).toBeUndefined()
    const reopened = await openChain({}, kv)
    expect(reopened.recentBlock(1)).toBeUndefined()
    expect(reopened.height).toBe(1)
    expect(reopened.headHash).toEqual(execution.hash)
    expect(toHex(blockHash(reopened.headHeader as BlockHeader))).toBe(toHex(execution.hash))
  })
})

describe('accountsOf', () => {
  it('lists the signer, then each account an event names, once each, in order', () => {
    const [a, b] = [generateKeyPair().publicKey, generateKeyPair().publicKey]
    const signer = generateKeyPair().publicKey
    const receipt = {
      events: [
        { kind: 'x', from: signer, to: a },
        { kind: 'y', owner: a.slice(), spender: b, amount: 3 },
      ],
    } as unknown as Receipt
    const accounts = accountsOf({ signer } as SignedTx, receipt)
    expect(accounts.map(toHex)).toEqual([signer, a, b].map(toHex))
  })
})
