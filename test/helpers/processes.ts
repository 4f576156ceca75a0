/**
 * Real node processes for end-to-end tests: each node runs `node node/cli.ts start --config FILE` on
 * 127.0.0.1, exactly as an operator would start it. Helpers wait on the RPC (never sleep-and-hope)
 * and make sure every child is killed when a test ends.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'

const repoRoot = new URL('../../', import.meta.url).pathname
const nodeBin = process.execPath

export interface NodeProcess {
  readonly name: string
  readonly configPath: string
  child: ChildProcess
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string | null>
}

export function runCli(args: readonly string[], opts: { cwd?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(nodeBin, [join(repoRoot, 'node/cli.ts'), ...args], { cwd: opts.cwd ?? repoRoot })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Children still running: killed if this process exits first (a crashed or timed-out test run). */
const running = new Set<ChildProcess>()
let exitHookInstalled = false

function track(child: ChildProcess): void {
  running.add(child)
  child.on('exit', () => running.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL')
  })
}

export function startNode(name: string, configPath: string, logDir: string): NodeProcess {
  mkdirSync(logDir, { recursive: true })
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' })
  const child = spawn(nodeBin, [join(repoRoot, 'node/cli.ts'), 'start', '--config', configPath], {
    cwd: repoRoot,
    env: { ...process.env, ARCADE_LOG_PRETTY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  track(child)
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const exited = new Promise<number | string | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal))
  })
  return { name, configPath, child, exited }
}

export async function stopNode(node: NodeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return
  node.child.kill(signal)
  await node.exited
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  )
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) })
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}
