/**
 * `arcade tx <command>`: build, sign and submit one kind of tx. Addresses, point ids and amounts are
 * checked before anything is sent; `--wait` follows the tx to its commit and prints its receipt.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  invalidInput,
  isTxKind,
  operations,
  parseDurationMs,
  parseExpiryDateMs,
  TX_KINDS,
  type TxRequest,
  toAccount,
  txBody,
} from '../../client/index.ts'
import {
  type CliArgs,
  type CliGroup,
  flag,
  intOption,
  requiredString,
  stringOption,
  UsageError,
} from './command.ts'
import { anchorSpecs } from './tx-anchor.ts'
import { campaignSpecs } from './tx-campaign.ts'
import { purseSpecs } from './tx-purse.ts'
import { type TxSpec, txCommand } from './tx-spec.ts'
import { stakingSpecs } from './tx-staking.ts'
import { trafficSpecs } from './tx-traffic.ts'
import {
  AMOUNT,
  accountArg as account,
  amountArg as amount,
  listArg as list,
  loadWallet,
  MAX,
  opt,
  POINT,
  pointArg as point,
} from './wallet.ts'

const EXPIRY_DETAILS =
  'Expiry instants are 00:00 JST, rounded up (an N-day expiry also up to a grid of days that grows with N:\n' +
  '1 day up to 64 days, 2 up to 128, 8 for a year). A fixed date must lie ahead; once it has passed, new\n' +
  'awards never expire until the manager sets a new policy. Points already held keep their expiry.'

/** `--after-days N` or `--date DATE` (at most one), as an expiry policy; neither: none. */
function expiryPolicyOf(args: CliArgs, days: string, date: string): { afterDays: number; atMs: number } {
  const d = stringOption(args, days)
  const at = stringOption(args, date)
  if (d !== undefined && at !== undefined) throw new UsageError(`give --${days} or --${date}, not both`)
  return {
    afterDays: d === undefined ? 0 : intOption(args, days, 1, 36_500, 1),
    atMs: at === undefined ? 0 : parseExpiryDateMs(at, `--${date}`),
  }
}

