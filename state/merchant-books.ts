/**
 * The two movements of a merchant's books, shared by every kind that gives points on a merchant's
 * account or pays points to it (DESIGN §4, the Region Token model). A merchant has a float and a
 * liability, never both above zero.
 * - `chargeMerchant` (points leave the merchant's side): float first, then credit, minted against
 *   liability and never above the credit limit. merchant.award, traffic rewards, merchant.refund and a
 *   merchant's campaign budget.
 * - `creditMerchant` (points come to the merchant): clears liability first (burned: it leaves the
 *   supply), the surplus adds to the float. merchant.pay, device.pay, purse.settle,
 *   merchant.cancelAward and what a merchant's closed campaign returns.
 * Both write the merchant record and, when supply or liability move, the point record: read the
 * PointRecord you will write back AFTER calling them.
 */
import { add } from './amounts.ts'
import { getPoint, putMerchant, putPoint, type TxContext } from './context.ts'
import { fail, StateErrorCode } from './errors.ts'
import type { MerchantRecord } from './records.ts'

export interface Charged {
  /** What left the float. */
  readonly fromFloat: number
  /** What was minted against the liability. */
  readonly onCredit: number
}

export interface Credited {
  /** What cleared liability (burned). */
  readonly liabilityCleared: number
  /** What added to the float. */
  readonly toFloat: number
}

/** Rule (charge): float first, then credit, the liability never above the credit limit. */
export function chargeMerchant(
  ctx: Pick<TxContext, 'ws'>,
  point: string,
  merchant: { id: string; record: MerchantRecord },
  amount: number,
): Charged {
  const m = merchant.record
  const fromFloat = Math.min(m.float, amount)
  const onCredit = amount - fromFloat
  const liability = add(m.liability, onCredit)
  if (liability > m.creditLimit) {
    fail(StateErrorCode.creditLimitExceeded, 'exceeds the credit limit', {
      liability: m.liability,
      creditLimit: m.creditLimit,
      needed: onCredit,
    })
  }
  putMerchant(ctx.ws, point, merchant.id, { ...m, float: m.float - fromFloat, liability })
  if (onCredit > 0) {
    const p = getPoint(ctx.ws, point)
    putPoint(ctx.ws, point, {
      ...p,
      totalSupply: add(p.totalSupply, onCredit),
      totalLiability: add(p.totalLiability, onCredit),
    })
  }
  return { fromFloat, onCredit }
}

/** Rule (credit): liability first (burned), the surplus to the float. */
export function creditMerchant(
  ctx: Pick<TxContext, 'ws'>,
  point: string,
  merchant: { id: string; record: MerchantRecord },
  amount: number,
): Credited {
  const m = merchant.record
  const liabilityCleared = Math.min(m.liability, amount)
  const toFloat = amount - liabilityCleared
  putMerchant(ctx.ws, point, merchant.id, {
    ...m,
    liability: m.liability - liabilityCleared,
    float: add(m.float, toFloat),
  })
  if (liabilityCleared > 0) {
    const p = getPoint(ctx.ws, point)
    putPoint(ctx.ws, point, {
      ...p,
      totalSupply: p.totalSupply - liabilityCleared,
      totalLiability: p.totalLiability - liabilityCleared,
    })
  }
  return { liabilityCleared, toFloat }
}
