/**
 * The mempool: admission, dedup, bounds and reaping. A tx is admitted only after, cheapest first:
 * size → decode and stateless validation (chain id included) → not already pooled → stateful checks
 * against the head state (expiry window, already included, sponsor quota) → room left → signature
 * (batched on the verify pool); the stateful checks run again after the signatures, since a block may
 * have committed meanwhile. When full it refuses with MEMPOOL_FULL instead of growing.
 * Txs leave the pool when committed; after each block the rest are re-checked against the new state.
 */
import { toHex } from '../../protocol/bytes.ts'
import { type ArcadeError, isArcadeError, ProtocolError, ProtocolErrorCode } from '../../protocol/errors.ts'
import { Limits } from '../../protocol/limits.ts'
import { decodeTx, type SignedTx } from '../../protocol/tx.ts'
import { MempoolError, MempoolErrorCode } from './errors.ts'
import type { SignatureVerifier } from './verify-pool.ts'

export interface MempoolOptions {
  readonly chainId: string
  readonly maxTxs: number
  readonly maxBytes: number
  /** Most txs accepted in one `add` call. */
  readonly maxBatch: number
}

export const defaultMempoolOptions = { maxTxs: 50_000, maxBytes: 64 * 1024 * 1024, maxBatch: 10_000 } as const

export interface MempoolDeps {
  readonly verifier: SignatureVerifier
  /** Stateful admission check against the current head (null = admissible). */
  readonly checkTx: (tx: SignedTx) => ArcadeError | null
}

export type Admission =
  | { readonly accepted: true; readonly hash: Uint8Array; readonly tx: SignedTx }
  | { readonly accepted: false; readonly hash: Uint8Array | null; readonly error: ArcadeError }

interface Entry {
  readonly tx: SignedTx
  readonly bytes: Uint8Array
}

export interface Mempool {
  add(encodedTxs: readonly Uint8Array[]): Promise<Admission[]>
  /** Oldest first, up to the limits. Does not remove anything: txs leave when committed. */
  reap(maxTxs: number, maxBytes: number): { tx: SignedTx; bytes: Uint8Array }[]
  has(hashHex: string): boolean
  get(hashHex: string): SignedTx | undefined
  /** Drops committed txs, then re-checks the rest against the new head; returns how many were evicted. */
  afterCommit(committedHashes: readonly Uint8Array[]): number
  readonly size: number
  readonly bytes: number
  close(): void
}

function asArcadeError(err: unknown): ArcadeError {
  if (isArcadeError(err)) return err
  return new ProtocolError(ProtocolErrorCode.malformed, err instanceof Error ? err.message : String(err))
}

