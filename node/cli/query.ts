/** `arcade query <what>`: read the ledger through a node's RPC; `proof --verify` checks the answer. */
import { type ArcadeClient, describeTrustedSet, type JournalQuery, toHex } from '../../client/index.ts'
import {
  type CliArgs,
  type CliCommand,
  type CliGroup,
  type CliIo,
  type CliOption,
  flag,
  intOption,
  stringOption,
  UsageError,
} from './command.ts'
import { lightClientFrom, trustOptions } from './proof-trust.ts'
import { clientFrom, connectOptions, print } from './wallet.ts'

const MAX = Number.MAX_SAFE_INTEGER
const DAY_MS = 86_400_000
const JST_OFFSET_MS = 9 * 3_600_000

interface QuerySpec {
  readonly name: string
  readonly summary: string
  /** Positional arguments after the command name, as shown in usage. */
  readonly args?: readonly string[]
  readonly optionalArgs?: number
  readonly options?: Readonly<Record<string, CliOption>>
  readonly details?: string
  run(client: ArcadeClient, pos: readonly string[], args: CliArgs, io: CliIo): Promise<unknown>
}

const page = {
  offset: { type: 'string', value: 'N', description: 'skip N items (default 0)' },
  limit: { type: 'string', value: 'N', description: 'at most N items (default 100)' },
} as const satisfies Record<string, CliOption>
const pageOf = (args: CliArgs) => ({
  offset: intOption(args, 'offset', 0, MAX, 0),
  limit: intOption(args, 'limit', 1, 1000, 100),
})
const at = (pos: readonly string[], i: number) => pos[i] as string
/** Returned by a spec that wrote its own output (a CSV stream). */
const WRITTEN = Symbol('written')

const journalOptions = {
  point: { type: 'string', value: 'ID', description: 'the point (required)' },
  account: { type: 'string', value: 'ADDRESS', description: 'only rows naming this account' },
  merchant: { type: 'string', value: 'ADDRESS', description: "only rows moving this merchant's books" },
  'from-height': { type: 'string', value: 'H', description: 'first height' },
  'to-height': { type: 'string', value: 'H', description: 'last height' },
  'from-time': {
    type: 'string',
    value: 'T',
    description: 'first block time: ISO 8601 (e.g. 2026-11-01T00:00+09:00) or ms',
  },
  'to-time': { type: 'string', value: 'T', description: 'last block time' },
  cursor: { type: 'string', value: 'CURSOR', description: "the previous page's next cursor" },
  limit: {
    type: 'string',
    value: 'N',
    description: 'rows per page (default 100, at most 1000; not with --csv)',
  },
  csv: { type: 'boolean', description: 'stream the whole range as CSV (columns in README)' },
} as const satisfies Record<string, CliOption>

function journalQueryOf(args: CliArgs): JournalQuery {
  const point = stringOption(args, 'point')
  if (point === undefined) throw new UsageError('--point is required')
  const account = stringOption(args, 'account')
  const merchant = stringOption(args, 'merchant')
  if (account !== undefined && merchant !== undefined)
    throw new UsageError('give --account or --merchant, not both')
  const height = (name: string) =>
    stringOption(args, name) === undefined ? undefined : intOption(args, name, 0, MAX, 0)
  const fromHeight = height('from-height')
  const toHeight = height('to-height')
  const fromTime = stringOption(args, 'from-time')
  const toTime = stringOption(args, 'to-time')
  return {
    point,
    ...(account === undefined ? {} : { account }),
    ...(merchant === undefined ? {} : { merchant }),
    ...(fromHeight === undefined ? {} : { fromHeight }),
    ...(toHeight === undefined ? {} : { toHeight }),
    ...(fromTime === undefined ? {} : { fromTime }),
    ...(toTime === undefined ? {} : { toTime }),
  }
}

