import { describe, expect, it } from 'vitest'
import { toHex } from './bytes.ts'
import { generateKeyPair, verifyPortable } from './crypto.ts'
import { ProtocolErrorCode } from './errors.ts'
import {
  decodeVoucher,
  encodeVoucher,
  MAX_VOUCHER_BYTES,
  signVoucher,
  type Voucher,
  type VoucherFields,
  verifyVoucherSignature,
  voucherDigest,
  voucherShapeError,
  voucherSignBytes,
  vouchersConflict,
} from './purse.ts'
import { Domain } from './sign-bytes.ts'

const CHAIN = 'arcade-test'
const key = generateKeyPair()
const payee = generateKeyPair().publicKey
const fields: VoucherFields = {
  point: 'SHOP',
  purse: key.publicKey,
  payee,
  counter: 2,
  amount: 300,
  cumulative: 500,
}

describe('purse vouchers', () => {
  it('the purse key signs them under their own domain tag and the chain id, native and portable agree', () => {
    const v = signVoucher(CHAIN, fields, key.secretKey)
    expect(verifyVoucherSignature(CHAIN, v)).toBe(true)
    expect(verifyPortable(v.signature, voucherSignBytes(CHAIN, v), key.publicKey)).toBe(true)
    expect(new TextDecoder().decode(voucherSignBytes(CHAIN, v))).toContain(Domain.purseVoucher)
    expect(verifyVoucherSignature('other-chain', v)).toBe(false)
  })

  it('every signed field counts: change one and the signature no longer verifies', () => {
    const v = signVoucher(CHAIN, fields, key.secretKey)
    const other = generateKeyPair().publicKey
    for (const changed of [
      { point: 'SHIP' },
      { purse: other },
      { payee: other },
      { counter: 3 },
      { amount: 301 },
      { cumulative: 501 },
    ]) {
      expect(verifyVoucherSignature(CHAIN, { ...v, ...changed })).toBe(false)
    }
    expect(verifyVoucherSignature(CHAIN, { ...v, signature: new Uint8Array(64) })).toBe(false)
  })

  it('its digest is its content: the same for any signature, different for any other content', () => {
    const v = signVoucher(CHAIN, fields, key.secretKey)
    const resigned: Voucher = { ...v, signature: new Uint8Array(64) }
    expect(toHex(voucherDigest(CHAIN, resigned))).toBe(toHex(voucherDigest(CHAIN, v)))
    expect(toHex(voucherDigest(CHAIN, { ...v, amount: 1 }))).not.toBe(toHex(voucherDigest(CHAIN, v)))
    expect(toHex(voucherDigest('other-chain', v))).not.toBe(toHex(voucherDigest(CHAIN, v)))
  })

  it('two vouchers conflict when one purse signed different content under one counter', () => {
    expect(vouchersConflict(CHAIN, fields, { ...fields, payee: key.publicKey })).toBe(true)
    expect(vouchersConflict(CHAIN, fields, { ...fields, amount: 1 })).toBe(true)
    expect(vouchersConflict(CHAIN, fields, { ...fields })).toBe(false)
    expect(vouchersConflict(CHAIN, fields, { ...fields, counter: 3, amount: 1 })).toBe(false)
    expect(vouchersConflict(CHAIN, fields, { ...fields, purse: payee, amount: 1 })).toBe(false)
    expect(vouchersConflict(CHAIN, fields, { ...fields, point: 'SHIP' })).toBe(false)
  })

  it('shape: counter from 1, a positive amount within its running total (the bounds exact)', () => {
    expect(voucherShapeError(fields)).toBeNull()
    expect(voucherShapeError({ ...fields, counter: 1 })).toBeNull()
    expect(voucherShapeError({ ...fields, amount: 500 })).toBeNull()
    expect(voucherShapeError({ ...fields, amount: 1 })).toBeNull()
    expect(voucherShapeError({ ...fields, counter: 0 })).not.toBeNull()
    expect(voucherShapeError({ ...fields, amount: 0 })).not.toBeNull()
    expect(voucherShapeError({ ...fields, amount: 501 })).not.toBeNull()
  })

  it('encodes to a few hundred bytes and decodes back, refusing malformed or oversized input', () => {
    const v = signVoucher(CHAIN, fields, key.secretKey)
    const bytes = encodeVoucher(v)
    expect(bytes.length).toBeLessThan(MAX_VOUCHER_BYTES)
    const back = decodeVoucher(bytes)
    expect(verifyVoucherSignature(CHAIN, back)).toBe(true)
    expect(toHex(encodeVoucher(back))).toBe(toHex(bytes))
    expect(() => decodeVoucher(bytes.slice(0, 20))).toThrow(
      expect.objectContaining({ code: ProtocolErrorCode.malformed }),
    )
    expect(() => decodeVoucher(new Uint8Array(MAX_VOUCHER_BYTES + 1))).toThrow(
      expect.objectContaining({ code: ProtocolErrorCode.tooLarge }),
    )
    expect(() => decodeVoucher(encodeVoucher({ ...v, counter: -1 } as never))).toThrow(
      expect.objectContaining({ code: ProtocolErrorCode.invalidField }),
    )
  })
})
