/** `arcade start --config FILE`: run one validator or observer until SIGINT/SIGTERM. */
import { resolve } from 'node:path'
import { loadNodeConfig } from '../config.ts'
import { createLogger } from '../logger.ts'
import { startNode } from '../node.ts'
import { type CliGroup, requiredString } from './command.ts'

export const group: CliGroup = {
  name: 'start',
  summary: 'Run a validator or observer node from its config file',
  commands: [
    {
      name: '',
      summary: 'Run a validator or observer node from its config file',
      usage: 'start --config FILE',
      details:
        'The config file (see `arcade genesis init`) names the role, genesis, node key, data dir, p2p and RPC\n' +
        'addresses and peers. SIGINT or SIGTERM stops the node cleanly: it stops accepting txs, finishes the\n' +
        'commit in progress and closes the store. Logs go to stderr: pretty on a terminal, JSON otherwise\n' +
        '(ARCADE_LOG_PRETTY=0|1 overrides).',
      options: { config: { type: 'string', short: 'c', value: 'FILE', description: 'node config file' } },
      async run(args, io) {
        const config = await loadNodeConfig(resolve(io.cwd, requiredString(args, 'config')))
        const prettyEnv = io.env.ARCADE_LOG_PRETTY
        const logger = createLogger({
          level: config.logLevel,
          base: { node: config.name },
          ...(prettyEnv === undefined ? {} : { pretty: prettyEnv === '1' }),
        })
        const node = await startNode(config, { logger })
        io.out(`${config.name} (${config.role}) running: RPC ${node.rpcUrl}\n`)
        await new Promise<void>((done) => {
          let stopping = false
          const stop = (signal: string) => {
            if (stopping) return
            stopping = true
            logger.info({ signal }, 'stopping')
            node.stop().then(done, (err: unknown) => {
              logger.error({ err: String(err) }, 'stop failed')
              done()
            })
          }
          process.once('SIGINT', () => stop('SIGINT'))
          process.once('SIGTERM', () => stop('SIGTERM'))
        })
        logger.flush()
        return 0
      },
    },
  ],
}
