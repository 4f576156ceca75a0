// state/ public surface: the deterministic ledger, its queries and its storage port.

export * from './admission.ts'
export { jstDayOf } from './amounts.ts'
export { type ApplyBlockResult, applyBlock, type BlockInput } from './apply-block.ts'
export * from './errors.ts'
export * from './ledger.ts'
export * from './memory-kv.ts'
export type * from './ports.ts'
export * from './query.ts'
export * from './receipt.ts'
export type * from './records.ts'
export { MerchantStatus } from './records.ts'
export { electValidators, epochOf, isEpochBoundary, MAX_TOTAL_STAKE } from './staking-election.ts'
