/**
 * A Byzantine validator for end-to-end tests: it holds a validator key of the test genesis and takes
 * that validator's place in a network of real node processes, built in the test process from the
 * node's own parts (an in-memory chain, the p2p host, block sync) but with no consensus driver. It
 * follows the chain by sync, records every consensus message it receives, and does only what a test
 * tells it: by default it withholds every vote and proposal. Nothing in production code knows about
 * it; the attacks live in the test files and in ./attacks.ts.
 */
import { join } from 'node:path'
import { createLeaderSchedule } from '../../consensus/leader.ts'
import type { Genesis } from '../../genesis/document.ts'
import { genesisHash } from '../../genesis/hash.ts'
import { loadGenesisFile } from '../../genesis/load.ts'
import { toGenesisStateInput } from '../../genesis/to-state-input.ts'
import { Chain, type Execution } from '../../node/chain.ts'
import { assemble, completeByFetch, txsIfComplete } from '../../node/compact-rebuild.ts'
import { loadNodeConfig, type NodeConfig } from '../../node/config.ts'
import { consensusPeerKeys } from '../../node/consensus-link.ts'
import { type LoadedKey, readKeyFile } from '../../node/keys.ts'
import { membershipSourcesOf } from '../../node/membership-sources.ts'
import { createVerifyPool, defaultVerifyPoolOptions } from '../../node/mempool/verify-pool.ts'
import type { SyncServer } from '../../node/p2p/index.ts'
import { createP2pHost, type P2pHost, peerKeyOf } from '../../node/p2p/index.ts'
import { EventLog } from '../../node/p2p/testing.ts'
import { NodePeers, p2pLimitsFor } from '../../node/peers.ts'
import { createMemoryChainStore } from '../../node/store/index.ts'
import { BlockSync, encodeSyncEntry } from '../../node/sync/block-sync.ts'
import type { Block } from '../../protocol/block.ts'
import { blockHash } from '../../protocol/block.ts'
import { type Bytes, toHex } from '../../protocol/bytes.ts'
import { decodeRaw } from '../../protocol/codec.ts'
import {
  type CompactProposal,
  type ConsensusFrame,
  decodeConsensusFrame,
  fullProposalOf,
} from '../../protocol/compact-proposal.ts'
import {
  type ConsensusMessage,
  encodeConsensusMessage,
  heightOf,
  type Proposal,
  proposalSignBytes,
  signerOf,
  viewChangeSignBytes,
} from '../../protocol/consensus-message.ts'
import { sign } from '../../protocol/crypto.ts'
import type { SignedTx } from '../../protocol/tx.ts'
import {
  type CommitCertificate,
  certificateFromTuple,
  signVote,
  type Vote,
  type VoteKind,
} from '../../protocol/vote.ts'

/** One consensus message as the harness received it. */
export interface Received {
  readonly from: string
  readonly message: ConsensusMessage
  readonly atMs: number
}

/** How the harness answers its peers' sync requests. */
export type SyncBehaviour =
  /** Serves its blocks as an honest node does. */
  | { readonly kind: 'honest' }
  /** Claims an absurd height and serves nothing. */
  | { readonly kind: 'lie' }
  /** Claims an absurd height and serves one true block per request, after `delayMs`. */
  | { readonly kind: 'drip'; readonly delayMs: number }
  /** Claims an absurd height and serves random bytes. */
  | { readonly kind: 'garbage' }

/** The largest height a peer can claim (2^53 − 1). */
export const ABSURD_HEIGHT = Number.MAX_SAFE_INTEGER

const silentLog = { info() {}, warn() {}, debug() {}, error() {} }

function decodeCertificate(bytes: Bytes): CommitCertificate {
  return certificateFromTuple(decodeRaw(bytes, 64 * 1024, 'certificate')) as CommitCertificate
}

export class ByzantineValidator {
  readonly key: LoadedKey
  readonly genesis: Genesis
  readonly chain: Chain
  readonly p2p: P2pHost
  readonly config: NodeConfig
  /** Every consensus message received, decoded (undecodable ones are counted in `malformed`). */
  readonly received = new EventLog<Received>()
  /** The head height after each block the harness committed, with when. */
  readonly heads = new EventLog<{ height: number; atMs: number }>()
  malformed = 0
  /** Compact proposals received whose txs could not be fetched. */
  incomplete = 0
  syncBehaviour: SyncBehaviour = { kind: 'honest' }
  readonly #sync: BlockSync
  readonly #stop: (() => Promise<void>)[]

  private constructor(parts: {
    key: LoadedKey
    genesis: Genesis
    chain: Chain
    p2p: P2pHost
    config: NodeConfig
    sync: BlockSync
    stop: (() => Promise<void>)[]
  }) {
    this.key = parts.key
    this.genesis = parts.genesis
    this.chain = parts.chain
    this.p2p = parts.p2p
    this.config = parts.config
    this.#sync = parts.sync
    this.#stop = parts.stop
  }

