import { describe, expect, it } from 'vitest'
import { parsePeriod } from './period.ts'
import {
  createSponsorUsageFold,
  decodeSponsoredTx,
  encodeSponsoredTx,
  sponsoredTxOf,
} from './sponsor-usage.ts'
import { account, GENESIS_TIME_MS, ISSUER, POINT, setupMerchant, setupPoint, TestChain } from './test-kit.ts'

const SHOP = account(100)
const ALICE = account(200)
const STRANGER = account(300)

describe('sponsored txs', () => {
  it('count what the manager paid for: applied or failed after the charge, never a refused sponsor', () => {
    const chain = new TestChain()
    setupPoint(chain)
    setupMerchant(chain, SHOP, 100)
    const award = chain.tx(SHOP, {
      kind: 'merchant.award',
      point: POINT,
      customer: ALICE,
      amount: 5,
      memo: '',
    })
    const tooMuch = chain.tx(ALICE, {
      kind: 'merchant.pay',
      point: POINT,
      payee: SHOP,
      amount: 999,
      memo: '',
    })
    const own = chain.tx(ISSUER, { kind: 'merchant.setLimit', point: POINT, merchant: SHOP, creditLimit: 50 })
    // A sponsor that is not the point's manager: refused by the sponsor check, so nothing was charged.
    const refused = chain.tx(
      ALICE,
      { kind: 'point.transfer', point: POINT, to: SHOP, amount: 1 },
      { sponsor: STRANGER },
    )
    const txs = [award, tooMuch, own, refused]
    const { receipts } = chain.block(txs)
    expect(receipts.map((r) => r.error)).toEqual([
      null,
      expect.any(String),
      null,
      'STATE_SPONSOR_NOT_ALLOWED',
    ])
    const records = txs.map((tx, i) => sponsoredTxOf(tx, receipts[i] as never, 7))
    expect(records).toEqual([
      { point: POINT, timeMs: 7, kind: 'merchant.award', grantee: SHOP, applied: true },
      { point: POINT, timeMs: 7, kind: 'merchant.pay', grantee: ALICE, applied: false },
      null,
      null,
    ])
    const first = records[0] as NonNullable<(typeof records)[0]>
    const back = decodeSponsoredTx(encodeSponsoredTx(first))
    expect({ ...back, grantee: [...back.grantee] }).toEqual({ ...first, grantee: [...first.grantee] })
    expect(() => decodeSponsoredTx(Uint8Array.of(0x90))).toThrow(
      expect.objectContaining({ code: 'PROTOCOL_INVALID_FIELD' }),
    )
  })

  it('sum per period by kind and by grantee, leaving out other points and other periods', () => {
    const period = parsePeriod('2026-01-01')
    const fold = createSponsorUsageFold(POINT, period)
    const at = (hours: number) => GENESIS_TIME_MS + hours * 3_600_000
    const r = (kind: string, grantee: Uint8Array, hours: number, applied = true, point = POINT) => ({
      point,
      timeMs: at(hours),
      kind,
      grantee,
      applied,
    })
    for (const rec of [
      r('merchant.pay', ALICE, 1),
      r('merchant.pay', ALICE, 2, false),
      r('merchant.award', SHOP, 3),
      r('merchant.award', SHOP, 4, true, 'OTHER'),
      r('merchant.award', SHOP, 15), // 2026-01-02 00:00 in Tokyo: the next day
    ])
      expect(fold.add(rec)).toBe(true)
    const s = fold.finish({ sponsor: ISSUER, fromHeight: 1, toHeight: 9, final: true, asOfHeight: 12 })
    expect(s.total).toEqual({ txs: 3, failed: 1 })
    expect(s.byKind).toEqual([
      { kind: 'merchant.award', txs: 1, failed: 0 },
      { kind: 'merchant.pay', txs: 2, failed: 1 },
    ])
    expect(s.byGrantee).toEqual([
      { grantee: ALICE, txs: 2, failed: 1 },
      { grantee: SHOP, txs: 1, failed: 0 },
    ])
    expect(s.asOfHeight).toBeNull()
  })
})
