/**
 * `/arcade/txs/1.0.0`: batches of opaque signed txs. A batch frame is the canonical msgpack array of
 * the txs' bytes; a batch too big for one frame is split. Inbound batches that break a limit are
 * dropped and logged; the mempool checks every tx itself.
 */
import type { Bytes } from '../../protocol/bytes.ts'
import { decodeRaw, encode } from '../../protocol/codec.ts'
import { errorFields, type ProtocolContext } from './context.ts'
import { P2pError, P2pErrorCode } from './errors.ts'
import { FramedProtocol } from './framed-protocol.ts'
import type { P2pLimits } from './limits.ts'
import { Protocols } from './limits.ts'

export type TxBatchHandler = (from: string, txs: Bytes[]) => void | Promise<void>

// msgpack array header (5) plus a bin header (5) per tx: an upper bound of the encoding overhead.
const ARRAY_OVERHEAD = 5
const TX_OVERHEAD = 5

/** Splits txs into batches that each fit one frame. Throws `P2P_TOO_LARGE` for a single oversize tx. */
export function splitTxBatches(txs: readonly Bytes[], limits: P2pLimits): Bytes[][] {
  const batches: Bytes[][] = []
  let current: Bytes[] = []
  let size = ARRAY_OVERHEAD
  for (const tx of txs) {
    if (tx.length > limits.maxTxBytes) {
      throw new P2pError(P2pErrorCode.tooLarge, 'tx exceeds the gossip limit', {
        size: tx.length,
        limit: limits.maxTxBytes,
      })
    }
    const cost = tx.length + TX_OVERHEAD
    if (
      current.length > 0 &&
      (current.length >= limits.maxTxsPerBatch || size + cost > limits.maxTxBatchBytes)
    ) {
      batches.push(current)
      current = []
      size = ARRAY_OVERHEAD
    }
    current.push(tx)
    size += cost
  }
  if (current.length > 0) batches.push(current)
  return batches
}

export function encodeTxBatch(txs: readonly Bytes[]): Bytes {
  return encode(txs)
}

/** Decodes and checks a batch frame; throws a coded error on any breach. */
export function decodeTxBatch(bytes: Bytes, limits: P2pLimits): Bytes[] {
  const raw = decodeRaw(bytes, limits.maxTxBatchBytes, 'tx batch')
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > limits.maxTxsPerBatch) {
    throw new P2pError(P2pErrorCode.badFrame, 'a tx batch is a non-empty array within the count limit')
  }
  for (const tx of raw) {
    if (!(tx instanceof Uint8Array) || tx.length === 0 || tx.length > limits.maxTxBytes) {
      throw new P2pError(P2pErrorCode.badFrame, 'a tx in a batch is non-empty bytes within the size limit')
    }
  }
  return raw as Bytes[]
}

export class TxGossip {
  readonly #framed: FramedProtocol
  readonly #limits: P2pLimits

  /** `admits`: who gossips with us (the validators, whose mempools feed proposals); omitted: everyone. */
  constructor(ctx: ProtocolContext, onBatch: TxBatchHandler, admits?: (peer: string) => boolean) {
    this.#limits = ctx.limits
    this.#framed = new FramedProtocol(
      { protocol: Protocols.txs, budget: 'txs', maxFrameBytes: ctx.limits.maxTxBatchBytes },
      {
        ctx,
        ...(admits === undefined ? {} : { admits }),
        onFrame: (from, bytes) => {
          let txs: Bytes[]
          try {
            txs = decodeTxBatch(bytes, ctx.limits)
          } catch (err) {
            ctx.log.warn({ peer: from, ...errorFields(err) }, 'p2p bad tx batch dropped')
            ctx.report.refused(from, Protocols.txs, 'bad-frame')
            ctx.budgets.strike(from)
            return
          }
          return onBatch(from, txs)
        },
      },
    )
  }

  start(): Promise<void> {
    return this.#framed.start()
  }

  stop(): Promise<void> {
    return this.#framed.stop()
  }

  flush(): Promise<void> {
    return this.#framed.flush()
  }

  peerDisconnected(peer: string): void {
    this.#framed.peerDisconnected(peer)
  }

  /** Sends txs to every given peer; returns how many peers accepted every batch. */
  gossip(peers: readonly string[], txs: readonly Bytes[]): number {
    if (txs.length === 0) return 0
    const frames = splitTxBatches(txs, this.#limits).map(encodeTxBatch)
    let complete = 0
    for (const peer of peers) {
      if (!this.#framed.admits(peer)) continue
      let ok = true
      for (const frame of frames) ok = this.#framed.send(peer, frame) && ok
      if (ok) complete++
    }
    return complete
  }
}