  /** Starts in the place of node `name` of the network in `dir` (its key, genesis and p2p port). */
  static async start(dir: string, name: string): Promise<ByzantineValidator> {
    const config = await loadNodeConfig(join(dir, `${name}.json`))
    const genesis = await loadGenesisFile(config.genesisPath)
    const key = await readKeyFile(config.nodeKeyPath)
    const store = createMemoryChainStore()
    await store.open()
    const verifier = createVerifyPool({ ...defaultVerifyPoolOptions, workers: 0 })
    const c = genesis.params.consensus
    // Its own limits are the protocol's, not genesis's: it can build blocks honest nodes must refuse.
    const chain = await Chain.open(
      {
        chainId: genesis.chainId,
        genesisHash: genesisHash(genesis),
        genesisTimeMs: genesis.genesisTimeMs,
        genesisState: toGenesisStateInput(genesis),
        blockLimitsOverride: {
          maxBlockTxs: Math.max(c.maxBlockTxs, 100_000),
          maxBlockBytes: 16 * 1024 * 1024,
        },
        maxClockDriftMs: 10_000,
      },
      { store, verifier, nowMs: Date.now },
      { certificate: decodeCertificate },
    )
    const configPeers = config.peers.map((p) => ({ nodeKey: p.nodeKey, host: p.host, port: p.port }))
    const peers = new NodePeers(key.publicKey, {
      sources: () => membershipSourcesOf(chain, genesis, configPeers),
      consensusKeys: () => consensusPeerKeys(chain),
    })
    let self: ByzantineValidator | null = null
    const p2p = await createP2pHost(
      {
        listen: config.p2p,
        nodeKey: key,
        allowedPeers: peers.allowed,
        consensusPeers: peers.consensus,
        limits: { ...p2pLimitsFor(genesis), reconnectBaseMs: 50, reconnectMaxMs: 500 },
      },
      {
        onConsensus: (from, bytes) => {
          if (self !== null) self.#onConsensus(from, bytes)
        },
        onTxs: () => {},
        sync: {
          serveBlocks: (from, max) => (self as ByzantineValidator).#serveBlocks(from, max, store),
          serveStatus: () => (self as ByzantineValidator).#serveStatus(),
        } satisfies SyncServer,
      },
    )
    const sync = new BlockSync(
      { batchSize: 64, pollIntervalMs: 100, requestTimeoutMs: 5_000 },
      {
        chain,
        peers: () => p2p.peers(),
        requestStatus: (peer, signal) => p2p.requestStatus(peer, signal),
        requestBlocks: (peer, from, max, signal) => p2p.requestBlocks(peer, from, max, signal),
        onCommitted: () => {
          self?.heads.push({ height: chain.height, atMs: Date.now() })
          peers.refresh(p2p)
        },
        log: silentLog,
      },
    )
    self = new ByzantineValidator({
      key,
      genesis,
      chain,
      p2p,
      config,
      sync,
      stop: [() => sync.stop(), () => p2p.stop(), async () => verifier.stop(), () => store.close()],
    })
    await p2p.start()
    p2p.connectTo(peers.dialTargets)
    sync.start()
    return self
  }

  get peerKey(): string {
    return this.p2p.peerKey
  }

  get chainId(): string {
    return this.genesis.chainId
  }

  /** The honest validators' node keys (hex) in the set of the next height. */
  validatorPeers(): string[] {
    return this.chain
      .validatorSetFor(this.chain.height + 1)
      .validators.map((v) => peerKeyOf(v.publicKey))
      .filter((k) => k !== this.peerKey)
  }

  leaderOf(height: number, view: number): string {
    return peerKeyOf(createLeaderSchedule(this.chain.validatorSetFor(height)).leaderOf(height, view))
  }

  /**
   * Resolves with the height h once the harness's head is h − 1, just committed, and it leads
   * (h, view 0): the honest validators are then waiting for its proposal for a view timeout.
   */
  async waitToLead(timeoutMs = 30_000): Promise<number> {
    const since = Date.now()
    const fresh = (item: { height: number; atMs: number }) =>
      item.atMs >= since &&
      item.height === this.chain.height &&
      this.leaderOf(item.height + 1, 0) === this.peerKey
    const head = await this.heads.waitFor(fresh, timeoutMs)
    return head.height + 1
  }

  /** Resolves once the harness's head reaches `height`. */
  async waitForHeight(height: number, timeoutMs = 30_000): Promise<void> {
    if (this.chain.height >= height) return
    await this.heads.waitFor((h) => h.height >= height, timeoutMs)
  }

  // --- sending ---

  send(peer: string, message: ConsensusMessage): boolean {
    return this.p2p.sendConsensus(peer, encodeConsensusMessage(message))
  }

