/**
 * An observer (a Chain fed by BlockSync) given a block whose commit certificate is forged or short:
 * it refuses the block with CHAIN_BAD_CERTIFICATE and says which rule failed, commits nothing, and
 * then accepts the same block with a correct certificate. The block is real: a second Chain of the
 * same genesis builds and executes it, as a leader would.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { planDevnet } from '../../genesis/devnet.ts'
import { DEFAULT_GENESIS_PARAMS, type Genesis } from '../../genesis/document.ts'
import { genesisHash } from '../../genesis/hash.ts'
import { toGenesisStateInput } from '../../genesis/to-state-input.ts'
import { Chain, ChainErrorCode } from '../../node/chain.ts'
import { createVerifyPool } from '../../node/mempool/verify-pool.ts'
import { type ChainStore, createLevelChainStore, createMemoryChainStore } from '../../node/store/index.ts'
import { MemoryKv } from '../../node/store/raw-kv.ts'
import { BlockSync, encodeSyncEntry } from '../../node/sync/block-sync.ts'
import { type Block, decodeBlock, encodeBlock } from '../../protocol/block.ts'
import { bytesEqual } from '../../protocol/bytes.ts'
import { decodeRaw, encode } from '../../protocol/codec.ts'
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts'
import { decodeTx, encodeTx, signTx } from '../../protocol/tx.ts'
import { validatorSetHash } from '../../protocol/validator-set.ts'
import {
  CertificateErrorCode,
  type CommitCertificate,
  certificateFromTuple,
  certificateFromVotes,
  certificateToTuple,
  signVote,
  VoteKind,
} from '../../protocol/vote.ts'

const devnet = planDevnet(
  { validators: 4, observers: 1, chainId: 'arcade-sync-test', basePort: 41000, genesisTimeMs: 1_000 },
  { generateKeyPair },
)
const { genesis } = devnet
const validatorKeys = devnet.nodes.filter((n) => n.role === 'validator').map((n) => n.nodeKey)

async function openChain(kv = new MemoryKv()): Promise<Chain> {
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
      maxClockDriftMs: 10_000,
    },
    { store, verifier: createVerifyPool({ workers: 0, minBatchForWorkers: 64 }), nowMs: Date.now },
    {
      block: decodeBlock,
      certificate: (b) => certificateFromTuple(decodeRaw(b, 64 * 1024, 'certificate')) as CommitCertificate,
    },
  )
}

function certify(
  block: Block,
  blockHashBytes: Uint8Array,
  signers: readonly KeyPair[],
  chainId = genesis.chainId,
): CommitCertificate {
  const votes = signers.map((keys) =>
    signVote(
      chainId,
      {
        kind: VoteKind.commit,
        height: block.header.height,
        view: block.header.view,
        blockHash: blockHashBytes,
      },
      keys,
    ),
  )
  return certificateFromVotes(votes) as CommitCertificate
}

/** An observer's sync over one fake peer that serves `entry`; records what it refused and why. */
function observerSync(chain: Chain, serve: () => Uint8Array) {
  const rejected: { code: string; details: unknown }[] = []
  const committed: number[] = []
  const sync = new BlockSync(
    { batchSize: 8, pollIntervalMs: 1_000, requestTimeoutMs: 1_000 },
    {
      chain,
      peers: () => ['peer-a'],
      requestStatus: async () => ({ height: 1 }),
      requestBlocks: async (_peer, from) => (from === 1 ? [serve()] : []),
      onCommitted: (c) => void committed.push(c.block.header.height),
      onRejected: () => {},
      log: {
        info: () => {},
        debug: () => {},
        warn: (data) => void rejected.push({ code: data.code as string, details: data.details }),
      },
    },
  )
  return { sync, rejected, committed }
}

