/**
 * The offline purse commands of `arcade tx` (state/purses.ts): an owner opens a purse, a terminal
 * settles the vouchers it took, anyone reports a cloned key or closes an expired purse. Signing a
 * voucher offline is `arcade purse voucher` (purse.ts). Not a command group itself (tx.ts).
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  invalidInput,
  operations,
  parseDurationMs,
  settleBatches,
  type VoucherJson,
  voucherFrom,
} from '../../client/index.ts'
import { type CliArgs, type CliIo, requiredString, UsageError } from './command.ts'
import type { TxSpec } from './tx-spec.ts'
import {
  AMOUNT,
  accountArg as account,
  amountArg as amount,
  listArg,
  loadWallet,
  opt,
  POINT,
  pointArg as point,
} from './wallet.ts'

/** `--expires`: a duration from now (30m, 12h, 7d) or an ISO 8601 time. */
export function expiryArg(args: CliArgs, io: CliIo, name = 'expires'): number {
  const text = requiredString(args, name)
  if (/^\d+(ms|s|m|h|d)?$/.test(text)) return io.nowMs() + parseDurationMs(text, `--${name}`)
  const ms = Date.parse(text)
  if (!Number.isSafeInteger(ms)) throw new UsageError(`--${name} must be a duration (7d) or an ISO time`)
  return ms
}

/** Vouchers from JSON files: each a voucher or a list of them (what `arcade purse voucher` writes). */
export async function readVouchers(
  io: CliIo,
  files: readonly string[],
  option: string,
): Promise<VoucherJson[]> {
  const out: VoucherJson[] = []
  for (const name of files) {
    const file = resolve(io.cwd, name)
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'))
    } catch {
      throw invalidInput(`--${option}`, `cannot read a JSON voucher from ${file}`)
    }
    for (const v of Array.isArray(parsed) ? parsed : [parsed]) {
      voucherFrom(v) // every field checked before anything is signed
      out.push(v as VoucherJson)
    }
  }
  return out
}

/** The one voucher a file holds. */
export async function oneVoucher(io: CliIo, args: CliArgs, option: string): Promise<VoucherJson> {
  const vouchers = await readVouchers(io, [requiredString(args, option)], option)
  if (vouchers.length !== 1) throw new UsageError(`--${option} must hold exactly one voucher`)
  return vouchers[0] as VoucherJson
}

export const purseSpecs: TxSpec[] = [
  {
    name: 'purse-open',
    summary: 'Lock points into an offline purse bound to a purse key (owner: a phone or a device owner)',
    usage: '--point ID --purse-key FILE --amount AMOUNT --expires DURATION|TIME',
    details:
      'The purse key file is needed once, to sign its proof of possession; keep it on the phone or device\n' +
      'that pays offline (`arcade purse voucher`). A purse key opens one purse, ever.\n' +
      'With point expiry, the purse takes your soonest-expiring points first and expires no later than\n' +
      'the soonest of them (`arcade purse show` gives its expiry); what is left returns with the expiry\n' +
      'each point had.',
    options: {
      ...POINT,
      'purse-key': opt('FILE', "the purse's key file"),
      amount: AMOUNT,
      expires: opt('WHEN', 'when terminals stop taking its vouchers: 30m, 12h, 7d from now, or an ISO time'),
    },
    build: async (ctx) => {
      const p = point(ctx.args)
      const purse = await loadWallet(ctx.args, ctx.io, 'purse-key')
      return operations.openPurse(
        {
          point: p,
          purse,
          amount: await amount(ctx, 'amount', p),
          expiresAtMs: expiryArg(ctx.args, ctx.io),
        },
        { chainId: await ctx.client.chainId(), signer: ctx.wallet.publicKey },
      )
    },
  },
  {
    name: 'purse-settle',
    summary: `Settle the purse vouchers your terminal took offline (merchant or terminal), in batches`,
    usage: '--point ID --vouchers FILE [--vouchers FILE]…',
    details: 'Each FILE holds a JSON voucher or a list of them. Vouchers settle in counter order, each once.',
    options: {
      ...POINT,
      vouchers: { type: 'string', multiple: true, value: 'FILE', description: 'voucher file (repeat)' },
    },
    build: async ({ args, io }) => {
      const files = listArg(args, 'vouchers')
      if (files.length === 0) throw new UsageError('--vouchers FILE is required')
      return settleBatches(point(args), await readVouchers(io, files, 'vouchers'))
    },
  },
  {
    name: 'purse-evidence',
    summary: 'Report a cloned purse key: two different vouchers with one counter freeze the purse (anyone)',
    usage: '--point ID --first FILE --second FILE',
    options: { ...POINT, first: opt('FILE', 'one voucher'), second: opt('FILE', 'the other, same counter') },
    build: async ({ args, io }) =>
      operations.reportClonedPurse({
        point: point(args),
        first: await oneVoucher(io, args, 'first'),
        second: await oneVoucher(io, args, 'second'),
      }),
  },
  {
    name: 'purse-reclaim',
    summary: 'Close a purse whose settlement window is over: what is left returns to its owner (anyone)',
    usage: '--point ID --purse ADDRESS',
    options: { ...POINT, purse: opt('ADDRESS', 'the purse key') },
    build: async ({ args }) => operations.reclaimPurse({ point: point(args), purse: account(args, 'purse') }),
  },
]
