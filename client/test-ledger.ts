/**
 * A fake node over a tiny ledger of one point, for reconciliation tests (unit and browser): it books
 * award, pay, repay, redeem, transfer, expire, the purse and the campaign movements as state/ does (float first,
 * liability first), writes one journal row per movement, commits blocks whose headers carry the state root of a real state tree
 * (test-kit.ts StateTree) and a commit certificate of its validators, and answers the reads
 * `reconcilePoint` makes. Tests make it lie through the hooks. Not used by production code.
 */
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { type BlockHeader, blockHash, ZERO_HASH } from '../protocol/block.ts'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { encode } from '../protocol/codec.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { validatorSetHash } from '../protocol/validator-set.ts'
import type { QuorumCertificate } from '../protocol/vote.ts'
import { ArcadeClient } from './client.ts'
import { ArcadeClientError } from './errors.ts'
import { addressOf, toAccount } from './keys.ts'
import { campaignDelta, customerDelta, purseDelta, unclaimedDelta } from './reconcile-fold.ts'
import { merchantRecordKey, pointRecordKey } from './records.ts'
import { type Era, FakeChain, LIGHT_CHAIN_ID, StateTree } from './test-kit.ts'
import type {
  CertificateJson,
  JournalPage,
  JournalQuery,
  JournalRow,
  MerchantInfo,
  OffsetPage,
  ParsedBlock,
  PointDetail,
  ProofJson,
  Status,
  ValidatorSetJson,
} from './types.ts'

export const LEDGER_POINT = 'SHOP'

interface Books {
  totalSupply: number
  totalLiability: number
  cumRepaid: number
  cumRedeemed: number
  merchantCount: number
  cumExpired: number
  totalLocked: number
  campaignBudgets: number
  cumCampaignFunded: number
  cumCampaignReturned: number
  trafficUnclaimed: number
}
interface MerchantBooks {
  readonly address: string
  readonly name: string
  float: number
  liability: number
}

const MANAGER = new Uint8Array(32).fill(7)
const KINDS: Record<JournalRow['event'], string> = {
  award: 'merchant.award',
  pay: 'merchant.pay',
  repay: 'merchant.repay',
  redeem: 'merchant.redeem',
  transfer: 'point.transfer',
  expire: 'block',
  purseLock: 'purse.open',
  pursePay: 'purse.settle',
  purseReturn: 'purse.reclaim',
  refund: 'merchant.refund',
  cancelAward: 'merchant.cancelAward',
  campaignFund: 'campaign.create',
  campaignBonus: 'merchant.award',
  campaignReturn: 'campaign.close',
  trafficEarn: 'traffic.record',
  trafficClaim: 'traffic.claim',
}
const refused = () => Promise.reject(new Error('the fake ledger node answers no HTTP'))

export function certificateJson(c: QuorumCertificate): CertificateJson {
  return {
    kind: c.kind,
    height: c.height,
    view: c.view,
    blockHash: toHex(c.blockHash),
    signers: c.signatures.map((s) => ({
      validator: encodeAddress(s.validator, NODE_KEY_PREFIX),
      signature: toHex(s.signature),
    })),
  }
}

export class FakeLedgerNode extends ArcadeClient {
  readonly pointId = LEDGER_POINT
  readonly era: Era
  /** Certifies a header; tests swap it to forge certificates. */
  certify: (header: BlockHeader) => QuorumCertificate
  /** What the journal route serves of the true rows up to `toHeight` (tests drop, edit or add rows). */
  journalView: (rows: readonly JournalRow[]) => readonly JournalRow[] = (rows) => rows
  /** What the proof route serves of the true proof. */
  proofView: (ref: string, proof: ProofJson) => ProofJson = (_ref, proof) => proof
  /** Runs after each proof is served (a test moves the head here). */
  afterProof: (ref: string) => void = () => {}

