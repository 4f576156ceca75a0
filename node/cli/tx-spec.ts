/**
 * What every signing command shares (`arcade tx …`, `arcade gov propose|vote`): a spec builds the
 * request(s) from the checked command line, and `txCommand` signs, submits and, with `--wait`,
 * follows them to their commit and prints the receipt. Not a command group itself.
 */
import {
  type ArcadeClient,
  ArcadeClientError,
  ClientErrorCode,
  describeCommitted,
  describeSubmitResults,
  type SignedTx,
  type TxRequest,
  toAccount,
  type Wallet,
} from '../../client/index.ts'
import {
  type CliArgs,
  type CliCommand,
  type CliIo,
  type CliOption,
  flag,
  intOption,
  stringOption,
} from './command.ts'
import { clientFrom, loadWallet, print, signOptions } from './wallet.ts'

export interface TxContext {
  readonly client: ArcadeClient
  readonly wallet: Wallet
  readonly args: CliArgs
  readonly io: CliIo
}

export interface TxSpec {
  readonly name: string
  readonly summary: string
  /** Usage after the command name, before the signing options. */
  readonly usage: string
  readonly options: Readonly<Record<string, CliOption>>
  readonly details?: string
  /** Positional arguments allowed: [min, max]. Default none. */
  readonly positionals?: readonly [number, number]
  build(ctx: TxContext): Promise<TxRequest | TxRequest[]>
  /** Who signs, when not the key file's wallet itself (a key derived from it, e.g. a pseudonym). */
  signer?(ctx: TxContext): Promise<Wallet>
}

async function runSpec(spec: TxSpec, args: CliArgs, io: CliIo): Promise<number> {
  const validityBlocks = intOption(args, 'valid-for', 1, 1_000_000, 100)
  const client = clientFrom(args, io, { validityBlocks })
  const wallet = await loadWallet(args, io)
  const sponsor = stringOption(args, 'sponsor')
  if (sponsor !== undefined) toAccount(sponsor, '--sponsor')
  const ctx = { client, wallet, args, io }
  const built = await spec.build(ctx)
  const requests = Array.isArray(built) ? built : [built]
  const wait = flag(args, 'wait')
  const signer = spec.signer === undefined ? wallet : await spec.signer(ctx)
  const signing = { signer, ...(sponsor === undefined ? {} : { sponsor }) }
  if (requests.length === 1) {
    const sent = await client.send(requests[0] as TxRequest, { ...signing, wait, throwOnFailure: false })
    const out = sent.committed ?? { hash: sent.hash, status: sent.result.status ?? 'pending' }
    print(
      args,
      io,
      out,
      sent.committed === undefined ? `submitted ${sent.hash} (pending)\n` : describeCommitted(sent.committed),
    )
    return sent.committed?.receipt.status === 'failed' ? 1 : 0
  }
  const txs: SignedTx[] = []
  for (const r of requests) txs.push(await client.buildTx(r.kind, r.fields, signing))
  const results = await client.submitBatch(txs, { wait })
  print(args, io, results, describeSubmitResults(results))
  const bad = results.filter((r) => !r.accepted || r.receipt?.status === 'failed').length
  if (bad > 0 && !flag(args, 'json')) {
    throw new ArcadeClientError(
      ClientErrorCode.txRejected,
      `${bad} of ${results.length} txs refused or failed`,
    )
  }
  return bad === 0 ? 0 : 1
}

const SIGNING_USAGE = '[--key FILE] [--sponsor ADDRESS] [--wait] [--rpc URL] [--json]'

/** The command of a spec in `group`: its options plus the signing ones. */
export function txCommand(group: string, spec: TxSpec): CliCommand {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: `${[group, spec.name, spec.usage].filter((part) => part !== '').join(' ')} ${SIGNING_USAGE}`,
    ...(spec.details === undefined ? {} : { details: spec.details }),
    ...(spec.positionals === undefined ? {} : { positionals: spec.positionals }),
    options: { ...spec.options, ...signOptions },
    run: (args, io) => runSpec(spec, args, io),
  }
}
