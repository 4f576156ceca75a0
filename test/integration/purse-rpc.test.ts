/**
 * Offline purses through the RPC and the SDK over loopback HTTP: the purse route and its proof ref,
 * the SDK's purse reads, `purseProof` (fetched, certified, verified against the trust root, then used
 * offline), and the purse tx builders as the mempool receives them.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  ArcadeClient,
  ArcadeClientError,
  ClientErrorCode,
  createVoucher,
  operations,
  proofRef,
  settleBatches,
  VoucherRejection,
  verifyVoucherOffline,
  walletFromKeys,
} from '../../client/index.ts'
import { encodeAddress } from '../../protocol/address.ts'
import { fromHex, toHex } from '../../protocol/bytes.ts'
import { generateKeyPair, type KeyPair, sign, verify } from '../../protocol/crypto.ts'
import { pursePossessionSignBytes } from '../../protocol/sign-bytes.ts'
import { verifyStateProof } from '../../protocol/state-proof.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import { MAX_VOUCHERS_PER_SETTLE } from '../../protocol/tx-body.ts'
import { createValidatorSet, type ValidatorSet } from '../../protocol/validator-set.ts'
import { renderEvent } from '../../rpc/json.ts'
import {
  CHAIN_ID,
  CUSTOMER,
  certifyHead,
  type Harness,
  harness,
  ISSUER,
  POINT,
  TERMINAL,
} from '../../rpc/testing.ts'
import { expiryAfterDays } from '../../state/expiry-lots.ts'
import type { Receipt } from '../../state/receipt.ts'

let h: Harness
afterEach(async () => h?.server.close())

const validators: KeyPair[] = Array.from({ length: 4 }, generateKeyPair)
let set: ValidatorSet

/** The harness's ledger with CUSTOMER's purse of 100 open (of its 120), its head certified by `set`. */
function world(): { purse: KeyPair; open: Receipt } {
  h = harness()
  const purse = generateKeyPair()
  const open = h.ledger.run(CUSTOMER, {
    kind: 'purse.open',
    point: POINT,
    purse: purse.publicKey,
    amount: 100,
    expiresAtMs: h.ledger.state.meta.timeMs + 3_600_000,
    possessionProof: sign(pursePossessionSignBytes(CHAIN_ID, CUSTOMER, purse.publicKey), purse.secretKey),
  })
  set = certifyHead(h, validators)
  return { purse, open }
}

async function get(url: string) {
  const res = await h.server.app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json() }
}

describe('GET /v1/purses/:address and its proof', () => {
  it('serves the purse record, and its state proof under the head’s root', async () => {
    const { purse, open } = world()
    expect(open.status).toBe('ok')
    const address = encodeAddress(purse.publicKey)
    const res = await get(`/v1/purses/${address}`)
    expect(res).toMatchObject({
      status: 200,
      body: {
        purse: address,
        owner: encodeAddress(CUSTOMER),
        point: POINT,
        locked: 100,
        spent: 0,
        remaining: 100,
        status: 'open',
        vouchers: 0,
        maxCounter: 0,
        charged: 0,
        shortfall: 0,
        returned: 0,
        frozenAtHeight: 0,
        lots: [],
        nonExpiring: 100,
      },
    })
    const proof = (await get(`/v1/proofs/purse:${address}`)).body
    expect(proof.value).not.toBeNull()
    expect(
      verifyStateProof(fromHex(proof.stateRoot), fromHex(proof.key), fromHex(proof.value), {
        siblings: proof.proof.siblings.map(fromHex),
        leaf: null,
      }),
    ).toBe(true)
    expect(await get(`/v1/purses/${encodeAddress(generateKeyPair().publicKey)}`)).toMatchObject({
      status: 404,
      body: { code: 'RPC_PURSE_NOT_FOUND' },
    })
    // A checksum typo (never the address itself: its last character may be the one typed).
    const typo = `${address.slice(0, -1)}${address.endsWith('q') ? 'p' : 'q'}`
    expect((await get(`/v1/purses/${typo}`)).body.code).toBe('PROTOCOL_BAD_ADDRESS')
  })

  it('shows the lots a purse of expiring points holds, and its expiry capped at the soonest', async () => {
    h = harness()
    const l = h.ledger
    expect(l.run(ISSUER, { kind: 'point.setExpiry', point: POINT, afterDays: 30, atMs: 0 }).error).toBeNull()
    const t = l.state.meta.timeMs + 1_000
    const award = l.tx(TERMINAL, {
      kind: 'merchant.award',
      point: POINT,
      customer: CUSTOMER,
      amount: 50,
      memo: '',
    })
    expect(l.block([award], { timeMs: t }).receipts[0]?.error).toBeNull()
    const e = expiryAfterDays(t, 30)
    const purse = generateKeyPair()
    const open = l.run(CUSTOMER, {
      kind: 'purse.open',
      point: POINT,
      purse: purse.publicKey,
      amount: 80,
      expiresAtMs: t + 60 * 86_400_000,
      possessionProof: sign(pursePossessionSignBytes(CHAIN_ID, CUSTOMER, purse.publicKey), purse.secretKey),
    })
    expect(open.error).toBeNull()
    // The 50 of the lot first, then 30 of the 120 that never expire.
    const res = await get(`/v1/purses/${encodeAddress(purse.publicKey)}`)
    expect(res.body).toMatchObject({
      locked: 80,
      expiresAtMs: e,
      lots: [{ expiresAtMs: e, expiresAt: new Date(e).toISOString(), amount: 50 }],
      nonExpiring: 30,
    })
  })

  it('renders purse events with the purse key as an address', () => {
    const { purse, open } = world()
    expect(renderEvent(open.events[0] as never)).toMatchObject({
      type: 'purseOpened',
      purse: encodeAddress(purse.publicKey),
      owner: encodeAddress(CUSTOMER),
      amount: 100,
    })
  })
})