  readonly #blocks: { header: BlockHeader; certificate: QuorumCertificate; tree: StateTree }[] = []
  readonly #rows: JournalRow[] = []
  readonly #merchants: MerchantBooks[] = []
  readonly #books: Books = {
    totalSupply: 0,
    totalLiability: 0,
    cumRepaid: 0,
    cumRedeemed: 0,
    merchantCount: 0,
    cumExpired: 0,
    totalLocked: 0,
    campaignBudgets: 0,
    cumCampaignFunded: 0,
    cumCampaignReturned: 0,
    trafficUnclaimed: 0,
  }
  readonly #tree = new StateTree()
  #pending = 0
  #blockRows = 0

  constructor(era: Era) {
    super({ url: 'http://fake-ledger.invalid', chainId: LIGHT_CHAIN_ID }, { fetch: refused })
    this.era = era
    const chain = new FakeChain([era])
    this.certify = (header) => chain.certify(header, era.keys)
    this.#writePoint()
  }

  get height(): number {
    return this.#blocks.length
  }

  // --- booking, as state/merchants.ts does ---

  bookApply(name: string): string {
    const address = addressOf(generateKeyPair().publicKey)
    this.#merchants.push({ address, name, float: 0, liability: 0 })
    this.#books.merchantCount++
    this.#writeMerchant(this.#merchant(address))
    this.#writePoint()
    return address
  }

  bookAward(merchant: string, customer: string, amount: number): void {
    const m = this.#merchant(merchant)
    const fromFloat = Math.min(m.float, amount)
    this.#move(m, 'award', merchant, customer, amount, -fromFloat, amount - fromFloat)
  }

  bookPay(customer: string, merchant: string, amount: number): void {
    const m = this.#merchant(merchant)
    const cleared = Math.min(m.liability, amount)
    this.#move(m, 'pay', customer, merchant, amount, amount - cleared, -cleared)
  }

  bookRepay(merchant: string, amount: number): void {
    const m = this.#merchant(merchant)
    const cleared = Math.min(m.liability, amount)
    this.#move(m, 'repay', addressOf(MANAGER), merchant, amount, amount - cleared, -cleared)
  }

  bookRedeem(merchant: string, amount: number): void {
    const m = this.#merchant(merchant)
    if (m.float < amount) throw new Error('redeem: not enough float')
    this.#move(m, 'redeem', merchant, addressOf(MANAGER), amount, -amount, 0)
  }

  bookTransfer(from: string, to: string, amount: number): void {
    this.#move(null, 'transfer', from, to, amount, 0, 0)
  }

  /** A customer locks points into an offline purse (state/purses.ts purse.open). */
  bookPurseLock(customer: string, purse: string, amount: number): void {
    this.#move(null, 'purseLock', customer, purse, amount, 0, 0)
  }

  /** A purse pays a merchant for a voucher: liability first, as a payment. */
  bookPursePay(purse: string, merchant: string, amount: number): void {
    const m = this.#merchant(merchant)
    const cleared = Math.min(m.liability, amount)
    this.#move(m, 'pursePay', purse, merchant, amount, amount - cleared, -cleared)
  }

  /** What is left in a purse goes back to its owner (purse.reclaim). */
  bookPurseReturn(purse: string, customer: string, amount: number): void {
    this.#move(null, 'purseReturn', purse, customer, amount, 0, 0)
  }

  /** Expired points leave a customer: burned, into cumExpired (a row of the block's own, the sweep's). */
  bookExpire(customer: string, amount: number): void {
    this.#move(null, 'expire', customer, addressOf(MANAGER), amount, 0, 0)
  }

  /**
   * A campaign's budget is funded (state/campaigns.ts): by the manager (minted, `merchant` null) or by
   * a merchant (float first, then credit). `campaign` is the campaign's account.
   */
  bookCampaignFund(merchant: string | null, campaign: string, amount: number): void {
    if (merchant === null) {
      this.#books.cumCampaignFunded += amount
      this.#move(null, 'campaignFund', addressOf(MANAGER), campaign, amount, 0, 0, 'manager')
      return
    }
    const m = this.#merchant(merchant)
    const fromFloat = Math.min(m.float, amount)
    this.#move(m, 'campaignFund', merchant, campaign, amount, -fromFloat, amount - fromFloat, 'merchant')
  }

  /** A campaign pays a customer a bonus out of its budget. */
  bookCampaignBonus(campaign: string, customer: string, amount: number): void {
    this.#move(null, 'campaignBonus', campaign, customer, amount, 0, 0)
  }

  /** A closed campaign's rest: burned for the manager (`merchant` null), or back to a merchant (liability first). */
  bookCampaignReturn(campaign: string, merchant: string | null, amount: number): void {
    if (merchant === null) {
      this.#books.cumCampaignReturned += amount
      this.#move(null, 'campaignReturn', campaign, addressOf(MANAGER), amount, 0, 0, 'manager')
      return
    }
    const m = this.#merchant(merchant)
    const cleared = Math.min(m.liability, amount)
    this.#move(m, 'campaignReturn', campaign, merchant, amount, amount - cleared, -cleared, 'merchant')
  }

  /** Closes the block being built: its header commits the state root, its validators sign it. */
  commit(): number {
    const height = this.#blocks.length + 1
    const header: BlockHeader = {
      chainId: LIGHT_CHAIN_ID,
      height,
      view: 0,
      timeMs: 1_767_225_600_000 + height * 1000,
      parentHash:
        this.#blocks.at(-1) === undefined ? ZERO_HASH : blockHash(this.#blocks.at(-1)?.header as BlockHeader),
      txRoot: ZERO_HASH,
      stateRoot: this.#tree.root,
      lastCommitHash: ZERO_HASH,
      validatorSetHash: validatorSetHash(this.era.set),
      nextValidatorSetHash: validatorSetHash(this.era.set),
      evidenceRoot: ZERO_HASH,
      proposer: this.era.keys[0]?.publicKey as Bytes,
    }
    this.#blocks.push({ header, certificate: this.certify(header), tree: this.#tree.clone() })
    this.#pending = 0
    this.#blockRows = 0
    return height
  }

  /** The true rows (what an honest node serves). */
  get rows(): readonly JournalRow[] {
    return this.#rows
  }

  #merchant(address: string): MerchantBooks {
    const m = this.#merchants.find((x) => x.address === address)
    if (m === undefined) throw new Error(`no merchant ${address}`)
    return m
  }

  #move(
    m: MerchantBooks | null,
    event: JournalRow['event'],
    from: string,
    to: string,
    amount: number,
    floatDelta: number,
    liabilityDelta: number,
    /** The funder's role of a campaign funding or return: the manager or a merchant. */
    funder: 'manager' | 'merchant' = 'merchant',
  ): void {
    const roles = {
      award: ['merchant', 'customer'],
      pay: ['customer', 'merchant'],
      repay: ['manager', 'merchant'],
      redeem: ['merchant', 'manager'],
      transfer: ['customer', 'customer'],
      expire: ['customer', 'manager'],
      purseLock: ['customer', 'purse'],
      pursePay: ['purse', 'merchant'],
      purseReturn: ['purse', 'customer'],
      refund: ['merchant', 'customer'],
      cancelAward: ['customer', 'merchant'],
      campaignFund: [funder, 'campaign'],
      campaignBonus: ['campaign', 'customer'],
      campaignReturn: ['campaign', funder],
      trafficEarn: ['merchant', 'pseudonym'],
      trafficClaim: ['pseudonym', 'customer'],
    } as const
    const [fromRole, toRole] = roles[event]
    const delta = { event, amount, toRole } as JournalRow
    const customers = customerDelta(delta)
    const purses = purseDelta(delta)
    const campaigns = campaignDelta(delta)
    const unclaimed = unclaimedDelta(delta)
    if (event === 'expire') {
      this.#books.totalSupply -= amount
      this.#books.cumExpired += amount
      this.#writePoint()
    }
    if (m !== null) {
      m.float += floatDelta
      m.liability += liabilityDelta
      this.#writeMerchant(m)
    }
    if (m !== null || purses !== 0 || campaigns !== 0 || unclaimed !== 0) {
      this.#books.totalSupply += customers + purses + campaigns + unclaimed + floatDelta
      this.#books.trafficUnclaimed += unclaimed
      this.#books.totalLiability += liabilityDelta
      this.#books.totalLocked += purses
      this.#books.campaignBudgets += campaigns
      if (event === 'repay') this.#books.cumRepaid += amount
      if (event === 'redeem') this.#books.cumRedeemed += amount
      this.#writePoint()
    }
    const height = this.#blocks.length + 1
    this.#rows.push({
      height,
      time: new Date(1_767_225_600_000 + height * 1000).toISOString(),
      timeMs: 1_767_225_600_000 + height * 1000,
      // The sweep's rows are the block's own, after its txs (state/journal.ts BLOCK_ROWS_TX_INDEX).
      // (Book a block's expiries after its txs, as the sweep runs at the block's end.)
      txIndex: event === 'expire' ? 0xffffffff : this.#pending++,
      row: event === 'expire' ? this.#blockRows++ : 0,
      txHash: toHex(new Uint8Array(32).fill(event === 'expire' ? 0 : this.#rows.length % 256)),
      kind: KINDS[event],
      event,
      point: this.pointId,
      from,
      fromRole,
      to,
      toRole,
      amount,
      merchant: m?.address ?? null,
      terminal: null,
      device: null,
      spender: null,
      floatDelta,
      liabilityDelta,
      sponsor: from,
      fiatRef: event === 'repay' || event === 'redeem' || event === 'campaignFund' ? 'bank #1' : null,
      memo: null,
    })
  }

  #writePoint(): void {
    const b = this.#books
    const tuple = [
      MANAGER,
      'Shop street',
      0,
      true,
      b.totalSupply,
      b.totalLiability,
      b.cumRepaid,
      b.cumRedeemed,
    ]
    this.#tree.set(
      pointRecordKey(this.pointId),
      encode([
        ...tuple,
        b.merchantCount,
        0,
        0,
        b.cumExpired,
        0,
        0,
        b.cumExpired > 0,
        b.totalLocked,
        0,
        b.campaignBudgets > 0 ? 1 : 0,
        b.campaignBudgets,
        b.cumCampaignFunded,
        b.cumCampaignReturned,
        b.trafficUnclaimed,
      ]),
    )
  }

  #writeMerchant(m: MerchantBooks): void {
    const tuple = [m.name, 'active', 10_000, m.float, m.liability, [], 0]
    this.#tree.set(merchantRecordKey(this.pointId, toAccount(m.address)), encode(tuple))
  }

  #head() {
    const head = this.#blocks.at(-1)
    if (head === undefined) throw new Error('no block committed yet')
    return head
  }

  // --- the reads reconcilePoint makes ---

  override async status(): Promise<Status> {
    return { chainId: LIGHT_CHAIN_ID, height: this.height } as Status
  }

  override async block(height: number | 'latest'): Promise<ParsedBlock> {
    const b = height === 'latest' ? this.#blocks.at(-1) : this.#blocks[height - 1]
    if (b === undefined) throw new ArcadeClientError('RPC_BLOCK_NOT_FOUND', 'no such block', 404)
    return {
      hash: blockHash(b.header),
      header: b.header,
      txHashes: [],
      lastCommit: null,
      certificate: b.certificate,
      json: {} as never,
    }
  }

  override async validatorSets(): Promise<readonly ValidatorSetJson[]> {
    return new FakeChain([this.era]).setsJson()
  }

  override async proof(ref: string): Promise<ProofJson> {
    const head = this.#head()
    const [kind, point, address] = ref.split(':')
    if (point !== this.pointId) throw new ArcadeClientError('RPC_BAD_REQUEST', `ref ${ref}`, 400)
    const key =
      kind === 'point'
        ? pointRecordKey(point)
        : merchantRecordKey(point, toAccount(address ?? '', 'merchant'))
    const value = head.tree.get(key)
    const { siblings, leaf } = head.tree.prove(key)
    const proof: ProofJson = {
      key: toHex(key),
      value: value === null ? null : toHex(value),
      proof: {
        siblings: siblings.map(toHex),
        leaf: leaf === null ? null : { path: toHex(leaf.path), valueHash: toHex(leaf.valueHash) },
      },
      height: head.header.height,
      stateRoot: toHex(head.header.stateRoot),
      blockHash: toHex(blockHash(head.header)),
      certificate: certificateJson(head.certificate),
    }
    const served = this.proofView(ref, proof)
    this.afterProof(ref)
    return served
  }

  override async point(): Promise<PointDetail> {
    return { id: this.pointId, ...this.#books } as unknown as PointDetail
  }

  override async merchants(
    _point: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<OffsetPage<MerchantInfo>> {
    const offset = page.offset ?? 0
    const limit = page.limit ?? 100
    const items = this.#merchants.slice(offset, offset + limit).map(
      (m) =>
        ({
          point: this.pointId,
          address: m.address,
          float: m.float,
          liability: m.liability,
        }) as MerchantInfo,
    )
    return { items, nextOffset: items.length === limit ? offset + limit : null }
  }

  /** Pages of `journalView(rows)`, cursor = index; a small page so paging is exercised. */
  override async journal(
    query: JournalQuery,
    opts: { cursor?: string; limit?: number } = {},
  ): Promise<JournalPage> {
    const all = this.journalView(
      this.#rows.filter((r) => query.toHeight === undefined || r.height <= query.toHeight),
    )
    const from = opts.cursor === undefined ? 0 : Number(opts.cursor)
    const limit = Math.min(opts.limit ?? 100, 3)
    const items = all.slice(from, from + limit)
    return { items, next: from + limit < all.length ? String(from + limit) : null }
  }
}
