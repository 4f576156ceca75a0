/**
 * A shop's off-ledger traffic as text, read into a batch to anchor (client/traffic-batch.ts): a batch
 * file (`"format": "arcade/traffic-batch/v1"`, e.g. the shop's own log exported in that format: its
 * root is checked), a JSON array of events or `{ "events": [...] }`, or CSV with a header row. Fields and
 * columns: point, merchant (both may be left out and given once for the batch), eventId, kind (visit,
 * view, click, purchase), pseudonym (`arc1…`, or empty), amount (purchases; default 0), timeMs (ms
 * since the epoch). Events stay in file order: that order is the order of the leaves.
 */

import { bytesEqual } from '../protocol/bytes.ts'
import { splitCsvLine } from './csv.ts'
import { invalidInput } from './errors.ts'
import { type AddressLike, toAccount, toPointId } from './keys.ts'
import {
  buildTrafficBatch,
  TRAFFIC_BATCH_FORMAT,
  type TrafficBatch,
  trafficBatchFrom,
} from './traffic-batch.ts'

const CSV_REQUIRED = ['eventId', 'kind', 'timeMs']
const CSV_COLUMNS = new Set(['point', 'merchant', 'eventId', 'kind', 'pseudonym', 'amount', 'timeMs'])

function csvRows(text: string): Record<string, unknown>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'))
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim())
  for (const column of CSV_REQUIRED) {
    if (!header.includes(column))
      throw invalidInput('file', `CSV needs a header row with ${CSV_REQUIRED.join(', ')}`)
  }
  const unknown = header.find((h) => !CSV_COLUMNS.has(h))
  if (unknown !== undefined) throw invalidInput('file', `unknown CSV column ${JSON.stringify(unknown)}`)
  return lines.slice(1).map((line, i) => {
    const cells = splitCsvLine(line)
    if (cells.length !== header.length)
      throw invalidInput(`line ${i + 2}`, `has ${cells.length} cells, not ${header.length}`)
    // An event id is taken as it is; the other cells are trimmed.
    return Object.fromEntries(
      header.map((h, j) => {
        const cell = cells[j] as string
        const value = h === 'eventId' ? cell : cell.trim()
        return [h, value === '' ? undefined : value]
      }),
    )
  })
}

/**
 * The batch in a file's text. `point` and `merchant` are what events leaving them out get; a batch
 * file must be of that point and merchant when they are given. Throws CLIENT_INVALID_INPUT naming the
 * offending event (`events[3].timeMs`) or line.
 */
export function readTrafficBatch(
  text: string,
  opts: { readonly point?: string; readonly merchant?: AddressLike } = {},
): TrafficBatch {
  const trimmed = text.trim()
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) {
    const rows = csvRows(trimmed)
    if (rows.length === 0) throw invalidInput('file', 'holds no events')
    return buildTrafficBatch(rows, opts)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(trimmed)
  } catch {
    throw invalidInput('file', 'is not valid JSON')
  }
  if (Array.isArray(parsed)) return buildTrafficBatch(parsed, opts)
  const file = parsed as { format?: unknown; events?: unknown }
  if (file.format === TRAFFIC_BATCH_FORMAT) {
    const batch = trafficBatchFrom(parsed)
    if (opts.point !== undefined && toPointId(opts.point) !== batch.point)
      throw invalidInput('point', `the batch file is of point ${batch.point}`)
    if (opts.merchant !== undefined && !bytesEqual(toAccount(opts.merchant, 'merchant'), batch.merchant))
      throw invalidInput('merchant', "the batch file is another shop's")
    return batch
  }
  if (!Array.isArray(file.events))
    throw invalidInput('file', 'must be a batch file, a JSON array of events or {"events": [...]}')
  return buildTrafficBatch(file.events, opts)
}
