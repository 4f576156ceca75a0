/**
 * Report writers: a terminal table, Markdown, a self-contained HTML page (inline SVG charts) and
 * JSON, for one run (`writeRunReport`) or a sweep's comparison (`writeComparison`). Pure renderers
 * plus one function per folder that writes the files.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { STAGES, type StageValues } from './stages.ts'
import type { RunSummary } from './summary.ts'
import { barChart, escapeXml, lineChart } from './svg.ts'
import { type RateSweepResult, rateSweepMarkdown, writeRateSweep } from './sweep-rate.ts'

const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–')
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–')
/** A CPU share already in percent; `–` when unknown (a remote node has no maximum). */
const pct0 = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)}%` : '–')
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–')
const codes = (r: Readonly<Record<string, number>>) =>
  Object.keys(r).length === 0
    ? 'none'
    : Object.entries(r)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')

/** `admission 12 · build 30 · …`, a stage no node reports as `–`. */
export function stageLine(us: StageValues): string {
  return STAGES.map((st) => `${st} ${us[st] === null ? '–' : f0(us[st])}`).join(' · ')
}

/** µs per committed tx per stage: the mean over the validators, then one row per validator. */
export function stageRows(s: RunSummary): [string, string][] {
  const st = s.stagesUsPerTx
  if (st === null) return [['µs per tx by stage', 'n/a (nothing committed or no /metrics)']]
  return [
    [
      'µs per tx by stage',
      `${stageLine(st.meanUs)} (mean of ${st.byNode.length}; wall time per call, summed, overlaps counted)`,
    ],
    ...st.byNode.map((n): [string, string] => [`  ${n.name}`, stageLine(n.us)]),
  ]
}

/** The headline figures as [label, value] rows, shared by the terminal table and Markdown. */
export function headlineRows(s: RunSummary): [string, string][] {
  const rate =
    s.config.mode === 'ramp'
      ? `${s.config.rampStartTps}→${s.config.rateTps} tx/s`
      : s.config.rateTps === null
        ? ''
        : `${s.config.rateTps} tx/s`
  const load =
    s.config.mode === 'fixed-load' || s.config.mode === 'max' ? `${s.config.outstanding} outstanding` : rate
  return [
    ['validators', String(s.validators)],
    ['load', `${s.config.mode} ${load}, ${s.config.clients} clients, mix ${codes(s.config.mix)}`],
    ['committed tx/s', `${f1(s.committedTps)} (ok ${f1(s.okTps)}, submitted ${f1(s.submittedTps)})`],
    [
      'latency ms',
      `p50 ${f0(s.latencyMs.p50)}  p95 ${f0(s.latencyMs.p95)}  p99 ${f0(s.latencyMs.p99)}  max ${f0(s.latencyMs.max)}`,
    ],
    [
      'committed / receipts',
      `${s.committed} / ${s.receipts} (matched ${s.matched} of ${s.accepted} accepted)`,
    ],
    ['submitted / rejected', `${s.submitted} / ${s.rejected} (${codes(s.rejectedByCode)})`],
    ['failed in blocks', `${s.failed} (${codes(s.failedByCode)})`],
    [
      'blocks',
      `${s.blocks.count}, txs mean ${f0(s.blocks.txsMean)} max ${s.blocks.txsMax}, bytes mean ${f0(s.blocks.bytesMean)}, interval p50 ${f0(s.blocks.intervalMsP50)} ms mean ${f0(s.blocks.intervalMsMean)} max ${f0(s.blocks.intervalMsMax)}`,
    ],
    ['verify rate', `${f0(s.verifyPerSec)} sig/s per core × ${s.machine.cores} cores`],
    [
      'verify bound',
      `${f0(s.verifyBoundTps)} tx/s (= cores × rate / validators); throughput is ${pct(s.boundFraction)} of it`,
    ],
    [
      'cpu per committed tx',
      s.cpuPerTx === null
        ? 'n/a (nothing committed)'
        : `${f0(s.cpuPerTx.validatorUs)} µs per validator = ${f0(s.cpuPerTx.verifyUs)} µs verification + ${f0(s.cpuPerTx.restUs)} µs the rest (${s.cpuPerTx.byNode.map((n) => `${n.name} ${f0(n.us)}`).join(', ')})`,
    ],
    ...stageRows(s),
    ...s.nodes.map((n): [string, string] => [
      n.name,
      `cpu mean ${pct0(n.cpuPctMean)} max ${pct0(n.cpuPctMax)}, rss max ${f0(n.rssMiBMax)} MiB`,
    ]),
    ...(s.loadGenerator === null
      ? []
      : [
          [
            'load generator',
            `cpu mean ${f0(s.loadGenerator.cpuPctMean)}% max ${f0(s.loadGenerator.cpuPctMax)}%, rss max ${f0(s.loadGenerator.rssMiBMax)} MiB`,
          ] as [string, string],
        ]),
    [
      'load average',
      `${s.machine.loadAvgStart.map(f1).join(' ')} → ${s.machine.loadAvgEnd.map(f1).join(' ')}`,
    ],
  ]
}

export function terminalTable(s: RunSummary): string {
  const rows = headlineRows(s)
  const width = Math.max(...rows.map((r) => r[0].length))
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)
  return [`── ${s.label} ──`, ...lines, ...s.notes.map((n) => `  note: ${n}`)].join('\n')
}

export function markdownReport(s: RunSummary): string {
  const rows = headlineRows(s).map(([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`)
  const series = s.series.map(
    (p) => `| ${p.t} | ${p.committed} | ${f1(p.tps)} | ${f0(p.p50)} | ${f0(p.p99)} |`,
  )
  return [
    `# Arcade benchmark: ${s.label}`,
    '',
    `Started ${s.startedAt} on ${s.machine.cores} cores (${s.machine.cpuModel}), Node ${s.machine.node}.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    ...rows,
    '',
    'Committed tx/s counts every tx in a block committed during the run (from the block events of the',
    'event stream), over the time from the first submission to the last commit. Latency runs from a',
    "tx's submission to the arrival of its block's event on the stream. The verification bound assumes every",
    'validator verifies every tx once and the validators share this machine: cores × rate / validators.',
    ...(s.notes.length > 0 ? ['', '## Notes', '', ...s.notes.map((n) => `- ${n}`)] : []),
    '',
    '## Per second',
    '',
    '| t (s) | committed | tx/s | p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- |',
    ...series,
    '',
  ].join('\n')
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;color:#111}table{border-collapse:collapse;margin:12px 0}
td,th{border:1px solid #d1d5db;padding:4px 8px;text-align:left;font-size:13px}th{background:#f3f4f6}
.charts{display:flex;flex-wrap:wrap;gap:16px}`

function page(title: string, body: string[]): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head>\n<body>\n${body.join('\n')}\n</body></html>\n`
}

export function htmlReport(s: RunSummary): string {
  const rows = headlineRows(s).map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`)
  const tps = lineChart({
    title: 'Committed tx/s',
    xLabel: 'seconds',
    yLabel: 'tx/s',
    series: [{ name: 'committed tx/s', points: s.series.map((p) => [p.t, p.tps]) }],
  })
  const latency = lineChart({
    title: 'Latency, submit to commit',
    xLabel: 'seconds',
    yLabel: 'ms',
    series: [
      { name: 'p50', points: s.series.map((p) => [p.t, p.p50]) },
      { name: 'p99', points: s.series.map((p) => [p.t, p.p99]) },
    ],
  })
  const cpu = lineChart({
    title: 'CPU per process',
    xLabel: 'seconds',
    yLabel: '% of one core',
    series: [...s.nodes, ...(s.loadGenerator === null ? [] : [s.loadGenerator])].map((n) => ({
      name: n.name,
      points: n.samples.map((x) => [x[0], x[1]] as const),
    })),
  })
  return page(`Arcade benchmark: ${s.label}`, [
    `<h1>Arcade benchmark: ${escapeXml(s.label)}</h1>`,
    `<p>Started ${escapeXml(s.startedAt)} on ${s.machine.cores} cores (${escapeXml(s.machine.cpuModel)}), Node ${escapeXml(s.machine.node)}.</p>`,
    `<table>${rows.join('')}</table>`,
    ...s.notes.map((n) => `<p>Note: ${escapeXml(n)}</p>`),
    `<div class="charts">${tps}${latency}${cpu}</div>`,
    '<p>Verification bound = cores × single-core Ed25519 verify rate / validators: every validator verifies every tx once and all validators share this machine.</p>',
  ])
}

