/**
 * `--in-process`: the consensus engine alone, N drivers over the simulated network of
 * test/simulation (no signatures, no disk, 5–15 ms simulated delays), through its cost probe. Blocks/s
 * are given both in virtual time (what the protocol allows on that network) and in wall time (what
 * one core of this machine can drive: the engine's CPU cost), with messages and bytes per block.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { measureCost } from '../../test/simulation/cost.ts'
import { barChart, escapeXml } from './svg.ts'

export interface InProcessRow {
  readonly validators: number
  readonly txsPerBlock: number
  readonly blocks: number
  readonly virtualSec: number
  readonly wallSec: number
  readonly virtualBlocksPerSec: number
  readonly wallBlocksPerSec: number
  readonly messagesPerBlock: number
  readonly bytesPerBlock: number
  readonly voteBytesPerBlock: number
}

export function runInProcess(
  validators: readonly number[],
  txsPerBlock: readonly number[],
  log: (l: string) => void,
): InProcessRow[] {
  const rows: InProcessRow[] = []
  for (const n of validators) {
    for (const txs of txsPerBlock) {
      const virtualMs = n >= 64 ? 600 : n >= 16 ? 1500 : 3000
      const started = performance.now()
      const c = measureCost(n, txs, virtualMs)
      const wallSec = (performance.now() - started) / 1000
      const row: InProcessRow = {
        validators: n,
        txsPerBlock: txs,
        blocks: c.blocks,
        virtualSec: virtualMs / 1000,
        wallSec,
        virtualBlocksPerSec: c.blocks / (virtualMs / 1000),
        wallBlocksPerSec: c.blocks / wallSec,
        messagesPerBlock: c.messagesPerBlock,
        bytesPerBlock: c.bytesPerBlock,
        voteBytesPerBlock: c.voteBytesPerBlock,
      }
      log(
        `  N=${n} txs/block=${txs}: ${c.blocks} blocks, ${row.wallBlocksPerSec.toFixed(1)} blocks/s wall, ` +
          `${row.virtualBlocksPerSec.toFixed(1)} blocks/s virtual, ${c.messagesPerBlock.toFixed(0)} msgs/block, ${(c.bytesPerBlock / 1024).toFixed(1)} KiB/block`,
      )
      rows.push(row)
    }
  }
  return rows
}

const header = [
  'N',
  'txs/block',
  'blocks',
  'blocks/s (wall)',
  'blocks/s (virtual)',
  'msgs/block',
  'KiB/block',
  'vote KiB/block',
]
const cells = (r: InProcessRow) => [
  String(r.validators),
  String(r.txsPerBlock),
  String(r.blocks),
  r.wallBlocksPerSec.toFixed(1),
  r.virtualBlocksPerSec.toFixed(1),
  r.messagesPerBlock.toFixed(0),
  (r.bytesPerBlock / 1024).toFixed(1),
  (r.voteBytesPerBlock / 1024).toFixed(1),
]

export function inProcessMarkdown(rows: readonly InProcessRow[]): string {
  return [
    '# Arcade consensus engine, in process',
    '',
    'N validators over the simulated network (5–15 ms delays, no loss), no signatures, no disk.',
    'Wall blocks/s is bounded by this machine driving all N engines on one core.',
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).join(' | ')} |`),
    '',
  ].join('\n')
}

export async function writeInProcessReport(dir: string, rows: readonly InProcessRow[]): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'in-process.json'), `${JSON.stringify(rows, null, 2)}\n`)
  await writeFile(join(dir, 'in-process.md'), inProcessMarkdown(rows))
  const table = `<table><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>${rows
    .map(
      (r) =>
        `<tr>${cells(r)
          .map((c) => `<td>${c}</td>`)
          .join('')}</tr>`,
    )
    .join('')}</table>`
  const label = (r: InProcessRow) => `N${r.validators}/${r.txsPerBlock}tx`
  const charts = [
    barChart({
      title: 'Blocks/s (wall)',
      yLabel: 'blocks/s',
      bars: rows.map((r) => ({ label: label(r), value: r.wallBlocksPerSec })),
    }),
    barChart({
      title: 'Messages per block',
      yLabel: 'messages',
      bars: rows.map((r) => ({ label: label(r), value: r.messagesPerBlock })),
    }),
    barChart({
      title: 'KiB per block',
      yLabel: 'KiB',
      bars: rows.map((r) => ({ label: label(r), value: r.bytesPerBlock / 1024 })),
    }),
  ]
  await writeFile(
    join(dir, 'in-process.html'),
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Arcade consensus in process</title><style>body{font-family:system-ui,sans-serif;margin:24px}td,th{border:1px solid #ccc;padding:4px 8px}table{border-collapse:collapse}</style></head><body><h1>Arcade consensus engine, in process</h1>${table}<div>${charts.join('')}</div></body></html>\n`,
  )
}
