/**
 * State-machine throughput: applyBlock on 10,000-tx blocks of mixed point payments, awards and
 * traffic records, in memory, tx signatures excluded (applyBlock trusts its caller to have verified
 * them; voucher and attestation signatures it verifies itself, so those are in the cost). Txs are
 * pre-built. Run: node_modules/.bin/node bench/state.ts [blocks] [txsPerBlock] [expiryDays]
 * [refundHours] [--kind K] [--award] [--campaign]
 * (expiryDays > 0: the point's awards expire that many days after each, so they are held in lots;
 * refundHours > 0: the point has a refund window, so every payment and award keeps a record;
 * --campaign: a manager campaign, double points on every award (bonusPerMille 1000) with a budget
 * that never runs out, runs before the measured blocks, so each award also pays a bonus;
 * --kind K: every measured tx is of one kind, to give that kind's cost (default: the mix, 50% pay /
 * 30% award / 20% traffic of two events). What a kind needs is done in setup, before the measured
 * blocks:
 *   award             merchant.award (--award is an alias of --kind award)
 *   pay               merchant.pay
 *   refund            merchant.refund, in full, of a payment made in setup (sets a 1 h refund window
 *                     unless refundHours is given)
 *   cancel-award      merchant.cancelAward, by the awarding merchant's terminal, of an award made in
 *                     setup that the customer still holds (sets a 1 h window, as refund does)
 *   campaign-award    merchant.award with a live campaign (the same as --kind award --campaign)
 *   purse-open        purse.open, a distinct purse key per tx, possession proofs signed in setup
 *   purse-settle      purse.settle of one signed voucher per tx, of purses opened in setup
 *   traffic           traffic.record of one unconfirmed visit with a pseudonym
 *   traffic-confirmed traffic.record of one visit attested by its pseudonym's key (signed in setup,
 *                     the window holding the measured blocks' times)
 *   traffic-claim     traffic.claim by a pseudonym that earned points in setup.)
 */
import type { Bytes } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair, sha256, sign } from '../protocol/crypto.ts'
import { signVoucher, type Voucher } from '../protocol/purse.ts'
import { pursePossessionSignBytes } from '../protocol/sign-bytes.ts'
import { signAttestation } from '../protocol/traffic-attestation.ts'
import type { SignedTx } from '../protocol/tx.ts'
import { MAX_TRAFFIC_EVENTS, type TxBody, type TxBodyOf } from '../protocol/tx-body.ts'
import { applyBlock } from '../state/apply-block.ts'
import type { Receipt } from '../state/receipt.ts'
import {
  account,
  ISSUER,
  POINT,
  setupMerchant,
  setupPoint,
  TEST_CHAIN_ID,
  TestChain,
  testGenesis,
} from '../state/test-kit.ts'

const KINDS = [
  'mix',
  'award',
  'pay',
  'refund',
  'cancel-award',
  'campaign-award',
  'purse-open',
  'purse-settle',
  'traffic',
  'traffic-confirmed',
  'traffic-claim',
] as const
type Kind = (typeof KINDS)[number]

const args = process.argv.slice(2)
const flags = new Set<string>()
const positional: string[] = []
let kindArg: string | undefined
for (let i = 0; i < args.length; i++) {
  const a = args[i] as string
  if (a === '--kind') kindArg = args[++i]
  else if (a.startsWith('--kind=')) kindArg = a.slice('--kind='.length)
  else if (a.startsWith('--')) flags.add(a)
  else positional.push(a)
}
if (kindArg !== undefined && !(KINDS as readonly string[]).includes(kindArg))
  throw new Error(`--kind must be one of ${KINDS.join(', ')}`)
const kind: Kind = (kindArg as Kind | undefined) ?? (flags.has('--award') ? 'award' : 'mix')
const blocks = Number(positional[0] ?? 6)
const txsPerBlock = Number(positional[1] ?? 10_000)
const expiryDays = Number(positional[2] ?? 0)
const withCampaign = flags.has('--campaign') || kind === 'campaign-award'
const refundHours = Number(positional[3] ?? 0)
// Refunds and cancellations need a window: 1 h unless one is given.
const refundWindowMs =
  refundHours > 0 ? refundHours * 3_600_000 : kind === 'refund' || kind === 'cancel-award' ? 3_600_000 : 0
const MERCHANTS = 200
const CUSTOMERS = 20_000
/** Every measured tx, over all blocks: setup prepares one item for each where a kind needs it. */
const MEASURED = blocks * txsPerBlock
const SETUP_BLOCK_TXS = 5_000

