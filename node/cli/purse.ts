/**
 * `arcade purse …`: offline purses without the chain at hand. The phone or device signs vouchers from
 * its purse key file (`voucher`, offline); a terminal caches the purse's certified proof while online
 * (`cache`) and checks vouchers against it offline (`verify`); `show` reads a purse. Opening, settling
 * and closing purses are `arcade tx purse-*` (tx-purse.ts).
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  ArcadeClientError,
  type CachedPurseProof,
  ClientErrorCode,
  createVoucher,
  LightClient,
  type LightClientCache,
  type PurseSpend,
  parseDurationMs,
  toAccount,
  toPointId,
  verifyVoucherOffline,
  voucherToJson,
} from '../../client/index.ts'
import {
  type CliArgs,
  type CliGroup,
  type CliIo,
  flag,
  intOption,
  requiredString,
  stringOption,
  UsageError,
} from './command.ts'
import { lightClientFrom, trustOptionsFor } from './proof-trust.ts'
import { oneVoucher } from './tx-purse.ts'
import {
  accountArg,
  clientFrom,
  connectOptions,
  listArg,
  loadWallet,
  MAX,
  opt,
  POINT,
  print,
} from './wallet.ts'

async function readJson(io: CliIo, name: string, option: string, missing?: unknown): Promise<unknown> {
  const file = resolve(io.cwd, name)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if (missing !== undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return missing
    throw new UsageError(`--${option}: cannot read ${file}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`--${option}: ${file} is not JSON`)
  }
}

/** Writes JSON atomically (a temporary file renamed over the target). */
async function writeJson(io: CliIo, name: string, value: unknown): Promise<void> {
  const file = resolve(io.cwd, name)
  await writeFile(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`)
  await rename(`${file}.tmp`, file)
}

/** A purse's run of vouchers as a state file keeps it (`arcade purse voucher --state`). */
interface PurseState extends PurseSpend {
  readonly purse: string
}

function spendOf(value: unknown, option: string): PurseSpend {
  const v = value as Partial<PurseSpend> | null
  const ok = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0
  if (typeof v !== 'object' || v === null || !ok(v.counter) || !ok(v.cumulative))
    throw new UsageError(`--${option}: expected {counter, cumulative}`)
  return { counter: v.counter as number, cumulative: v.cumulative as number }
}

/** The log a terminal keeps of the last voucher it took from each purse: { "<purse>": {counter, cumulative} }. */
type VoucherLog = Record<string, PurseSpend>

async function offlineTrust(args: CliArgs, io: CliIo): Promise<LightClient> {
  if (stringOption(args, 'checkpoint') !== undefined)
    throw new UsageError('offline, trust --genesis FILE or --trust-cache FILE (a checkpoint needs the node)')
  const cache = stringOption(args, 'trust-cache')
  if (cache !== undefined)
    return LightClient.fromCache((await readJson(io, cache, 'trust-cache')) as LightClientCache)
  const genesis = stringOption(args, 'genesis')
  if (genesis !== undefined) return LightClient.fromGenesis(await readJson(io, genesis, 'genesis'))
  throw new UsageError('verify needs a trust root: --genesis FILE or --trust-cache FILE')
}

export const group: CliGroup = {
  name: 'purse',
  summary: 'Offline purses: sign vouchers, cache a purse proof, check vouchers offline, show a purse',
  commands: [
    {
      name: 'voucher',
      summary: 'Sign a payment voucher offline with a purse key file (the phone or device)',
      usage:
        'purse voucher --purse-key FILE --point ID --to ADDRESS --amount N (--state FILE | --counter N --cumulative N) [--chain-id ID | --rpc URL] [--locked N] [--out FILE] [--json]',
      details:
        "--state FILE keeps the purse's last counter and running total (created on the first voucher) and\n" +
        'moves it on; --counter and --cumulative give them explicitly. The amount is an integer in the\n' +
        "point's smallest unit. Without --chain-id the chain id is asked of --rpc.",
      options: {
        'purse-key': opt('FILE', "the purse's key file"),
        ...POINT,
        to: opt('ADDRESS', 'the merchant or terminal paid'),
        amount: opt('N', 'amount, an integer in the smallest unit'),
        state: opt('FILE', "the purse's running counter and total (read, then moved on)"),
        counter: opt('N', 'the counter (1 for the first voucher)'),
        cumulative: opt('N', 'the running total, this voucher included'),
        'chain-id': opt('ID', 'the chain id (else asked of --rpc)'),
        locked: opt('N', 'the amount locked: refuse a voucher beyond it'),
        out: opt('FILE', 'write the voucher JSON here'),
        ...connectOptions,
      },
      async run(args, io) {
        const purse = await loadWallet(args, io, 'purse-key')
        const amount = intOption(args, 'amount', 1, MAX)
        const statePath = stringOption(args, 'state')
        let previous: PurseSpend | null
        if (statePath !== undefined) {
          if (stringOption(args, 'counter') !== undefined || stringOption(args, 'cumulative') !== undefined)
            throw new UsageError('give --state or --counter/--cumulative, not both')
          const state = (await readJson(io, statePath, 'state', null)) as PurseState | null
          if (state !== null && state.purse !== purse.address)
            throw new UsageError(`--state ${statePath} is the state of purse ${String(state.purse)}`)
          previous = state === null ? null : spendOf(state, 'state')
        } else {
          const counter = intOption(args, 'counter', 1, MAX)
          const cumulative = intOption(args, 'cumulative', amount, MAX)
          previous = { counter: counter - 1, cumulative: cumulative - amount }
        }
        const chainId = stringOption(args, 'chain-id') ?? (await clientFrom(args, io).chainId())
        const lockedText = stringOption(args, 'locked')
        const made = createVoucher({
          chainId,
          purse,
          point: toPointId(requiredString(args, 'point'), '--point'),
          payee: accountArg(args, 'to'),
          amount,
          previous,
          ...(lockedText === undefined ? {} : { locked: intOption(args, 'locked', 1, MAX) }),
        })
        const json = voucherToJson(made.voucher)
        if (statePath !== undefined) await writeJson(io, statePath, { purse: purse.address, ...made.spend })
        const out = stringOption(args, 'out')
        if (out !== undefined) await writeJson(io, out, json)
        print(
          args,
          io,
          json,
          out === undefined
            ? `${JSON.stringify(json, null, 2)}\n`
            : `voucher ${json.counter} of ${json.purse}: ${json.amount} (running total ${json.cumulative}) written to ${out}\n`,
        )
        return 0
      },
    },
    {
      name: 'show',
      summary: 'A purse: owner, locked, spent, expiry, status, counters, overdraft charged and shortfall',
      usage: 'purse show ADDRESS [--rpc URL] [--json]',
      positionals: [1, 1],
      options: { ...connectOptions },
      async run(args, io) {
        const address = args.positionals[0] as string
        toAccount(address, 'purse')
        print(args, io, await clientFrom(args, io).purse(address))
        return 0
      },
    },
    {
      name: 'cache',
      summary:
        "Fetch a purse's certified proof, verify it, and save it for offline checks (terminal, online)",
      usage:
        'purse cache --purse ADDRESS --out FILE (--genesis FILE | --checkpoint H:HASH | --trust-cache FILE) [--rpc URL]',
      details:
        'The proof is verified against the trust root (never the node’s own validator set) before it is\n' +
        'written. With --trust-cache, the verified validator sets are saved there too: `purse verify` reads\n' +
        'them offline.',
      options: {
        purse: opt('ADDRESS', 'the purse key'),
        out: opt('FILE', 'write the cached proof here'),
        ...trustOptionsFor(''),
        ...connectOptions,
      },
      async run(args, io) {
        const purse = accountArg(args, 'purse')
        const client = clientFrom(args, io)
        const { light, save } = await lightClientFrom(client, args, io, 'purse cache')
        const cached = await client.purseProof(purse, { trust: light })
        await save()
        const out = requiredString(args, 'out')
        await writeJson(io, out, cached)
        print(
          args,
          io,
          { purse: cached.purse, height: cached.proof.height, file: resolve(io.cwd, out) },
          `cached ${cached.purse} at height ${cached.proof.height} in ${out}\n`,
        )
        return 0
      },
    },
    {
      name: 'verify',
      summary: 'Check a voucher offline against a cached purse proof (terminal); exit 1 if refused',
      usage:
        'purse verify --voucher FILE --cache FILE --payee ADDRESS [--payee ADDRESS]… (--genesis FILE | --trust-cache FILE) [--log FILE] [--max-age DURATION] [--json]',
      details:
        '--log FILE keeps the last voucher taken from each purse (updated when one is accepted): with it,\n' +
        'what this terminal takes from one purse never passes the locked amount. Refusals print\n' +
        'CLIENT_VOUCHER_REJECTED and the reason (signature, proof, frozen, beyond-purse, replay, …).',
      options: {
        voucher: opt('FILE', 'the voucher JSON'),
        cache: opt('FILE', 'the cached purse proof (`purse cache`)'),
        payee: {
          type: 'string',
          multiple: true,
          value: 'ADDRESS',
          description: 'this terminal, its merchant (repeat)',
        },
        log: opt('FILE', 'the last voucher taken from each purse (read, then updated)'),
        'max-age': opt('DURATION', 'oldest proof accepted (default 1d)'),
        genesis: { type: 'string', value: 'FILE', description: "trust the chain's genesis file" },
        'trust-cache': {
          type: 'string',
          value: 'FILE',
          description: 'trust the sets `purse cache` verified',
        },
        checkpoint: { type: 'string', value: 'HEIGHT:HASH', description: '(refused: needs the node)' },
        json: { type: 'boolean', description: 'print JSON instead of text' },
      },
      async run(args, io) {
        const voucher = await oneVoucher(io, args, 'voucher')
        const cached = (await readJson(io, requiredString(args, 'cache'), 'cache')) as CachedPurseProof
        const payees = listArg(args, 'payee')
        if (payees.length === 0) throw new UsageError('--payee ADDRESS is required')
        const trust = await offlineTrust(args, io)
        const logPath = stringOption(args, 'log')
        const log = (logPath === undefined ? {} : await readJson(io, logPath, 'log', {})) as VoucherLog
        const maxAge = stringOption(args, 'max-age')
        const purse = (voucher as { purse: string }).purse
        const last = log[purse]
        try {
          const accepted = verifyVoucherOffline(voucher as never, cached, trust, {
            payees,
            nowMs: io.nowMs(),
            last: last === undefined ? null : spendOf(last, 'log'),
            ...(maxAge === undefined ? {} : { maxProofAgeMs: parseDurationMs(maxAge, '--max-age') }),
          })
          if (logPath !== undefined) await writeJson(io, logPath, { ...log, [purse]: accepted.spend })
          const result = {
            accepted: true,
            purse,
            counter: accepted.spend.counter,
            amount: accepted.voucher.amount,
            cumulative: accepted.spend.cumulative,
            provenHeight: accepted.provenHeight,
          }
          print(
            args,
            io,
            result,
            `accepted voucher ${result.counter} of ${purse}: ${result.amount} (running total ${result.cumulative}, purse proven at ${result.provenHeight})\n`,
          )
          return 0
        } catch (err) {
          if (!(err instanceof ArcadeClientError && err.code === ClientErrorCode.voucherRejected)) throw err
          const reason = String(err.details.reason)
          if (flag(args, 'json')) print(args, io, { accepted: false, reason, message: err.message })
          else io.err(`error ${err.code}: ${reason}: ${err.message}\n`)
          return 1
        }
      },
    },
  ],
}
