/**
 * Traffic events from a shop's export: a JSON array (or `{ "events": [...] }`) or a CSV file with a
 * header row. Columns/fields: eventId, kind (visit, view, click, purchase), customerHash (64 hex) or
 * customer (a raw identity, hashed here with the shop's salt and never sent), account (optional
 * arc1… to credit), amount (optional integer, for purchases).
 */
import { TRAFFIC_KINDS } from '../protocol/tx-body.ts'
import { invalidInput } from './errors.ts'
import { toAccount, toHash } from './keys.ts'
import { hashCustomer, type TrafficEventInput } from './operations.ts'

const MAX_EVENT_ID = 64

function splitCsvLine(line: string): string[] {
  const out: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cell.trim())
      cell = ''
    } else cell += c
  }
  out.push(cell.trim())
  return out
}

function rowsOf(text: string): Record<string, unknown>[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      throw invalidInput('file', 'is not valid JSON')
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { events?: unknown }).events
    if (!Array.isArray(list))
      throw invalidInput('file', 'must be a JSON array of events or {"events": [...]}')
    return list as Record<string, unknown>[]
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'))
  const header = splitCsvLine(lines[0] ?? '')
  if (!header.includes('eventId') || !header.includes('kind')) {
    throw invalidInput('file', 'CSV needs a header row with at least eventId and kind')
  }
  return lines.slice(1).map((line, i) => {
    const cells = splitCsvLine(line)
    if (cells.length !== header.length)
      throw invalidInput(`line ${i + 2}`, `has ${cells.length} cells, not ${header.length}`)
    return Object.fromEntries(header.map((h, j) => [h, cells[j] === '' ? undefined : cells[j]]))
  })
}

/** Parses and checks every event; an error names the event (`events[3].kind`). */
export function parseTrafficFile(text: string, opts: { salt?: string } = {}): TrafficEventInput[] {
  const rows = rowsOf(text)
  if (rows.length === 0) throw invalidInput('file', 'holds no events')
  return rows.map((row, i) => {
    const at = `events[${i}]`
    if (typeof row !== 'object' || row === null) throw invalidInput(at, 'must be an object')
    const eventId = String(row.eventId ?? '')
    if (eventId.length < 1 || eventId.length > MAX_EVENT_ID)
      throw invalidInput(`${at}.eventId`, 'must be 1 to 64 characters')
    const kind = row.kind
    if (!TRAFFIC_KINDS.includes(kind as never))
      throw invalidInput(`${at}.kind`, `must be one of ${TRAFFIC_KINDS.join(', ')}`)
    let customerHash: Uint8Array
    if (row.customerHash !== undefined) customerHash = toHash(String(row.customerHash), `${at}.customerHash`)
    else if (row.customer !== undefined) {
      if (opts.salt === undefined || opts.salt === '')
        throw invalidInput(`${at}.customer`, 'raw identities need a salt to be hashed')
      customerHash = hashCustomer(String(row.customer), opts.salt)
    } else throw invalidInput(at, 'needs customerHash or customer')
    const account =
      row.account === undefined || row.account === null
        ? null
        : toAccount(String(row.account), `${at}.account`)
    const amountText = row.amount === undefined ? '0' : String(row.amount)
    if (!/^\d+$/.test(amountText) || !Number.isSafeInteger(Number(amountText))) {
      throw invalidInput(`${at}.amount`, 'must be a non-negative integer')
    }
    return {
      eventId,
      kind: kind as TrafficEventInput['kind'],
      customerHash,
      account,
      amount: Number(amountText),
    }
  })
}
