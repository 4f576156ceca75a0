/**
 * `arcade gov …`: governance by stake. The account of an association whose node is in the current
 * validator set proposes a governed action and votes on proposals; a proposal passes with yes votes
 * of more than 2/3 of the set's power, and its action executes in the tx of the vote that passes it.
 * Anyone lists and shows proposals.
 */
import {
  type ArcadeClient,
  DEFAULT_VOTING_BLOCKS,
  governance,
  MAX_VOTING_PERIOD_BLOCKS,
  type Proposal,
  type ProposalJson,
  type ProposalStatus,
} from '../../client/index.ts'
import { type CliArgs, type CliGroup, flag, intOption, stringOption, UsageError } from './command.ts'
import { ACTION_OPTIONS, ACTIONS, actionOf } from './gov-actions.ts'
import { type TxSpec, txCommand } from './tx-spec.ts'
import { clientFrom, connectOptions, opt, print, renderText } from './wallet.ts'

const STATUSES: readonly ProposalStatus[] = ['open', 'passed', 'failed', 'expired']

function proposalId(text: string | undefined): number {
  if (text === undefined || !/^(0|[1-9]\d{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError('ID must be a proposal id (an integer from 0)')
  }
  return Number(text)
}

/** --deadline HEIGHT, or +BLOCKS after the head (default +DEFAULT_VOTING_BLOCKS). */
async function deadlineOf(args: CliArgs, client: ArcadeClient): Promise<number> {
  const text = stringOption(args, 'deadline') ?? `+${DEFAULT_VOTING_BLOCKS}`
  const m = /^(\+?)(\d{1,16})$/.exec(text)
  const n = Number(m?.[2])
  if (m === null || n < 1 || !Number.isSafeInteger(n)) {
    throw new UsageError('--deadline must be a height, or +BLOCKS after the head')
  }
  if (m[1] === '') return n
  if (n > MAX_VOTING_PERIOD_BLOCKS)
    throw new UsageError(`--deadline +BLOCKS: at most ${MAX_VOTING_PERIOD_BLOCKS}`)
  return (await client.status()).height + n
}

/** The proposal as the node answered it (the parsed body holds bytes, which print as noise). */
function answered(p: Proposal): ProposalJson {
  const { body: _parsed, ...json } = p
  return json
}

function line(p: Proposal): string {
  const { yes, no, total, needed } = p.tally
  const outcome = p.status === 'failed' ? `  error ${p.error}` : ''
  return (
    `${String(p.id).padStart(4)}  ${p.status.padEnd(7)}  ${p.action.kind.padEnd(27)}  deadline ${p.deadline}` +
    `  yes ${yes} of ${needed} needed (no ${no}, power ${total})${outcome}\n`
  )
}

const propose: TxSpec = {
  name: 'propose',
  summary: 'Propose a governed action (the account of an association in the validator set)',
  usage: 'ACTION [action options] [--deadline HEIGHT|+BLOCKS]',
  positionals: [1, 1],
  details:
    `ACTION and the options it takes:\n${ACTIONS.map((a) => `  ${a.name.padEnd(21)} ${a.takes.map((o) => `--${o}`).join(' ')}\n      ${a.summary}`).join('\n')}\n` +
    `Open for votes up to height --deadline (default +${DEFAULT_VOTING_BLOCKS}, at most +${MAX_VOTING_PERIOD_BLOCKS});\n` +
    'with --wait the receipt shows the proposal id (proposed proposal=N).',
  options: { ...ACTION_OPTIONS, deadline: opt('HEIGHT', 'last height it may be voted on, or +BLOCKS') },
  build: async ({ args, client }) => {
    const action = await actionOf(args.positionals[0] as string, args, client)
    return governance.propose({ action, deadline: await deadlineOf(args, client) })
  },
}

const vote: TxSpec = {
  name: 'vote',
  summary: 'Vote yes or no on an open proposal (one vote per association; a later one replaces it)',
  usage: 'ID --yes|--no',
  positionals: [1, 1],
  details: 'The vote that takes yes above 2/3 of the power executes the action in its own tx.',
  options: {
    yes: { type: 'boolean', description: 'vote for it' },
    no: { type: 'boolean', description: 'vote against it' },
  },
  build: async ({ args }) => {
    const yes = flag(args, 'yes')
    if (yes === flag(args, 'no')) throw new UsageError('give exactly one of --yes or --no')
    return governance.vote({ proposal: proposalId(args.positionals[0]), yes })
  },
}

export const group: CliGroup = {
  name: 'gov',
  summary: 'Governance by stake: propose, vote, list and show proposals',
  commands: [
    txCommand('gov', propose),
    txCommand('gov', vote),
    {
      name: 'list',
      summary: 'Proposals, newest first: status, action, deadline and tally',
      usage: 'gov list [--status STATUS] [--offset N] [--limit N] [--rpc URL] [--json]',
      options: {
        status: opt('STATUS', STATUSES.join(', ')),
        offset: opt('N', 'skip N proposals (default 0)'),
        limit: opt('N', 'at most N (default 20)'),
        ...connectOptions,
      },
      async run(args, io) {
        const status = stringOption(args, 'status')
        if (status !== undefined && !STATUSES.includes(status as ProposalStatus)) {
          throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`)
        }
        const page = await clientFrom(args, io).proposals({
          ...(status === undefined ? {} : { status: status as ProposalStatus }),
          offset: intOption(args, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
          limit: intOption(args, 'limit', 1, 100, 20),
        })
        const more = page.nextOffset === null ? '' : `more: --offset ${page.nextOffset}\n`
        const text = page.items.length === 0 ? '(no proposals)\n' : page.items.map(line).join('') + more
        print(args, io, { items: page.items.map(answered), nextOffset: page.nextOffset }, text)
        return 0
      },
    },
    {
      name: 'show',
      summary: 'One proposal: its action, status, votes with their power, and the tally',
      usage: 'gov show ID [--rpc URL] [--json]',
      options: connectOptions,
      positionals: [1, 1],
      async run(args, io) {
        const p = answered(await clientFrom(args, io).proposal(proposalId(args.positionals[0])))
        print(args, io, p, renderText(p))
        return 0
      },
    },
  ],
}
