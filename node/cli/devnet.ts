/**
 * `arcade devnet`: a local network in one command. Creates keys, genesis and node configs under DIR
 * when absent (`genesis init`), starts every node as its own process on 127.0.0.1, prints their RPC
 * URLs once they answer, and stops them all on Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { DEFAULT_BASE_PORT, planDevnet } from '../../genesis/devnet.ts'
import { loadNodeConfig, type NodeConfig } from '../config.ts'
import { type CliGroup, flag, intOption, stringOption } from './command.ts'
import { DEFAULT_CHAIN_ID, initDevnet } from './genesis.ts'

const cliPath = new URL('../cli.ts', import.meta.url).pathname

async function waitForRpc(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const res = await fetch(`${url}/v1/status`, { signal: AbortSignal.timeout(1_000) })
      if (res.ok) return true
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return false
}

export const group: CliGroup = {
  name: 'devnet',
  summary: 'Run a local network: every node as its own process on 127.0.0.1',
  commands: [
    {
      name: '',
      summary: 'Run a local network: every node as its own process on 127.0.0.1',
      usage: 'devnet [--validators N] [--observers M] [--dir DIR] [--base-port P] [--reset]',
      details:
        'Creates keys, genesis.json and node configs in DIR when it has none (like `genesis init`), then starts\n' +
        'the nodes and prints their RPC URLs. Ctrl-C stops them all. The chain is kept in DIR/data between\n' +
        'runs; --reset deletes DIR first. DIR/keys/manager.json is an admin + issuer account to play with.',
      options: {
        validators: { type: 'string', short: 'n', value: 'N', description: 'validators (default 4)' },
        observers: { type: 'string', value: 'M', description: 'observers (default 1)' },
        dir: { type: 'string', short: 'd', value: 'DIR', description: 'devnet directory (default .devnet)' },
        'base-port': { type: 'string', value: 'P', description: `first port (default ${DEFAULT_BASE_PORT})` },
        reset: { type: 'boolean', description: 'delete DIR and start a new chain' },
      },
      async run(args, io) {
        const dir = resolve(io.cwd, stringOption(args, 'dir') ?? '.devnet')
        if (flag(args, 'reset')) await rm(dir, { recursive: true, force: true })
        if (!existsSync(join(dir, 'genesis.json'))) {
          const devnet = planDevnet(
            {
              validators: intOption(args, 'validators', 1, 100, 4),
              observers: intOption(args, 'observers', 0, 64, 1),
              chainId: DEFAULT_CHAIN_ID,
              basePort: intOption(args, 'base-port', 1024, 65_000, DEFAULT_BASE_PORT),
              genesisTimeMs: io.nowMs(),
            },
            { generateKeyPair: io.generateKeyPair },
          )
          await initDevnet(dir, devnet, false)
          io.out(`created a new devnet in ${dir}\n`)
        } else {
          io.out(`using the devnet in ${dir} (--reset to start over)\n`)
        }
        const configFiles = (await readdir(dir))
          .filter((f) => /^(validator|observer)-\d+\.json$/.test(f))
          .sort((a, b) =>
            a.startsWith('v') === b.startsWith('v')
              ? a.localeCompare(b, 'en', { numeric: true })
              : a.startsWith('v')
                ? -1
                : 1,
          )
        const configs: NodeConfig[] = []
        for (const f of configFiles) configs.push(await loadNodeConfig(join(dir, f)))

        const children = configs.map((config) =>
          spawn(process.execPath, [cliPath, 'start', '--config', join(dir, `${config.name}.json`)], {
            stdio: ['ignore', 'ignore', 'inherit'],
            env: {
              ...io.env,
              ARCADE_LOG_PRETTY: io.env.ARCADE_LOG_PRETTY ?? (process.stderr.isTTY ? '1' : '0'),
            },
          }),
        )
        let stopping = false
        const exited = children.map(
          (child, i) =>
            new Promise<void>((done) => {
              child.on('exit', (code, signal) => {
                if (!stopping) io.err(`${configs[i]?.name} exited (${code ?? signal})\n`)
                done()
              })
            }),
        )
        const stopAll = () => {
          if (stopping) return
          stopping = true
          io.out('\nstopping the devnet…\n')
          for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
        }
        process.once('SIGINT', stopAll)
        process.once('SIGTERM', stopAll)

        const urls = configs.map((c) => `http://${c.rpc.host}:${c.rpc.port}`)
        const up = await Promise.all(
          urls.map((url, i) => waitForRpc(url, children[i] as ChildProcess, 60_000)),
        )
        if (!stopping) {
          io.out('\nArcade devnet is running:\n')
          configs.forEach((c, i) => {
            io.out(
              `  ${c.name.padEnd(12)} ${c.role.padEnd(9)} ${urls[i]}${up[i] ? '' : '  (not answering)'}\n`,
            )
          })
          io.out(
            `\nTry:  curl ${urls[0]}/v1/status\n      open ${urls[0]}/docs for the API\n` +
              `Manager account key: ${join(dir, 'keys', 'manager.json')}\nCtrl-C stops every node.\n\n`,
          )
        }
        await Promise.all(exited)
        return 0
      },
    },
  ],
}
