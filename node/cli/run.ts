/**
 * The CLI dispatcher: `arcade <group> [<command>] [options]`. Group `g` is the module
 * `node/cli/g.ts` exporting `group`; it is imported only when used (so `arcade keys new` does not load
 * libp2p). Exit codes: 0 ok, 1 a failure (`error CODE: message` on stderr), 2 a usage error.
 */
import { existsSync, readdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { isArcadeError } from '../../protocol/errors.ts'
import { type CliCommand, type CliGroup, type CliIo, commandHelp, groupHelp, UsageError } from './command.ts'

const GROUP_NAME = /^[a-z][a-z0-9-]*$/
const NOT_GROUPS = new Set(['command', 'run'])
const here = new URL('./', import.meta.url)

async function loadGroup(name: string): Promise<CliGroup | null> {
  if (!GROUP_NAME.test(name) || NOT_GROUPS.has(name)) return null
  const url = new URL(`${name}.ts`, here)
  if (!existsSync(url)) return null
  const mod = (await import(url.href)) as { group?: CliGroup }
  return mod.group ?? null
}

async function allGroups(): Promise<CliGroup[]> {
  const names = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort()
  const groups: CliGroup[] = []
  for (const name of names) {
    try {
      const g = await loadGroup(name)
      if (g !== null) groups.push(g)
    } catch (err) {
      // One broken group must not hide the others' help; running it directly shows the error.
      groups.push({ name, summary: `(cannot load: ${(err as Error).message})`, commands: [] })
    }
  }
  return groups
}

async function mainHelp(): Promise<string> {
  const groups = await allGroups()
  const lines = [
    'usage: arcade <command> [options]',
    '',
    'Arcade: a permissioned DS-PBFT consortium ledger.',
    '',
  ]
  lines.push('commands:')
  const rows: [string, string][] = []
  for (const g of groups) {
    if (g.commands.length === 0 || (g.commands.length === 1 && g.commands[0]?.name === '')) {
      rows.push([g.name, g.summary])
    } else for (const c of g.commands) rows.push([`${g.name} ${c.name}`, c.summary])
  }
  rows.push(['help [command]', 'show help'])
  const width = Math.max(...rows.map((r) => r[0].length))
  for (const [left, right] of rows) lines.push(`  ${left.padEnd(width)}  ${right}`)
  lines.push('', "Run 'arcade <command> --help' for a command's options.")
  return `${lines.join('\n')}\n`
}

function isHelp(arg: string | undefined): boolean {
  return arg === '--help' || arg === '-h'
}

interface Resolved {
  readonly group: CliGroup
  readonly command: CliCommand | null
  readonly rest: string[]
}

async function resolve(argv: readonly string[]): Promise<Resolved> {
  const [name, ...rest] = argv
  const group = name === undefined ? null : await loadGroup(name)
  if (group === null) throw new UsageError(`unknown command '${name}'; run 'arcade help'`)
  const single = group.commands.length === 1 && group.commands[0]?.name === '' ? group.commands[0] : undefined
  if (single !== undefined) return { group, command: single, rest }
  const [sub, ...args] = rest
  if (sub === undefined || isHelp(sub) || sub === 'help') return { group, command: null, rest: args }
  const command = group.commands.find((c) => c.name === sub)
  if (command === undefined) {
    throw new UsageError(`unknown command '${group.name} ${sub}'; run 'arcade ${group.name} --help'`)
  }
  return { group, command, rest: args }
}

async function runCommand(command: CliCommand, argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (parsed.values.help === true) {
    io.out(commandHelp(command))
    return 0
  }
  const [min, max] = command.positionals ?? [0, 0]
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(
      max === 0
        ? `unexpected argument '${parsed.positionals[0]}'`
        : `expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}`,
    )
  }
  return (await command.run({ values: parsed.values, positionals: parsed.positionals }, io)) ?? 0
}

/** Runs one command line (without the `arcade` itself) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let resolved: Resolved | null = null
  try {
    if (argv.length === 0 || isHelp(argv[0])) {
      io.out(await mainHelp())
      return 0
    }
    if (argv[0] === 'help') {
      if (argv.length === 1) {
        io.out(await mainHelp())
        return 0
      }
      const r = await resolve(argv.slice(1))
      io.out(r.command === null ? groupHelp(r.group) : commandHelp(r.command))
      return 0
    }
    resolved = await resolve(argv)
    if (resolved.command === null) {
      io.out(groupHelp(resolved.group))
      return 0
    }
    return await runCommand(resolved.command, resolved.rest, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error USAGE: ${err.message}\n`)
      if (resolved?.command) io.err(`usage: arcade ${resolved.command.usage}\n`)
      return 2
    }
    if (isArcadeError(err)) {
      io.err(`error ${err.code}: ${err.message}\n`)
      return 1
    }
    const e = err as NodeJS.ErrnoException
    io.err(`error ${typeof e?.code === 'string' ? e.code : 'INTERNAL'}: ${e?.message ?? String(err)}\n`)
    if (io.env.ARCADE_DEBUG === '1' && e?.stack !== undefined) io.err(`${e.stack}\n`)
    return 1
  }
}