export async function writeRunReport(dir: string, s: RunSummary): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'summary.json'), `${JSON.stringify(s, null, 2)}\n`)
  await writeFile(join(dir, 'report.md'), markdownReport(s))
  await writeFile(join(dir, 'report.html'), htmlReport(s))
}

const compareHeader = [
  'run',
  'validators',
  'committed tx/s',
  'p50 ms',
  'p99 ms',
  'verify bound',
  'of bound',
  'cpu µs/tx (verify + rest)',
  'stage µs/tx (mean)',
  'rejected',
  'failed',
  'blocks',
]
function compareRow(s: RunSummary): string[] {
  return [
    s.label,
    String(s.validators),
    f1(s.committedTps),
    f0(s.latencyMs.p50),
    f0(s.latencyMs.p99),
    f0(s.verifyBoundTps),
    pct(s.boundFraction),
    s.cpuPerTx === null
      ? 'n/a'
      : `${f0(s.cpuPerTx.validatorUs)} (${f0(s.cpuPerTx.verifyUs)} + ${f0(s.cpuPerTx.restUs)})`,
    s.stagesUsPerTx === null ? 'n/a' : stageLine(s.stagesUsPerTx.meanUs),
    String(s.rejected),
    String(s.failed),
    String(s.blocks.count),
  ]
}