describe('an observer checks every commit certificate it syncs', () => {
  it('rejects short, forged and foreign certificates with CHAIN_BAD_CERTIFICATE, then accepts a correct one', async () => {
    const leader = await openChain()
    const execution = await leader.buildBlock({
      view: 0,
      proposer: (validatorKeys[0] as KeyPair).publicKey,
      txs: [],
      lastCommit: null,
      evidence: [],
    })
    const { block, hash } = execution
    const blockBytes = encodeBlock(block)
    const entryWith = (c: CommitCertificate) => encodeSyncEntry(blockBytes, encode(certificateToTuple(c)))

    const good = certify(block, hash, validatorKeys.slice(0, 3))
    // Two of four equal stakes: exactly half, not more than 2/3.
    const tooFew = certify(block, hash, validatorKeys.slice(0, 2))
    // Three real signers, one signature replaced by another valid-looking one over other bytes.
    const forgedSig = certify(block, new Uint8Array(32).fill(7), validatorKeys.slice(0, 1)).signatures[0]
    const forged: CommitCertificate = {
      ...good,
      signatures: good.signatures.map((s, i) =>
        i === 1 ? { ...s, signature: forgedSig?.signature as Uint8Array } : s,
      ),
    }
    // A key outside the validator set signs alongside three validators.
    const foreign = certify(block, hash, [...validatorKeys.slice(0, 3), generateKeyPair()])

    const observer = await openChain()
    const cases = [
      [tooFew, CertificateErrorCode.noQuorum],
      [forged, CertificateErrorCode.badSignature],
      [foreign, CertificateErrorCode.unknownSigner],
    ] as const
    for (const [certificate, cause] of cases) {
      const { sync, rejected, committed } = observerSync(observer, () => entryWith(certificate))
      expect(await sync.catchUp()).toBe(0)
      expect(rejected).toEqual([{ code: ChainErrorCode.badCertificate, details: { cause } }])
      expect(committed).toEqual([])
      expect(observer.height).toBe(0)
      expect(() => observer.checkCertificate(block, certificate)).toThrow(
        expect.objectContaining({ code: ChainErrorCode.badCertificate, details: { cause } }),
      )
    }

    const { sync, rejected, committed } = observerSync(observer, () => entryWith(good))
    expect(await sync.catchUp()).toBe(1)
    expect(rejected).toEqual([])
    expect(committed).toEqual([1])
    expect(observer.height).toBe(1)
    expect(observer.headHash).toEqual(hash)
    expect(observer.state.map.root).toEqual(block.header.stateRoot)
  })

  it('rejects a certificate for another block, even with a full quorum of valid signatures', async () => {
    const leader = await openChain()
    const { block } = await leader.buildBlock({
      view: 0,
      proposer: (validatorKeys[1] as KeyPair).publicKey,
      txs: [],
      lastCommit: null,
      evidence: [],
    })
    const other = certify(block, new Uint8Array(32).fill(1), validatorKeys)
    const observer = await openChain()
    const { sync, rejected } = observerSync(observer, () =>
      encodeSyncEntry(encodeBlock(block), encode(certificateToTuple(other))),
    )
    expect(await sync.catchUp()).toBe(0)
    expect(rejected.map((r) => r.code)).toEqual([ChainErrorCode.badCertificate])
    expect(observer.height).toBe(0)
  })

  it('a reopened chain still knows the validator set of its head (consensus checks the head certificate)', async () => {
    const kv = new MemoryKv()
    const chain = await openChain(kv)
    const { block, hash } = await chain.buildBlock({
      view: 0,
      proposer: (validatorKeys[0] as KeyPair).publicKey,
      txs: [],
      lastCommit: null,
      evidence: [],
    })
    await chain.commit(block, certify(block, hash, validatorKeys.slice(0, 3)))
    const reopened = await openChain(kv)
    expect(reopened.height).toBe(1)
    expect(reopened.validatorSetFor(1)).toEqual(chain.validatorSetFor(1))
    expect(reopened.validatorSetFor(2)).toEqual(chain.validatorSetFor(2))
  })
})

