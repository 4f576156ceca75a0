/**
 * The mempool: admission, dedup, bounds and reaping. A tx is admitted only after, cheapest first:
 * size → decode and stateless validation (chain id included) → not already pooled → stateful checks
 * against the head state (expiry window, already included, sponsor quota) → room left → signature
 * (batched on the verify pool); the stateful checks run again after the signatures if a block
 * committed meanwhile. When full it refuses with MEMPOOL_FULL instead of growing. `addDecoded` is the
 * same path for txs the caller has already decoded. Txs are keyed by the latin1 string of their hash.
 * Txs leave the pool when committed; after each block the rest are re-checked against the new state.
 *
 * Sponsor quota is reserved, not only checked: the state knows the quota left in each slot (a grant,
 * per signer) as of the head, and the pool counts its own txs that will charge each slot, so a
 * grantee with 1 tx a day gets 1 tx admitted, not as many as it sends (the rest would be free block
 * space, each failing with STATE_NO_QUOTA). A tx goes to the first slot it may charge that has room
 * (as applyBlock charges them); when none has, it is refused with STATE_NO_QUOTA, the state's own
 * code for "no quota left", counting pending txs (a client does the same in both cases: wait for the
 * next period). Counts are per slot key (Map lookups): a tx reserves its slot before its signature
 * is verified (so concurrent batches see it), keeps it while pooled, and frees it when it leaves
 * (committed, evicted, refused). After each block the counts are rebuilt against the new head, oldest
 * first, evicting the txs that no longer fit (the quota was also spent by txs from other pools).
 */
import { bytesKey } from '../../protocol/bytes.ts'
import { type ArcadeError, isArcadeError, ProtocolError, ProtocolErrorCode } from '../../protocol/errors.ts'
import { Limits } from '../../protocol/limits.ts'
import { decodeTx, type SignedTx } from '../../protocol/tx.ts'
import { StateError, StateErrorCode } from '../../state/errors.ts'
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

/** A sponsor quota a tx may charge: its key and how many more txs it pays for (state's `sponsorSlots`). */
export interface QuotaSlot {
  readonly key: string
  readonly remaining: number
}

export interface MempoolDeps {
  readonly verifier: SignatureVerifier
  /** Stateful admission check against the current head (null = admissible). */
  readonly checkTx: (tx: SignedTx) => ArcadeError | null
  /**
   * The quota slots a tx admitted by `checkTx` may charge, in the order the state tries them, with what
   * the head has left in each; empty when it charges no quota (state's `sponsorSlots`).
   */
  readonly sponsorSlots: (tx: SignedTx) => readonly QuotaSlot[]
  /**
   * The identity of the head state `checkTx` reads (the state object itself): when it is the same
   * after the signatures were verified as before, the second stateful check is skipped, since it
   * would give the same answer. Without it every admitted tx is checked twice.
   */
  readonly headState?: () => unknown
  /**
   * Where each admission call reports its main-thread time (the checks before and the pooling after
   * the signature verification, not the wait for it), or none. Once per call, never per tx.
   */
  readonly admissionSeconds?: { observe(seconds: number): void } | null
}

export type Admission =
  | { readonly accepted: true; readonly hash: Uint8Array; readonly tx: SignedTx }
  | { readonly accepted: false; readonly hash: Uint8Array | null; readonly error: ArcadeError }

/** A tx the caller has already decoded: `tx` must be `decodeTx(bytes)` (the pool trusts it). */
export interface DecodedTx {
  readonly bytes: Uint8Array
  readonly tx: SignedTx
}

interface Entry extends DecodedTx {
  readonly key: string
  /** The quota slot this tx holds a reservation in (null: it charges none). */
  slot: string | null
}

/** `pickSlot`'s answer when every slot the tx may charge is taken. */
const NO_ROOM = Symbol('no quota room')

export interface Mempool {
  add(encodedTxs: readonly Uint8Array[]): Promise<Admission[]>
  /** `add` for txs the caller has already decoded: the same checks and results, minus the decode. */
  addDecoded(items: readonly DecodedTx[]): Promise<Admission[]>
  /**
   * Oldest first, up to the limits, only txs that may be included on the head (re-checked if the head
   * moved since afterCommit). Does not remove anything: txs leave when committed.
   */
  reap(maxTxs: number, maxBytes: number): DecodedTx[]
  has(hashHex: string): boolean
  get(hashHex: string): SignedTx | undefined
  /** `has` and `get` by the hash bytes: no hex round trip. */
  hasHash(hash: Uint8Array): boolean
  getByHash(hash: Uint8Array): SignedTx | undefined
  /** The admitted tx with the very bytes it came in (a block holding the same bytes holds this tx). */
  admittedByHash(hash: Uint8Array): DecodedTx | undefined
  /** Drops committed txs, then re-checks the rest against the new head; returns how many were evicted. */
  afterCommit(committedHashes: readonly Uint8Array[]): number
  /**
   * Calls `wake` after every add that leaves txs in the pool (a leader waiting for txs builds at once
   * instead of polling). Returns the unsubscribe.
   */
  onPendingTxs(wake: () => void): () => void
  readonly size: number
  readonly bytes: number
  close(): void
}

