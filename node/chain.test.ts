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
  txRootOf,
} from '../protocol/block.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { ProtocolErrorCode } from '../protocol/errors.ts'
import { decodeTx, encodeTx, type SignedTx, signTx, txHashOfEncoded } from '../protocol/tx.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  certificateFromVotes,
  signVote,
  VoteKind,
} from '../protocol/vote.ts'
import { decodeJournalRow, type Receipt } from '../state/index.ts'
import { accountsOf, Chain, ChainErrorCode, type ChainTimings } from './chain.ts'
import { executorPort } from './consensus-ports.ts'
import type { Mempool } from './mempool/mempool.ts'
import { createVerifyPool, type SignatureVerifier } from './mempool/verify-pool.ts'
import { type BlockCommit, type ChainStore, createMemoryChainStore } from './store/index.ts'
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

/** A store that counts block writes and can hold each one until the test lets it go. */
function countingStore(inner: ChainStore, gate?: () => Promise<void>): ChainStore & { writes: number[] } {
  const writes: number[] = []
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'writes') return writes
      if (prop === 'commitBlock') {
        return async (commit: BlockCommit) => {
          writes.push(commit.height)
          await gate?.()
          return target.commitBlock(commit)
        }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as ChainStore & { writes: number[] }
}

async function openChain(
  deps: {
    knownTx?: (hash: Bytes) => { tx: SignedTx; bytes: Uint8Array } | undefined
    verifier?: SignatureVerifier
    /** Genesis maxBlockBytes (the chain's parameter in state from height 1). */
    maxBlockBytes?: number
    /** Lets a leader build past the chain's limits (a Byzantine proposer). */
    unlimited?: boolean
    wrapStore?: (store: ChainStore) => ChainStore
    timings?: ChainTimings
  } = {},
  kv = new MemoryKv(),
): Promise<Chain> {
  const inner = createMemoryChainStore(
    { chain: { chainId: genesis.chainId, genesisHash: genesisHash(genesis) } },
    { kv },
  )
  await inner.open()
  const store = deps.wrapStore?.(inner) ?? inner
  const state = toGenesisStateInput(genesis)
  return Chain.open(
    {
      chainId: genesis.chainId,
      genesisHash: genesisHash(genesis),
      genesisTimeMs: genesis.genesisTimeMs,
      genesisState: {
        ...state,
        params: {
          ...state.params,
          maxBlockBytes: deps.maxBlockBytes ?? genesis.params.consensus.maxBlockBytes,
        },
      },
      ...(deps.unlimited === true
        ? { blockLimitsOverride: { maxBlockTxs: 100_000, maxBlockBytes: 16 * 1024 * 1024 } }
        : {}),
      maxClockDriftMs: 10_000,
    },
    {
      store,
      verifier: deps.verifier ?? createVerifyPool({ workers: 0, minBatchForWorkers: 64 }),
      ...(deps.knownTx === undefined ? {} : { knownTx: deps.knownTx }),
      ...(deps.timings === undefined ? {} : { timings: deps.timings }),
      nowMs: Date.now,
    },
    { certificate: (b) => certificateFromTuple(decodeRaw(b, 64 * 1024, 'certificate')) as CommitCertificate },
  )
}

