/**
 * Golden vectors: fixed inputs, and the exact bytes and hashes the protocol makes of them. golden.json
 * pins them, so an encoding change can never slip in unnoticed. To change an encoding deliberately,
 * rewrite the file with `UPDATE_VECTORS=1 npx vitest run test/vectors` and review the diff.
 */
import { validateGenesis } from '../../genesis/document.ts'
import { genesisBytes, genesisHash } from '../../genesis/hash.ts'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import { type BlockHeader, blockHash, headerToTuple, txLeaf, txRootOf } from '../../protocol/block.ts'
import { type Bytes, toHex, utf8 } from '../../protocol/bytes.ts'
import { campaignAccount } from '../../protocol/campaign.ts'
import { encode } from '../../protocol/codec.ts'
import { type KeyPair, publicKeyFromSecret, sha256 } from '../../protocol/crypto.ts'
import { merkleRoot } from '../../protocol/merkle.ts'
import { encodeVoucher, signVoucher, voucherDigest, voucherSignBytes } from '../../protocol/purse.ts'
import {
  campaignAccountBytes,
  devicePossessionSignBytes,
  pursePossessionSignBytes,
  trafficPseudonymSeedBytes,
} from '../../protocol/sign-bytes.ts'
import { attestationSignBytes, signAttestation } from '../../protocol/traffic-attestation.ts'
import { encodeTx, signTx } from '../../protocol/tx.ts'
import type { TxBody } from '../../protocol/tx-body.ts'
import { createValidatorSet, validatorSetHash } from '../../protocol/validator-set.ts'
import { certificateFromVotes, certificateHash, signVote, voteBytes } from '../../protocol/vote.ts'

export const CHAIN_ID = 'arcade-vectors-1'

/** A key derived from a label: secret = SHA-256("arcade/vector/" + label). */
export function vectorKey(label: string): KeyPair {
  const secretKey = sha256(utf8(`arcade/vector/${label}`))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
}

const alice = vectorKey('alice')
const shop = vectorKey('shop')
const manager = vectorKey('manager')
const device = vectorKey('device')
const purse = vectorKey('purse')
const pseudonym = vectorKey('pseudonym')
/** Alice's confirmation of a visit at the shop (what traffic.record carries and the ledger checks). */
const visitAttested = {
  point: 'SHOTEN',
  merchant: shop.publicKey,
  pseudonym: pseudonym.publicKey,
  eventId: 'ev-1',
  kind: 'visit',
  amount: 0,
} as const
const visitWindow = { notBeforeMs: 1_767_225_600_000, notAfterMs: 1_767_229_200_000 }
const visitAttestation = signAttestation(CHAIN_ID, visitAttested, visitWindow, pseudonym.secretKey)
const nodes = [1, 2, 3, 4].map((i) => vectorKey(`node-${i}`))
const h = (label: string): Bytes => sha256(utf8(label))

const txCases: [string, KeyPair, TxBody][] = [
  [
    'point.transfer',
    alice,
    { kind: 'point.transfer', point: 'SHOTEN', to: shop.publicKey, amount: 5_000_000_000 },
  ],
  [
    'traffic.record',
    shop,
    {
      kind: 'traffic.record',
      point: 'SHOTEN',
      events: [
        {
          eventId: 'ev-1',
          kind: 'visit',
          pseudonym: pseudonym.publicKey,
          amount: 0,
          attestation: visitAttestation,
        },
        { eventId: 'ev-2', kind: 'purchase', pseudonym: null, amount: 1280, attestation: null },
      ],
    },
  ],
  [
    'traffic.claim',
    pseudonym,
    { kind: 'traffic.claim', point: 'SHOTEN', account: alice.publicKey, amount: 5 },
  ],
  [
    'device.bind',
    alice,
    {
      kind: 'device.bind',
      device: device.publicKey,
      point: 'SHOTEN',
      maxPerTx: 500,
      maxPerPeriod: 3000,
      periodMs: 86_400_000,
      merchants: [shop.publicKey],
      possessionProof: new Uint8Array(64).fill(0),
    },
  ],
  [
    'sponsor.grant',
    manager,
    {
      kind: 'sponsor.grant',
      point: 'SHOTEN',
      grantee: null,
      txsPerPeriod: 100,
      periodMs: 86_400_000,
      expiresAtHeight: 0,
      kinds: ['merchant.pay', 'point.transfer'],
    },
  ],
  // --- point expiry (issue 15); not in the tx root below, which pins the four above ---
  /** Without its appended `expiry`: the 4-field tuple point.create always had. */
  [
    'point.create',
    manager,
    { kind: 'point.create', point: 'SHOTEN', name: 'Shotengai', decimals: 0, transferable: true },
  ],
  [
    'point.create+expiry',
    manager,
    {
      kind: 'point.create',
      point: 'SHOTEN',
      name: 'Shotengai',
      decimals: 0,
      transferable: true,
      expiry: { afterDays: 365, atMs: 0 },
    },
  ],
  [
    'point.setExpiry',
    manager,
    { kind: 'point.setExpiry', point: 'SHOTEN', afterDays: 0, atMs: Date.UTC(2027, 2, 31, 15) },
  ],
]

