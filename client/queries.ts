/**
 * Every read the RPC offers, typed. `Queries` is the read half of ArcadeClient; it is a class of its
 * own so a regulator's or a dashboard's code can hold only the reads.
 */
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import type { ValidatorSet } from '../protocol/validator-set.ts'
import { ArcadeClientError, ClientErrorCode, invalidInput } from './errors.ts'
import { errorFromBody, type Http, streamText } from './http.ts'
import { type AddressLike, addressOf, toAccount, toCampaignId, toHash, toPointId } from './keys.ts'
import { parseBlock, parseProposal, parseValidatorSet } from './parse.ts'
import type {
  Account,
  AnchorInfo,
  Association,
  BlockJson,
  CampaignInfo,
  CancellableAwardInfo,
  DeviceInfo,
  EvidenceItem,
  Grant,
  HealthJson,
  HistoryPage,
  JournalPage,
  JournalQuery,
  JournalRow,
  LotsJson,
  MerchantInfo,
  Observer,
  OffsetPage,
  ParamsJson,
  ParsedBlock,
  PointDetail,
  PointInfo,
  ProofJson,
  Proposal,
  ProposalJson,
  ProposalStatus,
  PseudonymTraffic,
  PurseInfo,
  RefundablePaymentInfo,
  SettlementStatementJson,
  ShopDay,
  ShopDayOfMerchant,
  SponsorUsageJson,
  Stake,
  StatementDocument,
  StatementQuery,
  Status,
  TxStatus,
  ValidatorSetJson,
  ValidatorsJson,
} from './types.ts'

const addr = (a: AddressLike, field: string): string => addressOf(toAccount(a, field))

function journalParams(q: JournalQuery): Record<string, string | number | undefined> {
  if (q.account !== undefined && q.merchant !== undefined) {
    throw invalidInput('journal', 'give account or merchant, not both')
  }
  return {
    point: toPointId(q.point),
    account: q.account === undefined ? undefined : addr(q.account, 'account'),
    merchant: q.merchant === undefined ? undefined : addr(q.merchant, 'merchant'),
    fromHeight: q.fromHeight,
    toHeight: q.toHeight,
    fromTime: q.fromTime,
    toTime: q.toTime,
  }
}
const enc = encodeURIComponent

/** `ref` strings for GET /v1/proofs/:ref, from typed arguments. */
export const proofRef = {
  point: (point: string) => `point:${toPointId(point)}`,
  balance: (point: string, account: AddressLike) => `balance:${toPointId(point)}:${addr(account, 'account')}`,
  allowance: (point: string, owner: AddressLike, spender: AddressLike) =>
    `allowance:${toPointId(point)}:${addr(owner, 'owner')}:${addr(spender, 'spender')}`,
  merchant: (point: string, merchant: AddressLike) =>
    `merchant:${toPointId(point)}:${addr(merchant, 'merchant')}`,
  device: (device: AddressLike) => `device:${addr(device, 'device')}`,
  stake: (member: AddressLike) => `stake:${addr(member, 'member')}`,
  association: (association: AddressLike) => `association:${addr(association, 'association')}`,
  validators: () => 'validators',
  /** With `balance` at the same height, what proves an effective balance (the lots expired by then). */
  lots: (point: string, account: AddressLike) => `lots:${toPointId(point)}:${addr(account, 'account')}`,
  purse: (purse: AddressLike) => `purse:${addr(purse, 'purse')}`,
  campaign: (point: string, campaign: string) => `campaign:${toPointId(point)}:${toCampaignId(campaign)}`,
  /** A shop's anchored traffic batch, by its root (client/anchors.ts checks events against it). */
  anchor: (point: string, root: Bytes | string) =>
    `anchor:${toPointId(point)}:${toHex(toHash(root, 'root'))}`,
} as const

export class Queries {
  protected readonly http: Http

  constructor(http: Http) {
    this.http = http
  }

  async status(): Promise<Status> {
    return this.http.request('GET', '/status')
  }