/** Four txs as the mempool holds them (decoded and verified), and a block a leader built from them. */
async function leaderBlock(
  options: Parameters<typeof openChain>[0] = {},
): Promise<{ block: Block; txs: { tx: SignedTx; bytes: Uint8Array }[] }> {
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
  const leader = await openChain(options)
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

  it('a tx with an admitted tx hash but another signature is not taken from the mempool: decoded and refused', async () => {
    const { block, txs } = await leaderBlock()
    const good = txs[1]?.tx as SignedTx
    const badBytes = encodeTx({ ...good, signature: new Uint8Array(64).fill(3) })
    const badTxs = block.txs.map((t, i) => (i === 1 ? badBytes : t))
    // A Byzantine leader's block that commits to the bad signature (its own tx root, so its own hash).
    const forged = decodeBlock(
      encodeBlock({ ...block, header: { ...block.header, txRoot: txRootOf(badTxs.slice()) }, txs: badTxs }),
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

/** One signature byte flipped in tx `index`: the same tx id, other bytes. */
function withFlippedSignature(block: Block, index: number): Block {
  const txs = block.txs.map((bytes, i) => {
    if (i !== index) return bytes
    const tx = decodeTx(bytes)
    const signature = Uint8Array.from(tx.signature)
    signature[0] = (signature[0] as number) ^ 1
    return encodeTx({ ...tx, signature })
  })
  return { ...block, txs }
}

function certify(hash: Uint8Array, height = 1): CommitCertificate {
  return certificateFromVotes([
    signVote(genesis.chainId, { kind: VoteKind.commit, height, view: 0, blockHash: hash }, validatorKey),
  ]) as CommitCertificate
}

describe("the block hash binds every tx byte: B' cannot pass for B", () => {
  it('the execution cache cannot return an execution of other bytes, nor commit them', async () => {
    const { block } = await leaderBlock()
    const chain = await openChain()
    const execution = await chain.execute(decodeBlock(encodeBlock(block)))
    // Built in memory, so no decoder checked it: same header, one signature flipped.
    const forged = withFlippedSignature(block, 2)
    expect(toHex(blockHash(forged.header))).toBe(toHex(execution.hash))
    const executed = await chain.execute(forged).catch((e: unknown) => e)
    expect(codeOf(executed)).toBe(ChainErrorCode.invalidBlock)
    const committed = await chain.commit(forged, certify(execution.hash)).catch((e: unknown) => e)
    expect(codeOf(committed)).toBe(ChainErrorCode.invalidBlock)
    expect(chain.height).toBe(0)
    // The genuine block still commits, with its own bytes.
    const done = await chain.commit(decodeBlock(encodeBlock(block)), certify(execution.hash))
    expect(toHex(encodeBlock(done?.block as Block))).toBe(toHex(encodeBlock(block)))
  })

  it('a tx re-spelled with a non-canonical envelope (same payload and signature) is an invalid tx', async () => {
    const { block } = await leaderBlock()
    const tx = decodeTx(block.txs[0] as Uint8Array)
    const n = tx.payload.length
    const bin32 = Uint8Array.from([
      0x92,
      0xc6,
      0,
      0,
      n >> 8,
      n & 0xff,
      ...tx.payload,
      0xc4,
      0x40,
      ...tx.signature,
    ])
    const follower = await openChain()
    const err = await follower
      .execute({ ...block, txs: block.txs.map((t, i) => (i === 0 ? bin32 : t)) })
      .catch((e: unknown) => e)
    expect(codeOf(err)).toBe(ChainErrorCode.invalidTx)
    expect((err as { details: { cause: string } }).details.cause).toBe(ProtocolErrorCode.nonCanonical)
  })
})

describe('the maxBlockBytes in state bounds every block the chain executes', () => {
  it('refuses a block one byte over the limit with CHAIN_BLOCK_TOO_LARGE and accepts it at the limit', async () => {
    const size = encodeBlock((await leaderBlock()).block).length
    // The same txs on chains whose genesis sets the limit one byte under, and at, that size (the limit
    // is part of the state, so leader and follower share the genesis).
    const over = (await leaderBlock({ maxBlockBytes: size - 1, unlimited: true })).block
    expect(encodeBlock(over).length).toBe(size)
    const small = await openChain({ maxBlockBytes: size - 1 })
    const err = await small.execute(decodeBlock(encodeBlock(over))).catch((e: unknown) => e)
    expect(codeOf(err)).toBe('CHAIN_BLOCK_TOO_LARGE')
    expect(small.height).toBe(0)
    const fits = (await leaderBlock({ maxBlockBytes: size })).block
    const exact = await openChain({ maxBlockBytes: size })
    await expect(exact.execute(decodeBlock(encodeBlock(fits)))).resolves.toBeDefined()
  })
})

describe('a stopping verifier is not a bad signature', () => {
  it('passes VERIFY_POOL_STOPPED through instead of CHAIN_INVALID_TX', async () => {
    const { block } = await leaderBlock()
    const pool = createVerifyPool({ workers: 1, minBatchForWorkers: 1 })
    const chain = await openChain({ verifier: pool })
    const executing = chain.execute(decodeBlock(encodeBlock(block))).catch((e: unknown) => e)
    await pool.stop()
    expect(codeOf(await executing)).toBe('VERIFY_POOL_STOPPED')
    expect(chain.height).toBe(0)
  })
})

describe('one commit per height, whoever asks', () => {
  it('two concurrent commits of the same next block write once; the second is told it is done (null)', async () => {
    const { block } = await leaderBlock()
    let release = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let store: (ChainStore & { writes: number[] }) | null = null
    const chain = await openChain({
      wrapStore: (inner) => {
        store = countingStore(inner, () => held)
        return store
      },
    })
    const wire = () => decodeBlock(encodeBlock(block))
    const hash = blockHash(block.header)
    const first = chain.commit(wire(), certify(hash))
    const second = chain.commit(wire(), certify(hash))
    release()
    const results = await Promise.allSettled([first, second])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled'])
    const [a, b] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value)
    expect((a as { hash: Uint8Array }).hash).toEqual(hash)
    expect(b).toBeNull()
    expect((store as unknown as { writes: number[] }).writes).toEqual([1])
    expect(chain.height).toBe(1)
  })

  it('another block at a committed height is CHAIN_CONFLICTING_BLOCK, and writes nothing', async () => {
    const { block } = await leaderBlock()
    const chain = await openChain()
    await chain.commit(decodeBlock(encodeBlock(block)), certify(blockHash(block.header)))
    const other = { ...block, header: { ...block.header, view: 1 } }
    const err = await chain.commit(other, certify(blockHash(other.header))).catch((e: unknown) => e)
    expect(codeOf(err)).toBe('CHAIN_CONFLICTING_BLOCK')
    expect(chain.height).toBe(1)
    expect(chain.headHash).toEqual(blockHash(block.header))
  })
})

describe('the chain reports its execution and store times', () => {
  it('observes one execution (not again for a cached one) and one batch write per commit', async () => {
    const { block } = await leaderBlock()
    const seen = { execute: [] as number[], commit: [] as number[] }
    const chain = await openChain({
      timings: {
        executeSeconds: { observe: (s) => void seen.execute.push(s) },
        commitSeconds: { observe: (s) => void seen.commit.push(s) },
      },
    })
    await chain.execute(decodeBlock(encodeBlock(block)))
    await chain.commit(decodeBlock(encodeBlock(block)), certify(blockHash(block.header)))
    expect(seen.execute).toHaveLength(1)
    expect(seen.commit).toHaveLength(1)
    expect([...seen.execute, ...seen.commit].every((s) => s >= 0 && s < 60)).toBe(true)
  })

  it('the executor port observes one build per proposal, reap and execution together', async () => {
    const chain = await openChain()
    const built: number[] = []
    const mempool = { reap: () => [], size: 0 } as unknown as Mempool
    const port = executorPort({
      chain,
      mempool,
      proposer: validatorKey.publicKey,
      emptyBlockIntervalMs: null,
      onCommitted: () => {},
      buildSeconds: { observe: (s) => void built.push(s) },
    })
    const block = await port.buildProposal(1, 0, { lastCommit: null, evidence: [] })
    expect(block.header.height).toBe(1)
    expect(built).toHaveLength(1)
    expect((built[0] as number) >= 0 && (built[0] as number) < 60).toBe(true)
  })
})

describe('a committed block carries its own events', () => {
  it('a proposal not passed by its deadline expires as an event of the block that closes it', async () => {
    const chain = await openChain()
    const association = devnet.associations[0] as NonNullable<(typeof devnet.associations)[0]>
    const body: TxBody = {
      kind: 'gov.propose',
      action: { kind: 'observer.remove', nodeKey: generateKeyPair().publicKey },
      deadline: 2,
    }
    const fields = { chainId: genesis.chainId, nonce: 1, validUntil: 50, body }
    const signer = { signer: association.publicKey, sponsor: association.publicKey }
    const bytes = encodeTx(signTx({ ...fields, ...signer }, association.secretKey))
    const proposer = validatorKey.publicKey
    const txs = [{ tx: decodeTx(bytes, genesis.chainId), bytes }]
    const first = await chain.buildBlock({ view: 0, proposer, txs, lastCommit: null, evidence: [] })
    const certificate = certify(first.hash)
    const one = await chain.commit(first.block, certificate)
    expect(one?.receipts[0]?.events.map((e) => e.type)).toEqual(['proposed'])
    expect(one?.blockEvents).toEqual([])
    const second = await chain.buildBlock({
      view: 0,
      proposer,
      txs: [],
      lastCommit: certificate,
      evidence: [],
    })
    const two = await chain.commit(second.block, certify(second.hash, 2))
    expect(two?.blockEvents).toEqual([{ type: 'proposalExpired', proposal: 0 }])
  })
})

describe('the journal in the commit', () => {
  it('commit writes each movement of the block in its batch, and a failed tx writes no row', async () => {
    const store = createMemoryChainStore({
      chain: { chainId: genesis.chainId, genesisHash: genesisHash(genesis) },
    })
    await store.open()
    const chain = await openChain({ wrapStore: () => store })
    const { manager } = devnet
    const merchant = generateKeyPair()
    const sign = (by: { publicKey: Bytes; secretKey: Bytes }, nonce: number, body: TxBody) => {
      const bytes = encodeTx(
        signTx(
          {
            chainId: genesis.chainId,
            signer: by.publicKey,
            nonce,
            validUntil: 50,
            sponsor: manager.publicKey,
            body,
          },
          by.secretKey,
        ),
      )
      return { tx: decodeTx(bytes, genesis.chainId), bytes }
    }
    const point = 'JRNL'
    const txs = [
      sign(manager, 1, { kind: 'point.create', point, name: 'journal', decimals: 0, transferable: true }),
      sign(manager, 2, {
        kind: 'sponsor.grant',
        point,
        grantee: null,
        txsPerPeriod: 100,
        periodMs: 86_400_000,
        expiresAtHeight: 0,
        kinds: [],
      }),
      sign(merchant, 3, { kind: 'merchant.apply', point, name: 'shop' }),
      sign(manager, 4, { kind: 'merchant.admit', point, merchant: merchant.publicKey, creditLimit: 100 }),
      sign(manager, 5, {
        kind: 'merchant.repay',
        point,
        merchant: merchant.publicKey,
        amount: 30,
        fiatRef: 'bank-7',
      }),
      sign(merchant, 6, { kind: 'merchant.redeem', point, amount: 1_000, fiatRef: '' }),
      sign(merchant, 7, { kind: 'merchant.redeem', point, amount: 10, fiatRef: 'wire-1' }),
    ]
    const execution = await chain.buildBlock({
      view: 0,
      proposer: validatorKey.publicKey,
      txs,
      lastCommit: null,
      evidence: [],
    })
    expect(execution.result.receipts.map((r) => r.status)).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'failed',
      'ok',
    ])
    const vote = signVote(
      genesis.chainId,
      { kind: VoteKind.commit, height: 1, view: 0, blockHash: execution.hash },
      validatorKey,
    )
    await chain.commit(execution.block, certificateFromVotes([vote]) as CommitCertificate)
    const all = { fromHeight: 0, toHeight: 10, limit: 100 }
    const rows = (await store.journal({ point }, all)).map((i) => decodeJournalRow(i.bytes))
    expect(rows.map((r) => [r.txIndex, r.row, r.event, r.amount, r.floatDelta, r.fiatRef])).toEqual([
      [4, 0, 'repay', 30, 30, 'bank-7'],
      [6, 0, 'redeem', 10, -10, 'wire-1'],
    ])
    expect(toHex(rows[1]?.to as Bytes)).toBe(toHex(manager.publicKey))
    expect(rows.every((r) => r.timeMs === execution.block.header.timeMs && r.height === 1)).toBe(true)
    expect(await store.journal({ account: merchant.publicKey }, all)).toHaveLength(2)
    expect(await store.heightAtTime(execution.block.header.timeMs, 'until')).toBe(1)
  })
})