/** A voucher of alice's purse to the shop: its third, bringing the purse's running total to 1,800. */
const purseVoucher = signVoucher(
  CHAIN_ID,
  {
    point: 'SHOTEN',
    purse: purse.publicKey,
    payee: shop.publicKey,
    counter: 3,
    amount: 500,
    cumulative: 1800,
  },
  purse.secretKey,
)

/** The purse kinds: pinned apart from txCases, whose four txs the tx-root vector pins. */
const purseTxCases: [string, KeyPair, TxBody][] = [
  [
    'purse.open',
    alice,
    {
      kind: 'purse.open',
      point: 'SHOTEN',
      purse: purse.publicKey,
      amount: 3000,
      expiresAtMs: 1_743_552_000_000,
      possessionProof: new Uint8Array(64).fill(0),
    },
  ],
  ['purse.settle', shop, { kind: 'purse.settle', point: 'SHOTEN', vouchers: [purseVoucher] }],
  [
    'purse.evidence',
    shop,
    {
      kind: 'purse.evidence',
      point: 'SHOTEN',
      first: purseVoucher,
      second: signVoucher(CHAIN_ID, { ...purseVoucher, payee: alice.publicKey }, purse.secretKey),
    },
  ],
  ['purse.reclaim', alice, { kind: 'purse.reclaim', point: 'SHOTEN', purse: purse.publicKey }],
]

/** The campaign kinds (issue 15), pinned apart from txCases too. */
const campaignTxCases: [string, KeyPair, TxBody][] = [
  [
    'campaign.create',
    manager,
    {
      kind: 'campaign.create',
      point: 'SHOTEN',
      campaign: 'spring-2025',
      triggers: ['award', 'purchase'],
      bonusPerMille: 1000,
      flatBonus: 5,
      startMs: 1_743_465_600_000,
      endMs: 1_746_057_600_000,
      merchants: [shop.publicKey],
      budget: 500_000,
      fiatRef: 'budget FY2025',
    },
  ],
  [
    'campaign.fund',
    shop,
    { kind: 'campaign.fund', point: 'SHOTEN', campaign: 'spring-2025', amount: 20_000, fiatRef: '' },
  ],
  ['campaign.close', manager, { kind: 'campaign.close', point: 'SHOTEN', campaign: 'spring-2025' }],
]

export const GENESIS_FIXTURE = {
  chainId: CHAIN_ID,
  genesisTime: '2025-04-01T00:00:00.000Z',
  params: {
    consensus: {
      maxBlockBytes: 4_194_304,
      maxBlockTxs: 5000,
      viewTimeoutBaseMs: 1000,
      viewTimeoutIncrementMs: 500,
      viewTimeoutCapMs: 10_000,
      emptyBlockIntervalMs: 1000,
    },
    ledger: {
      epochLength: 1000,
      maxValidators: 100,
      minValidatorStake: 1000,
      unbondingEpochs: 2,
      maxTxValidityBlocks: 1000,
      maxTerminalsPerMerchant: 64,
      maxDevicesPerOwner: 16,
      maxDelegationsPerMember: 16,
    },
  },
  validators: nodes.map((n, i) => ({
    name: `association-${i + 1}`,
    account: encodeAddress(vectorKey(`association-${i + 1}`).publicKey),
    nodeKey: encodeAddress(n.publicKey, NODE_KEY_PREFIX),
    stake: 10_000 * (i + 1),
    p2p: `127.0.0.1:${26600 + 2 * i}`,
  })),
  accounts: [
    { address: encodeAddress(manager.publicKey), roles: ['admin', 'issuer'], stake: 0 },
    ...nodes.map((_, i) => ({
      address: encodeAddress(vectorKey(`association-${i + 1}`).publicKey),
      roles: [],
      stake: 10_000 * (i + 1),
    })),
  ],
  observers: [
    { name: 'regulator', nodeKey: encodeAddress(vectorKey('observer-1').publicKey, NODE_KEY_PREFIX) },
  ],
}