describe('a restart right after a block that changed the validator set', () => {
  // Epochs of 3 blocks, and a manager with free stake: its delegation at height 1 raises one
  // association's power, so the election at height 3 (the boundary) changes the set's powers.
  const planned = planDevnet(
    {
      validators: 4,
      observers: 0,
      chainId: 'arcade-epoch-restart',
      basePort: 41100,
      genesisTimeMs: 1_000,
      params: { ...DEFAULT_GENESIS_PARAMS, ledger: { ...DEFAULT_GENESIS_PARAMS.ledger, epochLength: 3 } },
    },
    { generateKeyPair },
  )
  const epochGenesis: Genesis = {
    ...planned.genesis,
    accounts: planned.genesis.accounts.map((a) =>
      bytesEqual(a.address, planned.manager.publicKey) ? { ...a, stake: 5_000 } : a,
    ),
  }
  const keys = planned.nodes.map((n) => n.nodeKey)
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  async function open(store: ChainStore): Promise<Chain> {
    await store.open()
    return Chain.open(
      {
        chainId: epochGenesis.chainId,
        genesisHash: genesisHash(epochGenesis),
        genesisTimeMs: epochGenesis.genesisTimeMs,
        genesisState: toGenesisStateInput(epochGenesis),
        maxClockDriftMs: 10_000,
      },
      { store, verifier: createVerifyPool({ workers: 0, minBatchForWorkers: 64 }), nowMs: Date.now },
      {
        certificate: (b) => certificateFromTuple(decodeRaw(b, 64 * 1024, 'certificate')) as CommitCertificate,
      },
    )
  }

  const identity = { chainId: epochGenesis.chainId, genesisHash: genesisHash(epochGenesis) }
  const levelStore = (location: string) => createLevelChainStore({ location, chain: identity })

  it('a LevelDB chain reopened at the boundary knows the head set and the next one, and verifies the next block', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcade-epoch-'))
    dirs.push(dir)
    const leader = await open(createMemoryChainStore({ chain: identity }))
    const followerStore = levelStore(join(dir, 'chain'))
    const follower = await open(followerStore)
    const delegation = encodeTx(
      signTx(
        {
          chainId: epochGenesis.chainId,
          signer: planned.manager.publicKey,
          nonce: 1,
          validUntil: 100,
          sponsor: planned.manager.publicKey,
          body: {
            kind: 'staking.delegate',
            association: (planned.associations[0] as KeyPair).publicKey,
            amount: 5_000,
          },
        },
        planned.manager.secretKey,
      ),
    )
    let lastCommit: CommitCertificate | null = null
    const next = async (txs: Uint8Array[]) => {
      const { block, hash } = await leader.buildBlock({
        view: 0,
        proposer: (keys[0] as KeyPair).publicKey,
        txs: txs.map((bytes) => ({ tx: decodeTx(bytes, epochGenesis.chainId), bytes })),
        lastCommit,
        evidence: [],
      })
      const certificate = certify(block, hash, keys, epochGenesis.chainId)
      await leader.commit(block, certificate)
      lastCommit = certificate
      return { block: decodeBlock(encodeBlock(block)), certificate }
    }
    for (const txs of [[delegation], [], []]) {
      const { block, certificate } = await next(txs)
      expect(leader.recentBlock(leader.height)?.receipts.map((r) => r.error)).toEqual(txs.map(() => null))
      follower.checkCertificate(block, certificate)
      await follower.commit(block, certificate)
    }
    // Height 3 closed the epoch and changed the set: the head's set is not the next height's.
    expect(follower.height).toBe(3)
    const headSet = leader.validatorSetFor(3)
    const nextSet = leader.validatorSetFor(4)
    expect(validatorSetHash(nextSet)).not.toEqual(validatorSetHash(headSet))

    await followerStore.close()
    const reopenedStore = levelStore(join(dir, 'chain'))
    const reopened = await open(reopenedStore)
    try {
      expect(reopened.height).toBe(3)
      expect(validatorSetHash(reopened.validatorSetFor(3))).toEqual(validatorSetHash(headSet))
      expect(validatorSetHash(reopened.validatorSetFor(4))).toEqual(validatorSetHash(nextSet))
      // The history a light client walks survives the restart: genesis's set from 1, the new one from 4.
      const history = await reopened.validatorSets(1, 10)
      expect(history.map((h) => [h.fromHeight, validatorSetHash(h.set)])).toEqual([
        [1, validatorSetHash(headSet)],
        [4, validatorSetHash(nextSet)],
      ])
      expect((await reopened.validatorSets(3, 10)).map((h) => h.fromHeight)).toEqual([1, 4])
      expect((await reopened.validatorSets(4, 10)).map((h) => h.fromHeight)).toEqual([4])
      expect((await reopened.validatorSets(1, 1)).map((h) => h.fromHeight)).toEqual([1])
      // Block 4 carries the certificate of block 3 (checked against the head's set) and is certified by
      // the new set.
      const { block, certificate } = await next([])
      reopened.checkCertificate(block, certificate)
      const committed = await reopened.commit(block, certificate)
      expect(committed?.hash).toEqual(leader.headHash)
      expect(reopened.height).toBe(4)
    } finally {
      await reopenedStore.close()
    }
  })
})
