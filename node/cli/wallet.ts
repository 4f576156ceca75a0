/**
 * `arcade wallet …`: an account key file and what the ledger holds for it. Also the helpers the
 * `tx` and `query` groups share: connecting to a node's RPC, loading the signing key, checking
 * arguments, printing.
 */
import { resolve } from 'node:path'
import {
  ArcadeClient,
  type ClientOptions,
  DEFAULT_RPC_URL,
  parseAmount,
  toAccount,
  toPointId,
  type Wallet,
  walletFromKeys,
} from '../../client/index.ts'
import { readKeyFile, writeKeyFile } from '../keys.ts'
import {
  type CliArgs,
  type CliGroup,
  type CliIo,
  type CliOption,
  flag,
  requiredString,
  stringOption,
  UsageError,
} from './command.ts'

/** --rpc and --json: every command that talks to a node. */
export const connectOptions: Readonly<Record<string, CliOption>> = {
  rpc: {
    type: 'string',
    value: 'URL',
    description: `node RPC URL (default $ARCADE_RPC or ${DEFAULT_RPC_URL}, validator-1 of genesis init)`,
  },
  json: { type: 'boolean', description: 'print JSON instead of text' },
}

/** --key, --sponsor, --wait, --valid-for: every command that signs a tx. */
export const signOptions: Readonly<Record<string, CliOption>> = {
  ...connectOptions,
  key: { type: 'string', short: 'k', value: 'FILE', description: 'signing key file (default $ARCADE_KEY)' },
  sponsor: {
    type: 'string',
    value: 'ADDRESS',
    description: 'account whose quota pays for the tx (default: the signer)',
  },
  wait: { type: 'boolean', short: 'w', description: 'wait until the tx is committed and show its receipt' },
  'valid-for': {
    type: 'string',
    value: 'BLOCKS',
    description: 'blocks the tx stays valid for (default 100)',
  },
}

// --- arguments of tx commands, checked before anything is sent ---

export const MAX = Number.MAX_SAFE_INTEGER
export const opt = (value: string, description: string): CliOption => ({ type: 'string', value, description })
export const POINT = { point: opt('ID', 'point id, e.g. SHOP') }
export const AMOUNT = opt(
  'AMOUNT',
  "amount (integer in the smallest unit, or a decimal like 12.50 for the point's decimals)",
)

export const pointArg = (args: CliArgs): string => toPointId(requiredString(args, 'point'), '--point')

/** An `arc1…` option, checked (a typo is refused here, never paid). */
export function accountArg(args: CliArgs, name: string): string {
  const text = requiredString(args, name)
  toAccount(text, `--${name}`)
  return text
}

/** An amount option; a decimal is scaled by the point's decimals (asked of the node). */
export async function amountArg(
  ctx: { client: ArcadeClient; args: CliArgs },
  name = 'amount',
  point?: string,
): Promise<number> {
  const text = requiredString(ctx.args, name)
  if (!text.includes('.') || point === undefined) return parseAmount(text, 0, `--${name}`)
  const { decimals } = await ctx.client.point(point)
  return parseAmount(text, decimals, `--${name}`)
}

export function listArg(args: CliArgs, name: string): string[] {
  const v = args.values[name]
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
  return typeof v === 'string' ? [v] : []
}

export function clientFrom(args: CliArgs, io: CliIo, extra: ClientOptions = {}): ArcadeClient {
  const url = stringOption(args, 'rpc') ?? io.env.ARCADE_RPC ?? DEFAULT_RPC_URL
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme')
  } catch {
    throw new UsageError(`--rpc must be an http(s) URL, not '${url}'`)
  }
  return new ArcadeClient({ url, ...extra })
}

/** The account key that signs (from --key or $ARCADE_KEY); node keys are refused. */
export async function loadWallet(args: CliArgs, io: CliIo, option = 'key'): Promise<Wallet> {
  const file = stringOption(args, option) ?? (option === 'key' ? io.env.ARCADE_KEY : undefined)
  if (file === undefined || file === '') throw new UsageError(`--${option} FILE is required`)
  const key = await readKeyFile(resolve(io.cwd, file))
  if (key.kind !== 'account') throw new UsageError(`${file} is a node key; accounts sign txs`)
  return walletFromKeys(key)
}