describe('the SDK', () => {
  it('reads a purse, and caches its proof only once it verifies against the trust root', async () => {
    const { purse } = world()
    const url = await h.server.listen('127.0.0.1', 0)
    const client = new ArcadeClient({ url, pollIntervalMs: 10 })
    expect(await client.purse(purse.publicKey)).toMatchObject({ locked: 100, status: 'open' })
    expect(proofRef.purse(purse.publicKey)).toBe(`purse:${encodeAddress(purse.publicKey)}`)
    const cached = await client.purseProof(purse.publicKey, { validators: set })
    expect(cached).toMatchObject({ chainId: CHAIN_ID, purse: encodeAddress(purse.publicKey) })
    expect(cached.proof.height).toBe(h.ledger.height)
    // Offline now: a voucher against the cached proof, as JSON would store it.
    const stored = JSON.parse(JSON.stringify(cached))
    const { voucher } = createVoucher({
      chainId: CHAIN_ID,
      purse,
      point: POINT,
      payee: TERMINAL,
      amount: 40,
      previous: null,
    })
    const accepted = verifyVoucherOffline(
      voucher,
      stored,
      { chainId: CHAIN_ID, validators: set },
      {
        payees: [TERMINAL],
        nowMs: h.ledger.state.meta.timeMs + 1_000,
      },
    )
    expect(accepted.spend).toEqual({ counter: 1, cumulative: 40 })
    // A set other than the one that signed: nothing is cached.
    const other = createValidatorSet([{ publicKey: generateKeyPair().publicKey, power: 1 }])
    const refused = await client.purseProof(purse.publicKey, { validators: other }).catch((e) => e)
    expect(refused).toBeInstanceOf(ArcadeClientError)
    expect(refused).toMatchObject({
      code: ClientErrorCode.voucherRejected,
      details: { reason: VoucherRejection.proof },
    })
    const none = await client.purseProof(generateKeyPair().publicKey, { validators: set }).catch((e) => e)
    expect(none).toMatchObject({ details: { reason: VoucherRejection.unknownPurse } })
    await expect(client.purseProof(purse.publicKey)).rejects.toMatchObject({
      code: ClientErrorCode.trustRootMissing,
    })
  })

  it('builds purse txs the mempool decodes: open (with the possession proof), settle in batches, evidence, reclaim', async () => {
    world()
    const url = await h.server.listen('127.0.0.1', 0)
    const client = new ArcadeClient({ url, pollIntervalMs: 10 })
    const owner = walletFromKeys(generateKeyPair())
    const purse = generateKeyPair()
    const sent = await client.openPurse(
      { point: POINT, purse, amount: 50, expiresAtMs: 2e12 },
      { signer: owner },
    )
    const tx = decodeAndVerifyTx(h.submitter.received.at(-1) as Uint8Array, CHAIN_ID)
    expect(toHex(tx.hash)).toBe(sent.hash)
    if (tx.body.kind !== 'purse.open') throw new Error(tx.body.kind)
    expect(
      verify(
        tx.body.possessionProof,
        pursePossessionSignBytes(CHAIN_ID, owner.publicKey, purse.publicKey),
        purse.publicKey,
      ),
    ).toBe(true)
    let previous = null as { counter: number; cumulative: number } | null
    const vouchers = Array.from({ length: MAX_VOUCHERS_PER_SETTLE + 1 }, () => {
      const made = createVoucher({
        chainId: CHAIN_ID,
        purse,
        point: POINT,
        payee: TERMINAL,
        amount: 1,
        previous,
      })
      previous = made.spend
      return made.voucher
    })
    const batches = settleBatches(POINT, vouchers)
    expect(batches.map((b) => b.fields.vouchers?.length)).toEqual([MAX_VOUCHERS_PER_SETTLE, 1])
    const terminal = walletFromKeys(generateKeyPair())
    await client.settleVouchers(batches[1]?.fields as never, { signer: terminal })
    expect(decodeAndVerifyTx(h.submitter.received.at(-1) as Uint8Array, CHAIN_ID).body.kind).toBe(
      'purse.settle',
    )
    await client.reportClonedPurse(
      { point: POINT, first: vouchers[0] as never, second: vouchers[1] as never },
      { signer: terminal },
    )
    expect(decodeAndVerifyTx(h.submitter.received.at(-1) as Uint8Array, CHAIN_ID).body.kind).toBe(
      'purse.evidence',
    )
    await client.reclaimPurse({ point: POINT, purse: purse.publicKey }, { signer: terminal })
    expect(decodeAndVerifyTx(h.submitter.received.at(-1) as Uint8Array, CHAIN_ID).body.kind).toBe(
      'purse.reclaim',
    )
    expect(() => operations.settleVouchers({ point: POINT, vouchers: [{ nope: 1 } as never] })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.invalidInput }),
    )
  })
})
