import { describe, expect, it } from 'vitest'
import { createNodeMetrics } from '../../node/metrics.ts'
import { registerRequestMetrics } from '../../rpc/metrics.ts'
import { parsePrometheusText, sumOf } from './prom-text.ts'
import { type NodeScrape, readScrape, STAGES, type StageValues, stagesPerTx } from './stages.ts'

describe('Prometheus text', () => {
  it('reads names, escaped labels, special values and timestamps, and skips comments', () => {
    const samples = parsePrometheusText(
      [
        '# HELP a_total Things.',
        '# TYPE a_total counter',
        'a_total 3',
        'b_seconds_sum{route="/v1/txs",method="POST"} 0.25 1700000000000',
        'b_seconds_sum{route="/x\\"y\\\\z\\n",method="GET",} 1e-3',
        'c_bucket{le="+Inf"} +Inf',
        'd Nan',
        '',
      ].join('\n'),
    )
    expect(samples.map((s) => s.name)).toEqual(['a_total', 'b_seconds_sum', 'b_seconds_sum', 'c_bucket', 'd'])
    expect(samples[1]).toEqual({
      name: 'b_seconds_sum',
      labels: { route: '/v1/txs', method: 'POST' },
      value: 0.25,
    })
    expect(samples[2]?.labels).toEqual({ route: '/x"y\\z\n', method: 'GET' })
    expect(samples[3]?.value).toBe(Number.POSITIVE_INFINITY)
    expect(Number.isNaN(samples[4]?.value)).toBe(true)
    expect(sumOf(samples, 'b_seconds_sum')).toBeCloseTo(0.251)
    expect(sumOf(samples, 'b_seconds_sum', (l) => l.method === 'GET')).toBeCloseTo(0.001)
    expect(sumOf(samples, 'missing')).toBeNull()
  })

  it('refuses a line that is not a sample', () => {
    expect(() => parsePrometheusText('{oops} 1')).toThrow()
    expect(() => parsePrometheusText('a{b="c} 1')).toThrow()
    expect(() => parsePrometheusText('a two')).toThrow()
  })
})

describe('stage times from a node registry', () => {
  it("reads every stage and the CPU seconds from a node's own /metrics text, without the bench's scrapes", async () => {
    const m = createNodeMetrics()
    let onResponse: ((req: unknown, reply: unknown) => Promise<void>) | null = null
    registerRequestMetrics(
      {
        addHook: (_: string, hook: typeof onResponse) => {
          onResponse = hook
        },
      } as unknown as Parameters<typeof registerRequestMetrics>[0],
      m.registry,
    )
    const respond = (url: string, ms: number) =>
      (onResponse as NonNullable<typeof onResponse>)(
        { method: 'GET', routeOptions: { url } },
        { statusCode: 200, elapsedTime: ms },
      )
    m.mempool.admissionSeconds.observe(0.5)
    m.mempool.admissionSeconds.observe(0.25)
    m.consensus.buildSeconds.observe(0.125)
    m.storage.executeSeconds.observe(0.0625)
    m.storage.commitSeconds.observe(1)
    await respond('/v1/txs/batch', 2000)
    await respond('/metrics', 9000)
    const scrape = readScrape(parsePrometheusText(await m.registry.metrics()))
    expect(scrape.stages).toEqual({ admission: 0.75, build: 0.125, execute: 0.0625, commit: 1, rpc: 2 })
    expect(scrape.cpuSeconds).toBeGreaterThan(0)
  })

  it('leaves a stage the node does not export as null, not zero', () => {
    const scrape = readScrape(
      parsePrometheusText('arcade_storage_commit_seconds_sum 2\nprocess_cpu_seconds_total 7\n'),
    )
    expect(scrape.stages.commit).toBe(2)
    expect(scrape.stages.admission).toBeNull()
    expect(scrape.cpuSeconds).toBe(7)
  })
})

describe('µs per committed tx per stage', () => {
  const at = (values: Partial<Record<(typeof STAGES)[number], number>>): NodeScrape => ({
    stages: Object.fromEntries(STAGES.map((s) => [s, values[s] ?? null])) as StageValues,
    cpuSeconds: null,
    residentBytes: null,
  })

  it('divides the growth of each sum by the committed txs, per node and as the mean', () => {
    const out = stagesPerTx(
      [
        {
          name: 'validator-1',
          start: at({ admission: 1, commit: 2, rpc: 0 }),
          end: at({ admission: 1.1, commit: 2.4, rpc: 1 }),
        },
        {
          name: 'validator-2',
          start: at({ admission: 0, commit: 0 }),
          end: at({ admission: 0.3, commit: 0.2 }),
        },
        { name: 'down', start: at({}), end: null },
      ],
      10_000,
    )
    expect(out?.byNode.map((n) => n.name)).toEqual(['validator-1', 'validator-2'])
    expect(out?.byNode[0]?.us.admission).toBeCloseTo(10)
    expect(out?.byNode[0]?.us.commit).toBeCloseTo(40)
    expect(out?.byNode[1]?.us.rpc).toBeNull()
    expect(out?.meanUs.admission).toBeCloseTo(20)
    expect(out?.meanUs.commit).toBeCloseTo(30)
    // Only validator-1 reports RPC: the mean is over the nodes that report the stage.
    expect(out?.meanUs.rpc).toBeCloseTo(100)
    expect(out?.meanUs.build).toBeNull()
  })

  it('is null with nothing committed or nothing scraped', () => {
    expect(stagesPerTx([{ name: 'v', start: at({ commit: 1 }), end: at({ commit: 2 }) }], 0)).toBeNull()
    expect(stagesPerTx([{ name: 'v', start: null, end: at({}) }], 5)).toBeNull()
  })
})