  /**
   * The node's health: `ok` with its height and sync state, and when not ok (HTTP 503) the reasons,
   * most severe first (`fork`, `behind`, `stale-head`). An unhealthy answer is returned, not thrown.
   */
  async health(): Promise<HealthJson> {
    const { status, body } = await this.http.requestRaw('GET', '/health')
    if (status === 200 || (status === 503 && (body as { ok?: unknown } | null)?.ok === false)) {
      return body as HealthJson
    }
    throw errorFromBody(status, body)
  }

  /** A block with its header and certificates parsed to protocol values. */
  async block(height: number | 'latest' = 'latest'): Promise<ParsedBlock> {
    return parseBlock(await this.http.request<BlockJson>('GET', `/blocks/${height}`))
  }

  async tx(hash: string | Uint8Array): Promise<TxStatus> {
    return this.http.request('GET', `/txs/${toHex(toHash(hash))}`)
  }

  /** Roles, balances and grants; `points` limits them to those point ids. */
  async account(address: AddressLike, opts: { points?: readonly string[] } = {}): Promise<Account> {
    const points = opts.points?.map((p) => toPointId(p)).join(',')
    return this.http.request('GET', `/accounts/${addr(address, 'address')}`, { query: { points } })
  }

  /** Txs that touched an account, newest first; pass `next` as `before` for the next page. */
  async history(address: AddressLike, opts: { limit?: number; before?: string } = {}): Promise<HistoryPage> {
    return this.http.request('GET', `/accounts/${addr(address, 'address')}/history`, { query: opts })
  }

  /** One page of the journal, ascending; pass `next` as `cursor` until it is null. */
  async journal(query: JournalQuery, opts: { cursor?: string; limit?: number } = {}): Promise<JournalPage> {
    return this.http.request('GET', '/journal', { query: { ...journalParams(query), ...opts } })
  }

  /** Every journal row of the range, page by page (one page in memory at a time). */
  async *journalRows(query: JournalQuery, opts: { limit?: number } = {}): AsyncGenerator<JournalRow> {
    let cursor: string | undefined
    for (;;) {
      const page = await this.journal(query, { ...opts, ...(cursor === undefined ? {} : { cursor }) })
      yield* page.items
      if (page.next === null) return
      cursor = page.next
    }
  }

  /** The journal of the range as CSV text, streamed in chunks (header line first; columns in README). */
  journalCsv(
    query: JournalQuery,
    opts: { cursor?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<string> {
    return streamText(this.http, '/journal', {
      query: { ...journalParams(query), format: 'csv', cursor: opts.cursor },
      accept: 'text/csv',
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    })
  }

  /**
   * The settlement statement of a point for a month or a day (per merchant: opening and closing float
   * and liability, awards, payments, repayments, redemptions, what is owed each way), as the node's
   * exact bytes, their hash checked. A final statement has the same hash on every node.
   */
  statement(point: string, query: StatementQuery): Promise<StatementDocument<SettlementStatementJson>> {
    return this.statementDocument(`/points/${toPointId(point)}/statement`, query)
  }

  /** The txs the point's manager sponsored in a month or a day, by kind and by grantee. */
  sponsorUsage(point: string, query: StatementQuery): Promise<StatementDocument<SponsorUsageJson>> {
    return this.statementDocument(`/points/${toPointId(point)}/sponsor-usage`, query)
  }

  private async statementDocument<T>(path: string, q: StatementQuery): Promise<StatementDocument<T>> {
    const format = q.format ?? 'json'
    const { bytes, headers } = await this.http.requestBytes(path, {
      query: { period: q.period, timeZone: q.timeZone, format },
    })
    const digest = toHex(sha256(bytes))
    const claimed = headers.get('x-statement-sha256')
    if (claimed !== null && claimed !== digest) {
      throw new ArcadeClientError(
        ClientErrorCode.badResponse,
        'statement: the body does not match its hash',
        null,
        {
          claimed,
          actual: digest,
        },
      )
    }
    const text = new TextDecoder().decode(bytes)
    let document: T | null = null
    if (format === 'json') {
      try {
        document = JSON.parse(text) as T
      } catch {
        throw new ArcadeClientError(ClientErrorCode.badResponse, 'statement: the answer is not JSON', null)
      }
    }
    const filename = /filename="([^"]+)"/.exec(headers.get('content-disposition') ?? '')?.[1] ?? null
    return { format, bytes, text, sha256: digest, filename, document }
  }