const chain = new TestChain(testGenesis({}, { maxTxValidityBlocks: 1_000 }))
setupPoint(chain)
if (expiryDays > 0)
  chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: expiryDays, atMs: 0 })
if (refundWindowMs > 0)
  chain.run(ISSUER, { kind: 'point.setRefundWindow', point: POINT, windowMs: refundWindowMs })
const merchants: Bytes[] = []
const terminals: Bytes[] = []
for (let i = 0; i < MERCHANTS; i++) {
  merchants.push(account(10_000 + i))
  terminals.push(account(20_000 + i))
}
for (let i = 0; i < MERCHANTS; i += 20) {
  chain.block(
    merchants
      .slice(i, i + 20)
      .flatMap((m, j) => [
        chain.tx(m, { kind: 'merchant.apply', point: POINT, name: `shop ${i + j}` }),
        chain.tx(ISSUER, { kind: 'merchant.admit', point: POINT, merchant: m, creditLimit: 1_000_000_000 }),
        chain.tx(m, { kind: 'merchant.addTerminal', point: POINT, terminal: terminals[i + j] as Bytes }),
      ]),
  )
}
chain.run(ISSUER, {
  kind: 'traffic.setRules',
  point: POINT,
  confirmed: { visit: 1, view: 1, click: 2, purchase: 5, purchasePerMille: 10 },
  unconfirmed: { visit: 1, view: 1, click: 2, purchase: 5, purchasePerMille: 10 },
  dailyCapPerCustomer: 1_000,
})
const customers = Array.from({ length: CUSTOMERS }, (_, i) => account(100_000 + i))

/** Setup txs `make(0..count-1)` in blocks of SETUP_BLOCK_TXS, each of which must succeed. */
function setupRun(what: string, count: number, make: (g: number) => SignedTx): Receipt[] {
  const receipts: Receipt[] = []
  for (let i = 0; i < count; i += SETUP_BLOCK_TXS) {
    const txs = Array.from({ length: Math.min(SETUP_BLOCK_TXS, count - i) }, (_, j) => make(i + j))
    for (const r of chain.block(txs).receipts) {
      if (r.status !== 'ok') throw new Error(`${what} setup failed: ${r.error}`)
      receipts.push(r)
    }
  }
  return receipts
}

// Seed every customer with points so payments succeed.
setupRun('seed', CUSTOMERS, (i) =>
  chain.tx(terminals[i % MERCHANTS] as Bytes, {
    kind: 'merchant.award',
    point: POINT,
    customer: customers[i] as Bytes,
    amount: 1_000_000,
    memo: '',
  }),
)
void setupMerchant
if (withCampaign) {
  const t = chain.state.meta.timeMs
  const r = chain.run(ISSUER, {
    kind: 'campaign.create',
    point: POINT,
    campaign: 'bench',
    triggers: ['award', 'visit', 'purchase'],
    bonusPerMille: 1_000,
    flatBonus: 0,
    startMs: t,
    endMs: t + 365 * 86_400_000,
    merchants: [],
    budget: 1_000_000_000_000,
    fiatRef: 'bench',
  })
  if (r.status !== 'ok') throw new Error(`campaign setup failed: ${r.error}`)
}

// Per measured tx g: its customer and its merchant's index (setup and measured txs agree on them).
const customerOf = (g: number) => customers[g % CUSTOMERS] as Bytes
const shopOf = (g: number) => (g * 7_919) % MERCHANTS
const amountOf = (g: number) => 1 + (g % 30)

/** Tx hashes of the payments (refund) or awards (cancel-award) made in setup, one per measured tx. */
let setupTxHashes: Bytes[] = []
if (kind === 'refund') {
  setupTxHashes = setupRun('payment', MEASURED, (g) =>
    chain.tx(customerOf(g), {
      kind: 'merchant.pay',
      point: POINT,
      payee: terminals[shopOf(g)] as Bytes,
      amount: amountOf(g),
      memo: '',
    }),
  ).map((r) => r.txHash)
} else if (kind === 'cancel-award') {
  setupTxHashes = setupRun('award', MEASURED, (g) =>
    chain.tx(terminals[shopOf(g)] as Bytes, {
      kind: 'merchant.award',
      point: POINT,
      customer: customerOf(g),
      amount: amountOf(g),
      memo: '',
    }),
  ).map((r) => r.txHash)
}