export function comparisonMarkdown(
  runs: readonly RunSummary[],
  rateSweep: RateSweepResult | null = null,
): string {
  return [
    '# Arcade benchmark sweep',
    '',
    `| ${compareHeader.join(' | ')} |`,
    `| ${compareHeader.map(() => '---').join(' | ')} |`,
    ...runs.map((r) => `| ${compareRow(r).join(' | ')} |`),
    '',
    ...(rateSweep === null ? [] : [rateSweepMarkdown(rateSweep)]),
  ].join('\n')
}

function rateSweepHtml(r: RateSweepResult): string[] {
  const head = [
    'offered tx/s',
    'submitted tx/s',
    'committed tx/s',
    'committed/offered',
    'p50 ms',
    'p99 ms',
    'sustained',
  ]
  const rows = r.steps.map((s) =>
    [
      f0(s.offeredTps),
      f0(s.submittedTps),
      f1(s.committedTps),
      s.committedRatio.toFixed(3),
      f0(s.p50Ms),
      f0(s.p99Ms),
      s.sustained ? 'yes' : 'no',
    ]
      .map((c) => `<td>${escapeXml(c)}</td>`)
      .join(''),
  )
  const chart = lineChart({
    title: 'Committed vs offered',
    xLabel: 'offered tx/s',
    yLabel: 'tx/s',
    series: [
      { name: 'offered', points: r.steps.map((s) => [s.offeredTps, s.offeredTps]) },
      { name: 'committed', points: r.steps.map((s) => [s.offeredTps, s.committedTps]) },
    ],
  })
  const p99 = lineChart({
    title: 'p99 latency by offered rate',
    xLabel: 'offered tx/s',
    yLabel: 'ms',
    series: [{ name: 'p99', points: r.steps.map((s) => [s.offeredTps, s.p99Ms]) }],
  })
  return [
    '<h2>Rate sweep</h2>',
    `<p>Sustainable rate: <b>${r.sustainableTps === null ? 'none of the steps' : `${f0(r.sustainableTps)} tx/s`}</b> (the highest offered rate with committed/offered ≥ ${r.criteria.minCommittedRatio} and p99 ≤ ${r.criteria.maxP99Ms} ms)${r.stoppedEarly ? '; stopped after two saturated steps in a row' : ''}.</p>`,
    `<table><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>${rows.map((x) => `<tr>${x}</tr>`).join('')}</table>`,
    `<div class="charts">${chart}${p99}</div>`,
  ]
}

export function comparisonHtml(
  runs: readonly RunSummary[],
  rateSweep: RateSweepResult | null = null,
): string {
  const head = `<tr>${compareHeader.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`
  const rows = runs.map(
    (r) =>
      `<tr>${compareRow(r)
        .map((c) => `<td>${escapeXml(c)}</td>`)
        .join('')}</tr>`,
  )
  const bars = (title: string, y: string, v: (r: RunSummary) => number) =>
    barChart({ title, yLabel: y, bars: runs.map((r) => ({ label: r.label, value: v(r) })) })
  return page('Arcade benchmark sweep', [
    '<h1>Arcade benchmark sweep</h1>',
    `<table>${head}${rows.join('')}</table>`,
    `<div class="charts">${bars('Committed tx/s', 'tx/s', (r) => r.committedTps)}${bars('p99 latency', 'ms', (r) => r.latencyMs.p99)}${bars('Share of the verify bound', '%', (r) => 100 * r.boundFraction)}</div>`,
    ...(rateSweep === null ? [] : rateSweepHtml(rateSweep)),
  ])
}

/** comparison.json, .md and .html of a sweep's runs; a rate sweep adds its section and sweep.json. */
export async function writeComparison(
  dir: string,
  runs: readonly RunSummary[],
  rateSweep: RateSweepResult | null = null,
): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(
    join(dir, 'comparison.json'),
    `${JSON.stringify(
      runs.map(({ series, nodes, ...rest }) => rest),
      null,
      2,
    )}\n`,
  )
  await writeFile(join(dir, 'comparison.md'), comparisonMarkdown(runs, rateSweep))
  await writeFile(join(dir, 'comparison.html'), comparisonHtml(runs, rateSweep))
  if (rateSweep !== null) await writeRateSweep(dir, rateSweep)
}