const specs: QuerySpec[] = [
  { name: 'status', summary: "The node's chain id, height, role, peers and mempool", run: (c) => c.status() },
  {
    name: 'block',
    summary: 'A block by height (default the latest): header, tx hashes, certificates',
    args: ['[HEIGHT]'],
    optionalArgs: 1,
    run: async (c, pos) => {
      const h = pos[0] ?? 'latest'
      if (h !== 'latest' && !/^[1-9]\d{0,15}$/.test(h))
        throw new UsageError('HEIGHT must be a positive integer or latest')
      return (await c.block(h === 'latest' ? 'latest' : Number(h))).json
    },
  },
  {
    name: 'tx',
    summary: 'A tx by hash: pending, committed or failed, with its receipt',
    args: ['HASH'],
    run: (c, pos) => c.tx(at(pos, 0)),
  },
  {
    name: 'account',
    summary: 'Roles, balances and quota grants of an account',
    args: ['ADDRESS'],
    options: { points: { type: 'string', value: 'A,B', description: 'only these points' } },
    run: (c, pos, args) => {
      const points = stringOption(args, 'points')
        ?.split(',')
        .filter((p) => p !== '')
      return c.account(at(pos, 0), points === undefined ? {} : { points })
    },
  },
  {
    name: 'history',
    summary: 'Txs that touched an account, newest first',
    args: ['ADDRESS'],
    options: {
      limit: { type: 'string', value: 'N', description: 'at most N (default 20)' },
      before: { type: 'string', value: 'CURSOR', description: "the previous page's next cursor" },
    },
    run: (c, pos, args) => {
      const before = stringOption(args, 'before')
      return c.history(at(pos, 0), {
        limit: intOption(args, 'limit', 1, 100, 20),
        ...(before === undefined ? {} : { before }),
      })
    },
  },
  {
    name: 'journal',
    summary:
      'Movements of a point (per account or merchant, by height or time), a page as JSON or all as CSV',
    options: journalOptions,
    details:
      'Rows ascending by (height, tx, row). Without --csv: one page; pass its next as --cursor. ' +
      'With --csv: the whole range from --cursor, streamed to stdout.',
    run: async (c, _pos, args, io) => {
      const query = journalQueryOf(args)
      const cursor = stringOption(args, 'cursor')
      if (!flag(args, 'csv')) {
        return c.journal(query, {
          limit: intOption(args, 'limit', 1, 1000, 100),
          ...(cursor === undefined ? {} : { cursor }),
        })
      }
      for await (const chunk of c.journalCsv(query, cursor === undefined ? {} : { cursor })) io.out(chunk)
      return WRITTEN
    },
  },
  { name: 'points', summary: 'Every regional point', run: (c) => c.points() },
  {
    name: 'point',
    summary: 'A point: manager, supply, liability, fiat totals, traffic rules',
    args: ['ID'],
    run: (c, pos) => c.point(at(pos, 0)),
  },
  {
    name: 'lots',
    summary: "What of a customer's balance expires when, and what it may spend now",
    args: ['ID', 'ADDRESS'],
    details:
      'balance: spendable now (expired points never count); lots: amount and expiry (00:00 JST), soonest\n' +
      'first; nonExpiring: what never expires; stored and expiredUnswept: the record before the sweep.',
    run: (c, pos) => c.lots(at(pos, 0), at(pos, 1)),
  },
  {
    name: 'refundable',
    summary: 'A payment its merchant may still refund (by its tx hash), and how much',
    args: ['ID', 'TXHASH'],
    run: (c, pos) => c.refundable(at(pos, 0), at(pos, 1)),
  },
  {
    name: 'cancellable',
    summary: 'An award its merchant may still cancel (by its tx hash)',
    args: ['ID', 'TXHASH'],
    run: (c, pos) => c.cancellableAward(at(pos, 0), at(pos, 1)),
  },
  {
    name: 'campaigns',
    summary:
      "A point's campaigns (or one, by its id): terms, window, budget funded, remaining, paid, returned",
    args: ['ID', 'CAMPAIGN'],
    optionalArgs: 1,
    options: page,
    details:
      'active: open and within its window now; an ended campaign still open holds its rest (and a live\n' +
      'slot) until someone closes it (arcade tx campaign-close).',
    run: (c, pos, args) =>
      pos[1] === undefined ? c.campaigns(at(pos, 0), pageOf(args)) : c.campaign(at(pos, 0), at(pos, 1)),
  },
  {
    name: 'anchors',
    summary: "A shop's anchored traffic batches, newest first (or one, by --root)",
    options: {
      point: { type: 'string', value: 'ID', description: 'the point (required)' },
      merchant: { type: 'string', value: 'ADDRESS', description: 'the shop (required without --root)' },
      root: { type: 'string', value: 'HEX', description: 'only the batch anchored under this root' },
      order: { type: 'string', value: 'ORDER', description: 'newest (default) or oldest first' },
      offset: page.offset,
      limit: { type: 'string', value: 'N', description: 'at most N items (default 100, at most 100)' },
    },
    details:
      'Each batch: its root, event count, period (earliest to latest event time, ms), the height and\n' +
      'the traffic.anchor tx. `arcade traffic verify` checks an event of one against the chain.',
    run: (c, _pos, args) => {
      const point = stringOption(args, 'point')
      if (point === undefined) throw new UsageError('--point is required')
      const root = stringOption(args, 'root')
      if (root !== undefined) return c.anchor(point, root)
      const merchant = stringOption(args, 'merchant')
      if (merchant === undefined) throw new UsageError('give --merchant (or --root)')
      const order = stringOption(args, 'order') ?? 'newest'
      if (order !== 'newest' && order !== 'oldest') throw new UsageError('--order must be newest or oldest')
      return c.anchors(point, merchant, {
        order,
        offset: intOption(args, 'offset', 0, MAX, 0),
        limit: intOption(args, 'limit', 1, 100, 100),
      })
    },
  },
  {
    name: 'merchants',
    summary: "A point's merchants",
    args: ['ID'],
    options: page,
    run: (c, pos, args) => c.merchants(at(pos, 0), pageOf(args)),
  },
  {
    name: 'merchant',
    summary: 'One merchant: status, limit, float, liability, terminals',
    args: ['ID', 'ADDRESS'],
    run: (c, pos) => c.merchant(at(pos, 0), at(pos, 1)),
  },
  {
    name: 'traffic',
    summary: "A shop's traffic per JST day (default the last 7 days)",
    args: ['ID', 'MERCHANT'],
    options: {
      'from-day': {
        type: 'string',
        value: 'DAY',
        description: 'first JST day number (days since 1970-01-01 JST)',
      },
      'to-day': { type: 'string', value: 'DAY', description: 'last JST day number (default today)' },
    },
    run: (c, pos, args, io) => {
      const today = Math.floor((io.nowMs() + JST_OFFSET_MS) / DAY_MS)
      const toDay = intOption(args, 'to-day', 0, MAX, today)
      return c.shopTraffic(at(pos, 0), at(pos, 1), {
        fromDay: intOption(args, 'from-day', 0, MAX, Math.max(0, toDay - 6)),
        toDay,
      })
    },
  },
  {
    name: 'pseudonym',
    summary: "A customer's traffic in a point by its pseudonym: events, points earned, unclaimed",
    args: ['ID', 'PSEUDONYM'],
    run: (c, pos) => c.pseudonymTraffic(at(pos, 0), at(pos, 1)),
  },
  {
    name: 'traffic-day',
    summary: "The point's traffic on one JST day, per shop and kind, confirmed and not (default today)",
    args: ['ID'],
    options: {
      day: { type: 'string', value: 'DAY', description: 'JST day number (days since 1970-01-01 JST)' },
      offset: { type: 'string', value: 'N', description: 'skip this many merchants' },
      limit: { type: 'string', value: 'N', description: 'at most this many merchants (default 100)' },
    },
    run: (c, pos, args, io) => {
      const today = Math.floor((io.nowMs() + JST_OFFSET_MS) / DAY_MS)
      return c.trafficDay(at(pos, 0), intOption(args, 'day', 0, MAX, today), {
        offset: intOption(args, 'offset', 0, MAX, 0),
        limit: intOption(args, 'limit', 1, 1000, 100),
      })
    },
  },
  {
    name: 'devices',
    summary: 'Devices bound to an owner',
    args: ['OWNER'],
    run: (c, pos) => c.devicesOf(at(pos, 0)),
  },
  {
    name: 'device',
    summary: 'A device: owner, point, limits, spent this period',
    args: ['ADDRESS'],
    run: (c, pos) => c.device(at(pos, 0)),
  },
  {
    name: 'grants',
    summary: "Quota grants of a point's manager",
    args: ['ID'],
    options: page,
    run: (c, pos, args) => c.grants(at(pos, 0), pageOf(args)),
  },
  {
    name: 'stake',
    summary: "A member's free stake, delegations and unbonding",
    args: ['ADDRESS'],
    run: (c, pos) => c.stake(at(pos, 0)),
  },
  {
    name: 'associations',
    summary: 'Associations: delegated stake, power, jailing, and the node addresses published on chain',
    run: (c) => c.associations(),
  },
  {
    name: 'observers',
    summary: 'The observer nodes (regulators) admitted on chain',
    run: (c) => c.observers(),
  },
  {
    name: 'params',
    summary: 'The ledger parameters in force, and a change governance scheduled for the next epoch',
    run: (c) => c.params(),
  },
  {
    name: 'validators',
    summary: 'The validator set: node keys and voting power, and the next election projected',
    run: (c) => c.validators(),
  },
  {
    name: 'validator-sets',
    summary: 'The validator sets in force from a height on, each with the height it certifies from',
    options: {
      'from-height': {
        type: 'string',
        value: 'H',
        description: 'the set certifying H, then each change (default 1)',
      },
      limit: { type: 'string', value: 'N', description: 'at most N (default 20)' },
    },
    run: (c, _pos, args) =>
      c.validatorSets({
        fromHeight: intOption(args, 'from-height', 1, Number.MAX_SAFE_INTEGER, 1),
        limit: intOption(args, 'limit', 1, 100, 20),
      }),
  },
  {
    name: 'evidence',
    summary: 'Double-sign evidence included in blocks',
    options: { limit: { type: 'string', value: 'N', description: 'at most N (default 20)' } },
    run: (c, _pos, args) => c.evidence({ limit: intOption(args, 'limit', 1, 100, 20) }),
  },
  {
    name: 'proof',
    summary: 'Merkle proof of a state record; --verify checks it from a trust root to the record',
    args: ['REF'],
    details:
      'REF: point:ID, balance:ID:ADDRESS, allowance:ID:OWNER:SPENDER, merchant:ID:ADDRESS, device:ADDRESS,\n' +
      'stake:ADDRESS, association:ADDRESS, validators, lots:ID:ADDRESS, anchor:ID:ROOT, or a state key in hex.\n' +
      '--verify checks the proof, the block header and its commit certificate against the validator set of\n' +
      'that height, following every set change from the trust root (--genesis FILE or --checkpoint\n' +
      "HEIGHT:HASH, or --trust-cache FILE saved by an earlier run). The node's own set is never trusted.",
    options: { verify: { type: 'boolean', description: 'verify the proof end to end' }, ...trustOptions },
    run: async (c, pos, args, io) => {
      const ref = at(pos, 0)
      if (!flag(args, 'verify')) return c.proof(ref)
      const { light, save } = await lightClientFrom(c, args, io)
      const r = await c.verifyRecord(ref, { trust: light })
      await save()
      return {
        verified: true,
        chainId: light.chainId,
        trustedFrom: light.trustedFrom,
        validatorSets: light.sets.map(describeTrustedSet),
        height: r.height,
        blockHash: toHex(r.blockHash),
        stateRoot: toHex(r.stateRoot),
        key: toHex(r.key),
        value: r.value === null ? null : toHex(r.value),
        decoded: r.decoded,
      }
    },
  },
]

export const group: CliGroup = {
  name: 'query',
  summary:
    'Read the ledger: accounts, points, merchants, traffic, devices, staking, observers, params, proofs',
  commands: specs.map((spec): CliCommand => {
    const names = spec.args ?? []
    const required = names.length - (spec.optionalArgs ?? 0)
    return {
      name: spec.name,
      summary: spec.summary,
      usage: `query ${spec.name}${names.map((n) => ` ${n}`).join('')} [--rpc URL] [--json]`,
      ...(spec.details === undefined ? {} : { details: spec.details }),
      options: { ...spec.options, ...connectOptions },
      positionals: [required, names.length],
      async run(args, io) {
        const value = await spec.run(clientFrom(args, io), args.positionals, args, io)
        if (value !== WRITTEN) print(args, io, value)
        return 0
      },
    }
  }),
}
