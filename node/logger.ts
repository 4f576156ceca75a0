/**
 * The only place pino is constructed. Pretty, human-readable lines when stderr is a terminal (a
 * newcomer running `npm start`), JSON lines otherwise (files, CI, log shippers). One child logger per
 * module: `logger.child({ module: 'consensus' })`; constant messages with the data in fields.
 */
import { type Logger, pino } from 'pino'

export type { Logger }

export interface LoggerOptions {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
  /** Pretty output; defaults to whether stderr is a TTY. */
  readonly pretty?: boolean
  /** Fields on every line, e.g. the node's name. */
  readonly base?: Record<string, unknown>
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stderr.isTTY === true
  const base = { ...options.base }
  if (pretty) {
    return pino({
      level: options.level,
      base,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    })
  }
  return pino({ level: options.level, base }, pino.destination({ dest: 2, sync: false }))
}
