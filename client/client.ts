/**
 * ArcadeClient: build, sign, submit and follow txs; read the ledger (Queries); verify answers against
 * commit certificates; stream events. Constructed as `new ArcadeClient(options, deps)`: it holds no
 * state but the chain id it learns from the first status, so many clients can live side by side.
 */
import { toHex } from '../protocol/bytes.ts'
import { encode } from '../protocol/codec.ts'
import type { KeyPair } from '../protocol/crypto.ts'
import { encodeTx, type SignedTx } from '../protocol/tx.ts'
import type { TxKind } from '../protocol/tx-body.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import {
  type TrafficProof,
  type TrafficProofFile,
  type VerifyAnchorOptions,
  verifyAnchoredEvent,
} from './anchors.ts'
import { createTx, type TxInput, type TxRequest } from './build.ts'
import { ArcadeClientError, ClientErrorCode, invalidInput } from './errors.ts'
import { DEFAULT_VOTING_BLOCKS, type GovernedInput, governance } from './governance.ts'
import { type FetchFn, Http } from './http.ts'
import { type AddressLike, addressOf, toAccount } from './keys.ts'
import { LightClient, type TrustRoot } from './light-client.ts'
import { type OperationContext, operations } from './operations.ts'
import { parseCertificate } from './parse.ts'
import { type VerifiedRecord, verifyRecordProof } from './proof.ts'
import { type CachedPurseProof, verifyPurseProof } from './purse.ts'
import { proofRef, Queries } from './queries.ts'
import { type SubscribeFilter, type SubscribeHandlers, subscribeStream } from './stream.ts'
import type {
  CertificateJson,
  Committed,
  ParsedBlock,
  ProofJson,
  StreamEvent,
  SubmitResult,
  TxStatus,
  ValidatorsJson,
} from './types.ts'

export const DEFAULT_RPC_URL = 'http://127.0.0.1:26601'
/** The RPC's default ceiling for `?wait=true&timeoutMs=`: longer waits continue by polling. */
const MAX_SERVER_WAIT_MS = 60_000

export interface ClientOptions {
  /** A node's RPC base URL. Default http://127.0.0.1:26601 (validator-1 of `arcade genesis init`). */
  readonly url?: string
  /** Chain id; default: learned from GET /v1/status on first use. */
  readonly chainId?: string
  /** Blocks a tx stays valid for when `validUntil` is not given (must not exceed the chain's maximum). Default 100. */
  readonly validityBlocks?: number
  /** Per-request timeout. Default 30 s. */
  readonly timeoutMs?: number
  /** Default wait for a commit. Default 30 s. */
  readonly commitTimeoutMs?: number
  /** Poll interval while waiting for a commit. Default 250 ms. */
  readonly pollIntervalMs?: number
  readonly headers?: Readonly<Record<string, string>>
  /**
   * What `verifyRecord` trusts: the genesis document, a checkpoint, a cache, or a LightClient. The
   * client builds its light client once and keeps what it verified.
   */
  readonly trust?: TrustRoot | LightClient
}

export interface ClientDeps {
  /** Default globalThis.fetch. */
  readonly fetch?: FetchFn
  /** Default a setTimeout-based sleep. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export interface BuildOptions {
  readonly signer: KeyPair
  readonly sponsor?: AddressLike
  readonly nonce?: number
  readonly validUntil?: number
}

export interface SendOptions extends BuildOptions {
  /** Wait for the commit (server-side `?wait=true`, then polling). */
  readonly wait?: boolean
  readonly timeoutMs?: number
  /** With `wait`, a committed-but-failed tx throws CLIENT_TX_FAILED unless this is false. Default true. */
  readonly throwOnFailure?: boolean
}

export interface SendResult {
  readonly tx: SignedTx
  readonly hash: string
  readonly result: SubmitResult
  /** Present when waited for. */
  readonly committed?: Committed
}

