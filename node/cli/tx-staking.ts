/**
 * The staking commands of `arcade tx`: a member delegates and undelegates; an association's own
 * account publishes its node's addresses and unjails itself. Not a command group itself (tx.ts).
 */
import {
  type ArcadeClient,
  type Association,
  governance,
  invalidInput,
  operations,
} from '../../client/index.ts'
import { UsageError } from './command.ts'
import type { TxSpec } from './tx-spec.ts'
import { AMOUNT, accountArg as account, amountArg as amount, opt } from './wallet.ts'

/** An option given as '' withdraws the value (null); absent is undefined. */
function nullableOption(values: Record<string, unknown>, name: string): string | null | undefined {
  const v = values[name]
  if (typeof v !== 'string') return undefined
  return v === '' ? null : v
}

export const ADDRESS_OPTIONS = {
  p2p: opt('ADDR', "the node's p2p address: host:port or /ip4/…/tcp/… ('' for none)"),
  'rpc-url': opt('URL', "the association's public RPC URL, http(s) ('' for none)"),
}

/** --p2p and --rpc-url (not --rpc: that names the node this command talks to). */
export function addressArgs(values: Record<string, unknown>): { p2p?: string | null; rpc?: string | null } {
  const p2p = nullableOption(values, 'p2p')
  const rpc = nullableOption(values, 'rpc-url')
  return { ...(p2p === undefined ? {} : { p2p }), ...(rpc === undefined ? {} : { rpc }) }
}

export const stakingSpecs: TxSpec[] = [
  {
    name: 'delegate',
    summary: 'Delegate stake to a validator association (member)',
    usage: '--association ADDRESS --amount AMOUNT',
    options: { association: opt('ADDRESS', 'the association account'), amount: AMOUNT },
    build: async (ctx) =>
      operations.delegate({ association: account(ctx.args, 'association'), amount: await amount(ctx) }),
  },
  {
    name: 'undelegate',
    summary: 'Take stake back from an association (member); free again after the unbonding epochs',
    usage: '--association ADDRESS --amount AMOUNT',
    options: { association: opt('ADDRESS', 'the association account'), amount: AMOUNT },
    build: async (ctx) =>
      governance.undelegate({ association: account(ctx.args, 'association'), amount: await amount(ctx) }),
  },
  {
    name: 'unjail',
    summary: 'Unjail your association once its jail period is over (association account)',
    usage: '',
    details:
      'A double-signing validator is jailed for jailEpochs epochs (`arcade query params`); `arcade query\n' +
      'associations` shows the height from which this tx passes (unjailFromHeight). The next election after\n' +
      'it may choose the association again.',
    options: {},
    build: async () => governance.unjail(),
  },
  {
    name: 'set-addresses',
    summary: "Publish your node's p2p address and public RPC URL on chain (association account)",
    usage: '[--p2p ADDR] [--rpc-url URL]',
    details:
      "An omitted one keeps its value on chain; '' withdraws it. Validators dial the p2p address of every\n" +
      'association in the set they allow: keep it current when the node moves. The RPC URL is --rpc-url:\n' +
      '--rpc names the node this command talks to.',
    options: ADDRESS_OPTIONS,
    build: async ({ args, client, wallet }) => {
      const given = addressArgs(args.values)
      if (!('p2p' in given) && !('rpc' in given)) throw new UsageError('give --p2p, --rpc-url or both')
      const current = await associationOf(client, wallet.address, '--key')
      return governance.setAddresses({ p2p: current.p2p, rpc: current.rpc, ...given })
    },
  },
]

/** The association record of `address` as the node serves it; refused when there is none. */
export async function associationOf(
  client: ArcadeClient,
  address: string,
  field: string,
): Promise<Association> {
  const found = (await client.associations()).find((a) => a.address === address)
  if (found === undefined) throw invalidInput(field, `${address} is no association on this chain`)
  return found
}
