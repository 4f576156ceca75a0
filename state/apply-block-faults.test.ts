/**
 * Faults inside one tx, whatever their class, fail that tx with a receipt and never the block. The
 * executors are wrapped so that a point.approve whose amount names a fault raises it, the way a bug
 * or an unforeseen record size would.
 */
import { describe, expect, it, vi } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import type { TxBody } from '../protocol/tx-body.ts'
import { AuthMapError, AuthMapErrorCode } from './auth-map-errors.ts'
import type { TxContext } from './context.ts'
import { createLedgerQuery } from './query.ts'
import { bytesListCodec } from './records.ts'
import { account, POINT, setupPoint, TestChain } from './test-kit.ts'

const FAULT = { rangeError: 901, typeError: 902, oversize: 903, authMap: 904 } as const

vi.mock('./executors.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('./executors.ts')>()
  return {
    ...original,
    execute(ctx: TxContext, body: TxBody) {
      if (body.kind === 'point.approve') {
        // Every fault strikes after a first write, which must be rolled back.
        if (body.amount >= 901 && body.amount <= 904) ctx.ws.put(`bal/${POINT}/x`, bytesListCodec, [])
        if (body.amount === 901) throw new RangeError('Invalid array length')
        if (body.amount === 902) void (undefined as unknown as { x: number }).x
        if (body.amount === 903) {
          // A list record far past the map's 64 KiB value limit.
          ctx.ws.put(
            'devo/oversize',
            bytesListCodec,
            Array.from({ length: 3_000 }, (_, i) => account(i)),
          )
        }
        if (body.amount === 904) throw new AuthMapError(AuthMapErrorCode.badValue, 'value too large')
      }
      original.execute(ctx, body)
    },
  }
})

const ALICE = account(200)
const BOB = account(201)

describe('a fault inside one tx', () => {
  it('fails that tx with a receipt, leaves no trace of it, and the block applies', () => {
    const chain = new TestChain()
    setupPoint(chain)
    const twin = new TestChain()
    setupPoint(twin)
    const approve = (amount: number) =>
      chain.tx(ALICE, { kind: 'point.approve', point: POINT, spender: BOB, amount })
    const good = approve(5)
    const faulty = Object.values(FAULT).map(approve)
    const result = chain.block([faulty[0], good, ...faulty.slice(1)] as never)
    expect(result.receipts.map((r) => r.error)).toEqual([
      'STATE_INTERNAL_ERROR',
      null,
      'STATE_INTERNAL_ERROR',
      'STATE_RECORD_TOO_LARGE',
      'STATE_INTERNAL_ERROR',
    ])
    expect(result.receipts.filter((r) => r.status === 'failed').every((r) => r.events.length === 0)).toBe(
      true,
    )
    expect(createLedgerQuery(chain.state).allowance(POINT, ALICE, BOB)).toBe(5)
    // No trace: the same state as a block whose other txs fail in the ordinary way after their
    // sponsor charge (approving oneself).
    const selfApprove = (n: number) =>
      twin.tx(ALICE, { kind: 'point.approve', point: POINT, spender: ALICE, amount: n })
    const twinResult = twin.block([selfApprove(1), good, selfApprove(2), selfApprove(3), selfApprove(4)])
    expect(twinResult.receipts.map((r) => r.error)).toEqual([
      'STATE_SELF_TRANSFER',
      null,
      'STATE_SELF_TRANSFER',
      'STATE_SELF_TRANSFER',
      'STATE_SELF_TRANSFER',
    ])
    expect(toHex(chain.state.map.root)).toBe(toHex(twin.state.map.root))
  })
})