const specs: TxSpec[] = [
  {
    name: 'create-point',
    summary: 'Create a regional point (issuer); you become its manager',
    usage:
      '--point ID --name NAME [--decimals N] [--non-transferable] [--expiry-days N | --expiry-date DATE]',
    details: EXPIRY_DETAILS,
    options: {
      ...POINT,
      name: opt('NAME', 'display name'),
      decimals: opt('N', 'decimal places for display (default 0)'),
      'non-transferable': { type: 'boolean', description: 'customers cannot transfer it to each other' },
      'expiry-days': opt('N', 'awarded points expire N days after each award (default: never)'),
      'expiry-date': opt('DATE', 'or at this date: 2027-04-01 (00:00 JST), an ISO date-time, or ms'),
    },
    build: async ({ args }) => {
      const expiry = expiryPolicyOf(args, 'expiry-days', 'expiry-date')
      return operations.createPoint({
        point: point(args),
        name: requiredString(args, 'name'),
        decimals: intOption(args, 'decimals', 0, 18, 0),
        transferable: !flag(args, 'non-transferable'),
        ...(expiry.afterDays === 0 && expiry.atMs === 0 ? {} : { expiry }),
      })
    },
  },
  {
    name: 'set-expiry',
    summary: "Set when the point's future awards expire (manager): after N days, at a date, or never",
    usage: '--point ID (--after-days N | --date DATE | --never)',
    details: EXPIRY_DETAILS,
    options: {
      ...POINT,
      'after-days': opt('N', 'awards expire N days after each award (1 to 36500)'),
      date: opt('DATE', 'awards expire at this date: 2027-04-01 (00:00 JST), an ISO date-time, or ms'),
      never: { type: 'boolean', description: 'future awards never expire' },
    },
    build: async ({ args }) => {
      const policy = expiryPolicyOf(args, 'after-days', 'date')
      const none = policy.afterDays === 0 && policy.atMs === 0
      if (none !== flag(args, 'never'))
        throw new UsageError('give exactly one of --after-days, --date or --never')
      return operations.setExpiry({ point: point(args), ...policy })
    },
  },
  {
    name: 'set-refund-window',
    summary: 'Set how long after a payment or award its merchant may refund or cancel it (manager)',
    usage: '--point ID --days N | --hours N | --never',
    details:
      'Applies to payments and awards from this tx on; each keeps the window it was made under. ' +
      'At most 366 days. With no window (the default) payments keep no refund record.',
    options: {
      ...POINT,
      days: opt('N', 'the window in days (1 to 366)'),
      hours: opt('N', 'the window in hours (1 to 8784)'),
      never: { type: 'boolean', description: 'no refunds or cancellations (the default)' },
    },
    build: async ({ args }) => {
      const given = ['days', 'hours', 'never'].filter((k) => args.values[k] !== undefined)
      if (given.length !== 1) throw new UsageError('give exactly one of --days, --hours or --never')
      const windowMs =
        args.values.days !== undefined
          ? intOption(args, 'days', 1, 366) * 86_400_000
          : args.values.hours !== undefined
            ? intOption(args, 'hours', 1, 8_784) * 3_600_000
            : 0
      return operations.setRefundWindow({ point: point(args), windowMs })
    },
  },
  {
    name: 'refund',
    summary: 'Give all or part of a payment back to its payer (merchant or terminal)',
    usage: '--point ID --payment TXHASH --amount AMOUNT [--memo TEXT]',
    details: 'See what may still be refunded with `arcade query refundable ID TXHASH`.',
    options: {
      ...POINT,
      payment: opt('TXHASH', 'the hash of the merchant.pay or device.pay (hex)'),
      amount: AMOUNT,
      memo: opt('TEXT', 'up to 64 characters'),
    },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.refund({
        point: p,
        payment: requiredString(ctx.args, 'payment'),
        amount: await amount(ctx, 'amount', p),
        memo: stringOption(ctx.args, 'memo') ?? '',
      })
    },
  },
  {
    name: 'cancel-award',
    summary: 'Cancel an award made in error, while the customer still holds it (merchant or terminal)',
    usage: '--point ID --award TXHASH [--memo TEXT]',
    options: {
      ...POINT,
      award: opt('TXHASH', 'the hash of the merchant.award (hex)'),
      memo: opt('TEXT', 'up to 64 characters'),
    },
    build: async ({ args }) =>
      operations.cancelAward({
        point: point(args),
        award: requiredString(args, 'award'),
        memo: stringOption(args, 'memo') ?? '',
      }),
  },
  {
    name: 'apply',
    summary: 'Apply to a point as a merchant (the manager then admits you)',
    usage: '--point ID --name SHOP-NAME',
    options: { ...POINT, name: opt('NAME', 'shop name') },
    build: async ({ args }) =>
      operations.applyMerchant({ point: point(args), name: requiredString(args, 'name') }),
  },
  {
    name: 'admit',
    summary: 'Admit a merchant with a credit limit (manager)',
    usage: '--point ID --merchant ADDRESS --limit AMOUNT',
    options: { ...POINT, merchant: opt('ADDRESS', 'the merchant account'), limit: AMOUNT },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.admitMerchant({
        point: p,
        merchant: account(ctx.args, 'merchant'),
        creditLimit: await amount(ctx, 'limit', p),
      })
    },
  },
  {
    name: 'set-limit',
    summary: "Change a merchant's credit limit (manager)",
    usage: '--point ID --merchant ADDRESS --limit AMOUNT',
    options: { ...POINT, merchant: opt('ADDRESS', 'the merchant account'), limit: AMOUNT },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.setCreditLimit({
        point: p,
        merchant: account(ctx.args, 'merchant'),
        creditLimit: await amount(ctx, 'limit', p),
      })
    },
  },
  {
    name: 'add-terminal',
    summary: 'Add a cashier terminal key to your shop (merchant)',
    usage: '--point ID --terminal ADDRESS',
    options: { ...POINT, terminal: opt('ADDRESS', 'the terminal account') },
    build: async ({ args }) =>
      operations.addTerminal({ point: point(args), terminal: account(args, 'terminal') }),
  },
  {
    name: 'award',
    summary: 'Award points to a customer (terminal or merchant): float first, then credit',
    usage: '--point ID --to ADDRESS --amount AMOUNT [--memo TEXT]',
    options: {
      ...POINT,
      to: opt('ADDRESS', 'the customer'),
      amount: AMOUNT,
      memo: opt('TEXT', 'up to 64 characters'),
    },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.award({
        point: p,
        customer: account(ctx.args, 'to'),
        amount: await amount(ctx, 'amount', p),
        memo: stringOption(ctx.args, 'memo') ?? '',
      })
    },
  },
  {
    name: 'pay',
    summary: 'Pay a merchant (by its or its terminal’s address) with points (customer)',
    usage: '--point ID --to ADDRESS --amount AMOUNT [--memo TEXT]',
    options: {
      ...POINT,
      to: opt('ADDRESS', 'merchant or terminal'),
      amount: AMOUNT,
      memo: opt('TEXT', 'up to 64 characters'),
    },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.pay({
        point: p,
        payee: account(ctx.args, 'to'),
        amount: await amount(ctx, 'amount', p),
        memo: stringOption(ctx.args, 'memo') ?? '',
      })
    },
  },
  {
    name: 'repay',
    summary: "Record a merchant's fiat payment (manager): clears liability, surplus prefunds float",
    usage: '--point ID --merchant ADDRESS --amount AMOUNT --ref FIAT-REF',
    options: {
      ...POINT,
      merchant: opt('ADDRESS', 'the merchant'),
      amount: AMOUNT,
      ref: opt('REF', 'bank or receipt reference'),
    },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.repay({
        point: p,
        merchant: account(ctx.args, 'merchant'),
        amount: await amount(ctx, 'amount', p),
        fiatRef: requiredString(ctx.args, 'ref'),
      })
    },
  },
  {
    name: 'redeem',
    summary: 'Burn float for fiat paid by the manager off the ledger (merchant)',
    usage: '--point ID --amount AMOUNT [--ref FIAT-REF]',
    options: { ...POINT, amount: AMOUNT, ref: opt('REF', 'reference') },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.redeem({
        point: p,
        amount: await amount(ctx, 'amount', p),
        fiatRef: stringOption(ctx.args, 'ref') ?? '',
      })
    },
  },
  {
    name: 'bind-device',
    summary: 'Bind a device key to your account with spending limits (owner)',
    usage:
      '--point ID --device-key FILE --max-per-tx AMOUNT --max-per-period AMOUNT --period DURATION [--merchant ADDRESS]…',
    details: "The device's key file is needed once, to sign its proof of possession.",
    options: {
      ...POINT,
      'device-key': opt('FILE', "the device's key file"),
      'max-per-tx': AMOUNT,
      'max-per-period': AMOUNT,
      period: opt('DURATION', 'limit period: ms, or 30m, 24h, 7d'),
      merchant: {
        type: 'string',
        multiple: true,
        value: 'ADDRESS',
        description: 'merchant the device may pay (repeat; default any)',
      },
    },
    build: async (ctx) => {
      const p = point(ctx.args)
      const device = await loadWallet(ctx.args, ctx.io, 'device-key')
      const merchants = list(ctx.args, 'merchant')
      for (const m of merchants) toAccount(m, '--merchant')
      return operations.bindDevice(
        {
          point: p,
          device,
          maxPerTx: await amount(ctx, 'max-per-tx', p),
          maxPerPeriod: await amount(ctx, 'max-per-period', p),
          periodMs: parseDurationMs(requiredString(ctx.args, 'period'), '--period'),
          merchants,
        },
        { chainId: await ctx.client.chainId(), signer: ctx.wallet.publicKey },
      )
    },
  },
  {
    name: 'device-pay',
    summary: "Pay a merchant with the device key, on its owner's behalf (device)",
    usage: '--owner ADDRESS --point ID --to ADDRESS --amount AMOUNT [--memo TEXT]',
    options: {
      owner: opt('ADDRESS', "the device's owner"),
      ...POINT,
      to: opt('ADDRESS', 'merchant or terminal'),
      amount: AMOUNT,
      memo: opt('TEXT', 'memo'),
    },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.devicePay({
        owner: account(ctx.args, 'owner'),
        point: p,
        payee: account(ctx.args, 'to'),
        amount: await amount(ctx, 'amount', p),
        memo: stringOption(ctx.args, 'memo') ?? '',
      })
    },
  },
  {
    name: 'grant',
    summary: 'Grant a tx quota to an account or to every user of the point (manager)',
    usage:
      '--point ID (--grantee ADDRESS | --everyone) --txs N --period DURATION [--expires-at HEIGHT] [--kind KIND]…',
    options: {
      ...POINT,
      grantee: opt('ADDRESS', 'the account granted the quota'),
      everyone: { type: 'boolean', description: 'grant it to every user of the point' },
      txs: opt('N', 'txs per period'),
      period: opt('DURATION', 'quota period: ms, or 30m, 24h, 7d'),
      'expires-at': opt('HEIGHT', 'last height the grant pays at (default never)'),
      kind: {
        type: 'string',
        multiple: true,
        value: 'KIND',
        description: 'tx kind it pays for (repeat; default all)',
      },
    },
    build: async ({ args }) => {
      const grantee = stringOption(args, 'grantee')
      if ((grantee === undefined) === !flag(args, 'everyone'))
        throw new UsageError('give exactly one of --grantee or --everyone')
      if (grantee !== undefined) toAccount(grantee, '--grantee')
      return operations.grantQuota({
        point: point(args),
        grantee: grantee ?? null,
        txsPerPeriod: intOption(args, 'txs', 1, MAX),
        periodMs: parseDurationMs(requiredString(args, 'period'), '--period'),
        expiresAtHeight: intOption(args, 'expires-at', 0, MAX, 0),
        kinds: list(args, 'kind'),
      })
    },
  },
  {
    name: 'transfer',
    summary: 'Transfer points to another customer (transferable points only)',
    usage: '--point ID --to ADDRESS --amount AMOUNT',
    options: { ...POINT, to: opt('ADDRESS', 'the recipient'), amount: AMOUNT },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.transfer({
        point: p,
        to: account(ctx.args, 'to'),
        amount: await amount(ctx, 'amount', p),
      })
    },
  },
  ...stakingSpecs,
  ...purseSpecs,
  ...trafficSpecs,
  ...campaignSpecs,
  ...anchorSpecs,
  {
    name: 'send',
    summary: 'Any tx kind from JSON fields (e.g. merchant.suspend, traffic.setRules, staking.undelegate)',
    usage: '--kind KIND --fields JSON|@FILE',
    details: `Kinds: ${TX_KINDS.join(', ')}.\nAccounts as arc1… text, hashes and signatures as hex, amounts as integers.`,
    options: { kind: opt('KIND', 'the tx kind'), fields: opt('JSON', 'the body fields as JSON, or @FILE') },
    build: async ({ args, io }) => {
      const kind = requiredString(args, 'kind')
      if (!isTxKind(kind)) throw new UsageError(`--kind must be one of ${TX_KINDS.join(', ')}`)
      const text = requiredString(args, 'fields')
      let fields: unknown
      try {
        fields = JSON.parse(
          text.startsWith('@') ? await readFile(resolve(io.cwd, text.slice(1)), 'utf8') : text,
        )
      } catch {
        throw invalidInput('--fields', 'must be JSON (or @FILE holding JSON)')
      }
      txBody(kind, fields as never) // checks every field before anything is signed
      return { kind, fields } as TxRequest
    },
  },
]

export const group: CliGroup = {
  name: 'tx',
  summary:
    'Sign and submit txs (points, merchants, traffic, devices, quotas, staking, association addresses, purses)',
  commands: specs.map((spec) => txCommand('tx', spec)),
}
