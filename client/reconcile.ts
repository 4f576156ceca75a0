/**
 * Reconciling a point's books (issue 13): what `arcade audit reconcile` and the explorer's audit page
 * run against an observer's RPC. The journal is summed (genesis creates no points, so the journal
 * from height 0 is complete), the state is read from proofs verified against commit certificates
 * through a trust root (never the answering node's own validator set), and the two must agree:
 *
 *   journal:  customers = Σ award − Σ pay − Σ expire − Σ purseLock + Σ purseReturn + Σ campaignBonus
 *             (to customers) + Σ refund − Σ cancelAward + Σ trafficClaim;
 *             unclaimed = Σ trafficEarn + Σ campaignBonus (to pseudonyms) − Σ trafficClaim;
 *             purses = Σ purseLock − Σ pursePay − Σ purseReturn; campaigns = Σ campaignFund −
 *             Σ campaignBonus − Σ campaignReturn; a merchant's float = Σ floatDelta, liability =
 *             Σ liabilityDelta; repaid = Σ repay; redeemed = Σ redeem; expired = Σ expire;
 *             campaignFunded = Σ campaignFund from the manager; campaignReturned = Σ campaignReturn
 *             to the manager
 *   books:    customers + purses + Σ float − Σ liability + campaigns + unclaimed = repaid − redeemed −
 *             expired + campaignFunded − campaignReturned
 *   state:    totalSupply = customers + purses + Σ float + campaigns + unclaimed, totalLocked = purses,
 *             campaignBudgets = campaigns, trafficUnclaimed = unclaimed, totalLiability = Σ liability, cumRepaid, cumRedeemed,
 *             cumExpired, cumCampaignFunded, cumCampaignReturned
 *
 * State is provable only at the node's head, so the books at height H are the proven state at its
 * height minus the journal rows after H. The proofs are fetched first and the journal read only up
 * to the highest proof height, so a head that moves during the run cannot raise a false alarm; each
 * merchant's proof may come from a later head than the point's, so every row is folded into the
 * buckets it belongs to (up to H, and between H and each record's proof height). Memory: one
 * journal page and one aggregate per merchant, never the rows.
 *
 * The checks run in a fixed order (RECONCILE_CHECKS) and stop at the first that fails; the report
 * lists every check run, and that first failure with what was expected, what was found, and where.
 */
import { bytesEqual } from '../protocol/bytes.ts'
import type { ArcadeClient } from './client.ts'
import { ArcadeClientError, ClientErrorCode, invalidInput } from './errors.ts'
import { toAccount, toPointId } from './keys.ts'
import { LightClient, type TrustRoot } from './light-client.ts'
import type { VerifiedRecord } from './proof.ts'
import { proofRef } from './queries.ts'
import {
  createFold,
  cursorOf,
  foldRow,
  isCount,
  type MerchantBooks,
  type Proven,
  wellFormed,
} from './reconcile-fold.ts'
import {
  merchantRecordKey,
  merchantRecordOf,
  type ProvenPoint,
  pointRecordKey,
  pointRecordOf,
} from './records.ts'
import type { JournalRow } from './types.ts'

