/**
 * `arcade audit reconcile`: a regulator's check of a point's books on an observer's RPC. The journal
 * is summed, the state is read from proofs verified through a trust root (client/reconcile.ts), and
 * the command exits 0 when every check passes, 1 at the first discrepancy (printed with what was
 * expected, what was found and where), 2 on a usage error.
 */
import {
  ArcadeClientError,
  ClientErrorCode,
  RECONCILE_CHECKS,
  type ReconcileCheck,
  type ReconcileReport,
  reconcilePoint,
  toPointId,
} from '../../client/index.ts'
import {
  type CliCommand,
  type CliGroup,
  intOption,
  requiredString,
  stringOption,
  UsageError,
} from './command.ts'
import { lightClientFrom, trustOptionsFor } from './proof-trust.ts'
import { clientFrom, connectOptions, print } from './wallet.ts'

const USAGE =
  'audit reconcile --point ID [--at H] (--genesis FILE | --checkpoint H:HASH | --trust-cache FILE) [--rpc URL] [--json]'

/** Text in lines of at most 100 characters, broken at spaces. */
function wrap(text: string): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > 100) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  return [...lines, line].join('\n')
}

function checkLine(c: ReconcileCheck, width: number): string {
  const where = c.detail === undefined ? '' : ` (${c.detail})`
  return `  ${c.ok ? '✔' : '✘'} ${c.name.padEnd(width)}  expected ${c.expected}, found ${c.actual}${where}\n`
}

const fields = (o: object) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join('  ')

/** The report as text: a line per check run, the totals, and the first discrepancy. */
export function describeReconcile(r: ReconcileReport): string {
  let text = `reconcile ${r.point} at height ${r.height}`
  text += r.provenHeight === 0 ? ' (point record not proven)' : ` (point record proven at ${r.provenHeight})`
  text += `: ${r.rows} journal rows, ${r.merchants} merchants proven\n`
  const width = Math.max(...r.checks.map((c) => c.name.length))
  for (const c of r.checks) text += checkLine(c, width)
  const { journal, state, proven } = r.totals
  if (journal !== null || state !== null || proven !== null) {
    text += `totals at height ${r.height}:\n`
    if (journal !== null) text += `  journal  ${fields(journal)}\n`
    if (state !== null) text += `  state    ${fields(state)}\n`
    if (proven !== null) text += `  proven at ${r.provenHeight}: ${fields(proven)}\n`
  }
  const d = r.firstDiscrepancy
  if (d === null) return `${text}ok: all ${r.checks.length} checks pass\n`
  const where = d.detail === undefined ? '' : `, ${d.detail}`
  return `${text}FIRST DISCREPANCY ${d.name}: expected ${d.expected}, found ${d.actual}${where}\n`
}

const reconcile: CliCommand = {
  name: 'reconcile',
  summary: "Recompute a point's books from the journal and check them against the validators' proofs",
  usage: USAGE,
  details:
    'Sums the journal (customers = awards − payments − expiries + campaign bonuses; purses; campaign\n' +
    'budgets; each merchant’s float and liability; repayments, redemptions, expiries, the manager’s\n' +
    'campaign funding and returns) and checks it against the point and merchant records, proven through the trust root\n' +
    '(--genesis FILE or --checkpoint HEIGHT:HASH, or --trust-cache FILE saved by an earlier run; the\n' +
    "node's own validator set is never trusted). The checks, in order, stopping at the first that fails:\n" +
    `${wrap(Object.values(RECONCILE_CHECKS).join(', '))}.\n` +
    '--at H reconciles the books at a past height: the proven state less the journal rows after H.\n' +
    'Exit 0: every check passes; 1: a discrepancy (or an error); 2: a usage error.',
  options: {
    point: { type: 'string', value: 'ID', description: 'the point (required)' },
    at: {
      type: 'string',
      value: 'H',
      description: 'reconcile at height H (default: the height of the proven point record)',
    },
    ...trustOptionsFor(''),
    ...connectOptions,
  },
  async run(args, io) {
    const point = requiredString(args, 'point')
    try {
      toPointId(point, '--point')
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    const atHeight =
      stringOption(args, 'at') === undefined ? undefined : intOption(args, 'at', 0, Number.MAX_SAFE_INTEGER)
    const client = clientFrom(args, io)
    const { light, save } = await lightClientFrom(client, args, io, 'reconcile')
    let report: ReconcileReport
    try {
      report = await reconcilePoint(client, {
        point,
        trust: light,
        ...(atHeight === undefined ? {} : { atHeight }),
      })
    } catch (err) {
      if (
        err instanceof ArcadeClientError &&
        err.code === ClientErrorCode.invalidInput &&
        err.details.field === 'atHeight'
      ) {
        throw new UsageError(`--at ${atHeight}: ${String(err.details.reason)}`)
      }
      throw err
    }
    await save()
    print(args, io, report, describeReconcile(report))
    return report.ok ? 0 : 1
  },
}

export const group: CliGroup = {
  name: 'audit',
  summary: "A regulator's checks of the ledger against the validators' proofs",
  commands: [reconcile],
}