  async devicesOf(owner: AddressLike): Promise<readonly DeviceInfo[]> {
    return (
      await this.http.request<{ items: DeviceInfo[] }>('GET', `/accounts/${addr(owner, 'owner')}/devices`)
    ).items
  }

  async points(): Promise<readonly PointInfo[]> {
    return (await this.http.request<{ items: PointInfo[] }>('GET', '/points')).items
  }

  async point(id: string): Promise<PointDetail> {
    return this.http.request('GET', `/points/${toPointId(id)}`)
  }

  async merchants(
    point: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<OffsetPage<MerchantInfo>> {
    return this.http.request('GET', `/points/${toPointId(point)}/merchants`, { query: page })
  }

  /**
   * What of a customer's balance expires when, at the head block's time: the balance it may spend,
   * the lots (soonest expiry first) and the part that never expires.
   */
  async lots(point: string, account: AddressLike): Promise<LotsJson> {
    return this.http.request('GET', `/points/${toPointId(point)}/accounts/${addr(account, 'account')}/lots`)
  }

  async merchant(point: string, merchant: AddressLike): Promise<MerchantInfo> {
    return this.http.request('GET', `/points/${toPointId(point)}/merchants/${addr(merchant, 'merchant')}`)
  }

  /** A shop's traffic per JST day number in [fromDay, toDay], newest first. */
  async shopTraffic(
    point: string,
    merchant: AddressLike,
    days: { fromDay: number; toDay: number },
  ): Promise<readonly ShopDay[]> {
    const path = `/points/${toPointId(point)}/merchants/${addr(merchant, 'merchant')}/traffic`
    return (await this.http.request<{ items: ShopDay[] }>('GET', path, { query: days })).items
  }

  /** The point's traffic figures for one JST day: per shop, by kind, confirmed and unconfirmed. */
  async trafficDay(
    point: string,
    day: number,
    page: { offset?: number; limit?: number } = {},
  ): Promise<OffsetPage<ShopDayOfMerchant>> {
    return this.http.request('GET', `/points/${toPointId(point)}/traffic/days/${day}`, { query: page })
  }

  /** A pseudonym's traffic in a point: its events, points earned and points not yet claimed. */
  async pseudonymTraffic(point: string, pseudonym: AddressLike): Promise<PseudonymTraffic> {
    return this.http.request(
      'GET',
      `/points/${toPointId(point)}/pseudonyms/${addr(pseudonym, 'pseudonym')}/traffic`,
    )
  }

  async grants(point: string, page: { offset?: number; limit?: number } = {}): Promise<OffsetPage<Grant>> {
    return this.http.request('GET', `/points/${toPointId(point)}/grants`, { query: page })
  }

  /** A point's campaigns, in order of creation, closed ones included. */
  async campaigns(
    point: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<OffsetPage<CampaignInfo>> {
    return this.http.request('GET', `/points/${toPointId(point)}/campaigns`, { query: page })
  }

  /** One campaign: its terms, window, merchants and budget (funded, remaining, paid, returned). */
  async campaign(point: string, campaign: string): Promise<CampaignInfo> {
    return this.http.request('GET', `/points/${toPointId(point)}/campaigns/${toCampaignId(campaign)}`)
  }

  /**
   * A shop's anchored traffic batches, newest first (or `order: 'oldest'`); pass `nextOffset` as
   * `offset` for the next page.
   */
  async anchors(
    point: string,
    merchant: AddressLike,
    page: { order?: 'newest' | 'oldest'; offset?: number; limit?: number } = {},
  ): Promise<OffsetPage<AnchorInfo>> {
    const path = `/points/${toPointId(point)}/merchants/${addr(merchant, 'merchant')}/anchors`
    return this.http.request('GET', path, { query: page })
  }

  /** One anchored traffic batch by its root: the shop, event count, period, height and tx. */
  async anchor(point: string, root: Bytes | string): Promise<AnchorInfo> {
    return this.http.request('GET', `/points/${toPointId(point)}/anchors/${toHex(toHash(root, 'root'))}`)
  }

  /** An offline purse by its key: locked, spent, status, counters, overdraft charged and shortfall. */
  /** A payment its merchant may still refund (by its tx hash): amount, refunded, refundable now. */
  async refundable(point: string, payment: Bytes | string): Promise<RefundablePaymentInfo> {
    return this.http.request(
      'GET',
      `/points/${toPointId(point)}/payments/${toHex(toHash(payment, 'payment'))}`,
    )
  }

  /** An award its merchant may still cancel (by its tx hash). */
  async cancellableAward(point: string, award: Bytes | string): Promise<CancellableAwardInfo> {
    return this.http.request('GET', `/points/${toPointId(point)}/awards/${toHex(toHash(award, 'award'))}`)
  }

  async purse(purse: AddressLike): Promise<PurseInfo> {
    return this.http.request('GET', `/purses/${addr(purse, 'purse')}`)
  }

  async device(device: AddressLike): Promise<DeviceInfo> {
    return this.http.request('GET', `/devices/${addr(device, 'device')}`)
  }

  async stake(member: AddressLike): Promise<Stake> {
    return this.http.request('GET', `/stakes/${addr(member, 'member')}`)
  }

  async associations(): Promise<readonly Association[]> {
    return (await this.http.request<{ items: Association[] }>('GET', '/associations')).items
  }

  async validators(): Promise<ValidatorsJson> {
    return this.http.request('GET', '/validators')
  }

  /** The validator set for the next height as a protocol ValidatorSet (for certificate checks). */
  async validatorSet(): Promise<ValidatorSet> {
    return parseValidatorSet(await this.validators())
  }

  /**
   * The validator sets in force from `fromHeight` on (default 1), oldest first, as the node states
   * them: a light client checks each change against the certificate of block `fromHeight − 1` before
   * it trusts it.
   */
  async validatorSets(
    opts: { fromHeight?: number; limit?: number } = {},
  ): Promise<readonly ValidatorSetJson[]> {
    return (await this.http.request<{ items: ValidatorSetJson[] }>('GET', '/validator-sets', { query: opts }))
      .items
  }

  async evidence(opts: { limit?: number } = {}): Promise<readonly EvidenceItem[]> {
    return (await this.http.request<{ items: EvidenceItem[] }>('GET', '/evidence', { query: opts })).items
  }

  // --- governance ---

  /** Proposals, newest first, optionally of one status; pass `nextOffset` as `offset` for the next page. */
  async proposals(
    opts: { status?: ProposalStatus; offset?: number; limit?: number } = {},
  ): Promise<OffsetPage<Proposal>> {
    const page = await this.http.request<OffsetPage<ProposalJson>>('GET', '/gov/proposals', { query: opts })
    return { items: page.items.map(parseProposal), nextOffset: page.nextOffset }
  }

  /** One proposal: its action (checked, as `body`), status, votes and tally against the current set. */
  async proposal(id: number): Promise<Proposal> {
    if (!Number.isSafeInteger(id) || id < 0) throw invalidInput('id', 'a proposal id is an integer from 0')
    return parseProposal(await this.http.request<ProposalJson>('GET', `/gov/proposals/${id}`))
  }

  /** The observer nodes admitted on chain. */
  async observers(): Promise<readonly Observer[]> {
    return (await this.http.request<{ items: Observer[] }>('GET', '/observers')).items
  }

  /** The ledger parameters in force, and those scheduled for the next epoch boundary. */
  async params(): Promise<ParamsJson> {
    return this.http.request('GET', '/params')
  }

  /** The raw proof of a state record (see `proofRef`); check it with `verifyRecord`/`verifyRecordProof`. */
  async proof(ref: string): Promise<ProofJson> {
    return this.http.request('GET', `/proofs/${enc(ref)}`)
  }
}
