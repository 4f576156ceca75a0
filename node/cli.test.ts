/** The real `arcade` CLI, run as a child process on the pinned Node 24. */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { isAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { loadNodeConfig } from './config.ts'
import { readKeyFile } from './keys.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const NODE = join(root, 'node_modules/.bin/node')
const CLI = join(root, 'node/cli.ts')

interface Run {
  code: number
  stdout: string
  stderr: string
}

function arcade(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(NODE, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arcade-cli-'))
})

describe('arcade CLI (child process)', () => {
  it('keys new --out writes a 0600 key file and prints its address', async () => {
    const r = await arcade(['keys', 'new', '--out', 'me.json'], dir)
    expect(r.code).toBe(0)
    const address = r.stdout.trim()
    expect(isAddress(address)).toBe(true)
    expect((await stat(join(dir, 'me.json'))).mode & 0o777).toBe(0o600)
    expect((await readKeyFile(join(dir, 'me.json'))).address).toBe(address)
    const again = await arcade(['keys', 'new', '--out', 'me.json'], dir)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^error FILE_EXISTS: /)
    const json = await arcade(['keys', 'new', '--node', '--json', '--out', 'node.json'], dir)
    expect(JSON.parse(json.stdout).address.startsWith('arcnode1')).toBe(true)
  })

  it('genesis init (4 validators, 1 observer) then validate', async () => {
    const init = await arcade(
      ['genesis', 'init', '--validators', '4', '--observers', '1', '--dir', 'net'],
      dir,
    )
    expect(init.stderr).toBe('')
    expect(init.code).toBe(0)
    const net = join(dir, 'net')
    for (const name of ['validator-1', 'validator-2', 'validator-3', 'validator-4', 'observer-1']) {
      const config = await loadNodeConfig(join(net, `${name}.json`))
      expect(config.name).toBe(name)
      const key = await readKeyFile(config.nodeKeyPath)
      expect(key.kind).toBe('node')
      expect(config.genesisPath).toBe(join(net, 'genesis.json'))
    }
    const v1 = await loadNodeConfig(join(net, 'validator-1.json'))
    const o1 = await loadNodeConfig(join(net, 'observer-1.json'))
    expect(v1.peers).toHaveLength(3)
    expect(o1.role).toBe('observer')
    expect(o1.peers).toHaveLength(4)
    expect(new Set([v1.p2p.port, v1.rpc.port, o1.p2p.port, o1.rpc.port]).size).toBe(4)
    const manager = await readKeyFile(join(net, 'keys/manager.json'))
    const genesis = JSON.parse(await readFile(join(net, 'genesis.json'), 'utf8'))
    expect(genesis.accounts[0]).toEqual({ address: manager.address, roles: ['admin', 'issuer'], stake: 0 })
    expect(genesis.validators).toHaveLength(4)
    expect(genesis.observers).toHaveLength(1)

    const ok = await arcade(['genesis', 'validate', join(net, 'genesis.json')], dir)
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/chain id\s+arcade-devnet-1/)
    expect(ok.stdout).toMatch(/hash\s+[0-9a-f]{64}/)
    expect(ok.stdout).toMatch(/validators\s+4 \(total power 40000/)
    expect(ok.stdout).toMatch(/observers\s+1/)

    const refused = await arcade(['genesis', 'init', '--validators', '4', '--dir', 'net'], dir)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^error FILE_EXISTS: /)
    const forced = await arcade(['genesis', 'init', '--validators', '2', '--dir', 'net', '--force'], dir)
    expect(forced.code).toBe(0)
  })

  it('validate names the bad field of an edited genesis', async () => {
    await arcade(['genesis', 'init', '--validators', '3', '--dir', 'bad'], dir)
    const file = join(dir, 'bad', 'genesis.json')
    const genesis = JSON.parse(await readFile(file, 'utf8'))
    genesis.validators[2].nodeKey = genesis.validators[2].nodeKey.replace(/.$/, (c: string) =>
      c === 'q' ? 'p' : 'q',
    )
    await writeFile(file, JSON.stringify(genesis, null, 2))
    const r = await arcade(['genesis', 'validate', file], dir)
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^error GENESIS_INVALID_FIELD: validators\[2\]\.nodeKey: /)
    expect(isAddress(genesis.validators[2].nodeKey, NODE_KEY_PREFIX)).toBe(false)
  })

  it('usage errors exit 2: unknown flag, unknown command, missing option, extra argument', async () => {
    const unknownFlag = await arcade(['keys', 'new', '--bogus'], dir)
    expect(unknownFlag.code).toBe(2)
    expect(unknownFlag.stderr).toMatch(/^error USAGE: .*--bogus/)
    expect((await arcade(['frobnicate'], dir)).code).toBe(2)
    expect((await arcade(['genesis', 'init', '--dir', 'x'], dir)).code).toBe(2)
    expect((await arcade(['genesis', 'validate'], dir)).code).toBe(2)
    expect((await arcade(['keys', 'new', 'extra'], dir)).code).toBe(2)
    expect((await arcade(['genesis', 'init', '--validators', 'four', '--dir', 'x'], dir)).code).toBe(2)
  })

  it('help for every command', async () => {
    const main = await arcade(['help'], dir)
    expect(main.code).toBe(0)
    for (const cmd of ['keys new', 'keys show', 'genesis init', 'genesis validate']) {
      expect(main.stdout).toContain(cmd)
      const help = await arcade([...cmd.split(' '), '--help'], dir)
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`usage: arcade ${cmd}`)
    }
    expect((await arcade(['genesis', '--help'], dir)).stdout).toContain('commands:')
    expect((await arcade(['help', 'genesis', 'init'], dir)).stdout).toContain('--validators N')
  })
})
