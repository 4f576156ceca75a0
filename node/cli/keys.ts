/** `arcade keys …`: Ed25519 key files for accounts and nodes. */
import { resolve } from 'node:path'
import { keyFileOf, readKeyFile, writeKeyFile } from '../keys.ts'
import { type CliGroup, flag, stringOption } from './command.ts'

export const group: CliGroup = {
  name: 'keys',
  summary: 'Create and inspect Ed25519 key files',
  commands: [
    {
      name: 'new',
      summary: 'Create a key pair; print its address',
      usage: 'keys new [--out FILE] [--node] [--force] [--json]',
      details:
        'Without --out the key file (including the secret key) is printed to stdout.\n' +
        'Key files are JSON {type, publicKey, secretKey, address}, written with mode 0600.',
      options: {
        out: {
          type: 'string',
          short: 'o',
          value: 'FILE',
          description: 'write the key file here (mode 0600)',
        },
        node: {
          type: 'boolean',
          description: 'a node key (address arcnode1…) instead of an account (arc1…)',
        },
        force: { type: 'boolean', description: 'overwrite FILE if it exists' },
        json: { type: 'boolean', description: 'print JSON {address, publicKey, file}' },
      },
      async run(args, io) {
        const kind = flag(args, 'node') ? 'node' : 'account'
        const keys = io.generateKeyPair()
        const out = stringOption(args, 'out')
        if (out === undefined) {
          io.out(`${JSON.stringify(keyFileOf(keys, kind), null, 2)}\n`)
          return 0
        }
        const file = resolve(io.cwd, out)
        const written = await writeKeyFile(file, keys, { kind, overwrite: flag(args, 'force') })
        io.out(
          flag(args, 'json')
            ? `${JSON.stringify({ address: written.address, publicKey: written.publicKey, file })}\n`
            : `${written.address}\n`,
        )
        return 0
      },
    },
    {
      name: 'show',
      summary: 'Check a key file and print its address (never the secret)',
      usage: 'keys show FILE [--json]',
      positionals: [1, 1],
      options: { json: { type: 'boolean', description: 'print JSON {address, publicKey, kind}' } },
      async run(args, io) {
        const key = await readKeyFile(resolve(io.cwd, args.positionals[0] as string))
        const publicKey = Buffer.from(key.publicKey).toString('hex')
        io.out(
          flag(args, 'json')
            ? `${JSON.stringify({ address: key.address, publicKey, kind: key.kind })}\n`
            : `${key.address}\n`,
        )
        return 0
      },
    },
  ],
}