export type GoldenVectors = Record<string, Record<string, string>>

export function computeGoldenVectors(): GoldenVectors {
  const out: GoldenVectors = {}
  const encodedTxs: Bytes[] = []
  for (const [name, key, body] of [...txCases, ...purseTxCases, ...campaignTxCases]) {
    const tx = signTx(
      {
        chainId: CHAIN_ID,
        signer: key.publicKey,
        nonce: 2 ** 40 + 7,
        validUntil: 1234,
        sponsor: manager.publicKey,
        body,
      },
      key.secretKey,
    )
    out[`tx/${name}`] = {
      signBytes: toHex(tx.payload),
      hash: toHex(tx.hash),
      signature: toHex(tx.signature),
      encoded: toHex(encodeTx(tx)),
      // The tx root's leaf: the id, then the signature (block.ts).
      leaf: toHex(txLeaf(tx.hash, tx.signature)),
    }
    if (txCases.some(([n]) => n === name)) encodedTxs.push(encodeTx(tx))
  }
  // The tx root of a block carrying the first four txs above, in that order.
  out['tx-root'] = { fourTxs: toHex(txRootOf(encodedTxs.slice(0, 4))), empty: toHex(txRootOf([])) }
  const blockHashValue = h('block-7')
  for (const kind of ['prepare', 'commit'] as const) {
    const vote = signVote(
      CHAIN_ID,
      { kind, height: 7, view: 1, blockHash: blockHashValue },
      nodes[0] as KeyPair,
    )
    out[`vote/${kind}`] = {
      signBytes: toHex(voteBytes(CHAIN_ID, kind, 7, 1, blockHashValue)),
      signature: toHex(vote.signature),
    }
  }
  const set = createValidatorSet(nodes.map((n, i) => ({ publicKey: n.publicKey, power: 10 * (i + 1) })))
  const cert = certificateFromVotes(
    nodes.map((n) => signVote(CHAIN_ID, { kind: 'commit', height: 6, view: 0, blockHash: h('block-6') }, n)),
  )
  out['validator-set'] = { hash: toHex(validatorSetHash(set)) }
  out.certificate = { hash: toHex(certificateHash(cert)) }
  const header: BlockHeader = {
    chainId: CHAIN_ID,
    height: 7,
    view: 1,
    timeMs: 1_743_465_600_000,
    parentHash: h('block-6'),
    txRoot: txRootOf(encodedTxs.slice(0, 4)),
    stateRoot: h('state-7'),
    lastCommitHash: certificateHash(cert),
    validatorSetHash: validatorSetHash(set),
    nextValidatorSetHash: validatorSetHash(set),
    evidenceRoot: merkleRoot([]),
    proposer: (nodes[1] as KeyPair).publicKey,
  }
  out['block-header'] = { encoded: toHex(encode(headerToTuple(header))), hash: toHex(blockHash(header)) }
  const leaves = ['a', 'b', 'c', 'd', 'e'].map(utf8)
  out.merkle = {
    empty: toHex(merkleRoot([])),
    one: toHex(merkleRoot(leaves.slice(0, 1))),
    five: toHex(merkleRoot(leaves)),
  }
  out['device-possession'] = {
    signBytes: toHex(devicePossessionSignBytes(CHAIN_ID, alice.publicKey, device.publicKey)),
  }
  out['purse-possession'] = {
    signBytes: toHex(pursePossessionSignBytes(CHAIN_ID, alice.publicKey, purse.publicKey)),
  }
  out['purse-voucher'] = {
    signBytes: toHex(voucherSignBytes(CHAIN_ID, purseVoucher)),
    digest: toHex(voucherDigest(CHAIN_ID, purseVoucher)),
    signature: toHex(purseVoucher.signature),
    encoded: toHex(encodeVoucher(purseVoucher)),
  }
  out['traffic-attestation'] = {
    signBytes: toHex(attestationSignBytes(CHAIN_ID, visitAttested, visitWindow)),
    signature: toHex(visitAttestation.signature),
  }
  out['traffic-pseudonym-seed'] = { bytes: toHex(trafficPseudonymSeedBytes('arcade-devnet', 'SHOTEN')) }
  out['campaign-account'] = {
    bytes: toHex(campaignAccountBytes('SHOTEN', 'spring-2025')),
    account: toHex(campaignAccount('SHOTEN', 'spring-2025')),
  }
  const genesis = validateGenesis(GENESIS_FIXTURE)
  out.genesis = { bytes: toHex(genesisBytes(genesis)), hash: toHex(genesisHash(genesis)) }
  return out
}
