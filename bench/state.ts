/**
 * State-machine throughput: applyBlock on 10,000-tx blocks of mixed point payments, awards and
 * traffic records, in memory, signatures excluded (applyBlock trusts its caller to have verified
 * them). Txs are pre-built. Run: node_modules/.bin/node bench/state.ts [blocks] [txsPerBlock] [expiryDays]
 * [refundHours] [--award] [--campaign]
 * (expiryDays > 0: the point's awards expire that many days after each, so they are held in lots;
 * refundHours > 0: the point has a refund window, so every payment and award keeps a record;
 * --award: every tx is a merchant.award instead of the mix; --campaign: a manager campaign, double
 * points on every award (bonusPerMille 1000) with a budget that never runs out, runs before the
 * measured blocks, so each award also pays a bonus).
 */
import type { Bytes } from '../protocol/bytes.ts'
import { sha256 } from '../protocol/crypto.ts'
import type { SignedTx } from '../protocol/tx.ts'
import { applyBlock } from '../state/apply-block.ts'
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

const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')))
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const blocks = Number(positional[0] ?? 6)
const txsPerBlock = Number(positional[1] ?? 10_000)
const expiryDays = Number(positional[2] ?? 0)
const awardsOnly = flags.has('--award')
const withCampaign = flags.has('--campaign')
const refundHours = Number(positional[3] ?? 0)
const MERCHANTS = 200
const CUSTOMERS = 20_000

const chain = new TestChain(testGenesis({}, { maxTxValidityBlocks: 1_000 }))
setupPoint(chain)
if (expiryDays > 0)
  chain.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: expiryDays, atMs: 0 })
if (refundHours > 0)
  chain.run(ISSUER, { kind: 'point.setRefundWindow', point: POINT, windowMs: refundHours * 3_600_000 })
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
// Seed every customer with points so payments succeed.
for (let i = 0; i < CUSTOMERS; i += 5_000) {
  chain.block(
    customers.slice(i, i + 5_000).map((c, j) =>
      chain.tx(terminals[j % MERCHANTS] as Bytes, {
        kind: 'merchant.award',
        point: POINT,
        customer: c,
        amount: 1_000_000,
        memo: '',
      }),
    ),
  )
}
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

let eventSeq = 0
function buildBlock(height: number): SignedTx[] {
  const txs: SignedTx[] = []
  for (let i = 0; i < txsPerBlock; i++) {
    const r = (i * 7919 + height * 104_729) % 1_000_003
    const customer = customers[r % CUSTOMERS] as Bytes
    const terminal = terminals[r % MERCHANTS] as Bytes
    const mix = awardsOnly ? 5 : i % 10
    const validUntil = height + 100
    if (mix < 5) {
      txs.push(
        chain.tx(
          customer,
          { kind: 'merchant.pay', point: POINT, payee: terminal, amount: 1 + (r % 50), memo: '' },
          { validUntil },
        ),
      )
    } else if (mix < 8) {
      txs.push(
        chain.tx(
          terminal,
          { kind: 'merchant.award', point: POINT, customer, amount: 1 + (r % 30), memo: '' },
          { validUntil },
        ),
      )
    } else {
      txs.push(
        chain.tx(
          terminal,
          {
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
          { validUntil },
        ),
      )
    }
  }
  return txs
}

const prepared = Array.from({ length: blocks }, (_, b) => buildBlock(chain.height + 1 + b))
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
const workload = awardsOnly ? '100% award' : 'mixed 50% pay / 30% award / 20% traffic(2 events)'
console.log(
  `${workload}${expiryDays > 0 ? `, ${expiryDays}-day expiry` : ''}${refundHours > 0 ? `, ${refundHours} h refund window` : ''}${withCampaign ? ', a live campaign (double points)' : ''}, blocks 2..${blocks}: ${Math.round((txsPerBlock / avg) * 1000)} tx/s wall (${avg.toFixed(1)} ms per ${txsPerBlock}-tx block), ${Math.round((txsPerBlock / avgCpu) * 1000)} tx/s per cpu-second; failed txs: ${failed}; state entries: ${state.map.size}`,
)
