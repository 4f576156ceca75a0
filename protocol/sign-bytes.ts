/**
 * The only place that makes bytes to be signed or hashed. Every one is a fixed-order msgpack array
 * that starts with a domain tag and (where it is signed) the chain id, so a signature for one chain or
 * one message kind can never be replayed as another. Golden vectors in test/vectors/ pin every layout.
 */
import type { Bytes } from './bytes.ts'
import { encode, type WireValue } from './codec.ts'

/** Domain tags. Never change or reuse one: bump the version suffix instead. */
export const Domain = {
  tx: 'arcade/tx/v1',
  blockHeader: 'arcade/block-header/v1',
  prepare: 'arcade/prepare/v1',
  commit: 'arcade/commit/v1',
  viewChange: 'arcade/view-change/v1',
  newView: 'arcade/new-view/v1',
  proposal: 'arcade/proposal/v1',
  certificate: 'arcade/certificate/v1',
  validatorSet: 'arcade/validator-set/v1',
  evidence: 'arcade/evidence/v1',
  devicePossession: 'arcade/device-possession/v1',
  genesis: 'arcade/genesis/v1',
  purseVoucher: 'arcade/purse-voucher/v1',
  pursePossession: 'arcade/purse-possession/v1',
  campaignAccount: 'arcade/campaign-account/v1',
  trafficAttestation: 'arcade/traffic-attestation/v1',
  trafficPseudonym: 'arcade/traffic-pseudonym/v1',
} as const
export type Domain = (typeof Domain)[keyof typeof Domain]

/** The signed payload of a tx; its SHA-256 is the tx hash. */
export function txPayloadBytes(
  chainId: string,
  signer: Bytes,
  nonce: number,
  validUntil: number,
  sponsor: Bytes,
  bodyTuple: WireValue,
): Bytes {
  return encode([Domain.tx, chainId, signer, nonce, validUntil, sponsor, bodyTuple])
}

/** A consensus vote (PREPARE or COMMIT) signs the block hash only, never the block's txs. */
export function voteSignBytes(
  domain: typeof Domain.prepare | typeof Domain.commit,
  chainId: string,
  height: number,
  view: number,
  blockHash: Bytes,
): Bytes {
  return encode([domain, chainId, height, view, blockHash])
}

/** Generic signed consensus message (view change, new view, proposal): domain, chain id, then fields. */
export function consensusSignBytes(domain: Domain, chainId: string, fields: readonly WireValue[]): Bytes {
  return encode([domain, chainId, ...fields])
}

/** The bytes a device signs to prove it holds its key when its owner binds it. */
export function devicePossessionSignBytes(chainId: string, owner: Bytes, device: Bytes): Bytes {
  return encode([Domain.devicePossession, chainId, owner, device])
}

/**
 * The bytes a purse key signs for one offline payment voucher (protocol/purse.ts). The SHA-256 of
 * these bytes is the voucher's digest: its identity on the ledger, whatever signature carries it.
 */
export function purseVoucherSignBytes(
  chainId: string,
  point: string,
  purse: Bytes,
  payee: Bytes,
  counter: number,
  amount: number,
  cumulative: number,
): Bytes {
  return encode([Domain.purseVoucher, chainId, point, purse, payee, counter, amount, cumulative])
}

/** The bytes a purse key signs to prove it holds its key when its owner opens the purse. */
export function pursePossessionSignBytes(chainId: string, owner: Bytes, purse: Bytes): Bytes {
  return encode([Domain.pursePossession, chainId, owner, purse])
}

/**
 * The bytes a customer's pseudonym key signs to confirm one traffic event at one shop
 * (protocol/traffic-attestation.ts): the shop is the merchant, whichever of its keys records it.
 */
export function trafficAttestationSignBytes(
  chainId: string,
  point: string,
  merchant: Bytes,
  pseudonym: Bytes,
  eventId: string,
  kind: string,
  amount: number,
  notBeforeMs: number,
  notAfterMs: number,
): Bytes {
  return encode([
    Domain.trafficAttestation,
    chainId,
    point,
    merchant,
    pseudonym,
    eventId,
    kind,
    amount,
    notBeforeMs,
    notAfterMs,
  ])
}

/**
 * Never signed or sent: the message a wallet's secret key MACs (HMAC-SHA256) into the seed of its
 * pseudonym key for one point of one chain (client/pseudonym.ts).
 */
export function trafficPseudonymSeedBytes(chainId: string, point: string): Bytes {
  return encode([Domain.trafficPseudonym, chainId, point])
}

/**
 * Hashed, not signed: the SHA-256 of these bytes is a campaign's account (protocol/campaign.ts), the
 * 32-byte name its budget goes by in the journal (no key can sign for it).
 */
export function campaignAccountBytes(point: string, campaign: string): Bytes {
  return encode([Domain.campaignAccount, point, campaign])
}

/** Hashed, not signed: the domain tag keeps a header hash from colliding with any other object's. */
export function taggedBytes(domain: Domain, fields: readonly WireValue[]): Bytes {
  return encode([domain, ...fields])
}