/** The checks, in the order they run. */
export const RECONCILE_CHECKS = {
  /** The point record's proof verifies: state proof, header, > 2/3 of the trusted set signed. */
  pointProof: 'proof.point',
  /** Every listed merchant's record proof verifies, and is the record of that merchant. */
  merchantProofs: 'proof.merchants',
  /**
   * The journal's own books at H: customers + purses + Σ float − Σ liability + campaigns + unclaimed =
   * repaid − redeemed − expired + campaignFunded − campaignReturned.
   */
  journalIdentity: 'journal.identity',
  /**
   * The state's books at H: totalSupply − totalLiability = cumRepaid − cumRedeemed − cumExpired +
   * cumCampaignFunded − cumCampaignReturned.
   */
  stateIdentity: 'state.identity',
  /** totalSupply(H) = customers + purses + Σ float + campaigns + unclaimed from the journal. */
  supply: 'totals.supply',
  /** totalLiability(H) = Σ liability from the journal. */
  liability: 'totals.liability',
  /**
   * campaignBudgets(H) = what the journal moved into campaigns, less what they paid out as bonuses
   * and returned.
   */
  campaigns: 'totals.campaigns',
  /**
   * trafficUnclaimed(H) = what traffic earned pseudonyms (with campaign bonuses on it), less what
   * they claimed.
   */
  unclaimed: 'totals.unclaimed',
  /** totalLocked(H) = what the journal moved into offline purses, less what they paid out or returned. */
  locked: 'totals.locked',
  /** cumRepaid(H) = Σ repay amounts. */
  repaid: 'totals.repaid',
  /** cumRedeemed(H) = Σ redeem amounts. */
  redeemed: 'totals.redeemed',
  /** cumExpired(H) = Σ expire amounts (breakage). */
  expired: 'totals.expired',
  /** cumCampaignFunded(H) = Σ the manager's campaignFund amounts (minted). */
  campaignFunded: 'totals.campaignFunded',
  /** cumCampaignReturned(H) = Σ campaignReturn amounts to the manager (burned). */
  campaignReturned: 'totals.campaignReturned',
  /** Each merchant's float(H) equals the journal's. */
  merchantFloat: 'merchants.float',
  /** Each merchant's liability(H) equals the journal's. */
  merchantLiability: 'merchants.liability',
  /** The proven merchant count equals the merchants listed and seen in the journal. */
  merchantCount: 'merchants.count',
  /** Rows strictly ascending by (height, txIndex, row). */
  journalOrder: 'journal.order',
  /** No row above the height it was asked for (the highest proof height). */
  journalHeights: 'journal.heights',
  /** Every row is of the point asked for. */
  journalPoint: 'journal.point',
  /** Every row well formed: a known event, integer amounts, a merchant where merchant books move. */
  journalRows: 'journal.rows',
} as const
export type ReconcileCheckName = (typeof RECONCILE_CHECKS)[keyof typeof RECONCILE_CHECKS]

export interface ReconcileCheck {
  readonly name: string
  readonly ok: boolean
  readonly expected: number | string
  readonly actual: number | string
  /** Where: the height, the merchant, the row (`height.txIndex.row`), the proof's failure. */
  readonly detail?: string
}

export interface ReconcileOptions {
  readonly point: string
  /** The height to reconcile at; default the height of the proven point record (the head). */
  readonly atHeight?: number
  /** What the proofs are verified against; default the client's own `trust` option. */
  readonly trust?: LightClient | TrustRoot
  /** Called as journal rows are read (every page, and once at the end). */
  readonly onProgress?: (p: { rows: number }) => void
}

/** The journal's sums up to the height. */
export interface JournalBooks {
  readonly customers: number
  /** Σ locked in offline purses, not yet paid out or returned. */
  readonly purses: number
  readonly floats: number
  readonly liabilities: number
  readonly repaid: number
  readonly redeemed: number
  readonly expired: number
  /** Σ held in campaign budgets, not yet paid out or returned. */
  readonly campaigns: number
  readonly campaignFunded: number
  readonly campaignReturned: number
  /** Σ earned by pseudonyms' traffic and not yet claimed. */
  readonly unclaimed: number
}

/** A point record's totals. */
export interface StateBooks {
  readonly totalSupply: number
  readonly totalLiability: number
  readonly totalLocked: number
  readonly cumRepaid: number
  readonly cumRedeemed: number
  readonly cumExpired: number
  readonly campaignBudgets: number
  readonly cumCampaignFunded: number
  readonly cumCampaignReturned: number
  readonly trafficUnclaimed: number
}

export interface ReconcileReport {
  readonly point: string
  /** The height reconciled at (H). */
  readonly height: number
  /** The height of the proven point record (Hp); 0 when its proof failed. */
  readonly provenHeight: number
  /** True when every check ran and passed. */
  readonly ok: boolean
  /** Journal rows read (up to the highest proof height). */
  readonly rows: number
  /** Merchants whose records were proven. */
  readonly merchants: number
  /** Every check run, in order; the last is the first failure when `ok` is false. */
  readonly checks: readonly ReconcileCheck[]
  readonly firstDiscrepancy: ReconcileCheck | null
  /** The point's and every merchant's proof verified. */
  readonly proofsVerified: boolean
  readonly totals: {
    /** The journal's sums up to `height`; null when the journal was not read. */
    readonly journal: JournalBooks | null
    /** The state at `height` (the proven record less the rows after `height`); null before the journal. */
    readonly state: StateBooks | null
    /** The point record as proven at `provenHeight`; null when its proof failed. */
    readonly proven: (StateBooks & { readonly merchantCount: number }) | null
  }
}

