/**
 * `arcade settle <statement|usage>`: a point's settlement statement or its manager's sponsor usage
 * for a month or a day, exactly as the node rendered it, with its SHA-256. Two parties who fetch a
 * final statement from their own nodes compare the hashes instead of the documents.
 */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { ArcadeClient, StatementDocument, StatementQuery } from '../../client/index.ts'
import {
  type CliCommand,
  type CliGroup,
  type CliOption,
  flag,
  requiredString,
  stringOption,
  UsageError,
} from './command.ts'
import { clientFrom, connectOptions } from './wallet.ts'

const options = {
  point: { type: 'string', value: 'ID', description: 'the point (required)' },
  period: { type: 'string', value: 'PERIOD', description: 'a month YYYY-MM or a day YYYY-MM-DD (required)' },
  'time-zone': {
    type: 'string',
    value: 'ZONE',
    description: 'IANA time zone of the calendar (default Asia/Tokyo)',
  },
  csv: { type: 'boolean', description: 'CSV instead of JSON (columns in README)' },
  out: { type: 'string', value: 'FILE', description: 'write the statement to FILE instead of stdout' },
  rpc: connectOptions.rpc as CliOption,
} as const satisfies Record<string, CliOption>

const PERIOD = /^\d{4}-\d{2}(-\d{2})?$/

function command(
  name: string,
  summary: string,
  details: string,
  fetch: (c: ArcadeClient, point: string, q: StatementQuery) => Promise<StatementDocument<unknown>>,
): CliCommand {
  return {
    name,
    summary,
    usage: `settle ${name} --point ID --period YYYY-MM[-DD] [--time-zone ZONE] [--csv] [--out FILE] [--rpc URL]`,
    details,
    options,
    async run(args, io) {
      const point = requiredString(args, 'point')
      const period = requiredString(args, 'period')
      if (!PERIOD.test(period)) throw new UsageError('--period must be YYYY-MM or YYYY-MM-DD')
      const timeZone = stringOption(args, 'time-zone')
      const doc = await fetch(clientFrom(args, io), point, {
        period,
        format: flag(args, 'csv') ? 'csv' : 'json',
        ...(timeZone === undefined ? {} : { timeZone }),
      })
      const out = stringOption(args, 'out')
      if (out === undefined) {
        io.out(doc.text)
        io.err(`sha256 ${doc.sha256}\n`)
      } else {
        const path = resolve(io.cwd, out)
        await writeFile(path, doc.bytes)
        io.out(`sha256 ${doc.sha256}  ${out}\n`)
      }
      return 0
    },
  }
}

export const group: CliGroup = {
  name: 'settle',
  summary: 'Settlement statements and sponsor usage of a point, per month or day, with their hash',
  commands: [
    command(
      'statement',
      'Per merchant: opening and closing float and liability, awards, payments, repayments, redemptions, owed',
      'The statement goes to stdout (or --out FILE) and its SHA-256 to stderr (or stdout with --out).\n' +
        'owedToManager is the closing liability, owedToMerchant the redemptions of the period, and\n' +
        'net = owedToMerchant − owedToManager (positive: the manager pays the merchant). Once the period\n' +
        'is over ("final": true) every node gives the same bytes, so the hashes of two nodes agree.',
      (c, point, q) => c.statement(point, q),
    ),
    command(
      'usage',
      "The txs the point's manager sponsored: totals by kind and by grantee",
      'Counts the txs other accounts signed with the manager as sponsor that spent its quota (failed\n' +
        'counts those whose body then failed), for paying the fees in yen.',
      (c, point, q) => c.sponsorUsage(point, q),
    ),
  ],
}
