/**
 * The traffic commands of `arcade tx` (state/traffic.ts, state/pseudonyms.ts): a shop records its
 * customers' events from a file, the manager sets what they earn, and a customer claims what its
 * pseudonym earned. Not a command group itself (tx.ts).
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  invalidInput,
  operations,
  parseTrafficFile,
  pseudonymWallet,
  type TrafficRatesInput,
  toAccount,
  trafficBatches,
} from '../../client/index.ts'
import { type CliArgs, intOption, requiredString, stringOption, UsageError } from './command.ts'
import type { TxContext, TxSpec } from './tx-spec.ts'
import { MAX, opt, POINT, pointArg as point } from './wallet.ts'

const RATE_KEYS = ['visit', 'view', 'click', 'purchase', 'purchasePerMille'] as const

/** `visit=2,purchase=5,purchasePerMille=10`: what each kind earns (unnamed kinds earn 0). */
function ratesArg(args: CliArgs, name: string): TrafficRatesInput {
  const text = stringOption(args, name) ?? ''
  const rates: Record<string, number> = {}
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue
    const [key, value, ...rest] = part.split('=')
    if (
      !(RATE_KEYS as readonly string[]).includes(key ?? '') ||
      rest.length > 0 ||
      !/^\d{1,15}$/.test(value ?? '')
    )
      throw new UsageError(
        `--${name}: ${JSON.stringify(part)} is not KIND=POINTS (kinds: ${RATE_KEYS.join(', ')})`,
      )
    rates[key as string] = Number(value)
  }
  return rates
}

/** The key file's pseudonym for the point, on the chain the node runs. */
async function pseudonymOf(ctx: TxContext) {
  const { chainId } = await ctx.client.status()
  return pseudonymWallet(ctx.wallet, chainId, point(ctx.args))
}

export const trafficSpecs: TxSpec[] = [
  {
    name: 'traffic',
    summary: 'Record customer traffic from a JSON or CSV file (batches of 500 events per tx)',
    usage: '--point ID --file FILE',
    details:
      'CSV header: eventId,kind,pseudonym,amount[,notBeforeMs,notAfterMs,signature]. pseudonym is the\n' +
      "customer's pseudonym in the point (arc1…, what its wallet shows); the last three are the\n" +
      "customer's attestation of a confirmed event (all three or none). JSON: an array of objects with\n" +
      'the same fields, or with `attestation` nested as the wallet returns it. Event ids count once per shop.',
    options: { ...POINT, file: opt('FILE', 'events file (.json or .csv)') },
    build: async ({ args, io }) => {
      const file = resolve(io.cwd, requiredString(args, 'file'))
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch {
        throw invalidInput('--file', `cannot read ${file}`)
      }
      return trafficBatches(point(args), parseTrafficFile(text))
    },
  },
  {
    name: 'traffic-rules',
    summary: 'Set what traffic earns, confirmed and unconfirmed, and the daily cap per customer (manager)',
    usage: '--point ID [--confirmed KIND=N,…] [--unconfirmed KIND=N,…] --daily-cap N',
    details:
      'Kinds: visit, view, click, purchase (flat points per event) and purchasePerMille (points per\n' +
      "1,000 of a purchase's amount); unnamed kinds earn nothing. --daily-cap: the most points one\n" +
      "customer's pseudonym earns from traffic per JST day across every shop of the point (0 = none).\n" +
      'Example: --confirmed visit=5,purchase=2,purchasePerMille=10 --unconfirmed purchasePerMille=5',
    options: {
      ...POINT,
      confirmed: opt('KIND=N,…', 'what events the customer confirmed earn'),
      unconfirmed: opt('KIND=N,…', "what events on the shop's word alone earn"),
      'daily-cap': opt('N', 'most points per customer per day, all shops (0 = no traffic rewards)'),
    },
    build: async ({ args }) =>
      operations.setTrafficRules({
        point: point(args),
        confirmed: ratesArg(args, 'confirmed'),
        unconfirmed: ratesArg(args, 'unconfirmed'),
        dailyCapPerCustomer: intOption(args, 'daily-cap', 0, MAX),
      }),
  },
  {
    name: 'claim-traffic',
    summary: "Claim the points your pseudonym's traffic earned into an account (signed by the pseudonym)",
    usage: '--point ID [--to ADDRESS] [--amount N]',
    details:
      "Signs with the point's pseudonym derived from the key file (see `arcade wallet pseudonym`), never\n" +
      'the key itself. --to: the account to credit (default the key file’s own); --amount: default all\n' +
      'that is unclaimed. The claim is the one link between the pseudonym and that account on the ledger.',
    options: {
      ...POINT,
      to: opt('ADDRESS', "the account to credit (default the key file's)"),
      amount: opt('N', 'points to claim (default all unclaimed)'),
    },
    signer: pseudonymOf,
    build: async (ctx) => {
      const p = point(ctx.args)
      const to = stringOption(ctx.args, 'to') ?? ctx.wallet.address
      toAccount(to, '--to')
      const pseudonym = await pseudonymOf(ctx)
      const unclaimed = (await ctx.client.pseudonymTraffic(p, pseudonym.address)).unclaimed
      const amount = intOption(ctx.args, 'amount', 1, MAX, unclaimed)
      if (amount === 0) throw invalidInput('--amount', `pseudonym ${pseudonym.address} has nothing unclaimed`)
      return operations.claimTraffic({ point: p, account: to, amount })
    },
  },
]
