import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  comparisonMarkdown,
  htmlReport,
  markdownReport,
  terminalTable,
  writeComparison,
  writeRunReport,
} from './report.ts'
import { summarizeLatencies, timeSeries } from './stats.ts'
import type { RunSummary } from './summary.ts'
import { barChart, escapeXml, lineChart, niceMax } from './svg.ts'
import { rateSweepResult } from './sweep-rate.ts'
import { perTxCpu } from './usage.ts'

function sample(label = 'four <validators>'): RunSummary {
  const commits: [number, number][] = Array.from({ length: 30 }, (_, i) => [i * 100, 50 + i])
  return {
    label,
    startedAt: '2025-01-01T00:00:00.000Z',
    config: {
      mode: 'max',
      rateTps: null,
      rampStartTps: 0,
      outstanding: 4000,
      durationSec: 3,
      clients: 2,
      blockTxs: 2000,
      blockBytes: 4194304,
      emptyBlockMs: 200,
      mix: { pay: 50, award: 30, transfer: 10, traffic: 10 },
      customers: 200,
      merchants: 4,
      terminals: 8,
      batch: 250,
    },
    machine: {
      cores: 2,
      cpuModel: 'test cpu',
      node: 'v24',
      loadAvgStart: [1, 2, 3],
      loadAvgEnd: [1.5, 2, 3],
    },
    validators: 4,
    presigned: 40,
    signSec: 0.1,
    loadSec: 3,
    elapsedSec: 3.2,
    submitted: 32,
    accepted: 30,
    rejected: 2,
    rejectedByCode: { MEMPOOL_FULL: 2 },
    committed: 30,
    receipts: 30,
    matched: 30,
    failed: 1,
    failedByCode: { STATE_INSUFFICIENT_BALANCE: 1 },
    committedTps: 1234.56,
    okTps: 1200,
    submittedTps: 1300,
    latencyMs: summarizeLatencies(commits.map((c) => c[1])),
    blocks: {
      count: 3,
      txsMean: 10,
      txsMax: 12,
      bytesMean: 3000,
      bytesMax: 3600,
      intervalMsMean: 1000,
      intervalMsP50: 990,
      intervalMsMax: 1100,
    },
    verifyPerSec: 10_000,
    verifyBoundTps: 5000,
    boundFraction: 0.2469,
    cpuPerTx: { validatorUs: 190, verifyUs: 74, restUs: 116, byNode: [{ name: 'validator-1', us: 190 }] },
    stagesUsPerTx: {
      meanUs: { admission: 12, build: 30, execute: null, commit: 8.4, rpc: 41 },
      byNode: [
        { name: 'validator-1', us: { admission: 12, build: 30, execute: null, commit: 8.4, rpc: 41 } },
      ],
    },
    nodes: [{ name: 'validator-1', cpuPctMean: 50, cpuPctMax: 60, rssMiBMax: 400, samples: [[1, 50, 400]] }],
    loadGenerator: {
      name: 'load generator',
      cpuPctMean: 5,
      cpuPctMax: 9,
      rssMiBMax: 200,
      samples: [[1, 5, 200]],
    },
    series: timeSeries(commits, 0, 3000),
    notes: ['a note & more'],
  }
}

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('report renderers', () => {
  it('puts the headline figures in the terminal table and Markdown', () => {
    const s = sample()
    const table = terminalTable(s)
    expect(table).toContain('1234.6')
    expect(table).toContain('p50 64')
    expect(table).toContain('MEMPOOL_FULL 2')
    expect(table).toContain('24.7% of it')
    expect(table).toContain('190 µs per validator = 74 µs verification + 116 µs the rest')
    expect(table).toContain('admission 12 · build 30 · execute – · commit 8 · rpc 41 (mean of 1;')
    expect(table).toMatch(/ {4}validator-1 +admission 12 · build 30/)
    expect(terminalTable({ ...s, stagesUsPerTx: null })).toMatch(/µs per tx by stage +n\/a/)
    const md = markdownReport(s)
    expect(md).toContain('| committed tx/s | 1234.6')
    expect(md).toContain('| 0 | 10 | 10.0 |')
    expect(md).toContain('- a note & more')
    expect(md).toContain('| µs per tx by stage | admission 12 · build 30')
    expect(comparisonMarkdown([s])).toContain('| admission 12 · build 30 · execute – · commit 8 · rpc 41 |')
  })

  it('makes a self-contained HTML page with escaped text and inline charts', () => {
    const html = htmlReport(sample())
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).not.toMatch(/<script|<link|src="http/)
    expect(html.match(/<svg /g)).toHaveLength(3)
    expect(html).toContain('<polyline')
    expect(html).toContain('four &#60;validators&#62;')
    expect(html).not.toContain('four <validators>')
  })

  it('splits CPU per committed tx into one verification and the rest', () => {
    const split = perTxCpu(
      [
        { name: 'validator-1', start: 10, end: 12 },
        { name: 'validator-2', start: 5, end: 9 },
        { name: 'gone', start: 1, end: null },
      ],
      20_000,
      10_000,
    )
    expect(split).toEqual({
      validatorUs: 150,
      verifyUs: 100,
      restUs: 50,
      byNode: [
        { name: 'validator-1', us: 100 },
        { name: 'validator-2', us: 200 },
      ],
    })
    expect(perTxCpu([{ name: 'validator-1', start: 1, end: 2 }], 0, 10_000)).toBeNull()
  })

  it('charts stay finite when a series has gaps', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'a',
          points: [
            [0, Number.NaN],
            [1, 5],
            [2, 7],
          ],
        },
      ],
    })
    expect(svg).not.toContain('NaN')
    const points = /points="([^"]+)"/.exec(svg)?.[1]?.split(' ')
    expect(points).toHaveLength(2)
    expect(barChart({ title: 'b', yLabel: 'y', bars: [{ label: 'x', value: Number.NaN }] })).not.toContain(
      'NaN',
    )
    expect(escapeXml(`<a href="x">&'`)).toBe('&#60;a href=&#34;x&#34;&#62;&#38;&#39;')
  })

  it('rounds axes up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(7)).toBe(10)
    expect(niceMax(1234)).toBe(2000)
    expect(niceMax(0.3)).toBe(0.5)
    expect(niceMax(0)).toBe(1)
  })
})