export function createMempool(options: MempoolOptions, deps: MempoolDeps): Mempool {
  const entries = new Map<string, Entry>()
  let totalBytes = 0
  let closed = false

  function roomFor(bytes: number, reservedTxs: number, reservedBytes: number): boolean {
    return (
      entries.size + reservedTxs < options.maxTxs && totalBytes + reservedBytes + bytes <= options.maxBytes
    )
  }

  const full = () =>
    new MempoolError(
      MempoolErrorCode.full,
      `mempool is full (${options.maxTxs} txs / ${options.maxBytes} bytes)`,
      {
        maxTxs: options.maxTxs,
        maxBytes: options.maxBytes,
      },
    )

  return {
    async add(encodedTxs) {
      if (closed) {
        return encodedTxs.map(() => ({
          accepted: false,
          hash: null,
          error: new MempoolError(MempoolErrorCode.closed, 'mempool is closed'),
        }))
      }
      if (encodedTxs.length > options.maxBatch) {
        const error = new MempoolError(
          MempoolErrorCode.batchTooLarge,
          `at most ${options.maxBatch} txs per submission`,
        )
        return encodedTxs.map(() => ({ accepted: false, hash: null, error }))
      }
      const results: Admission[] = new Array(encodedTxs.length)
      const toVerify: { index: number; tx: SignedTx; bytes: Uint8Array }[] = []
      const inBatch = new Set<string>()
      let reservedTxs = 0
      let reservedBytes = 0
      for (let i = 0; i < encodedTxs.length; i++) {
        const bytes = encodedTxs[i] as Uint8Array
        let tx: SignedTx
        try {
          if (bytes.length > Limits.maxTxBytes) {
            throw new ProtocolError(
              ProtocolErrorCode.tooLarge,
              `tx of ${bytes.length} bytes exceeds ${Limits.maxTxBytes}`,
            )
          }
          tx = decodeTx(bytes, options.chainId)
        } catch (err) {
          results[i] = { accepted: false, hash: null, error: asArcadeError(err) }
          continue
        }
        const id = toHex(tx.hash)
        if (entries.has(id) || inBatch.has(id)) {
          results[i] = {
            accepted: false,
            hash: tx.hash,
            error: new MempoolError(MempoolErrorCode.duplicate, 'tx is already in the mempool'),
          }
          continue
        }
        // Stateful checks before reserving room, so a refused tx never takes a slot from a good one.
        const early = deps.checkTx(tx)
        if (early !== null) {
          results[i] = { accepted: false, hash: tx.hash, error: early }
          continue
        }
        if (!roomFor(bytes.length, reservedTxs, reservedBytes)) {
          results[i] = { accepted: false, hash: tx.hash, error: full() }
          continue
        }
        inBatch.add(id)
        reservedTxs++
        reservedBytes += bytes.length
        toVerify.push({ index: i, tx, bytes })
      }
      const verdicts = await deps.verifier.verifyBatch(
        toVerify.map(({ tx }) => [tx.signature, tx.payload, tx.signer]),
      )
      for (let j = 0; j < toVerify.length; j++) {
        const { index, tx, bytes } = toVerify[j] as (typeof toVerify)[number]
        if (verdicts[j] !== true) {
          results[index] = {
            accepted: false,
            hash: tx.hash,
            error: new ProtocolError(ProtocolErrorCode.badSignature, 'tx signature does not verify', {
              field: 'tx.signature',
            }),
          }
          continue
        }
        // Re-checked after the await: the pool may have changed while signatures were verified.
        const id = toHex(tx.hash)
        const stateError = closed
          ? new MempoolError(MempoolErrorCode.closed, 'mempool is closed')
          : deps.checkTx(tx)
        if (stateError !== null) {
          results[index] = { accepted: false, hash: tx.hash, error: stateError }
        } else if (entries.has(id)) {
          results[index] = {
            accepted: false,
            hash: tx.hash,
            error: new MempoolError(MempoolErrorCode.duplicate, 'tx is already in the mempool'),
          }
        } else if (!roomFor(bytes.length, 0, 0)) {
          results[index] = { accepted: false, hash: tx.hash, error: full() }
        } else {
          entries.set(id, { tx, bytes })
          totalBytes += bytes.length
          results[index] = { accepted: true, hash: tx.hash, tx }
        }
      }
      return results
    },

    reap(maxTxs, maxBytes) {
      const out: { tx: SignedTx; bytes: Uint8Array }[] = []
      let bytes = 0
      for (const entry of entries.values()) {
        if (out.length >= maxTxs) break
        if (bytes + entry.bytes.length > maxBytes) break
        bytes += entry.bytes.length
        out.push(entry)
      }
      return out
    },

    has: (hashHex) => entries.has(hashHex),
    get: (hashHex) => entries.get(hashHex)?.tx,

    afterCommit(committedHashes) {
      for (const hash of committedHashes) {
        const id = toHex(hash)
        const entry = entries.get(id)
        if (entry !== undefined) {
          entries.delete(id)
          totalBytes -= entry.bytes.length
        }
      }
      let evicted = 0
      for (const [id, entry] of entries) {
        if (deps.checkTx(entry.tx) !== null) {
          entries.delete(id)
          totalBytes -= entry.bytes.length
          evicted++
        }
      }
      return evicted
    },

    get size() {
      return entries.size
    },
    get bytes() {
      return totalBytes
    },
    close() {
      closed = true
    },
  }
}
