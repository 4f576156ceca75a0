/**
 * Entry point of the `arcade` command (bin/arcade.js imports this file; it also runs directly as
 * `node node/cli.ts …`). The dispatcher and the command groups live in node/cli/.
 */
import { generateKeyPair } from '../protocol/crypto.ts'
import type { CliIo } from './cli/command.ts'
import { runCli } from './cli/run.ts'

const io: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
  nowMs: () => Date.now(),
  generateKeyPair,
}

process.exitCode = await runCli(process.argv.slice(2), io)
