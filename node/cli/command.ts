/**
 * The shape of a CLI command group. A group is one file `node/cli/<group>.ts` exporting
 * `group: CliGroup`; the dispatcher (run.ts) finds it by its file name, so adding a group touches no
 * other file. Options are node:util parseArgs options (strict: unknown flags are usage errors) with a
 * description each, from which the help text is made.
 */
import type { KeyPair } from '../../protocol/crypto.ts'
import { ArcadeError } from '../../protocol/errors.ts'

export interface CliOption {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  readonly multiple?: boolean
  /** Shown in help: `--out FILE`. */
  readonly value?: string
  readonly description: string
}

export type CliValues = Record<string, string | boolean | (string | boolean)[] | undefined>

export interface CliArgs {
  readonly values: CliValues
  readonly positionals: readonly string[]
}

/** Everything a command may touch of the outside world, so tests can run commands in-process. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  nowMs(): number
  generateKeyPair(): KeyPair
}

export interface CliCommand {
  /** Subcommand name; '' for a group that is a single command (`arcade start`). */
  readonly name: string
  readonly summary: string
  /** Usage line after `arcade `: `keys new [--out FILE] [--json]`. */
  readonly usage: string
  /** More help lines shown under the options. */
  readonly details?: string
  readonly options: Readonly<Record<string, CliOption>>
  /** Positional arguments allowed: [min, max]. Default none. */
  readonly positionals?: readonly [number, number]
  /** Returns the exit code (default 0). */
  run(args: CliArgs, io: CliIo): Promise<number | undefined> | number | undefined
}

export interface CliGroup {
  readonly name: string
  readonly summary: string
  readonly commands: readonly CliCommand[]
}

/** Wrong command line: printed with the usage, exit code 2. */
export class UsageError extends ArcadeError<'USAGE'> {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('USAGE', message, details)
    this.name = 'UsageError'
  }
}

export function stringOption(args: CliArgs, name: string): string | undefined {
  const v = args.values[name]
  return typeof v === 'string' ? v : undefined
}

export function requiredString(args: CliArgs, name: string): string {
  const v = stringOption(args, name)
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`)
  return v
}

export function flag(args: CliArgs, name: string): boolean {
  return args.values[name] === true
}

/** An integer option within [min, max], or the fallback when absent (undefined = required). */
export function intOption(args: CliArgs, name: string, min: number, max: number, fallback?: number): number {
  const v = stringOption(args, name)
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`)
    return fallback
  }
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}`)
  }
  return Number(v)
}

/** Help for one command: usage, summary, options. */
export function commandHelp(cmd: CliCommand): string {
  const lines = [`usage: arcade ${cmd.usage}`, '', cmd.summary]
  const opts = Object.entries(cmd.options)
  lines.push('', 'options:')
  const rows = opts.map(([name, o]) => [
    `${o.short === undefined ? '    ' : `-${o.short}, `}--${name}${o.value === undefined ? '' : ` ${o.value}`}`,
    o.description,
  ])
  rows.push(['-h, --help', 'show this help'])
  const width = Math.max(...rows.map((r) => (r[0] as string).length))
  for (const [left, right] of rows) lines.push(`  ${(left as string).padEnd(width)}  ${right}`)
  if (cmd.details !== undefined) lines.push('', cmd.details)
  return `${lines.join('\n')}\n`
}

export function groupHelp(group: CliGroup): string {
  const lines = [`usage: arcade ${group.name} <command> [options]`, '', group.summary, '', 'commands:']
  const width = Math.max(...group.commands.map((c) => c.name.length))
  for (const c of group.commands) lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`)
  lines.push('', `Run 'arcade ${group.name} <command> --help' for a command's options.`)
  return `${lines.join('\n')}\n`
}
