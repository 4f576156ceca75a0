/**
 * The campaign commands of `arcade tx` (state/campaigns.ts): the manager, or a merchant for its own
 * shop, creates a campaign, tops up its budget and closes it. Not a command group itself (tx.ts).
 */
import { CAMPAIGN_TRIGGERS, operations, parseExpiryDateMs, toAccount } from '../../client/index.ts'
import { type CliArgs, type CliIo, intOption, requiredString, stringOption, UsageError } from './command.ts'
import type { TxSpec } from './tx-spec.ts'
import { AMOUNT, amountArg as amount, opt, POINT, pointArg as point } from './wallet.ts'

type Trigger = (typeof CAMPAIGN_TRIGGERS)[number]

const CAMPAIGN = { campaign: opt('ID', 'the campaign id: 1 to 32 of a-z, 0-9 and -') }

const DETAILS =
  'A campaign pays, on each award (trigger award) or rewarded traffic event (visit, view, click,\n' +
  'purchase) by the listed merchants (default: every merchant of the point) at block times in\n' +
  '[--start, --end), floor(amount × bonus-per-mille / 1000) + flat-bonus more points to the customer,\n' +
  'out of its budget, until the budget is spent (it then closes itself). The manager’s budget is minted\n' +
  'against the fiat it set aside (--fiat-ref); a merchant’s own campaign (for its shop alone) is charged\n' +
  'to its float, then its credit. At most 8 campaigns of a point are open at once: close an ended one\n' +
  '(campaign-close), or its rest stays held. Dates: 2027-04-01 (00:00 JST), an ISO date-time, or ms.'

/** `--start`: `now` (the local clock; the ledger checks the block time) or a date. */
function whenArg(args: CliArgs, io: CliIo, name: string): number {
  const text = requiredString(args, name)
  return text === 'now' ? io.nowMs() : parseExpiryDateMs(text, `--${name}`)
}

function triggersArg(args: CliArgs): Trigger[] {
  const list = requiredString(args, 'triggers')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
  for (const t of list) {
    if (!(CAMPAIGN_TRIGGERS as readonly string[]).includes(t))
      throw new UsageError(`--triggers: ${JSON.stringify(t)} is not one of ${CAMPAIGN_TRIGGERS.join(', ')}`)
  }
  if (list.length === 0) throw new UsageError('--triggers needs at least one trigger')
  return list as Trigger[]
}

function merchantsArg(args: CliArgs): string[] {
  const text = stringOption(args, 'merchants') ?? ''
  const list = text
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '')
  for (const m of list) toAccount(m, '--merchants')
  return list
}

export const campaignSpecs: TxSpec[] = [
  {
    name: 'campaign-create',
    summary:
      'Run a campaign: a bonus on awards or traffic over a window, out of a budget (manager or merchant)',
    usage:
      '--point ID --campaign ID --triggers award,visit,… [--bonus-per-mille N] [--flat-bonus N] ' +
      '--start DATE|now --end DATE [--merchants A,B] --budget AMOUNT [--fiat-ref TEXT]',
    details: DETAILS,
    options: {
      ...POINT,
      ...CAMPAIGN,
      triggers: opt('LIST', `what it pays on, comma separated: ${CAMPAIGN_TRIGGERS.join(', ')}`),
      'bonus-per-mille': opt('N', 'extra points per 1,000 points of the award (1000 = double points)'),
      'flat-bonus': opt('N', 'extra points per qualifying award or rewarded event'),
      start: opt('WHEN', 'when it starts paying: now, or a date'),
      end: opt('WHEN', 'when it stops paying (exclusive): a date'),
      merchants: opt('LIST', 'merchant addresses whose awards qualify, comma separated (default: all)'),
      budget: AMOUNT,
      'fiat-ref': opt('TEXT', 'the manager’s reference of the fiat set aside for the budget'),
    },
    build: async (ctx) => {
      const { args, io } = ctx
      const p = point(args)
      const bonusPerMille = intOption(args, 'bonus-per-mille', 0, Number.MAX_SAFE_INTEGER, 0)
      const flatBonus = intOption(args, 'flat-bonus', 0, Number.MAX_SAFE_INTEGER, 0)
      if (bonusPerMille === 0 && flatBonus === 0)
        throw new UsageError('give --bonus-per-mille or --flat-bonus (or both)')
      return operations.createCampaign({
        point: p,
        campaign: requiredString(args, 'campaign'),
        triggers: triggersArg(args),
        bonusPerMille,
        flatBonus,
        startMs: whenArg(args, io, 'start'),
        endMs: whenArg(args, io, 'end'),
        merchants: merchantsArg(args),
        budget: await amount(ctx, 'budget', p),
        fiatRef: stringOption(args, 'fiat-ref') ?? '',
      })
    },
  },
  {
    name: 'campaign-fund',
    summary: "Top up an open campaign's budget (its owner), funded as at its creation",
    usage: '--point ID --campaign ID --amount AMOUNT [--fiat-ref TEXT]',
    options: {
      ...POINT,
      ...CAMPAIGN,
      amount: AMOUNT,
      'fiat-ref': opt('TEXT', 'the manager’s reference of the fiat set aside'),
    },
    build: async (ctx) => {
      const p = point(ctx.args)
      return operations.fundCampaign({
        point: p,
        campaign: requiredString(ctx.args, 'campaign'),
        amount: await amount(ctx, 'amount', p),
        fiatRef: stringOption(ctx.args, 'fiat-ref') ?? '',
      })
    },
  },
  {
    name: 'campaign-close',
    summary: 'Close a campaign: its rest goes back (its owner or the manager; anyone once it has ended)',
    usage: '--point ID --campaign ID',
    details:
      "The manager's rest is burned (the fiat it set aside is its own again); a merchant's goes back to\n" +
      'its books: its liability first, then its float.',
    options: { ...POINT, ...CAMPAIGN },
    build: async ({ args }) =>
      operations.closeCampaign({ point: point(args), campaign: requiredString(args, 'campaign') }),
  },
]
