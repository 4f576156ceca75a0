/**
 * The SDK restates the layout of the two records an audit reads (client/records.ts); this pins it to
 * state/'s own: the keys state/ derives, and records written by state/'s codecs, read back by the SDK.
 */
import { describe, expect, it } from 'vitest'
import {
  anchorRecordKey,
  anchorRecordOf,
  merchantRecordKey,
  merchantRecordOf,
  pointRecordKey,
  pointRecordOf,
  purseRecordKey,
  purseRecordOf,
} from '../../client/records.ts'
import { toHex } from '../../protocol/bytes.ts'
import { decodeRaw } from '../../protocol/codec.ts'
import { recordKey } from '../../state/query.ts'
import { anchorCodec, merchantCodec, pointCodec, purseCodec } from '../../state/records.ts'
import { account } from '../../state/test-kit.ts'

const decoded = (bytes: Uint8Array) => decodeRaw(bytes, 1 << 16, 'record')

describe('client/records.ts against state/', () => {
  it('derives the keys state/ derives', () => {
    expect(toHex(pointRecordKey('SHIBU'))).toBe(toHex(recordKey.point('SHIBU')))
    const m = account(42)
    expect(toHex(merchantRecordKey('SHIBU', m))).toBe(toHex(recordKey.merchant('SHIBU', m)))
    expect(toHex(purseRecordKey(m))).toBe(toHex(recordKey.purse(m)))
    expect(toHex(anchorRecordKey('SHIBU', account(43)))).toBe(toHex(recordKey.anchor('SHIBU', account(43))))
  })

  it("reads the books of state/'s point and merchant records, field by field", () => {
    const point = pointCodec.encode({
      manager: account(1),
      name: 'Shibuya',
      decimals: 2,
      transferable: true,
      totalSupply: 11,
      totalLiability: 12,
      cumRepaid: 13,
      cumRedeemed: 14,
      merchantCount: 15,
      grantCount: 16,
      directGrants: 17,
      cumExpired: 18,
      expiryDays: 19,
      expiryAtMs: 20,
      hasLots: true,
      totalLocked: 21,
      refundWindowMs: 22,
      liveCampaigns: 23,
      campaignBudgets: 24,
      cumCampaignFunded: 25,
      cumCampaignReturned: 26,
      trafficUnclaimed: 27,
    })
    expect(pointRecordOf(decoded(point))).toEqual({
      name: 'Shibuya',
      totalSupply: 11,
      totalLiability: 12,
      cumRepaid: 13,
      cumRedeemed: 14,
      merchantCount: 15,
      cumExpired: 18,
      totalLocked: 21,
      campaignBudgets: 24,
      cumCampaignFunded: 25,
      cumCampaignReturned: 26,
      trafficUnclaimed: 27,
    })
    const merchant = merchantCodec.encode({
      name: 'Bakery',
      status: 'suspended',
      creditLimit: 21,
      float: 22,
      liability: 23,
      terminals: [account(2)],
      anchorCount: 24,
    })
    expect(merchantRecordOf(decoded(merchant))).toEqual({ status: 'suspended', float: 22, liability: 23 })
    expect(pointRecordOf(decoded(merchant))).toBeNull()
    expect(merchantRecordOf(decoded(point))).toBeNull()
  })

  it("reads state/'s purse record, field by field", () => {
    const record = {
      owner: account(3),
      point: 'SHIBU',
      locked: 31,
      spent: 32,
      expiresAtMs: 33,
      settleUntilMs: 34,
      status: 'frozen' as const,
      vouchers: 35,
      maxCounter: 36,
      charged: 37,
      shortfall: 38,
      returned: 39,
      openedAtHeight: 40,
      frozenAtHeight: 41,
      lots: [
        [42, 43],
        [44, 45],
      ] as const,
      nonExpiring: 46,
    }
    const got = purseRecordOf(decoded(purseCodec.encode(record)))
    expect({ ...got, owner: toHex(got?.owner as Uint8Array) }).toEqual({
      ...record,
      owner: toHex(record.owner),
    })
    expect(purseRecordOf(decoded(purseCodec.encode({ ...record, status: 'lost' as never })))).toBeNull()
    expect(purseRecordOf([record.owner, 'SHIBU', 1])).toBeNull()
    expect(purseRecordOf(decoded(purseCodec.encode({ ...record, lots: [[1, -1]] as never })))).toBeNull()
  })

  it("reads state/'s anchor record, field by field", () => {
    const record = {
      merchant: account(4),
      count: 51,
      periodStartMs: 52,
      periodEndMs: 53,
      height: 54,
      txHash: account(5),
    }
    const got = anchorRecordOf(decoded(anchorCodec.encode(record)))
    expect(got && { ...got, merchant: toHex(got.merchant), txHash: toHex(got.txHash) }).toEqual({
      ...record,
      merchant: toHex(record.merchant),
      txHash: toHex(record.txHash),
    })
    expect(anchorRecordOf([account(4), 1, 2, 3, 4])).toBeNull()
    expect(anchorRecordOf([account(4), -1, 2, 3, 4, account(5)])).toBeNull()
    expect(anchorRecordOf([new Uint8Array(31), 1, 2, 3, 4, account(5)])).toBeNull()
  })
})
