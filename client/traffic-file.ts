/**
 * Traffic events from a shop's export: a JSON array (or `{ "events": [...] }`) or a CSV file with a
 * header row. Columns/fields: eventId, kind (visit, view, click, purchase), pseudonym (optional: the
 * customer's pseudonym in the point, `arc1…`, as its wallet showed it; without one the event earns
 * nothing), amount (optional integer, for purchases), and a confirmed event's attestation as
 * notBeforeMs, notAfterMs and signature (128 hex), all three or none (in JSON also nested as
 * `attestation: {notBeforeMs, notAfterMs, signature}`, what `attestTraffic` returns).
 */
import { fromHex } from '../protocol/bytes.ts'
import { TRAFFIC_KINDS } from '../protocol/tx-body.ts'
import { splitCsvLine } from './csv.ts'
import { invalidInput } from './errors.ts'
import { toAccount } from './keys.ts'
import type { TrafficEventInput } from './operations.ts'

const MAX_EVENT_ID = 64

/** A CSV line's cells, trimmed (a shop's export may pad them). */
const cellsOf = (line: string): string[] => splitCsvLine(line).map((c) => c.trim())

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
  const header = cellsOf(lines[0] ?? '')
  if (!header.includes('eventId') || !header.includes('kind')) {
    throw invalidInput('file', 'CSV needs a header row with at least eventId and kind')
  }
  return lines.slice(1).map((line, i) => {
    const cells = cellsOf(line)
    if (cells.length !== header.length)
      throw invalidInput(`line ${i + 2}`, `has ${cells.length} cells, not ${header.length}`)
    return Object.fromEntries(header.map((h, j) => [h, cells[j] === '' ? undefined : cells[j]]))
  })
}

const uintOf = (value: unknown, field: string): number => {
  const text = value === undefined || value === null ? '0' : String(value)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw invalidInput(field, 'must be a non-negative integer')
  return Number(text)
}

function attestationOf(row: Record<string, unknown>, at: string): TrafficEventInput['attestation'] {
  const nested = row.attestation
  const a = (typeof nested === 'object' && nested !== null ? nested : row) as Record<string, unknown>
  const given = [a.notBeforeMs, a.notAfterMs, a.signature].filter((v) => v !== undefined && v !== null)
  if (given.length === 0) return null
  if (given.length !== 3)
    throw invalidInput(`${at}.attestation`, 'needs notBeforeMs, notAfterMs and signature together')
  const signature = String(a.signature)
  if (!/^[0-9a-fA-F]{128}$/.test(signature))
    throw invalidInput(`${at}.attestation.signature`, 'must be 128 hex digits')
  return {
    notBeforeMs: uintOf(a.notBeforeMs, `${at}.attestation.notBeforeMs`),
    notAfterMs: uintOf(a.notAfterMs, `${at}.attestation.notAfterMs`),
    signature: fromHex(signature),
  }
}

/** Parses and checks every event; an error names the event (`events[3].kind`). */
export function parseTrafficFile(text: string): TrafficEventInput[] {
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
    const pseudonym =
      row.pseudonym === undefined || row.pseudonym === null
        ? null
        : toAccount(String(row.pseudonym), `${at}.pseudonym`)
    const attestation = attestationOf(row, at)
    if (attestation !== null && pseudonym === null)
      throw invalidInput(`${at}.pseudonym`, 'a confirmed event names its pseudonym')
    return {
      eventId,
      kind: kind as TrafficEventInput['kind'],
      pseudonym,
      amount: uintOf(row.amount, `${at}.amount`),
      attestation,
    }
  })
}