/** The pool's key for a tx hash: one char per byte, several times cheaper than hex. */
const txKey = bytesKey

function hexKey(hashHex: string): string {
  const bytes = Buffer.from(hashHex, 'hex')
  return bytes.length * 2 === hashHex.length ? bytesKey(bytes) : ''
}

function asArcadeError(err: unknown): ArcadeError {
  if (isArcadeError(err)) return err
  return new ProtocolError(ProtocolErrorCode.malformed, err instanceof Error ? err.message : String(err))
}

export function createMempool(options: MempoolOptions, deps: MempoolDeps): Mempool {
  const entries = new Map<string, Entry>()
  const pendingListeners = new Set<() => void>()
  let totalBytes = 0
  let closed = false
  /** The head every pooled tx was last re-checked against (afterCommit); reap re-checks if it moved. */
  let checkedHead = deps.headState?.()
  /** Pooled txs per quota slot, and reservations of txs whose signatures are being verified. */
  const pooledUse = new Map<string, number>()
  const verifyingUse = new Map<string, number>()

  function bump(counts: Map<string, number>, slot: string | null, by: number): void {
    if (slot === null) return
    const n = (counts.get(slot) ?? 0) + by
    if (n === 0) counts.delete(slot)
    else counts.set(slot, n)
  }

  /** The first slot the tx may charge with room left beside the pool's (and, if asked, in-flight) use. */
  function pickSlot(tx: SignedTx, countVerifying: boolean): string | null | typeof NO_ROOM {
    const slots = deps.sponsorSlots(tx)
    if (slots.length === 0) return null
    for (const { key, remaining } of slots) {
      const pending = (pooledUse.get(key) ?? 0) + (countVerifying ? (verifyingUse.get(key) ?? 0) : 0)
      if (pending < remaining) return key
    }
    return NO_ROOM
  }

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
  const duplicate = () => new MempoolError(MempoolErrorCode.duplicate, 'tx is already in the mempool')
  const noQuota = () =>
    new StateError(StateErrorCode.noQuota, 'no sponsor quota left for this tx, counting txs already pending')
  const closedError = () => new MempoolError(MempoolErrorCode.closed, 'mempool is closed')
  const badSignature = () =>
    new ProtocolError(ProtocolErrorCode.badSignature, 'tx signature does not verify', {
      field: 'tx.signature',
    })

  /**
   * The one admission path behind `add` and `addDecoded`; `txAt` decodes (or hands over) the i-th tx
   * and may throw a coded error. Checks in order: size, decode, not pooled, stateful, room, signature.
   */
  async function admit(
    count: number,
    bytesAt: (i: number) => Uint8Array,
    txAt: (i: number, bytes: Uint8Array) => SignedTx,
  ): Promise<Admission[]> {
    if (closed) {
      const error = closedError()
      return Array.from({ length: count }, () => ({ accepted: false, hash: null, error }))
    }
    if (count > options.maxBatch) {
      const error = new MempoolError(
        MempoolErrorCode.batchTooLarge,
        `at most ${options.maxBatch} txs per submission`,
      )
      return Array.from({ length: count }, () => ({ accepted: false, hash: null, error }))
    }
    const startedMs = performance.now()
    const results: Admission[] = new Array(count)
    // Parallel arrays, not an object per tx: the candidates that passed the cheap checks.
    const indexes: number[] = []
    const keys: string[] = []
    const txs: SignedTx[] = []
    const reserved: (string | null)[] = []
    const inBatch = new Set<string>()
    let reservedBytes = 0
    for (let i = 0; i < count; i++) {
      const bytes = bytesAt(i)
      let tx: SignedTx
      try {
        if (bytes.length > Limits.maxTxBytes) {
          throw new ProtocolError(
            ProtocolErrorCode.tooLarge,
            `tx of ${bytes.length} bytes exceeds ${Limits.maxTxBytes}`,
          )
        }
        tx = txAt(i, bytes)
      } catch (err) {
        results[i] = { accepted: false, hash: null, error: asArcadeError(err) }
        continue
      }
      const key = txKey(tx.hash)
      if (entries.has(key) || inBatch.has(key)) {
        results[i] = { accepted: false, hash: tx.hash, error: duplicate() }
        continue
      }
      // Stateful checks before reserving room, so a refused tx never takes a slot from a good one.
      const early = deps.checkTx(tx)
      if (early !== null) {
        results[i] = { accepted: false, hash: tx.hash, error: early }
        continue
      }
      const slot = pickSlot(tx, true)
      if (slot === NO_ROOM) {
        results[i] = { accepted: false, hash: tx.hash, error: noQuota() }
        continue
      }
      if (!roomFor(bytes.length, txs.length, reservedBytes)) {
        results[i] = { accepted: false, hash: tx.hash, error: full() }
        continue
      }
      bump(verifyingUse, slot, 1)
      inBatch.add(key)
      reservedBytes += bytes.length
      indexes.push(i)
      keys.push(key)
      txs.push(tx)
      reserved.push(slot)
    }
    const checksMs = performance.now() - startedMs
    if (txs.length === 0) {
      deps.admissionSeconds?.observe(checksMs / 1000)
      return results
    }
    const head = deps.headState?.()
    let verdicts: ArrayLike<number>
    try {
      verdicts = await deps.verifier.verify(txs)
    } catch (err) {
      for (const slot of reserved) bump(verifyingUse, slot, -1)
      throw err
    }
    const verifiedMs = performance.now()
    // Re-checked after the await: a block may have committed while the signatures were verified.
    const recheck = deps.headState === undefined || deps.headState() !== head
    for (let j = 0; j < txs.length; j++) {
      const index = indexes[j] as number
      const tx = txs[j] as SignedTx
      // The reservation made before the await ends here: the tx is pooled with a slot, or refused.
      let slot = reserved[j] as string | null
      bump(verifyingUse, slot, -1)
      if (verdicts[j] !== 1) {
        results[index] = { accepted: false, hash: tx.hash, error: badSignature() }
        continue
      }
      const key = keys[j] as string
      const bytes = bytesAt(index)
      let stateError = closed ? closedError() : recheck ? deps.checkTx(tx) : null
      if (stateError === null && recheck) {
        const picked = pickSlot(tx, true)
        if (picked === NO_ROOM) stateError = noQuota()
        else slot = picked
      }
      if (stateError !== null) {
        results[index] = { accepted: false, hash: tx.hash, error: stateError }
      } else if (entries.has(key)) {
        results[index] = { accepted: false, hash: tx.hash, error: duplicate() }
      } else if (!roomFor(bytes.length, 0, 0)) {
        results[index] = { accepted: false, hash: tx.hash, error: full() }
      } else {
        entries.set(key, { key, tx, bytes, slot })
        bump(pooledUse, slot, 1)
        totalBytes += bytes.length
        results[index] = { accepted: true, hash: tx.hash, tx }
      }
    }
    deps.admissionSeconds?.observe((checksMs + performance.now() - verifiedMs) / 1000)
    if (entries.size > 0) for (const wake of pendingListeners) wake()
    return results
  }

  function remove(entry: Entry): void {
    entries.delete(entry.key)
    totalBytes -= entry.bytes.length
    bump(pooledUse, entry.slot, -1)
  }

  return {
    onPendingTxs(wake) {
      pendingListeners.add(wake)
      return () => void pendingListeners.delete(wake)
    },

    add(encodedTxs) {
      return admit(
        encodedTxs.length,
        (i) => encodedTxs[i] as Uint8Array,
        (_i, bytes) => decodeTx(bytes, options.chainId),
      )
    },

    addDecoded(items) {
      return admit(
        items.length,
        (i) => (items[i] as DecodedTx).bytes,
        (i) => {
          const tx = (items[i] as DecodedTx).tx
          // The one check of decodeTx that depends on this pool: the chain id.
          if (tx.chainId !== options.chainId) {
            throw new ProtocolError(
              ProtocolErrorCode.wrongChain,
              `tx is for chain ${tx.chainId}, not ${options.chainId}`,
              { field: 'chainId', expected: options.chainId, actual: tx.chainId },
            )
          }
          return tx
        },
      )
    },

    reap(maxTxs, maxBytes) {
      // A tx that may not be included (already included, expired) makes the whole block invalid, so a
      // leader must never reap one. afterCommit drops them after every block; should the head have
      // moved without it (a commit racing this call), what is reaped is re-checked here.
      const stale = deps.headState !== undefined && deps.headState() !== checkedHead
      const out: DecodedTx[] = []
      let bytes = 0
      for (const entry of entries.values()) {
        if (out.length >= maxTxs) break
        // A tx larger than a whole block's room (the limit is a chain parameter governance may lower)
        // is skipped rather than left to stall everything behind it; it leaves when it expires.
        if (entry.bytes.length > maxBytes) continue
        if (bytes + entry.bytes.length > maxBytes) break
        if (stale && deps.checkTx(entry.tx) !== null) continue
        bytes += entry.bytes.length
        out.push(entry)
      }
      return out
    },

    has: (hashHex) => entries.has(hexKey(hashHex)),
    get: (hashHex) => entries.get(hexKey(hashHex))?.tx,
    hasHash: (hash) => entries.has(txKey(hash)),
    getByHash: (hash) => entries.get(txKey(hash))?.tx,
    admittedByHash: (hash) => entries.get(txKey(hash)),

    afterCommit(committedHashes) {
      checkedHead = deps.headState?.()
      for (const hash of committedHashes) {
        const entry = entries.get(txKey(hash))
        if (entry !== undefined) remove(entry)
      }
      // Re-check the rest against the new head, and count their quota again, oldest first (the order
      // they are reaped and charged in). Txs still verifying are not counted: they re-check after.
      pooledUse.clear()
      let evicted = 0
      for (const entry of entries.values()) {
        entry.slot = null
        if (deps.checkTx(entry.tx) !== null) {
          remove(entry)
          evicted++
          continue
        }
        const slot = pickSlot(entry.tx, false)
        if (slot === NO_ROOM) {
          remove(entry)
          evicted++
          continue
        }
        entry.slot = slot
        bump(pooledUse, slot, 1)
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