  sendBytes(peer: string, bytes: Bytes): boolean {
    return this.p2p.sendConsensus(peer, bytes)
  }

  broadcast(message: ConsensusMessage): number {
    return this.p2p.broadcastConsensus(encodeConsensusMessage(message))
  }

  // --- signing (with its own key, or with none) ---

  vote(kind: VoteKind, height: number, view: number, blockHash: Bytes): ConsensusMessage {
    return { type: 'vote', vote: signVote(this.chainId, { kind, height, view, blockHash }, this.key) }
  }

  /** A VIEW-CHANGE to `view` with nothing prepared, signed by this validator. */
  viewChange(height: number, view: number): ConsensusMessage {
    const signature = sign(viewChangeSignBytes(this.chainId, height, view, null), this.key.secretKey)
    return { type: 'view-change', height, view, prepared: null, validator: this.key.publicKey, signature }
  }

  /** Signs a proposal of `block` for (block height, view) as this validator. */
  propose(block: Block, view: number = block.header.view): Proposal {
    const height = block.header.height
    const hash = blockHash(block.header)
    return {
      type: 'proposal',
      height,
      view,
      block,
      proposer: this.key.publicKey,
      signature: sign(proposalSignBytes(this.chainId, height, view, hash), this.key.secretKey),
    }
  }

  /** Builds and executes the next block on its head from `txs` (a valid block, unless the txs are not). */
  build(view: number, txs: readonly { tx: SignedTx; bytes: Bytes }[] = []): Promise<Execution> {
    return this.chain.buildBlock({
      view,
      proposer: this.key.publicKey,
      txs,
      lastCommit: this.chain.headCertificate,
      evidence: [],
    })
  }

  // --- what it saw ---

  /** Votes received for (height, view) of one kind. */
  votes(height: number, kind: VoteKind): Vote[] {
    return this.received.items.flatMap(({ message: m }) =>
      m.type === 'vote' && m.vote.height === height && m.vote.kind === kind ? [m.vote] : [],
    )
  }

  /** Messages received signed by `peer` (hex node key). */
  signedBy(peer: string): ConsensusMessage[] {
    return this.received.items
      .map((r) => r.message)
      .filter((m) => {
        const signer = signerOf(m)
        return signer !== null && toHex(signer) === peer
      })
  }

  async stop(): Promise<void> {
    for (const stop of this.#stop) await stop().catch(() => {})
  }

  // --- internals ---

  #onConsensus(from: string, bytes: Bytes): void {
    let frame: ConsensusFrame
    try {
      frame = decodeConsensusFrame(bytes, this.chainId)
    } catch {
      this.malformed++
      return
    }
    if (frame.type === 'compact-proposal') {
      void this.#completeCompact(frame, from)
      return
    }
    this.#record(from, frame)
  }

  /**
   * Honest leaders send proposals compact: the harness, holding no mempool, asks the sender for every
   * tx (as any validator may) and records the full proposal. One it cannot complete counts as
   * `incomplete`.
   */
  async #completeCompact(frame: CompactProposal, from: string): Promise<void> {
    try {
      const assembly = assemble(frame.block, () => undefined)
      const txs =
        txsIfComplete(assembly) ??
        (await completeByFetch(assembly, (ids) => this.p2p.fetchTxs(from, frame.height, ids))).txs
      this.#record(from, fullProposalOf(frame, txs))
    } catch {
      this.incomplete++
    }
  }

  #record(from: string, message: ConsensusMessage): void {
    this.received.push({ from, message, atMs: Date.now() })
    // A commit vote or certificate above the head: the block is (nearly) committed, fetch it now.
    const isCommit =
      (message.type === 'vote' && message.vote.kind === 'commit') || message.type === 'commit-certificate'
    if (isCommit && heightOf(message) > this.chain.height) void this.#sync.catchUp().catch(() => {})
  }

  #serveStatus(): { height: number } {
    return { height: this.syncBehaviour.kind === 'honest' ? this.chain.height : ABSURD_HEIGHT }
  }

  async #serveBlocks(
    from: number,
    max: number,
    store: ReturnType<typeof createMemoryChainStore>,
  ): Promise<Bytes[]> {
    const behaviour = this.syncBehaviour
    if (behaviour.kind === 'lie') return []
    if (behaviour.kind === 'garbage') {
      return [Uint8Array.from({ length: 512 }, () => Math.floor(Math.random() * 256))]
    }
    const count = behaviour.kind === 'drip' ? 1 : max
    if (behaviour.kind === 'drip') await new Promise((r) => setTimeout(r, behaviour.delayMs))
    const blocks = await store.blocksRange(from, from + count - 1, { maxBytes: 8 * 1024 * 1024 })
    return blocks
      .filter((b) => b.certificateBytes !== null)
      .map((b) => encodeSyncEntry(b.blockBytes, b.certificateBytes as Uint8Array))
  }
}
