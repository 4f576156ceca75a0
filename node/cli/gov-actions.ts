/**
 * The actions `arcade gov propose <action>` can carry, one form each: the options it takes and how
 * they become the governed body. An option another action takes is refused, so a mistyped command
 * never proposes something else. Not a command group itself (gov.ts).
 */
import {
  type ArcadeClient,
  GOVERNABLE_PARAMS,
  type GovernableParam,
  type GovernedInput,
  governed,
  ROLES,
  type Role,
  toNodeKey,
} from '../../client/index.ts'
import { type CliArgs, type CliOption, requiredString, stringOption, UsageError } from './command.ts'
import { ADDRESS_OPTIONS, addressArgs, associationOf } from './tx-staking.ts'
import { accountArg, listArg, opt } from './wallet.ts'

interface ActionForm {
  readonly name: string
  readonly summary: string
  /** Options this action takes (the others are refused). */
  readonly takes: readonly string[]
  build(args: CliArgs, client: ArcadeClient): GovernedInput | Promise<GovernedInput>
}

export const ACTION_OPTIONS: Readonly<Record<string, CliOption>> = {
  association: opt('ADDRESS', 'the association account (arc1…)'),
  name: opt('NAME', 'the association’s or observer’s name'),
  'node-key': opt('ADDRESS', 'the node key (arcnode1…)'),
  ...ADDRESS_OPTIONS,
  account: opt('ADDRESS', 'the account a role is granted to or revoked from'),
  role: opt('ROLE', `${ROLES.join(' or ')}`),
  set: {
    type: 'string',
    multiple: true,
    value: 'PARAM=N',
    description: `a parameter change (repeat): ${GOVERNABLE_PARAMS.join(', ')}`,
  },
}

function nodeKeyArg(args: CliArgs): string {
  const text = requiredString(args, 'node-key')
  toNodeKey(text, '--node-key')
  return text
}

function roleArg(args: CliArgs): Role {
  const role = requiredString(args, 'role')
  if (!(ROLES as readonly string[]).includes(role))
    throw new UsageError(`--role must be ${ROLES.join(' or ')}`)
  return role as Role
}

function paramChanges(args: CliArgs): Partial<Record<GovernableParam, number>> {
  const changes: Partial<Record<GovernableParam, number>> = {}
  const given = listArg(args, 'set')
  if (given.length === 0) throw new UsageError('--set PARAM=N is required')
  for (const item of given) {
    const m = /^([A-Za-z]+)=(\d{1,16})$/.exec(item)
    if (m === null) throw new UsageError(`--set ${item}: expected PARAM=N`)
    const param = m[1] as GovernableParam
    if (!GOVERNABLE_PARAMS.includes(param)) {
      throw new UsageError(`--set ${param}: governance may set ${GOVERNABLE_PARAMS.join(', ')}`)
    }
    if (param in changes) throw new UsageError(`--set ${param} is given twice`)
    changes[param] = Number(m[2])
  }
  return changes
}

const grantOrRevoke = (kind: 'grantRole' | 'revokeRole') => (args: CliArgs) =>
  governed[kind]({ account: accountArg(args, 'account'), role: roleArg(args) })

export const ACTIONS: readonly ActionForm[] = [
  {
    name: 'register-association',
    summary: 'register a new association with its node key (and its node’s addresses)',
    takes: ['association', 'name', 'node-key', 'p2p', 'rpc-url'],
    build: (args) =>
      governed.registerAssociation({
        association: accountArg(args, 'association'),
        name: requiredString(args, 'name'),
        nodeKey: nodeKeyArg(args),
        ...addressArgs(args.values),
      }),
  },
  {
    name: 'update-association',
    summary: 'change an association’s name, node key or addresses (what is not given stays)',
    takes: ['association', 'name', 'node-key', 'p2p', 'rpc-url'],
    build: async (args, client) => {
      const association = accountArg(args, 'association')
      const now = await associationOf(client, association, '--association')
      return governed.updateAssociation({
        association,
        name: stringOption(args, 'name') ?? now.name,
        nodeKey: stringOption(args, 'node-key') === undefined ? now.nodeKey : nodeKeyArg(args),
        p2p: now.p2p,
        rpc: now.rpc,
        ...addressArgs(args.values),
      })
    },
  },
  {
    name: 'retire-association',
    summary: 'retire an association: never elected again (its delegators can undelegate)',
    takes: ['association'],
    build: (args) => governed.retireAssociation({ association: accountArg(args, 'association') }),
  },
  {
    name: 'admit-observer',
    summary: 'admit a regulator’s observer node by its node key',
    takes: ['node-key', 'name'],
    build: (args) =>
      governed.admitObserver({ nodeKey: nodeKeyArg(args), name: requiredString(args, 'name') }),
  },
  {
    name: 'remove-observer',
    summary: 'remove an observer: validators cut it off',
    takes: ['node-key'],
    build: (args) => governed.removeObserver({ nodeKey: nodeKeyArg(args) }),
  },
  {
    name: 'grant-role',
    summary: 'grant admin or issuer',
    takes: ['account', 'role'],
    build: grantOrRevoke('grantRole'),
  },
  {
    name: 'revoke-role',
    summary: 'revoke admin or issuer',
    takes: ['account', 'role'],
    build: grantOrRevoke('revokeRole'),
  },
  {
    name: 'set-params',
    summary: 'change ledger parameters from the next epoch boundary',
    takes: ['set'],
    build: (args) => governed.setParams(paramChanges(args)),
  },
]

/** The action named on the command line, its foreign options refused, built. */
export async function actionOf(name: string, args: CliArgs, client: ArcadeClient): Promise<GovernedInput> {
  const form = ACTIONS.find((a) => a.name === name)
  if (form === undefined)
    throw new UsageError(`ACTION must be one of ${ACTIONS.map((a) => a.name).join(', ')}`)
  for (const option of Object.keys(ACTION_OPTIONS)) {
    if (args.values[option] !== undefined && !form.takes.includes(option)) {
      throw new UsageError(`--${option} does not apply to ${name}`)
    }
  }
  return form.build(args, client)
}
