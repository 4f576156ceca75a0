/**
 * Executing a block: pure. The input state is left unchanged and a new state is returned with the
 * receipts, the new state root, the store writes and the validator set for the next height.
 *
 * The caller has ALREADY verified every tx signature (the mempool and block validation do it, in
 * bulk, with native Ed25519): applyBlock trusts `tx.signer` signed `tx.payload`.
 *
 * What makes a block invalid (applyBlock throws a StateError; the block must be rejected, it is the
 * proposer's fault): a wrong height, time going backwards, evidence that does not prove a double
 * vote, and a tx that may not be included at all: 1. for another chain; 2. expired (`validUntil` <
 * height); 3. expiring beyond the window (`validUntil` > height + maxTxValidityBlocks); 4. already
 * included (replay.ts), earlier or in this block. An honest leader never proposes such a tx: the
 * mempool admits a tx only if it passes 1–4 at the next height (the window only widens as heights
 * grow), and drops included and expired txs after every block (node/mempool).
 *
 * Every tx that passes 1–4 is included, exactly once: its hash is recorded in the replay index under
 * its `validUntil` (≤ height + maxTxValidityBlocks, so the index stays bounded) until it expires, so
 * a tx hash gets at most one receipt, whatever its outcome. (A tx failing 1–3 cannot be recorded
 * instead: one too far ahead would have to stay in the index until a validUntil its signer picks,
 * and an expired or foreign one forever, so failed receipts for them would be replayable.)
 * Then, per included tx: 5. sponsor and quota (sponsorship.ts), spent from here on whatever follows;
 * 6. the body, whose writes are kept only if it succeeds. Any error in 5–6, whatever its class (a
 * state rule, a record past the value limit, a RangeError from a bug), fails that tx with a receipt
 * and leaves no trace but its replay entry and sponsor charge: one tx never makes a block invalid.
 * (Errors of a bug are deterministic on every node; an exhausted stack or heap is not, and may make
 * the one node that hits it disagree about the state root: it then stops voting, it never forks.)
 *
 * Evidence: each item must prove a double vote (two valid signatures by one key, same height, view
 * and kind, different blocks) or the block is invalid. Evidence against a key that no association
 * runs (never a validator: nothing to jail) is skipped, and evidence against an association already
 * jailed changes nothing; so evidence an honest leader verified can never make its block invalid.
 */
import { type Bytes, bytesEqual } from '../protocol/bytes.ts'
import type { SignedTx } from '../protocol/tx.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import { type Evidence, isValidEvidence } from '../protocol/vote.ts'
import { envelopeError } from './admission.ts'
import type { TxContext } from './context.ts'
import { fail, StateError, StateErrorCode } from './errors.ts'
import { execute } from './executors.ts'
import { sweepExpiries } from './expiry-sweep.ts'
import { expireProposals } from './governance.ts'
import { Keys, keyId } from './keys.ts'
import { type LedgerState, toValidatorSet } from './ledger.ts'
import { applyPendingParams } from './params.ts'
import type { KvWrite } from './ports.ts'
import { type LedgerEvent, type Receipt, ReceiptStatus } from './receipt.ts'
import { type Meta, metaCodec, validatorSetCodec } from './records.ts'
import { sweepRefundRecords } from './refunds.ts'
import { ReplayBuilder } from './replay.ts'
import { chargeSponsor } from './sponsorship.ts'
import { jail, runElection } from './staking.ts'
import { epochClockOf, epochOf, isEpochBoundary } from './staking-election.ts'
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
  /**
   * Events of the block itself, outside any tx, in the order they happened: jailing by evidence
   * (before the txs), then after the txs the expiry sweep's `expire` events, expired proposals and
   * applied params.
   */
  readonly blockEvents: LedgerEvent[]
}

function failed(tx: SignedTx, height: number, index: number, code: string): Receipt {
  return { txHash: tx.hash, height, index, status: ReceiptStatus.failed, error: code, events: [] }
}

/** The code of an error raised while a tx ran: a state rule's own, any other error is a fault. */
function codeOf(err: unknown): string {
  return err instanceof StateError ? err.code : StateErrorCode.internalError
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
  const clock = epochClockOf(meta)
  const epoch = epochOf(height, clock)

  // Evidence first: never a false accusation, so anything doubtful invalidates the block. A key no
  // association runs has nothing to jail: skipped (see the header).
  for (const e of block.evidence) {
    if (!isValidEvidence(ctx.chainId, e))
      fail(StateErrorCode.invalidEvidence, 'evidence does not prove a double vote')
    jail(ws, e.a.validator, epoch, blockEvents)
  }

  const receipts: Receipt[] = []
  for (let index = 0; index < block.txs.length; index++) {
    const tx = block.txs[index] as SignedTx
    // 1–4: a tx that may not be included makes the block invalid.
    const envelope = envelopeError(tx, ctx.chainId, height, meta)
    if (envelope !== null) fail(envelope.code, `tx ${index}: ${envelope.message}`, { index })
    const hashId = keyId(tx.hash)
    if (replay.has(tx.validUntil, hashId))
      fail(StateErrorCode.txDuplicate, `tx ${index} is already included`, { index })
    replay.add(tx.validUntil, hashId)
    const signerId = keyId(tx.signer)
    ws.beginTx()
    try {
      chargeSponsor(ws, tx, signerId, height, timeMs, true)
      ws.commitTx()
    } catch (err) {
      ws.abortTx()
      receipts.push(failed(tx, height, index, codeOf(err)))
      continue
    }
    const events: LedgerEvent[] = []
    const txCtx: TxContext = {
      ws,
      chainId: ctx.chainId,
      height,
      timeMs,
      params: meta.params,
      epoch,
      signer: tx.signer,
      signerId,
      txHash: tx.hash,
      txHashId: hashId,
      events,
    }
    ws.beginTx()
    try {
      execute(txCtx, tx.body)
      ws.commitTx()
      receipts.push({ txHash: tx.hash, height, index, status: ReceiptStatus.ok, error: null, events })
    } catch (err) {
      ws.abortTx()
      receipts.push(failed(tx, height, index, codeOf(err)))
    }
  }

  // Expired points of accounts no tx touched leave their balances, a bounded walk (expiry-sweep.ts).
  sweepExpiries(ws, timeMs, blockEvents)
  // Refund records whose window is over are pruned, a bounded walk too (refunds.ts).
  sweepRefundRecords(ws, timeMs)
  expireProposals(ws, height, blockEvents)
  const current = ws.get(Keys.meta, metaCodec) as Meta
  const boundary = isEpochBoundary(height, clock)
  // Governed parameter changes take effect with the epoch's last block, before its election; a new
  // epoch length counts from this block.
  const { params, epochAnchor } = boundary
    ? applyPendingParams(ws, height, current.params, clock, blockEvents)
    : current
  const nextMeta: Meta = { ...current, height, timeMs, params, epochAnchor }
  ws.put(Keys.meta, metaCodec, nextMeta)
  const previousSet = ws.get(Keys.validatorSet, validatorSetCodec) ?? []
  const nextSet = boundary ? runElection(ws) : previousSet
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
