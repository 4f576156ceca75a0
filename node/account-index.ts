/** Which accounts a committed tx touched, for the store's account history index. */
import { type Bytes, bytesEqual } from '../protocol/bytes.ts'
import type { SignedTx } from '../protocol/tx.ts'
import type { Receipt } from '../state/index.ts'

/** Event fields that name accounts, for the account history index. */
const ACCOUNT_FIELDS = [
  'from',
  'to',
  'owner',
  'spender',
  'merchant',
  'terminal',
  'customer',
  'payer',
  'manager',
  'account',
  'association',
  'member',
  'device',
  'grantee',
  // Offline purses: the purse key, and the terminal a voucher paid.
  'purse',
  'payee',
  // A customer's traffic pseudonym: its wallet finds its earned points and claims by it.
  'pseudonym',
] as const

export function accountsOf(tx: SignedTx, receipt: Receipt): Bytes[] {
  // A handful of accounts per tx: a linear scan dedups them without building hex keys.
  const seen: Bytes[] = [tx.signer]
  for (const event of receipt.events) {
    const fields = event as unknown as Record<string, unknown>
    for (const f of ACCOUNT_FIELDS) {
      const v = fields[f]
      if (v instanceof Uint8Array && v.length === 32 && !seen.some((a) => bytesEqual(a, v))) seen.push(v)
    }
  }
  return seen
}