/** Plain text of any JSON value: nested keys indented, lists one item per line. */
export function renderText(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}(none)\n`
    return value
      .map((item) => {
        if (typeof item !== 'object' || item === null) return `${indent}- ${String(item)}\n`
        const body = renderText(item, `${indent}  `)
        return `${indent}- ${body.trimStart()}`
      })
      .join('')
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    const width = Math.max(0, ...entries.map(([k]) => k.length))
    return entries
      .map(([k, v]) => {
        const isList = Array.isArray(v) && v.length > 0
        if ((typeof v === 'object' && v !== null && !Array.isArray(v)) || isList) {
          return `${indent}${k}:\n${renderText(v, `${indent}  `)}`
        }
        const shown = Array.isArray(v) ? '(none)' : v === null ? '-' : String(v)
        return `${indent}${k.padEnd(width)}  ${shown}\n`
      })
      .join('')
  }
  return `${indent}${String(value)}\n`
}

export function print(args: CliArgs, io: CliIo, value: unknown, text?: string): void {
  io.out(flag(args, 'json') ? `${JSON.stringify(value, null, 2)}\n` : (text ?? renderText(value)))
}

export const group: CliGroup = {
  name: 'wallet',
  summary: 'An account key file and its balances',
  commands: [
    {
      name: 'new',
      summary: 'Create an account key file; print its address',
      usage: 'wallet new --out FILE [--force] [--json]',
      details: 'The file holds the secret key (mode 0600): keep it safe, it is the account.',
      options: {
        out: { type: 'string', short: 'o', value: 'FILE', description: 'write the key file here' },
        force: { type: 'boolean', description: 'overwrite FILE if it exists' },
        json: { type: 'boolean', description: 'print JSON {address, publicKey, file}' },
      },
      async run(args, io) {
        const out = stringOption(args, 'out')
        if (out === undefined || out === '') throw new UsageError('--out FILE is required')
        const file = resolve(io.cwd, out)
        const written = await writeKeyFile(file, io.generateKeyPair(), {
          kind: 'account',
          overwrite: flag(args, 'force'),
        })
        print(
          args,
          io,
          { address: written.address, publicKey: written.publicKey, file },
          `${written.address}\n`,
        )
        return 0
      },
    },
    {
      name: 'show',
      summary: "Print a key file's address and, unless --offline, its roles, balances and grants",
      usage: 'wallet show [--key FILE] [--rpc URL] [--points A,B] [--offline] [--json]',
      options: {
        ...connectOptions,
        key: { type: 'string', short: 'k', value: 'FILE', description: 'key file (default $ARCADE_KEY)' },
        points: {
          type: 'string',
          value: 'A,B',
          description: 'only these points (needed on nodes without a point index)',
        },
        offline: { type: 'boolean', description: 'do not ask a node; print the address only' },
      },
      async run(args, io) {
        const wallet = await loadWallet(args, io)
        if (flag(args, 'offline')) {
          print(args, io, { address: wallet.address }, `${wallet.address}\n`)
          return 0
        }
        const points = stringOption(args, 'points')
          ?.split(',')
          .filter((p) => p !== '')
        const account = await clientFrom(args, io).account(
          wallet.address,
          points === undefined ? {} : { points },
        )
        const text =
          `address  ${account.address}\nheight   ${account.height}\nroles    ${account.roles.join(', ') || '-'}\n` +
          `balances\n${account.balances.map((b) => `  ${b.point.padEnd(12)} ${b.amount}\n`).join('') || '  (none)\n'}` +
          `grants\n${account.grants.map((g) => `  ${g.point.padEnd(12)} ${g.txsPerPeriod} txs / ${g.periodMs} ms${g.revoked ? ' (revoked)' : ''}\n`).join('') || '  (none)\n'}`
        print(args, io, account, text)
        return 0
      },
    },
  ],
}
