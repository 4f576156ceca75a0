// Types only: what consensus/ may know of the state machine (the import rules allow this file alone).
export type { ApplyBlockResult, BlockInput } from './apply-block.ts'
export type { StateError, StateErrorCode } from './errors.ts'
export type { GenesisStateInput, LedgerParams, LedgerState } from './ledger.ts'
export type { LedgerEvent, Receipt } from './receipt.ts'