/** Rows per journal page and merchants per listing page (the RPC's maxima). */
const PAGE = 1_000
type Proved<T> = { ok: true; proven: Proven<T> } | { ok: false; why: string }

/**
 * Fetches and verifies a record's proof; a proof that does not check out (or proves another key, or
 * a value that is not such a record) is a result, every other error is thrown.
 */
async function prove<T>(
  client: ArcadeClient,
  ref: string,
  key: Uint8Array,
  decode: (decoded: unknown) => T | null,
  trust: LightClient | undefined,
): Promise<Proved<T>> {
  let verified: VerifiedRecord
  try {
    verified = await client.verifyRecord(ref, trust === undefined ? {} : { trust })
  } catch (err) {
    if (err instanceof ArcadeClientError && err.code === ClientErrorCode.proofInvalid) {
      return { ok: false, why: `${String(err.details.reason ?? 'invalid')}: ${err.message}` }
    }
    throw err
  }
  if (!bytesEqual(verified.key, key)) return { ok: false, why: `the proof is of another key than ${ref}` }
  if (verified.value === null) return { ok: false, why: `${ref} is proven absent at ${verified.height}` }
  const record = decode(verified.decoded)
  if (record === null) return { ok: false, why: `the proven value of ${ref} is not such a record` }
  return { ok: true, proven: { record, height: verified.height } }
}

/**
 * Reconciles a point's journal with its proven state at `atHeight` (default the head). Resolves with
 * the report, `ok: false` at the first discrepancy; rejects only when the audit cannot run (bad input,
 * CLIENT_TRUST_ROOT_MISSING, the node unreachable, a proof not yet signed).
 */