/** purse-open / purse-settle: a purse key per measured tx and its owner's possession proof. */
const PURSE_LOCKED = 100
let purseKeys: KeyPair[] = []
let purseOpens: TxBodyOf<'purse.open'>[] = []
if (kind === 'purse-open' || kind === 'purse-settle') {
  purseKeys = Array.from({ length: MEASURED }, () => generateKeyPair())
  const expiresAtMs = chain.state.meta.timeMs + 30 * 86_400_000
  purseOpens = purseKeys.map((key, g) => ({
    kind: 'purse.open',
    point: POINT,
    purse: key.publicKey,
    amount: PURSE_LOCKED,
    expiresAtMs,
    possessionProof: sign(
      pursePossessionSignBytes(TEST_CHAIN_ID, customerOf(g), key.publicKey),
      key.secretKey,
    ),
  }))
}
/** purse-settle: the purses opened in setup, and one voucher of each payable to its tx's terminal. */
let vouchers: Voucher[] = []
if (kind === 'purse-settle') {
  setupRun('purse.open', MEASURED, (g) => chain.tx(customerOf(g), purseOpens[g] as TxBodyOf<'purse.open'>))
  vouchers = purseKeys.map((key, g) =>
    signVoucher(
      TEST_CHAIN_ID,
      {
        point: POINT,
        purse: key.publicKey,
        payee: terminals[shopOf(g)] as Bytes,
        counter: 1,
        amount: amountOf(g),
        cumulative: amountOf(g),
      },
      key.secretKey,
    ),
  )
}

/** traffic-confirmed: pseudonym keys and one attested visit per measured tx, at its tx's merchant. */
type TrafficEvent = TxBodyOf<'traffic.record'>['events'][number]
let attestedEvents: TrafficEvent[] = []
if (kind === 'traffic-confirmed') {
  const pseudonymKeys = Array.from({ length: Math.min(MEASURED, CUSTOMERS) }, () => generateKeyPair())
  // The measured blocks come one second apart after the setup's last block.
  const window = {
    notBeforeMs: chain.state.meta.timeMs,
    notAfterMs: chain.state.meta.timeMs + (blocks + 1) * 1_000 + 60_000,
  }
  attestedEvents = Array.from({ length: MEASURED }, (_, g) => {
    const key = pseudonymKeys[g % pseudonymKeys.length] as KeyPair
    const e = {
      point: POINT,
      merchant: merchants[shopOf(g)] as Bytes,
      pseudonym: key.publicKey,
      eventId: `cev-${g}`,
      kind: 'visit' as const,
      amount: 0,
    }
    return {
      eventId: e.eventId,
      kind: e.kind,
      pseudonym: e.pseudonym,
      amount: 0,
      attestation: signAttestation(TEST_CHAIN_ID, e, window, key.secretKey),
    }
  })
}

/** traffic-claim: a pseudonym per measured tx that earned CLAIM_EARNED unclaimed points in setup. */
const claimPseudonymOf = (g: number) => sha256(account(1_000_000 + g))
const CLAIM_EARNED = 17 // an unconfirmed purchase of 1,200: 5 + 1,200 × 10‰
if (kind === 'traffic-claim') {
  setupRun('traffic.record', Math.ceil(MEASURED / MAX_TRAFFIC_EVENTS), (t) =>
    chain.tx(terminals[t % MERCHANTS] as Bytes, {
      kind: 'traffic.record',
      point: POINT,
      events: Array.from(
        { length: Math.min(MAX_TRAFFIC_EVENTS, MEASURED - t * MAX_TRAFFIC_EVENTS) },
        (_, j) => ({
          eventId: `claim-ev-${t * MAX_TRAFFIC_EVENTS + j}`,
          kind: 'purchase' as const,
          pseudonym: claimPseudonymOf(t * MAX_TRAFFIC_EVENTS + j),
          amount: 1_200,
          attestation: null,
        }),
      ),
    }),
  )
}

let eventSeq = 0
function mixBody(i: number, height: number): { signer: Bytes; body: TxBody } {
  const r = (i * 7919 + height * 104_729) % 1_000_003
  const customer = customers[r % CUSTOMERS] as Bytes
  const terminal = terminals[r % MERCHANTS] as Bytes
  const mix = kind === 'pay' ? 0 : kind === 'award' || kind === 'campaign-award' ? 5 : i % 10
  if (mix < 5)
    return {
      signer: customer,
      body: { kind: 'merchant.pay', point: POINT, payee: terminal, amount: 1 + (r % 50), memo: '' },
    }
  if (mix < 8)
    return {
      signer: terminal,
      body: { kind: 'merchant.award', point: POINT, customer, amount: 1 + (r % 30), memo: '' },
    }
  return {
    signer: terminal,
    body: {
      kind: 'traffic.record',
      point: POINT,
      events: [
        {
          eventId: `ev-${eventSeq++}`,
          kind: 'visit',
          pseudonym: sha256(customer),
          amount: 0,
          attestation: null,
        },
        {
          eventId: `ev-${eventSeq++}`,
          kind: 'purchase',
          pseudonym: sha256(customer),
          amount: 1_200,
          attestation: null,
        },
      ],
    },
  }
}

