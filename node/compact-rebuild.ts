/**
 * Rebuilding a compact proposal's txs (protocol/compact-proposal.ts): the pure core, with the mempool
 * and the fetch from the sender injected.
 *
 * 1. Each id is looked up among the txs this node holds (`known`: the mempool's admitted txs, with
 *    their bytes, id and signature as decoded on admission).
 * 2. All found: the tx root over `txLeaf(id, signature)` must match the header. It binds every
 *    signature, so a match proves these are the leader's very bytes (canonical envelopes); no tx is
 *    parsed or hashed again (the ids and signatures come from admission).
 * 3. Some missing: they are fetched from the sender; each answer must be a canonical tx envelope whose
 *    payload hashes to the id asked for (else COMPACT_WRONG_TX: nothing of it is used). Then the root.
 * 4. Root mismatch with txs from the pool: a pool may hold the same payload with another valid
 *    signature, and which leaf differs cannot be told, so the pooled ones are fetched too and the root
 *    checked once more. Still differing, every tx came from the sender: COMPACT_ROOT_MISMATCH.
 *
 * At most two fetches per proposal; the txs handed on are a frozen list whose ids and signatures are
 * remembered (block.ts `rememberTxHashes`), so consensus's commitment check and the chain's execution
 * (which reuses the pool's decoded txs by id and signature) hash nothing twice.
 */
import { rememberTxHashes, txRootOf } from '../protocol/block.ts'
import { type Bytes, bytesEqual } from '../protocol/bytes.ts'
import type { CompactBlock } from '../protocol/compact-proposal.ts'
import { sha256 } from '../protocol/crypto.ts'
import { isArcadeError } from '../protocol/errors.ts'
import { txEnvelopeOf } from '../protocol/tx.ts'
import { CompactError, CompactErrorCode } from './compact-errors.ts'

/** A tx this node holds (the mempool's DecodedTx): its bytes, and its id and signature as decoded. */
export interface HeldTx {
  readonly bytes: Bytes
  readonly tx: { readonly hash: Bytes; readonly signature: Bytes }
}

interface Digest {
  readonly hash: Bytes
  readonly signature: Bytes
}

/** A compact block's txs as far as they are known: `bytes[i]` undefined for a tx still missing. */
export interface Assembly {
  readonly block: CompactBlock
  readonly bytes: (Bytes | undefined)[]
  readonly digests: (Digest | undefined)[]
  /** Indexes of the txs this node lacks. */
  readonly missing: readonly number[]
  /** Indexes of the txs taken from the pool (their signature may differ from the leader's). */
  readonly pooled: readonly number[]
}

/** Step 1: the block's txs this node holds, by id; nothing is hashed. */
export function assemble(block: CompactBlock, known: (id: Bytes) => HeldTx | undefined): Assembly {
  const n = block.txIds.length
  const bytes: (Bytes | undefined)[] = new Array(n)
  const digests: (Digest | undefined)[] = new Array(n)
  const missing: number[] = []
  const pooled: number[] = []
  for (let i = 0; i < n; i++) {
    const id = block.txIds[i] as Bytes
    const held = known(id)
    // The pool is keyed by id; compared anyway, so a wrong lookup can only cost a fetch.
    if (held === undefined || !bytesEqual(held.tx.hash, id)) {
      missing.push(i)
      continue
    }
    bytes[i] = held.bytes
    digests[i] = { hash: id, signature: held.tx.signature }
    pooled.push(i)
  }
  return { block, bytes, digests, missing, pooled }
}

/** Step 2: the txs, frozen with their digests remembered, if all are there and the tx root matches. */
export function txsIfComplete(a: Assembly): readonly Bytes[] | null {
  const n = a.bytes.length
  const txs: Bytes[] = new Array(n)
  const digests: Digest[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const tx = a.bytes[i]
    const digest = a.digests[i]
    if (tx === undefined || digest === undefined) return null
    txs[i] = tx
    digests[i] = digest
  }
  const frozen = rememberTxHashes(txs, digests)
  return bytesEqual(txRootOf(frozen), a.block.header.txRoot) ? frozen : null
}

/**
 * Step 3: takes the sender's answer for `indexes` (one tx per index, in order) after checking that
 * each is a canonical envelope whose payload hashes to its id. Throws COMPACT_WRONG_TX, leaving the
 * assembly as it was, if any is not.
 */
export function acceptFetched(a: Assembly, indexes: readonly number[], answer: readonly Bytes[]): void {
  if (answer.length !== indexes.length) {
    throw new CompactError(CompactErrorCode.wrongTx, 'the answer does not hold one tx per id asked', {
      asked: indexes.length,
      got: answer.length,
    })
  }
  const checked: Digest[] = new Array(indexes.length)
  for (let j = 0; j < indexes.length; j++) {
    const index = indexes[j] as number
    const id = a.block.txIds[index] as Bytes
    const tx = answer[j] as Bytes
    let digest: Digest
    try {
      const envelope = txEnvelopeOf(tx)
      digest = { hash: sha256(envelope.payload), signature: envelope.signature }
    } catch (err) {
      throw new CompactError(CompactErrorCode.wrongTx, 'a fetched tx is not a canonical tx', {
        index,
        cause: isArcadeError(err) ? err.code : String(err),
      })
    }
    if (!bytesEqual(digest.hash, id)) {
      throw new CompactError(CompactErrorCode.wrongTx, 'a fetched tx does not hash to its id', { index })
    }
    checked[j] = digest
  }
  for (let j = 0; j < indexes.length; j++) {
    const index = indexes[j] as number
    a.bytes[index] = answer[j]
    a.digests[index] = checked[j]
  }
}

/** Fetches the txs of `ids` from the proposal's sender: exactly one per id, in order, or it rejects. */
export type FetchTxs = (ids: readonly Bytes[]) => Promise<readonly Bytes[]>

export interface Completion {
  readonly txs: readonly Bytes[]
  /** How many txs were fetched (0: all came from the pool). */
  readonly fetched: number
}

/**
 * Steps 3 and 4, for an assembly `txsIfComplete` could not finish: at most two fetches. Rejects with a
 * CompactError (COMPACT_FETCH_FAILED wraps a failed fetch).
 */
export async function completeByFetch(a: Assembly, fetch: FetchTxs): Promise<Completion> {
  let fetched = 0
  const fetchInto = async (indexes: readonly number[]): Promise<void> => {
    let answer: readonly Bytes[]
    try {
      answer = await fetch(indexes.map((i) => a.block.txIds[i] as Bytes))
    } catch (err) {
      throw new CompactError(CompactErrorCode.fetchFailed, 'fetching the txs failed', {
        asked: indexes.length,
        cause: isArcadeError(err) ? err.code : String(err),
      })
    }
    acceptFetched(a, indexes, answer)
    fetched += indexes.length
  }
  if (a.missing.length > 0) {
    await fetchInto(a.missing)
    const txs = txsIfComplete(a)
    if (txs !== null) return { txs, fetched }
  }
  // The root differs: the pooled txs may carry other signatures than the leader's. Fetch those too.
  if (a.pooled.length > 0) {
    await fetchInto(a.pooled)
    const txs = txsIfComplete(a)
    if (txs !== null) return { txs, fetched }
  }
  throw new CompactError(CompactErrorCode.rootMismatch, "the sender's txs do not match its tx root", {
    txs: a.bytes.length,
  })
}
