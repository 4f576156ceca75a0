/**
 * Adapters from the node's parts to the ports consensus declares (consensus/ports.ts): the chain as
 * executor, the store's WAL, libp2p as network. Thin by design: every rule lives in chain.ts or
 * consensus/.
 */
import type {
  ExecutorPort,
  NetworkPort,
  SignaturePort,
  TimerPort,
  WalEntry,
  WalPort,
} from '../consensus/ports.ts'
import { blockFromTuple, blockToTuple } from '../protocol/block.ts'
import type { Bytes } from '../protocol/bytes.ts'
import { decodeRaw, encode } from '../protocol/codec.ts'
import {
  type ConsensusMessage,
  consensusMessageFromTuple,
  consensusMessageToTuple,
  encodeConsensusMessage,
} from '../protocol/consensus-message.ts'
import { type KeyPair, sign, verify } from '../protocol/crypto.ts'
import { invalidField } from '../protocol/errors.ts'
import { Limits } from '../protocol/limits.ts'
import { certificateFromTuple, certificateToTuple } from '../protocol/vote.ts'
import type { Chain, CommittedBlock } from './chain.ts'
import type { Mempool } from './mempool/mempool.ts'
import type { P2pHost } from './p2p/host.ts'
import type { ConsensusWal } from './store/index.ts'

export function signaturePort(keys: KeyPair): SignaturePort {
  return {
    publicKey: keys.publicKey,
    sign: (message) => sign(message, keys.secretKey),
    verify,
  }
}

export function networkPort(p2p: P2pHost): NetworkPort {
  return {
    broadcast: (message) => {
      p2p.broadcastConsensus(encodeConsensusMessage(message))
    },
    send: (peer, message) => {
      p2p.sendConsensus(peer, encodeConsensusMessage(message))
    },
  }
}

export const timerPort: TimerPort = {
  schedule: (afterMs, fire) => setTimeout(fire, afterMs),
  cancel: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

function heightOfEntry(entry: WalEntry): number {
  if (entry.type === 'prepared') return entry.proof.certificate.height
  const m: ConsensusMessage = entry.message
  return m.type === 'vote' ? m.vote.height : m.height
}

/** WAL entries as msgpack: `['signed', message]` or `['prepared', certificate, block]`. */
export function encodeWalEntry(entry: WalEntry): Bytes {
  if (entry.type === 'signed') return encode(['signed', consensusMessageToTuple(entry.message)])
  return encode(['prepared', certificateToTuple(entry.proof.certificate), blockToTuple(entry.proof.block)])
}

export function decodeWalEntry(bytes: Bytes, chainId: string): WalEntry {
  const raw = decodeRaw(bytes, Limits.maxConsensusMessageBytes, 'wal entry')
  if (!Array.isArray(raw) || raw.length < 2) throw invalidField('wal', 'must be a tagged tuple')
  if (raw[0] === 'signed') return { type: 'signed', message: consensusMessageFromTuple(raw[1], chainId) }
  if (raw[0] === 'prepared' && raw.length === 3) {
    return {
      type: 'prepared',
      proof: { certificate: certificateFromTuple(raw[1]), block: blockFromTuple(raw[2]) },
    }
  }
  throw invalidField('wal', 'unknown entry type')
}

export function walPort(wal: ConsensusWal, chainId: string): WalPort {
  return {
    append: (entry) => wal.append(heightOfEntry(entry), encodeWalEntry(entry)),
    load: async () => (await wal.load()).map((record) => decodeWalEntry(record.entry, chainId)),
    prune: (height) => wal.pruneBelow(height),
  }
}

export interface ExecutorDeps {
  readonly chain: Chain
  readonly mempool: Mempool
  readonly proposer: Bytes
  readonly maxBlockTxs: number
  readonly maxBlockBytes: number
  /** Runs after every commit made by consensus (mempool cleanup, events, metrics). */
  readonly onCommitted: (committed: CommittedBlock) => void
}

export function executorPort(deps: ExecutorDeps): ExecutorPort {
  const { chain, mempool } = deps
  return {
    head: () => ({ header: chain.headHeader, certificate: chain.headCertificate }),
    validatorSetFor: (height) => chain.validatorSetFor(height),
    hasPendingTxs: () => mempool.size > 0,
    async buildProposal(_height, view, parent) {
      // Leave room for the header, certificate and evidence within the block limit.
      const txs = mempool.reap(deps.maxBlockTxs, deps.maxBlockBytes - 64 * 1024)
      const execution = await chain.buildBlock({
        view,
        proposer: deps.proposer,
        txs,
        lastCommit: parent.lastCommit,
        evidence: parent.evidence,
      })
      return execution.block
    },
    async validateProposal(block) {
      try {
        await chain.execute(block)
        return { ok: true }
      } catch (err) {
        return { ok: false, reason: err instanceof Error ? err.message : String(err) }
      }
    },
    async commit(block, certificate) {
      const committed = await chain.commit(block, certificate)
      deps.onCommitted(committed)
    },
  }
}
