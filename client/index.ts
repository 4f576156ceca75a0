/**
 * The Arcade SDK: keys and addresses, tx builders for every kind, signing, submission, queries, proof
 * verification and the event stream. Browser-safe: it imports protocol/ only, never `node:` modules.
 */
export {
  ADDRESS_PREFIX,
  decodeAddress,
  encodeAddress,
  isAddress,
  NODE_KEY_PREFIX,
} from '../protocol/address.ts'
export { type Bytes, fromHex, toHex } from '../protocol/bytes.ts'
export { campaignAccount, MAX_LIVE_CAMPAIGNS } from '../protocol/campaign.ts'
export type { KeyPair } from '../protocol/crypto.ts'
export { type MerkleProof, merkleProof, merkleRoot, verifyMerkleProof } from '../protocol/merkle.ts'
export {
  decodeVoucher,
  encodeVoucher,
  MAX_PURSE_LIFETIME_MS,
  PURSE_SETTLEMENT_GRACE_MS,
  signVoucher,
  type Voucher,
  verifyVoucherSignature,
  voucherDigest,
} from '../protocol/purse.ts'
export { devicePossessionSignBytes, pursePossessionSignBytes } from '../protocol/sign-bytes.ts'
export {
  MAX_EVENT_ID_CHARS,
  TRAFFIC_LEAF_TAG,
  type TrafficEvent,
  type TrafficKind,
  trafficBatchRoot,
  trafficEventError,
  trafficLeaf,
} from '../protocol/traffic-leaf.ts'
export { decodeAndVerifyTx, decodeTx, encodeTx, type SignedTx, signTx } from '../protocol/tx.ts'
export {
  CAMPAIGN_TRIGGERS,
  GOVERNABLE_PARAMS,
  GOVERNED_KINDS,
  type GovernedKind,
  isTxKind,
  MAX_TRAFFIC_EVENTS,
  MAX_VOTING_PERIOD_BLOCKS,
  MAX_VOUCHERS_PER_SETTLE,
  ROLES,
  TX_BODY_SCHEMAS,
  TX_KINDS,
  type TxBody,
  type TxBodyOf,
  type TxKind,
} from '../protocol/tx-body.ts'
export * from './anchor-file.ts'
export * from './anchors.ts'
export * from './build.ts'
export * from './client.ts'
export * from './errors.ts'
export * from './governance.ts'
export * from './keys.ts'
export * from './light-client.ts'
export * from './operations.ts'
export * from './parse.ts'
export * from './proof.ts'
export * from './purse.ts'
export * from './queries.ts'
export * from './reconcile.ts'
export * from './stream.ts'
export * from './traffic.ts'
export * from './traffic-batch.ts'
export * from './traffic-file.ts'
export type * from './types.ts'
