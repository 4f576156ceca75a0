/**
 * Per-process CPU and memory from /proc (Linux): CPU as the share of one core used between samples
 * (utime + stime from /proc/PID/stat), RSS from /proc/PID/status. Elsewhere the samples are empty.
 */
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on every Linux build in use). */
const CLOCK_TICKS = 100

export interface ProcSample {
  /** Ms since the run's start. */
  readonly t: number
  /** CPU used since the previous sample, in percent of one core (200 = two cores busy). */
  readonly cpuPct: number
  readonly rssMiB: number
}

/** utime + stime in seconds, or null when the process is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return null
  }
}

export function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? null : Number(m[1]) / 1024
  } catch {
    return null
  }
}

/** Samples a set of named processes every `intervalMs` until stopped. */
export class ProcSampler {
  readonly samples = new Map<string, ProcSample[]>()
  private readonly last = new Map<string, { at: number; cpu: number }>()
  private timer: NodeJS.Timeout | null = null
  private readonly targets: readonly { name: string; pid: number }[]
  private readonly startMs: number

  constructor(options: { targets: readonly { name: string; pid: number }[]; startMs: number }) {
    this.targets = options.targets
    this.startMs = options.startMs
    for (const t of this.targets) this.samples.set(t.name, [])
  }

  start(intervalMs = 1000): void {
    this.sample()
    this.timer = setInterval(() => this.sample(), intervalMs)
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  sample(): void {
    const now = performance.timeOrigin + performance.now()
    for (const { name, pid } of this.targets) {
      const cpu = cpuSeconds(pid)
      const rss = rssMiB(pid)
      if (cpu === null || rss === null) continue
      const prev = this.last.get(name)
      this.last.set(name, { at: now, cpu })
      if (prev === undefined || now <= prev.at) continue
      const cpuPct = ((cpu - prev.cpu) * 100_000) / (now - prev.at)
      this.samples.get(name)?.push({ t: now - this.startMs, cpuPct, rssMiB: rss })
    }
  }
}