/** The measured tx g (i-th of its block at `height`). */
function measuredBody(g: number, i: number, height: number): { signer: Bytes; body: TxBody } {
  const terminal = terminals[shopOf(g)] as Bytes
  switch (kind) {
    case 'refund':
      return {
        signer: terminal,
        body: {
          kind: 'merchant.refund',
          point: POINT,
          payment: setupTxHashes[g] as Bytes,
          amount: amountOf(g),
          memo: '',
        },
      }
    case 'cancel-award':
      return {
        signer: terminal,
        body: { kind: 'merchant.cancelAward', point: POINT, award: setupTxHashes[g] as Bytes, memo: '' },
      }
    case 'purse-open':
      return { signer: customerOf(g), body: purseOpens[g] as TxBodyOf<'purse.open'> }
    case 'purse-settle':
      return {
        signer: terminal,
        body: { kind: 'purse.settle', point: POINT, vouchers: [vouchers[g] as Voucher] },
      }
    case 'traffic':
      return {
        signer: terminal,
        body: {
          kind: 'traffic.record',
          point: POINT,
          events: [
            {
              eventId: `ev-${eventSeq++}`,
              kind: 'visit',
              pseudonym: sha256(customerOf(g)),
              amount: 0,
              attestation: null,
            },
          ],
        },
      }
    case 'traffic-confirmed':
      return {
        signer: terminal,
        body: { kind: 'traffic.record', point: POINT, events: [attestedEvents[g] as TrafficEvent] },
      }
    case 'traffic-claim':
      return {
        signer: claimPseudonymOf(g),
        body: { kind: 'traffic.claim', point: POINT, account: customerOf(g), amount: CLAIM_EARNED },
      }
    default:
      return mixBody(i, height)
  }
}

function buildBlock(height: number, b: number): SignedTx[] {
  const txs: SignedTx[] = []
  for (let i = 0; i < txsPerBlock; i++) {
    const { signer, body } = measuredBody(b * txsPerBlock + i, i, height)
    txs.push(chain.tx(signer, body, { validUntil: height + 100 }))
  }
  return txs
}

const prepared = Array.from({ length: blocks }, (_, b) => buildBlock(chain.height + 1 + b, b))
let state = chain.state
const times: number[] = []
// CPU time of this process too: on a shared machine it is a fairer measure of one core's work.
const cpuTimes: number[] = []
let failed = 0
for (const [b, txs] of prepared.entries()) {
  const start = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  const result = applyBlock(
    state,
    {
      height: state.meta.height + 1,
      timeMs: state.meta.timeMs + 1_000,
      proposer: account(0),
      txs,
      evidence: [],
    },
    { chainId: TEST_CHAIN_ID },
  )
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const cpu = process.cpuUsage(cpuStart)
  const cpuMs = (cpu.user + cpu.system) / 1e3
  times.push(ms)
  cpuTimes.push(cpuMs)
  failed += result.receipts.filter((r) => r.status !== 'ok').length
  state = result.state
  console.log(
    `block ${b + 1}: ${txs.length} txs in ${ms.toFixed(1)} ms wall (${cpuMs.toFixed(1)} ms cpu) = ${Math.round((txs.length / ms) * 1000)} tx/s wall, ${result.writes.length} writes`,
  )
}
const mean = (xs: number[]) => xs.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, xs.length - 1)
const avg = mean(times)
const avgCpu = mean(cpuTimes)
const workload = kind === 'mix' ? 'mixed 50% pay / 30% award / 20% traffic(2 events)' : `100% ${kind}`
console.log(
  `${workload}${expiryDays > 0 ? `, ${expiryDays}-day expiry` : ''}${refundWindowMs > 0 ? `, ${refundWindowMs / 3_600_000} h refund window` : ''}${withCampaign ? ', a live campaign (double points)' : ''}, blocks 2..${blocks}: ${Math.round((txsPerBlock / avg) * 1000)} tx/s wall (${avg.toFixed(1)} ms per ${txsPerBlock}-tx block), ${Math.round((txsPerBlock / avgCpu) * 1000)} tx/s per cpu-second; failed txs: ${failed}; state entries: ${state.map.size}`,
)
