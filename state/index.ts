// state/ public surface: the deterministic ledger, its queries and its storage port.

export { jstDayOf } from './amounts.ts'
export * from './apply-block.ts'
export * from './errors.ts'
export * from './ledger.ts'
export * from './memory-kv.ts'
export type * from './ports.ts'
export * from './query.ts'
export * from './receipt.ts'
export type * from './records.ts'
export { MerchantStatus } from './records.ts'
export { electValidators, epochOf, isEpochBoundary } from './staking-election.ts'
