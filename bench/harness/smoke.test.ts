/**
 * The one test that starts processes: `bench/bench.ts` end to end with 2 validators at a low fixed
 * rate for 5 s. It checks that the reports are written and that the committed count (block events)
 * equals the receipts seen; the figures themselves are never asserted. Its two nodes take four
 * consecutive ports found free when the test starts, so it shares no fixed range with the e2e tests.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'

const repo = new URL('../../', import.meta.url).pathname
const localNode = join(repo, 'node_modules/.bin/node')
const nodeBin = existsSync(localNode) ? localNode : process.execPath
let out = ''

/** Ports the bench's 2 validators use from its base port: p2p and RPC each. */
const PORTS = 4

function listenOn(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(null))
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port
      server.close(() => resolve(bound))
    })
  })
}

/** A base port P with P..P+3 free on 127.0.0.1: P from the OS (port 0), the next three checked. */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await listenOn(0)
    if (base === null || base + PORTS > 60_000) continue
    let free = true
    for (let p = base + 1; p < base + PORTS && free; p++) free = (await listenOn(p)) !== null
    if (free) return base
  }
  throw new Error(`no ${PORTS} consecutive free ports found`)
}

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
    String(await freeBasePort()),
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
