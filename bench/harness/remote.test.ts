import { describe, expect, it } from 'vitest'
import { BenchErrorCode } from './errors.ts'
import { parseBenchArgs, parseRemote } from './options.ts'
import { parsePrometheusText } from './prom-text.ts'
import { isLoopback, remoteNodeName, remotePointId } from './remote.ts'
import { type NodeScrape, readScrape } from './stages.ts'
import { perTxCpu, scrapedUsage } from './usage.ts'

const codeOf = (f: () => unknown) => {
  try {
    f()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return null
}

describe('--remote options', () => {
  it('reads the URLs and the manager key, dropping trailing slashes', () => {
    const o = parseBenchArgs([
      '--remote',
      'http://a:26601/, http://b:26603',
      '--manager-key',
      '.devnet/keys/manager.json',
      '--rate',
      '200',
    ])
    expect(o.remote).toEqual(['http://a:26601', 'http://b:26603'])
    expect(o.managerKeyFile).toBe('.devnet/keys/manager.json')
    expect(o).toMatchObject({ mode: 'fixed-rate', rateTps: 200 })
    expect(parseBenchArgs([]).remote).toBeNull()
    const sweep = parseBenchArgs([
      '--remote',
      'http://a:1',
      '--manager-key',
      'k',
      '--sweep-rate',
      '100:300:100',
    ])
    expect(sweep.sweepRate).not.toBeNull()
  })

  it('refuses bad URLs, a missing key, and flags of a network started here', () => {
    for (const bad of ['', 'a:26601', 'ftp://a:1', 'http://a:1/v1', 'http://a:1?x=1', 'http://a:1,nope'])
      expect(
        codeOf(() => parseRemote(bad)),
        bad,
      ).toBe(BenchErrorCode.badFlag)
    const remote = ['--remote', 'http://127.0.0.1:26601', '--manager-key', 'k']
    expect(codeOf(() => parseBenchArgs(['--remote', 'http://127.0.0.1:26601']))).toBe(BenchErrorCode.badFlag)
    expect(codeOf(() => parseBenchArgs(['--manager-key', 'k']))).toBe(BenchErrorCode.badFlag)
    for (const extra of [
      ['--validators', '4'],
      ['--block-txs', '100'],
      ['--base-port', '28000'],
      ['--cpu-prof'],
      ['--keep-data'],
      ['--in-process'],
      ['--sweep', 'validators=1,4'],
    ])
      expect(
        codeOf(() => parseBenchArgs([...remote, ...extra])),
        extra.join(' '),
      ).toBe(BenchErrorCode.badFlag)
    expect(parseBenchArgs([...remote, '--sweep', 'clients=1,2']).sweep).toHaveLength(1)
  })
})

describe('a remote network', () => {
  it('names nodes by host:port and knows which targets are on loopback', () => {
    expect(remoteNodeName('http://10.0.0.7:26601')).toBe('10.0.0.7:26601')
    expect(isLoopback('http://127.0.0.1:26601')).toBe(true)
    expect(isLoopback('http://localhost:26601')).toBe(true)
    expect(isLoopback('http://[::1]:26601')).toBe(true)
    expect(isLoopback('http://10.0.0.7:26601')).toBe(false)
  })

  it('makes a fresh point id per run that the protocol accepts', () => {
    const a = remotePointId(1_700_000_000_000, () => 0)
    const b = remotePointId(1_700_000_000_001, () => 0.999)
    expect(a).toMatch(/^[A-Z][A-Z0-9]{1,11}$/)
    expect(b).toMatch(/^[A-Z][A-Z0-9]{1,11}$/)
    expect(a).not.toBe(b)
  })
})

describe('CPU from /metrics', () => {
  const scrape = (cpu: number, rssBytes: number): NodeScrape =>
    readScrape(
      parsePrometheusText(
        `arcade_process_process_cpu_seconds_total ${cpu}\narcade_process_process_resident_memory_bytes ${rssBytes}\n`,
      ),
    )

  it('gives CPU per committed tx like /proc does, from the scraped CPU seconds', () => {
    const start = [scrape(10, 0), scrape(5, 0)]
    const end = [scrape(12, 0), scrape(9, 0)]
    const split = perTxCpu(
      ['a:1', 'b:2'].map((name, i) => ({
        name,
        start: start[i]?.cpuSeconds ?? null,
        end: end[i]?.cpuSeconds ?? null,
      })),
      20_000,
      10_000,
    )
    expect(split).toMatchObject({ validatorUs: 150, verifyUs: 100, restUs: 50 })
  })

  it('gives the mean CPU over the window and the memory at the end, no maximum', () => {
    const u = scrapedUsage('a:1', scrape(10, 0), scrape(13, 512 * 1024 * 1024), 4)
    expect(u).toMatchObject({ name: 'a:1', cpuPctMean: 75, rssMiBMax: 512, samples: [] })
    expect(Number.isNaN(u.cpuPctMax)).toBe(true)
    expect(Number.isNaN(scrapedUsage('a:1', null, scrape(1, 1), 4).cpuPctMean)).toBe(true)
  })
})