export async function reconcilePoint(
  client: ArcadeClient,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const point = toPointId(options.point)
  const { atHeight } = options
  if (atHeight !== undefined && !isCount(atHeight)) throw invalidInput('atHeight', 'must be an integer ≥ 0')
  const checks: ReconcileCheck[] = []
  const base = {
    point,
    height: atHeight ?? 0,
    provenHeight: 0,
    rows: 0,
    merchants: 0,
    proofsVerified: false,
    totals: { journal: null, state: null, proven: null },
  }
  const finish = (): ReconcileReport => {
    const failed = checks.find((c) => !c.ok) ?? null
    return { ...base, ok: failed === null, checks, firstDiscrepancy: failed }
  }

  // 1. The point record, proven at the head Hp.
  let trust: LightClient | undefined
  let pointProof: Proved<ProvenPoint>
  try {
    trust =
      options.trust === undefined || options.trust instanceof LightClient
        ? options.trust
        : await LightClient.create(client, options.trust)
    pointProof = await prove(client, proofRef.point(point), pointRecordKey(point), pointRecordOf, trust)
  } catch (err) {
    if (!(err instanceof ArcadeClientError && err.code === ClientErrorCode.proofInvalid)) throw err
    pointProof = { ok: false, why: `${String(err.details.reason ?? 'invalid')}: ${err.message}` }
  }
  const certified = 'a record certified by > 2/3 of the trusted validator set'
  if (!pointProof.ok) {
    checks.push({
      name: RECONCILE_CHECKS.pointProof,
      ok: false,
      expected: certified,
      actual: pointProof.why,
      detail: `point ${point}`,
    })
    return finish()
  }
  const { record: p, height: provenHeight } = pointProof.proven
  checks.push({
    name: RECONCILE_CHECKS.pointProof,
    ok: true,
    expected: certified,
    actual: `verified at height ${provenHeight}`,
  })
  const height = atHeight ?? provenHeight
  if (height > provenHeight) {
    throw invalidInput('atHeight', `must not be above the proven head (${provenHeight})`)
  }
  const proven = {
    totalSupply: p.totalSupply,
    totalLiability: p.totalLiability,
    totalLocked: p.totalLocked,
    cumRepaid: p.cumRepaid,
    cumRedeemed: p.cumRedeemed,
    cumExpired: p.cumExpired,
    campaignBudgets: p.campaignBudgets,
    cumCampaignFunded: p.cumCampaignFunded,
    cumCampaignReturned: p.cumCampaignReturned,
    trafficUnclaimed: p.trafficUnclaimed,
    merchantCount: p.merchantCount,
  }
  Object.assign(base, { height, provenHeight, totals: { journal: null, state: null, proven } })

  // 2. Every merchant the point had at Hp (the listing is in order of application and only grows).
  const merchants = new Map<string, MerchantBooks>()
  let listed = 0
  /** The first merchant whose record is not proven, and why. */
  let merchantFailure: { readonly where: string; readonly why: string } | null = null
  for (let offset = 0; offset < p.merchantCount && merchantFailure === null; ) {
    const page = await client.merchants(point, { offset, limit: Math.min(PAGE, p.merchantCount - offset) })
    if (page.items.length === 0) break
    for (const item of page.items) {
      if (offset >= p.merchantCount) break
      offset++
      listed++
      const address = typeof item?.address === 'string' ? item.address : ''
      if (merchants.has(address)) continue
      let key: Uint8Array
      try {
        key = merchantRecordKey(point, toAccount(address, 'merchant'))
      } catch {
        merchantFailure = {
          where: `listing item ${offset - 1}`,
          why: `${JSON.stringify(address)} is not an address`,
        }
        break
      }
      const r = await prove(client, proofRef.merchant(point, address), key, merchantRecordOf, trust)
      if (!r.ok) {
        merchantFailure = { where: `merchant ${address}`, why: r.why }
        break
      }
      merchants.set(address, {
        address,
        proven: r.proven,
        float: 0,
        liability: 0,
        tailFloat: 0,
        tailLiability: 0,
      })
    }
    if (page.nextOffset === null) break
  }
  base.merchants = merchants.size
  checks.push({
    name: RECONCILE_CHECKS.merchantProofs,
    ok: merchantFailure === null,
    expected: certified,
    actual: merchantFailure?.why ?? `${merchants.size} verified`,
    ...(merchantFailure === null ? {} : { detail: merchantFailure.where }),
  })
  if (merchantFailure !== null) return finish()
  base.proofsVerified = true

  // 3. The journal up to the highest proof height, folded.
  let toHeight = provenHeight
  for (const m of merchants.values()) toHeight = Math.max(toHeight, m.proven.height)
  const f = createFold()
  const at = { point, height, provenHeight, toHeight }
  let previous: JournalRow | null = null
  for await (const row of client.journalRows({ point, toHeight }, { limit: PAGE })) {
    foldRow(f, row, previous, at, merchants)
    if (wellFormed(row)) previous = row
    f.rows++
    if (f.rows % PAGE === 0) options.onProgress?.({ rows: f.rows })
  }
  options.onProgress?.({ rows: f.rows })
  const j = f.journal
  const state: StateBooks = {
    totalSupply: p.totalSupply - f.tail.supply,
    totalLiability: p.totalLiability - f.tail.liability,
    totalLocked: p.totalLocked - f.tail.locked,
    cumRepaid: p.cumRepaid - f.tail.repaid,
    cumRedeemed: p.cumRedeemed - f.tail.redeemed,
    cumExpired: p.cumExpired - f.tail.expired,
    campaignBudgets: p.campaignBudgets - f.tail.campaigns,
    cumCampaignFunded: p.cumCampaignFunded - f.tail.campaignFunded,
    cumCampaignReturned: p.cumCampaignReturned - f.tail.campaignReturned,
    trafficUnclaimed: p.trafficUnclaimed - f.tail.unclaimed,
  }
  Object.assign(base, { rows: f.rows, totals: { journal: { ...j }, state, proven } })

  // 4. The comparisons, in order, up to the first that fails.
  const where = `at height ${height}`
  const compare = (name: string, expected: number, actual: number, detail = where): boolean => {
    checks.push({ name, ok: expected === actual, expected, actual, detail })
    return expected === actual
  }
  const sanity = (
    name: string,
    row: JournalRow | null,
    expected: string,
    found: (r: JournalRow) => string,
  ) => {
    checks.push(
      row === null
        ? { name, ok: true, expected, actual: `${f.rows} rows` }
        : { name, ok: false, expected, actual: found(row), detail: `row ${cursorOf(row)}` },
    )
    return row === null
  }
  const list = [...merchants.values()]
  const perMerchant = (name: string, field: 'float' | 'liability'): boolean => {
    const tail = field === 'float' ? 'tailFloat' : 'tailLiability'
    const bad = list.find((m) => m.proven.record[field] - m[tail] !== m[field])
    if (bad !== undefined) {
      const detail = `merchant ${bad.address} ${where} (proven at ${bad.proven.height})`
      return compare(name, bad.proven.record[field] - bad[tail], bad[field], detail)
    }
    const sum = list.reduce((s, m) => s + m[field], 0)
    return compare(name, sum, sum, `${list.length} merchants ${where}`)
  }
  /** Every merchant the point had at Hp was listed and proven, and the journal names no other. */
  const countMerchants = (): boolean => {
    const ok = merchants.size === p.merchantCount && f.unlisted.size === 0
    const actual =
      f.unlisted.size === 0
        ? merchants.size
        : `${merchants.size} listed + ${f.unlisted.size} only in the journal`
    const detail =
      f.firstUnlisted === null
        ? `at height ${provenHeight}: ${merchants.size} distinct of ${listed} listed`
        : `at height ${provenHeight}: the journal names merchant ${f.firstUnlisted}, which the listing lacks`
    checks.push({ name: RECONCILE_CHECKS.merchantCount, ok, expected: p.merchantCount, actual, detail })
    return ok
  }
  const C = RECONCILE_CHECKS
  const steps: (() => boolean)[] = [
    () =>
      compare(
        C.journalIdentity,
        j.repaid - j.redeemed - j.expired + j.campaignFunded - j.campaignReturned,
        j.customers + j.purses + j.floats - j.liabilities + j.campaigns + j.unclaimed,
      ),
    () =>
      compare(
        C.stateIdentity,
        state.cumRepaid -
          state.cumRedeemed -
          state.cumExpired +
          state.cumCampaignFunded -
          state.cumCampaignReturned,
        state.totalSupply - state.totalLiability,
      ),
    () => compare(C.supply, state.totalSupply, j.customers + j.purses + j.floats + j.campaigns + j.unclaimed),
    () => compare(C.liability, state.totalLiability, j.liabilities),
    () => compare(C.campaigns, state.campaignBudgets, j.campaigns),
    () => compare(C.unclaimed, state.trafficUnclaimed, j.unclaimed),
    () => compare(C.locked, state.totalLocked, j.purses),
    () => compare(C.repaid, state.cumRepaid, j.repaid),
    () => compare(C.redeemed, state.cumRedeemed, j.redeemed),
    () => compare(C.expired, state.cumExpired, j.expired),
    () => compare(C.campaignFunded, state.cumCampaignFunded, j.campaignFunded),
    () => compare(C.campaignReturned, state.cumCampaignReturned, j.campaignReturned),
    () => perMerchant(C.merchantFloat, 'float'),
    () => perMerchant(C.merchantLiability, 'liability'),
    () => countMerchants(),
    () =>
      sanity(
        C.journalOrder,
        f.disorder,
        'rows ascending by (height, txIndex, row)',
        () => 'not after the row before',
      ),
    () => sanity(C.journalHeights, f.tooHigh, `heights ≤ ${toHeight}`, (r) => `height ${r.height}`),
    () => sanity(C.journalPoint, f.otherPoint, `point ${point}`, (r) => `point ${String(r.point)}`),
    () => sanity(C.journalRows, f.malformed, 'well-formed rows', () => 'a malformed row'),
  ]
  for (const step of steps) if (!step()) break
  return finish()
}
