/**
 * Executing a block: pure. The input state is left unchanged and a new state is returned with the
 * receipts, the new state root, the store writes and the validator set for the next height.
 *
 * The caller has ALREADY verified every tx signature (the mempool and block validation do it, in
 * bulk, with native Ed25519): applyBlock trusts `tx.signer` signed `tx.payload`. It still judges
 * every tx against the state, cheapest check first, each failure becoming a failure receipt:
 *   1. chain id; 2. expiry (`validUntil` ≥ height); 3. expiry window (`validUntil` ≤ height +
 *   maxTxValidityBlocks); 4. not already included (replay.ts); 5. sponsor and quota (sponsorship.ts);
 *   6. the body. A tx failing 1–4 leaves no trace. From 4 on its hash is recorded, so a tx is included
 *   at most once; from 5 on its quota is spent; the body's writes are kept only if it succeeds.
 * A block at the wrong height, with time going backwards, or with invalid evidence is invalid as a
 * whole: applyBlock throws a StateError and the block must be rejected.
 */
import { type Bytes, bytesEqual } from '../protocol/bytes.ts'
import type { SignedTx } from '../protocol/tx.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import { type Evidence, isValidEvidence } from '../protocol/vote.ts'
import { getPoint, requireAdmin, requireManager, rolesOf, type TxContext } from './context.ts'
import { fail, StateError, StateErrorCode } from './errors.ts'
import { execute, KIND_AUTHORITY } from './executors.ts'
import { Keys, keyId } from './keys.ts'
import { type LedgerState, toValidatorSet } from './ledger.ts'
import type { KvWrite } from './ports.ts'
import { type LedgerEvent, type Receipt, ReceiptStatus } from './receipt.ts'
import { type Meta, metaCodec, validatorSetCodec } from './records.ts'
import { hasTx, ReplayBuilder } from './replay.ts'
import { chargeSponsor } from './sponsorship.ts'
import { jail, runElection } from './staking.ts'
import { isEpochBoundary } from './staking-election.ts'
import { RECENT_BLOCKS, WorkingSet } from './working-set.ts'

export interface BlockInput {
  readonly height: number
  readonly timeMs: number
  readonly proposer: Bytes
  readonly txs: readonly SignedTx[]
  readonly evidence: readonly Evidence[]
}

export interface ApplyBlockResult {
  readonly state: LedgerState
  readonly receipts: Receipt[]
  readonly stateRoot: Bytes
  /** Everything to persist, atomically with the block: the map's records and the replay index. */
  readonly writes: KvWrite[]
  readonly nextValidatorSet: ValidatorSet
  readonly validatorSetChanged: boolean
  /** Events of the block itself, outside any tx (jailing by evidence). */
  readonly blockEvents: LedgerEvent[]
}

/** The envelope checks 1–3 shared by applyBlock and checkTx. */
function envelopeError(tx: SignedTx, chainId: string, height: number, meta: Meta): StateError | null {
  if (tx.chainId !== chainId)
    return new StateError(StateErrorCode.wrongChain, `tx is for chain ${tx.chainId}`)
  if (tx.validUntil < height) return new StateError(StateErrorCode.txExpired, 'tx expired')
  if (tx.validUntil > height + meta.params.maxTxValidityBlocks) {
    return new StateError(StateErrorCode.txExpiryTooFar, 'tx validUntil lies beyond the allowed window')
  }
  return null
}

function failed(tx: SignedTx, height: number, index: number, code: string): Receipt {
  return { txHash: tx.hash, height, index, status: ReceiptStatus.failed, error: code, events: [] }
}

