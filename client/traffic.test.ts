import { describe, expect, it } from 'vitest'
import { verifyAttestationSignature } from '../protocol/traffic-attestation.ts'
import { ClientErrorCode } from './errors.ts'
import { generateWallet, toAccount, walletFromSecret } from './keys.ts'
import { attestTraffic, checkAttestation, pseudonymWallet, trafficChallenge } from './traffic.ts'

const CHAIN = 'arcade-test'
const shop = generateWallet()
const other = generateWallet()

describe('pseudonyms', () => {
  it('are the same for a wallet at every shop of a point, and differ per point, chain and wallet', () => {
    const alice = generateWallet()
    const p = pseudonymWallet(alice, CHAIN, 'SHOP')
    expect(pseudonymWallet(walletFromSecret(alice.secretKey), CHAIN, 'SHOP').address).toBe(p.address)
    expect(pseudonymWallet(alice, CHAIN, 'CITY').address).not.toBe(p.address)
    expect(pseudonymWallet(alice, 'other-chain', 'SHOP').address).not.toBe(p.address)
    expect(pseudonymWallet(generateWallet(), CHAIN, 'SHOP').address).not.toBe(p.address)
    expect(p.address).not.toBe(alice.address)
  })

  it('is a fixed function of the secret (a test vector keeps it stable across releases)', () => {
    // HMAC-SHA256(secret 0x01…01, msgpack ['arcade/traffic-pseudonym/v1', 'arcade-devnet', 'SHOTEN'])
    // as an Ed25519 seed. A wallet that changed this would lose its customers' unclaimed points.
    const fixed = walletFromSecret('01'.repeat(32))
    expect(pseudonymWallet(fixed, 'arcade-devnet', 'SHOTEN').address).toBe(
      'arc1h4uzsw3nj085u9zz6jjh2ml0t7xudd3vxgup6aw0mucy9yyrh94qrx6srw',
    )
  })
})

describe('attestations', () => {
  const now = 1_800_000_000_000
  const challenge = trafficChallenge({
    chainId: CHAIN,
    point: 'SHOP',
    merchant: shop.address,
    kind: 'purchase',
    amount: 1_200,
  })

  it("the wallet confirms a till's challenge; the till and the ledger's rule accept it", () => {
    const alice = generateWallet()
    const event = attestTraffic(alice, challenge, { nowMs: now })
    expect(event.pseudonym).toBe(pseudonymWallet(alice, CHAIN, 'SHOP').address)
    expect(event).toMatchObject({ eventId: challenge.eventId, kind: 'purchase', amount: 1_200 })
    expect(() => checkAttestation(challenge, event, now)).not.toThrow()
    const attested = {
      point: 'SHOP',
      merchant: shop.publicKey,
      pseudonym: toAccount(event.pseudonym),
      eventId: event.eventId,
      kind: event.kind,
      amount: event.amount,
    }
    expect(verifyAttestationSignature(CHAIN, attested, event.attestation)).toBe(true)
    expect(
      verifyAttestationSignature(CHAIN, { ...attested, merchant: other.publicKey }, event.attestation),
    ).toBe(false)
  })

  it('fresh challenges have distinct event ids', () => {
    const ids = new Set(
      Array.from(
        { length: 20 },
        () =>
          trafficChallenge({ chainId: CHAIN, point: 'SHOP', merchant: shop.address, kind: 'visit' }).eventId,
      ),
    )
    expect(ids.size).toBe(20)
  })

  it('the till refuses another event, a forged signature, and a window it is outside of', () => {
    const alice = generateWallet()
    const event = attestTraffic(alice, challenge, { nowMs: now, validForMs: 60_000 })
    const rejected = (e: typeof event, at = now) => {
      try {
        checkAttestation(challenge, e, at)
      } catch (err) {
        return (err as { code: string; details: { reason: string } }).details.reason
      }
      return null
    }
    expect(rejected({ ...event, amount: 1_201 })).toBe('it confirms another event')
    expect(rejected({ ...event, pseudonym: other.address })).toMatch(/did not sign/)
    expect(rejected(event, now + 61_000)).toBe('expired')
    expect(rejected(event, now - 120_000)).toBe('not yet valid')
    expect(() => checkAttestation(challenge, { ...event, eventId: 'x' }, now)).toThrow(
      expect.objectContaining({ code: ClientErrorCode.attestationRejected }),
    )
    expect(() => attestTraffic(alice, challenge, { validForMs: 2 * 86_400_000 })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.invalidInput }),
    )
  })
})