describe('report writers', () => {
  it('writes summary.json, report.md and report.html', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-report-'))
    dirs.push(dir)
    await writeRunReport(dir, sample())
    const json = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary
    expect(json.committedTps).toBe(1234.56)
    expect(json.latencyMs.p99).toBe(sample().latencyMs.p99)
    expect(json.verifyBoundTps).toBe(5000)
    expect(json.validators).toBe(4)
    expect([json.committed, json.receipts]).toEqual([30, 30])
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain('# Arcade benchmark')
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain('<svg')
  })

  it('writes one comparison of a sweep', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-compare-'))
    dirs.push(dir)
    const runs = [sample('validators=1'), { ...sample('validators=4'), committedTps: 99 }]
    await writeComparison(dir, runs)
    const json = JSON.parse(await readFile(join(dir, 'comparison.json'), 'utf8')) as RunSummary[]
    expect(json.map((r) => r.label)).toEqual(['validators=1', 'validators=4'])
    expect(json[0]?.series).toBeUndefined()
    expect(
      comparisonMarkdown(runs)
        .split('\n')
        .filter((l) => l.startsWith('| validators=')),
    ).toHaveLength(2)
    expect((await readFile(join(dir, 'comparison.html'), 'utf8')).match(/<svg /g)).toHaveLength(3)
  })

  it('adds a rate sweep to the comparison and writes sweep.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-rate-sweep-'))
    dirs.push(dir)
    const at = (rate: number, committed: number) => ({
      ...sample(`rate=${rate}`),
      config: { ...sample().config, mode: 'fixed-rate', rateTps: rate },
      committedTps: committed,
    })
    const runs = [at(500, 500), at(1000, 600)]
    const result = rateSweepResult({ startTps: 500, stopTps: 1000, stepTps: 500 }, runs, 2)
    await writeComparison(dir, runs, result)
    const md = await readFile(join(dir, 'comparison.md'), 'utf8')
    expect(md).toContain('## Rate sweep')
    expect(md).toContain('Sustainable rate: 500 tx/s')
    const html = await readFile(join(dir, 'comparison.html'), 'utf8')
    expect(html).toContain('<h2>Rate sweep</h2>')
    expect(html.match(/<svg /g)).toHaveLength(5)
    const json = JSON.parse(await readFile(join(dir, 'sweep.json'), 'utf8')) as { sustainableTps: number }
    expect(json.sustainableTps).toBe(500)
  })
})