export function applyBlock(
  state: LedgerState,
  block: BlockInput,
  ctx: { readonly chainId: string },
): ApplyBlockResult {
  const meta = state.meta
  if (block.height !== meta.height + 1) {
    fail(StateErrorCode.badHeight, `expected height ${meta.height + 1}, got ${block.height}`)
  }
  if (block.timeMs < meta.timeMs) fail(StateErrorCode.badBlockTime, 'block time goes backwards')
  const ws = new WorkingSet(state.map, state.cache, state.recent)
  const replay = new ReplayBuilder(state.replay)
  const blockEvents: LedgerEvent[] = []
  const { height, timeMs } = block

  // Evidence first: never a false accusation, so anything doubtful invalidates the block.
  for (const e of block.evidence) {
    if (!isValidEvidence(ctx.chainId, e))
      fail(StateErrorCode.invalidEvidence, 'evidence does not prove a double vote')
    if (!jail(ws, e.a.validator, blockEvents))
      fail(StateErrorCode.invalidEvidence, 'evidence names no association')
  }

  const receipts: Receipt[] = []
  for (let index = 0; index < block.txs.length; index++) {
    const tx = block.txs[index] as SignedTx
    const envelope = envelopeError(tx, ctx.chainId, height, meta)
    if (envelope !== null) {
      receipts.push(failed(tx, height, index, envelope.code))
      continue
    }
    const hashId = keyId(tx.hash)
    if (replay.has(tx.validUntil, hashId)) {
      receipts.push(failed(tx, height, index, StateErrorCode.txDuplicate))
      continue
    }
    replay.add(tx.validUntil, hashId)
    const signerId = keyId(tx.signer)
    ws.beginTx()
    try {
      chargeSponsor(ws, tx, signerId, height, timeMs, true)
      ws.commitTx()
    } catch (err) {
      ws.abortTx()
      if (!(err instanceof StateError)) throw err
      receipts.push(failed(tx, height, index, err.code))
      continue
    }
    const events: LedgerEvent[] = []
    const txCtx: TxContext = {
      ws,
      chainId: ctx.chainId,
      height,
      timeMs,
      params: meta.params,
      signer: tx.signer,
      signerId,
      events,
    }
    ws.beginTx()
    try {
      execute(txCtx, tx.body)
      ws.commitTx()
      receipts.push({ txHash: tx.hash, height, index, status: ReceiptStatus.ok, error: null, events })
    } catch (err) {
      ws.abortTx()
      if (!(err instanceof StateError)) throw err
      receipts.push(failed(tx, height, index, err.code))
    }
  }

  const current = ws.get(Keys.meta, metaCodec) as Meta
  const nextMeta: Meta = { ...current, height, timeMs }
  ws.put(Keys.meta, metaCodec, nextMeta)
  const previousSet = ws.get(Keys.validatorSet, validatorSetCodec) ?? []
  const nextSet = isEpochBoundary(height, meta.params.epochLength) ? runElection(ws) : previousSet
  const validatorSetChanged =
    nextSet.length !== previousSet.length ||
    nextSet.some(([k, p], i) => {
      const [k0, p0] = previousSet[i] as readonly [Bytes, number]
      return p !== p0 || !bytesEqual(k, k0)
    })

  const mapWrites = ws.encodedWrites()
  const map = state.map.update(mapWrites)
  const replayed = replay.finish(height)
  return {
    state: {
      map,
      replay: replayed.index,
      meta: nextMeta,
      cache: state.cache,
      recent: [ws.touched(), ...state.recent].slice(0, RECENT_BLOCKS),
    },
    receipts,
    stateRoot: map.root,
    writes: [...mapWrites, ...replayed.writes] as KvWrite[],
    nextValidatorSet: toValidatorSet(nextSet),
    validatorSetChanged,
    blockEvents,
  }
}

/**
 * The cheap stateful admission checks the mempool runs before admitting a tx (signature already
 * verified): expiry window, not already included, sponsor grant with quota left (counted at the last
 * block's time; quota used by txs still in the mempool is the mempool's to count), and for kinds
 * reserved to one role, that the signer holds it. `height` is the height the tx would be included at.
 */
export function checkTx(
  state: LedgerState,
  tx: SignedTx,
  ctx: { readonly chainId: string; readonly height: number },
): StateError | null {
  const envelope = envelopeError(tx, ctx.chainId, ctx.height, state.meta)
  if (envelope !== null) return envelope
  if (hasTx(state.replay, tx.validUntil, keyId(tx.hash))) {
    return new StateError(StateErrorCode.txDuplicate, 'tx already included')
  }
  const ws = new WorkingSet(state.map, state.cache, state.recent)
  const signerId = keyId(tx.signer)
  try {
    chargeSponsor(ws, tx, signerId, ctx.height, state.meta.timeMs, false)
    const authority = KIND_AUTHORITY[tx.body.kind]
    const probe = { ws, signerId } as TxContext
    if (authority === 'admin') requireAdmin(probe)
    else if (authority === 'issuer' && !rolesOf(ws, signerId).issuer)
      fail(StateErrorCode.notIssuer, 'not an issuer')
    else if (authority === 'manager' && 'point' in tx.body) requireManager(probe, tx.body.point)
    else if ('point' in tx.body && tx.body.kind !== 'point.create') getPoint(ws, tx.body.point)
  } catch (err) {
    if (err instanceof StateError) return err
    throw err
  }
  return null
}
