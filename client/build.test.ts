import { describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { toHex } from '../protocol/bytes.ts'
import { verify } from '../protocol/crypto.ts'
import type { Field } from '../protocol/schema.ts'
import { devicePossessionSignBytes } from '../protocol/sign-bytes.ts'
import { decodeAndVerifyTx, encodeTx } from '../protocol/tx.ts'
import { TX_BODY_SCHEMAS, TX_KINDS, type TxKind } from '../protocol/tx-body.ts'
import { createTx, normalizeField, randomNonce, txBody } from './build.ts'
import { ArcadeClientError, ClientErrorCode } from './errors.ts'
import { formatAmount, generateWallet, parseAmount, walletFromSecret } from './keys.ts'
import { operations, trafficBatches } from './operations.ts'

const CHAIN = 'arcade-test'

/** Bytes as hex, recursively: decoded bytes are Buffers, built ones Uint8Arrays. */
const plain = (v: unknown): unknown =>
  v instanceof Uint8Array
    ? toHex(v)
    : Array.isArray(v)
      ? v.map(plain)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
        : v
const signer = generateWallet()
const other = generateWallet()

/** A friendly sample input for any schema field: addresses as arc1… text, hashes and signatures as hex. */
function sample(field: Field, name: string): unknown {
  switch (field.t) {
    case 'uint':
      return 7
    case 'bytes':
      if (field.length !== 32) return 'ab'.repeat(field.length)
      return name === 'nodeKey' ? encodeAddress(other.publicKey, NODE_KEY_PREFIX) : other.address
    case 'varbytes':
      return new Uint8Array(1)
    case 'string':
      if (field.check !== undefined) return name === 'rpc' ? 'https://rpc.example.org' : '127.0.0.1:26656'
      if (field.pattern === undefined) return 'x'.repeat(Math.max(1, field.min))
      // A point id, or a campaign id (lower case).
      return field.pattern.test('SHOP') ? 'SHOP' : 'spring-2026'
    case 'bool':
      return true
    case 'enum':
      return field.values[0]
    case 'optional':
    case 'appended':
      return sample(field.of, name)
    case 'list':
      return [sample(field.of, name)]
    case 'struct':
      return Object.fromEntries(Object.entries(field.fields).map(([k, f]) => [k, sample(f, k)]))
    case 'union': {
      const [kind, f] = Object.entries(field.variants)[0] as [string, Field]
      return { kind, ...(sample(f, name) as object) }
    }
  }
}

describe('tx builders', () => {
  it('has 50 kinds, and every kind builds, signs and decodes back to the same body', () => {
    expect(TX_KINDS).toHaveLength(50)
    for (const kind of TX_KINDS) {
      const fields = sample(TX_BODY_SCHEMAS[kind] as Field, '') as never
      const tx = createTx(kind, fields, { chainId: CHAIN, signer, validUntil: 50, nonce: 9 })
      const back = decodeAndVerifyTx(encodeTx(tx), CHAIN)
      expect(back.body.kind).toBe(kind)
      expect(plain(back.body)).toEqual(plain(txBody(kind, fields)))
      expect(toHex(back.hash)).toBe(toHex(tx.hash))
      expect(toHex(back.signer)).toBe(toHex(signer.publicKey))
      expect(toHex(back.sponsor)).toBe(toHex(signer.publicKey))
      expect([back.nonce, back.validUntil]).toEqual([9, 50])
    }
  })

  it('turns addresses given as text into the keys they encode, and fills optional fields and lists', () => {
    const body = txBody('sponsor.grant', {
      point: 'SHOP',
      txsPerPeriod: 10,
      periodMs: 1000,
      expiresAtHeight: 0,
    })
    expect(body).toEqual({
      kind: 'sponsor.grant',
      point: 'SHOP',
      grantee: null,
      txsPerPeriod: 10,
      periodMs: 1000,
      expiresAtHeight: 0,
      kinds: [],
    })
    const t = txBody('point.transfer', { point: 'SHOP', to: other.address, amount: 3 })
    expect(toHex(t.to)).toBe(toHex(other.publicKey))
  })

  it('names a sponsor other than the signer, and picks distinct random 48-bit nonces', () => {
    const tx = createTx(
      'point.transfer',
      { point: 'SHOP', to: other.publicKey, amount: 1 },
      {
        chainId: CHAIN,
        signer,
        sponsor: other.address,
        validUntil: 5,
      },
    )
    expect(toHex(tx.sponsor)).toBe(toHex(other.publicKey))
    const nonces = new Set(Array.from({ length: 50 }, randomNonce))
    expect(nonces.size).toBe(50)
    for (const n of nonces) expect(n >= 0 && n < 2 ** 48 && Number.isSafeInteger(n)).toBe(true)
  })

  it('refuses a mistyped address, a bad amount and an unknown kind with CLIENT_INVALID_INPUT naming the field', () => {
    const typo = `${other.address.slice(0, -1)}${other.address.endsWith('q') ? 'p' : 'q'}`
    const cases: [() => unknown, string][] = [
      [() => txBody('point.transfer', { point: 'SHOP', to: typo, amount: 1 }), 'to'],
      [
        () =>
          createTx(
            'point.transfer',
            { point: 'SHOP', to: other.address, amount: -1 },
            { chainId: CHAIN, signer, validUntil: 1 },
          ),
        'body.amount',
      ],
      [
        () =>
          createTx(
            'point.transfer',
            { point: 'shop', to: other.address, amount: 1 },
            { chainId: CHAIN, signer, validUntil: 1 },
          ),
        'body.point',
      ],
      [() => txBody('point.mint' as TxKind, {} as never), 'kind'],
      [
        () =>
          txBody('traffic.anchor', {
            point: 'SHOP',
            root: 'abcd',
            count: 1,
            periodStartMs: 0,
            periodEndMs: 1,
          }),
        'root',
      ],
    ]
    for (const [run, field] of cases) {
      let caught: unknown
      try {
        run()
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(ArcadeClientError)
      expect((caught as ArcadeClientError).code).toBe(ClientErrorCode.invalidInput)
      expect((caught as ArcadeClientError).details.field).toBe(field)
    }
  })

  it('normalizes nested traffic events', () => {
    const field = TX_BODY_SCHEMAS['traffic.record'] as Field
    const v = normalizeField(
      field,
      {
        point: 'SHOP',
        events: [
          { eventId: 'e', kind: 'visit', amount: 0 },
          {
            eventId: 'f',
            kind: 'visit',
            pseudonym: other.address,
            amount: 0,
            attestation: { notBeforeMs: 1, notAfterMs: 2, signature: 'aa'.repeat(64) },
          },
        ],
      },
      '',
    ) as {
      events: { pseudonym: unknown; attestation: { signature: Uint8Array } | null }[]
    }
    expect(v.events[0]).toMatchObject({ pseudonym: null, attestation: null })
    expect(v.events[1]?.pseudonym).toEqual(other.publicKey)
    expect(v.events[1]?.attestation?.signature).toHaveLength(64)
  })
})

describe('named operations', () => {
  const ctx = { chainId: CHAIN, signer: signer.publicKey }
  const device = generateWallet()
  const requests = [
    operations.createPoint({ point: 'SHOP', name: 'Street' }),
    operations.admitMerchant({ point: 'SHOP', merchant: other.address, creditLimit: 100 }),
    operations.applyMerchant({ point: 'SHOP', name: 'Bakery' }),
    operations.setCreditLimit({ point: 'SHOP', merchant: other.address, creditLimit: 5 }),
    operations.addTerminal({ point: 'SHOP', terminal: other.address }),
    operations.award({ point: 'SHOP', customer: other.address, amount: 10 }),
    operations.pay({ point: 'SHOP', payee: other.address, amount: 10, memo: 'bread' }),
    operations.repay({ point: 'SHOP', merchant: other.address, amount: 10, fiatRef: 'bank-1' }),
    operations.redeem({ point: 'SHOP', amount: 10 }),
    operations.recordTraffic({
      point: 'SHOP',
      events: [{ eventId: 'e1', kind: 'purchase', pseudonym: other.address, amount: 900 }],
    }),
    operations.bindDevice({ point: 'SHOP', device, maxPerTx: 5, maxPerPeriod: 50, periodMs: 3600_000 }, ctx),
    operations.devicePay({ owner: other.address, point: 'SHOP', payee: signer.address, amount: 2 }),
    operations.grantQuota({ point: 'SHOP', grantee: null, txsPerPeriod: 100, periodMs: 86_400_000 }),
    operations.delegate({ association: other.address, amount: 1 }),
    operations.transfer({ point: 'SHOP', to: other.address, amount: 1 }),
    operations.setTrafficRules({ point: 'SHOP', confirmed: { visit: 5 }, dailyCapPerCustomer: 50 }),
    operations.claimTraffic({ point: 'SHOP', account: other.address, amount: 5 }),
  ]

  it('each builds a tx that signs and decodes', () => {
    for (const r of requests) {
      const tx = createTx(r.kind, r.fields as never, { chainId: CHAIN, signer, validUntil: 9 })
      expect(decodeAndVerifyTx(encodeTx(tx), CHAIN).body.kind).toBe(r.kind)
    }
  })

  it("bindDevice carries the device's proof of possession for this owner and chain", () => {
    const bind = txBody('device.bind', requests[10]?.fields as never) as {
      possessionProof: Uint8Array
      device: Uint8Array
    }
    expect(toHex(bind.device)).toBe(toHex(device.publicKey))
    expect(
      verify(
        bind.possessionProof,
        devicePossessionSignBytes(CHAIN, signer.publicKey, device.publicKey),
        device.publicKey,
      ),
    ).toBe(true)
    expect(
      verify(
        bind.possessionProof,
        devicePossessionSignBytes(CHAIN, other.publicKey, device.publicKey),
        device.publicKey,
      ),
    ).toBe(false)
  })

  it('splits traffic into batches of at most 500 events', () => {
    const events = Array.from({ length: 1001 }, (_, i) => ({
      eventId: `e${i}`,
      kind: 'visit' as const,
    }))
    expect(trafficBatches('SHOP', events).map((b) => b.fields.events?.length)).toEqual([500, 500, 1])
  })
})

describe('keys and amounts', () => {
  it('restores a wallet from its secret', () => {
    expect(walletFromSecret(toHex(signer.secretKey)).address).toBe(signer.address)
    expect(() => walletFromSecret('12')).toThrow(ArcadeClientError)
  })

  it('parses amounts in the smallest unit, strictly', () => {
    expect(parseAmount('1500')).toBe(1500)
    expect(parseAmount('15.5', 2)).toBe(1550)
    expect(parseAmount('1_000')).toBe(1000)
    expect(formatAmount(1550, 2)).toBe('15.50')
    expect(formatAmount(5, 2)).toBe('0.05')
    for (const bad of ['-1', '1e3', '1.5', '', 'abc', '9007199254740992', '0x10']) {
      expect(() => parseAmount(bad)).toThrow(expect.objectContaining({ code: ClientErrorCode.invalidInput }))
    }
    expect(() => parseAmount('1.234', 2)).toThrow(ArcadeClientError)
  })
})