function eventLine(e: Record<string, unknown>): string {
  const { type, ...fields } = e
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${String(v)}`)
  return `  ${String(type)} ${parts.join(' ')}\n`
}

/** A committed tx as readable lines: where it landed, ok or the failure code, then its events. */
export function describeCommitted(c: Committed): string {
  const r = c.receipt
  const outcome = r.status === 'ok' ? 'ok' : `FAILED ${r.error}`
  const head = `committed ${c.hash} at height ${c.height} (index ${c.index}): ${outcome}\n`
  return head + r.events.map((e) => eventLine(e as Record<string, unknown>)).join('')
}

/** Batch results as readable lines: refused (with the code), pending, or committed (and failed). */
export function describeSubmitResults(results: readonly SubmitResult[]): string {
  return results
    .map((r) => {
      const hash = r.hash ?? '(undecodable tx)'
      if (!r.accepted) return `refused ${hash}: ${r.code} ${r.message ?? ''}\n`
      if (r.status !== 'committed') return `submitted ${hash} (pending)\n`
      const failed = r.receipt?.status === 'failed' ? `: FAILED ${r.receipt.error}` : ': ok'
      return `committed ${hash} at height ${r.height} (index ${r.index})${failed}\n`
    })
    .join('')
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })

function committedOf(hash: string, r: SubmitResult | TxStatus): Committed | null {
  if (r.receipt === undefined || r.height === undefined || r.index === undefined) return null
  return { hash, height: r.height, index: r.index, receipt: r.receipt }
}

export class ArcadeClient extends Queries {
  readonly url: string
  private readonly options: ClientOptions
  private readonly sleep: NonNullable<ClientDeps['sleep']>
  private readonly fetchFn: FetchFn
  private knownChainId: string | undefined

  constructor(options: ClientOptions = {}, deps: ClientDeps = {}) {
    const url = options.url ?? DEFAULT_RPC_URL
    try {
      new URL(url)
    } catch {
      throw invalidInput('url', `not a URL: ${url}`)
    }
    const fetchFn = deps.fetch ?? globalThis.fetch.bind(globalThis)
    super(
      new Http(
        {
          url,
          timeoutMs: options.timeoutMs ?? 30_000,
          ...(options.headers ? { headers: options.headers } : {}),
        },
        fetchFn,
      ),
    )
    this.url = url
    this.options = options
    this.fetchFn = fetchFn
    this.sleep = deps.sleep ?? defaultSleep
    this.knownChainId = options.chainId
  }

  async chainId(): Promise<string> {
    this.knownChainId ??= (await this.status()).chainId
    return this.knownChainId
  }

  /** Builds and signs a tx; the expiry defaults to the current height + `validityBlocks`. */
  async buildTx<K extends TxKind>(kind: K, fields: TxInput<K>, opts: BuildOptions): Promise<SignedTx> {
    let validUntil = opts.validUntil
    let chainId = this.knownChainId
    if (validUntil === undefined || chainId === undefined) {
      const status = await this.status()
      chainId = this.knownChainId ??= status.chainId
      validUntil ??= status.height + (this.options.validityBlocks ?? 100)
    }
    return createTx(kind, fields, {
      chainId,
      signer: opts.signer,
      validUntil,
      ...(opts.sponsor === undefined ? {} : { sponsor: opts.sponsor }),
      ...(opts.nonce === undefined ? {} : { nonce: opts.nonce }),
    })
  }

  /** Submits one signed tx (msgpack). A refusal throws with the mempool's or protocol's code. */
  async submit(
    tx: SignedTx | Uint8Array,
    opts: { wait?: boolean; timeoutMs?: number } = {},
  ): Promise<SubmitResult> {
    const bytes = tx instanceof Uint8Array ? tx : encodeTx(tx)
    const waitMs = Math.min(opts.timeoutMs ?? this.commitTimeout(), MAX_SERVER_WAIT_MS)
    const query = opts.wait ? { wait: true, timeoutMs: waitMs } : {}
    return this.http.request('POST', '/txs', {
      msgpack: bytes,
      query,
      timeoutMs: (opts.wait ? waitMs : 0) + (this.options.timeoutMs ?? 30_000),
    })
  }

  /** Submits many signed txs at once; one result per tx, in order (refusals are results, not throws). */
  async submitBatch(
    txs: readonly (SignedTx | Uint8Array)[],
    opts: { wait?: boolean; timeoutMs?: number } = {},
  ): Promise<readonly SubmitResult[]> {
    if (txs.length === 0) return []
    const body = encode(txs.map((t) => (t instanceof Uint8Array ? t : encodeTx(t))))
    const waitMs = Math.min(opts.timeoutMs ?? this.commitTimeout(), MAX_SERVER_WAIT_MS)
    const query = opts.wait ? { wait: true, timeoutMs: waitMs } : {}
    const res = await this.http.request<{ results: SubmitResult[] }>('POST', '/txs/batch', {
      msgpack: body,
      query,
      timeoutMs: (opts.wait ? waitMs : 0) + (this.options.timeoutMs ?? 30_000),
    })
    return res.results
  }

  /** Polls GET /v1/txs/:hash until the tx is committed (applied or failed); CLIENT_TIMEOUT after the timeout. */
  async waitForCommit(
    hash: string,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Committed> {
    const deadline = AbortSignal.timeout(opts.timeoutMs ?? this.commitTimeout())
    const signal = opts.signal === undefined ? deadline : AbortSignal.any([deadline, opts.signal])
    for (;;) {
      try {
        const s = await this.tx(hash)
        const done = s.status === 'pending' ? null : committedOf(hash, s)
        if (done !== null) return done
      } catch (err) {
        // Not found yet: it may still be travelling to this node's mempool index.
        if (!(err instanceof ArcadeClientError && err.code === 'RPC_TX_NOT_FOUND')) throw err
      }
      try {
        if (signal.aborted) throw signal.reason
        await this.sleep(this.options.pollIntervalMs ?? 250, signal)
      } catch {
        if (opts.signal?.aborted) throw opts.signal.reason
        throw new ArcadeClientError(ClientErrorCode.timeout, `tx ${hash} not committed in time`, null, {
          hash,
        })
      }
    }
  }

  /** Build, sign, submit, and (with `wait`) follow one tx to its commit. */
  async send<K extends TxKind>(request: TxRequest<K>, opts: SendOptions): Promise<SendResult> {
    const tx = await this.buildTx(request.kind, request.fields, opts)
    const hex = toHex(tx.hash)
    const result = await this.submit(
      tx,
      opts.wait ? { wait: true, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) } : {},
    )
    if (!opts.wait) return { tx, hash: hex, result }
    const committed =
      (result.status === 'committed' ? committedOf(hex, result) : null) ??
      (await this.waitForCommit(hex, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }))
    if (committed.receipt.status === 'failed' && opts.throwOnFailure !== false) {
      throw new ArcadeClientError(
        ClientErrorCode.txFailed,
        `tx ${hex} failed: ${committed.receipt.error}`,
        null,
        { hash: hex, error: committed.receipt.error, height: committed.height },
      )
    }
    return { tx, hash: hex, result, committed }
  }

  private commitTimeout(): number {
    return this.options.commitTimeoutMs ?? 30_000
  }

  private async context(signer: KeyPair): Promise<OperationContext> {
    return { chainId: await this.chainId(), signer: signer.publicKey }
  }

  // --- governance and an association's own txs (see governance.ts) ---

  /**
   * Proposes a governed action (see `governed`), open for votes up to height `deadline`, or for
   * `votingBlocks` (default DEFAULT_VOTING_BLOCKS) from the current height. With `wait`,
   * `proposalIdOf(result.committed)` is its id.
   */
  async govPropose(
    a: { action: GovernedInput; deadline?: number; votingBlocks?: number },
    o: SendOptions,
  ): Promise<SendResult> {
    const deadline = a.deadline ?? (await this.status()).height + (a.votingBlocks ?? DEFAULT_VOTING_BLOCKS)
    return this.send(governance.propose({ action: a.action, deadline }), o)
  }
  govVote(a: Parameters<typeof governance.vote>[0], o: SendOptions) {
    return this.send(governance.vote(a), o)
  }
  unjail(o: SendOptions) {
    return this.send(governance.unjail(), o)
  }
  setAddresses(a: Parameters<typeof governance.setAddresses>[0], o: SendOptions) {
    return this.send(governance.setAddresses(a), o)
  }
  undelegate(a: Parameters<typeof governance.undelegate>[0], o: SendOptions) {
    return this.send(governance.undelegate(a), o)
  }

  // --- the daily operations (see operations.ts for the fields) ---

  createPoint(a: Parameters<typeof operations.createPoint>[0], o: SendOptions) {
    return this.send(operations.createPoint(a), o)
  }
  admitMerchant(a: Parameters<typeof operations.admitMerchant>[0], o: SendOptions) {
    return this.send(operations.admitMerchant(a), o)
  }
  applyMerchant(a: Parameters<typeof operations.applyMerchant>[0], o: SendOptions) {
    return this.send(operations.applyMerchant(a), o)
  }
  setCreditLimit(a: Parameters<typeof operations.setCreditLimit>[0], o: SendOptions) {
    return this.send(operations.setCreditLimit(a), o)
  }
  addTerminal(a: Parameters<typeof operations.addTerminal>[0], o: SendOptions) {
    return this.send(operations.addTerminal(a), o)
  }
  award(a: Parameters<typeof operations.award>[0], o: SendOptions) {
    return this.send(operations.award(a), o)
  }
  pay(a: Parameters<typeof operations.pay>[0], o: SendOptions) {
    return this.send(operations.pay(a), o)
  }
  repay(a: Parameters<typeof operations.repay>[0], o: SendOptions) {
    return this.send(operations.repay(a), o)
  }
  redeem(a: Parameters<typeof operations.redeem>[0], o: SendOptions) {
    return this.send(operations.redeem(a), o)
  }
  recordTraffic(a: Parameters<typeof operations.recordTraffic>[0], o: SendOptions) {
    return this.send(operations.recordTraffic(a), o)
  }
  setTrafficRules(a: Parameters<typeof operations.setTrafficRules>[0], o: SendOptions) {
    return this.send(operations.setTrafficRules(a), o)
  }
  /** Signed by the pseudonym's wallet (`o.signer`): its unclaimed traffic points into `a.account`. */
  claimTraffic(a: Parameters<typeof operations.claimTraffic>[0], o: SendOptions) {
    return this.send(operations.claimTraffic(a), o)
  }
  async bindDevice(a: Parameters<typeof operations.bindDevice>[0], o: SendOptions) {
    return this.send(operations.bindDevice(a, await this.context(o.signer)), o)
  }
  devicePay(a: Parameters<typeof operations.devicePay>[0], o: SendOptions) {
    return this.send(operations.devicePay(a), o)
  }
  grantQuota(a: Parameters<typeof operations.grantQuota>[0], o: SendOptions) {
    return this.send(operations.grantQuota(a), o)
  }
  delegate(a: Parameters<typeof operations.delegate>[0], o: SendOptions) {
    return this.send(operations.delegate(a), o)
  }
  transfer(a: Parameters<typeof operations.transfer>[0], o: SendOptions) {
    return this.send(operations.transfer(a), o)
  }
  async openPurse(a: Parameters<typeof operations.openPurse>[0], o: SendOptions) {
    return this.send(operations.openPurse(a, await this.context(o.signer)), o)
  }
  settleVouchers(a: Parameters<typeof operations.settleVouchers>[0], o: SendOptions) {
    return this.send(operations.settleVouchers(a), o)
  }
  reportClonedPurse(a: Parameters<typeof operations.reportClonedPurse>[0], o: SendOptions) {
    return this.send(operations.reportClonedPurse(a), o)
  }
  reclaimPurse(a: Parameters<typeof operations.reclaimPurse>[0], o: SendOptions) {
    return this.send(operations.reclaimPurse(a), o)
  }
  createCampaign(a: Parameters<typeof operations.createCampaign>[0], o: SendOptions) {
    return this.send(operations.createCampaign(a), o)
  }
  fundCampaign(a: Parameters<typeof operations.fundCampaign>[0], o: SendOptions) {
    return this.send(operations.fundCampaign(a), o)
  }
  closeCampaign(a: Parameters<typeof operations.closeCampaign>[0], o: SendOptions) {
    return this.send(operations.closeCampaign(a), o)
  }
  anchorTraffic(a: Parameters<typeof operations.anchorTraffic>[0], o: SendOptions) {
    return this.send(operations.anchorTraffic(a), o)
  }

  // --- verification and events ---

  /**
   * Fetches the proof of a state record (see `proofRef`) and verifies it against the commit
   * certificate of its block, signed by more than 2/3 of the validator set that certifies that height.
   * The set comes from a trust root, never from the node answering: `trust` (a LightClient, or a root
   * to build one from: the genesis document, a checkpoint, or a cache), the client's own `trust`
   * option, or a `validators` set the caller already trusts. With none, CLIENT_TRUST_ROOT_MISSING.
   * When the head is not yet certified, waits for the next block.
   */
  async verifyRecord(
    ref: string,
    opts: {
      trust?: LightClient | TrustRoot
      validators?: ValidatorSet | ValidatorsJson
      timeoutMs?: number
    } = {},
  ): Promise<VerifiedRecord> {
    const proof: ProofJson = await this.proof(ref)
    const { chainId, validators } = await this.trustedSet(proof.height, opts)
    const { block, certificate } = await this.certificateOf(proof, opts.timeoutMs)
    return verifyRecordProof(proof, {
      chainId,
      header: block.header,
      validators,
      certificate: certificate === null ? null : parseCertificate(certificate),
    })
  }

  /**
   * A regulator's check of an anchored traffic event (a proof file from the shop) against this node,
   * trusting only `trust` (or the client's own): see client/anchors.ts. Returns the anchor (height,
   * tx hash, count, period); throws CLIENT_ANCHOR_REJECTED naming the failed check.
   */
  verifyAnchoredEvent(proof: TrafficProofFile | TrafficProof, opts: VerifyAnchorOptions = {}) {
    return verifyAnchoredEvent(this, proof, opts)
  }

  /**
   * The block of a proof and its commit certificate: the proof's own, the block's, or (while the head
   * is not yet certified) the next block's `lastCommit`, waited for up to `timeoutMs`; null if none came.
   */
  private async certificateOf(
    proof: ProofJson,
    timeoutMs?: number,
  ): Promise<{ block: ParsedBlock; certificate: CertificateJson | null }> {
    const block = await this.block(proof.height)
    const known = proof.certificate ?? block.json.certificate
    if (known !== null) return { block, certificate: known }
    const deadline = AbortSignal.timeout(timeoutMs ?? this.commitTimeout())
    for (;;) {
      try {
        const next = await this.block(proof.height + 1)
        if (next.json.lastCommit !== null) return { block, certificate: next.json.lastCommit }
      } catch (err) {
        if (!(err instanceof ArcadeClientError && err.code === 'RPC_BLOCK_NOT_FOUND')) throw err
      }
      try {
        if (deadline.aborted) throw deadline.reason
        await this.sleep(this.options.pollIntervalMs ?? 250, deadline)
      } catch {
        return { block, certificate: null }
      }
    }
  }

  /**
   * What a terminal caches to check a purse's vouchers offline (client/purse.ts): the purse record's
   * proof, its block's header and commit certificate, verified here against the trust root (as
   * `verifyRecord`) so that only a proof that checks out is ever cached. CLIENT_PROOF_UNSIGNED when
   * the head is not certified within `timeoutMs`; CLIENT_VOUCHER_REJECTED when the proof does not
   * verify or the purse does not exist.
   */
  async purseProof(
    purse: AddressLike,
    opts: {
      trust?: LightClient | TrustRoot
      validators?: ValidatorSet | ValidatorsJson
      timeoutMs?: number
    } = {},
  ): Promise<CachedPurseProof> {
    const key = toAccount(purse, 'purse')
    const proof = await this.proof(proofRef.purse(key))
    const { chainId, validators } = await this.trustedSet(proof.height, opts)
    const { block, certificate } = await this.certificateOf(proof, opts.timeoutMs)
    if (certificate === null) {
      throw new ArcadeClientError(
        ClientErrorCode.proofUnsigned,
        'no commit certificate for this block yet',
        null,
        {
          height: proof.height,
        },
      )
    }
    const cached: CachedPurseProof = {
      chainId,
      purse: addressOf(key),
      proof,
      header: block.json.header,
      certificate,
    }
    verifyPurseProof(cached, { chainId, validators })
    return cached
  }

  /** The light client of the `trust` option, built once and kept with what it verified. */
  private lightClient: Promise<LightClient> | undefined

  /** The chain id and the set certifying `height`, from a trust root (see verifyRecord). */
  async trustedSet(
    height: number,
    opts: { trust?: LightClient | TrustRoot; validators?: ValidatorSet | ValidatorsJson } = {},
  ): Promise<{ chainId: string; validators: ValidatorSet | ValidatorsJson }> {
    if (opts.trust === undefined && opts.validators !== undefined) {
      return { chainId: await this.chainId(), validators: opts.validators }
    }
    let light: LightClient
    if (opts.trust instanceof LightClient) light = opts.trust
    else if (opts.trust !== undefined) light = await LightClient.create(this, opts.trust)
    else if (this.options.trust !== undefined) {
      const root = this.options.trust
      this.lightClient ??=
        root instanceof LightClient ? Promise.resolve(root) : LightClient.create(this, root)
      this.lightClient.catch(() => {
        this.lightClient = undefined
      })
      light = await this.lightClient
    } else {
      throw new ArcadeClientError(
        ClientErrorCode.trustRootMissing,
        'verification needs a trust root: the genesis document, a checkpoint, or a trusted validator set',
      )
    }
    return { chainId: light.chainId, validators: await light.validatorSetAt(this, height) }
  }

  /** Streams new blocks and receipts (optionally only those touching `account`); returns unsubscribe. */
  subscribe(
    filter: SubscribeFilter,
    onEvent: (event: StreamEvent) => void,
    handlers: SubscribeHandlers = {},
  ): () => void {
    return subscribeStream(this.url, this.fetchFn, filter, onEvent, handlers)
  }
}
