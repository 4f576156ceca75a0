/**
 * The one test that starts processes: `bench/bench.ts` end to end with 2 validators at a low fixed
 * rate for 5 s. It checks that the reports are written and that the committed count (block events)
 * equals the receipts seen; the figures themselves are never asserted.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'

const repo = new URL('../../', import.meta.url).pathname
const localNode = join(repo, 'node_modules/.bin/node')
const nodeBin = existsSync(localNode) ? localNode : process.execPath
let out = ''

afterAll(async () => {
  if (out !== '') await rm(out, { recursive: true, force: true })
})

it('runs a 2-validator fixed-rate benchmark and writes its reports', async () => {
  out = await mkdtemp(join(tmpdir(), 'bench-smoke-'))
  const args = ['bench/bench.ts', '--validators', '2', '--rate', '40', '--duration', '5', '--clients', '2']
  args.push(
    '--customers',
    '20',
    '--merchants',
    '2',
    '--terminals',
    '1',
    '--drain',
    '10',
    '--base-port',
    '28000',
  )
  args.push('--out', out, '--quiet')
  const child = spawn(nodeBin, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  expect(code, output).toBe(0)
  for (const f of ['summary.json', 'report.md', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true)
  const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>
  for (const key of ['committedTps', 'latencyMs', 'verifyBoundTps', 'validators', 'committed', 'receipts']) {
    expect(s).toHaveProperty(key)
  }
  expect(s.validators).toBe(2)
  expect(s.committed as number).toBeGreaterThan(0)
  expect(s.committed).toBe(s.receipts)
  expect(s.matched).toBe(s.accepted)
}, 60_000)
