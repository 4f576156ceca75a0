/**
 * Settlement periods: a calendar month (`2026-11`) or day (`2026-11-05`) in an IANA time zone, as
 * the half-open range of block times [startMs, endMs) it covers. Statements default to Asia/Tokyo,
 * where a point program's books are kept. Zone offsets come from the runtime's ICU time zone data
 * (Intl), so the boundaries are exact through daylight saving changes in zones that have them.
 */
import { invalidField } from '../protocol/errors.ts'

export const DEFAULT_TIME_ZONE = 'Asia/Tokyo'

export interface Period {
  /** As given: `YYYY-MM` or `YYYY-MM-DD`. */
  readonly label: string
  readonly kind: 'month' | 'day'
  readonly timeZone: string
  /** First ms of the period (inclusive) and first ms after it (exclusive), since the epoch. */
  readonly startMs: number
  readonly endMs: number
}

const PERIOD_RE = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/
const MAX_ZONE_LENGTH = 64

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** The zone's canonical name, or an INVALID_FIELD error naming `timeZone`. */
export function checkTimeZone(timeZone: string): string {
  if (timeZone.length === 0 || timeZone.length > MAX_ZONE_LENGTH || !/^[A-Za-z0-9_+\-/]+$/.test(timeZone)) {
    throw invalidField('timeZone', 'must be an IANA time zone name such as Asia/Tokyo')
  }
  try {
    return formatterOf(timeZone).resolvedOptions().timeZone
  } catch {
    throw invalidField('timeZone', `unknown time zone ${timeZone}`)
  }
}

/** The zone's offset from UTC at instant `ms`, in ms (Asia/Tokyo: +9 h). */
export function zoneOffsetMs(timeZone: string, ms: number): number {
  const parts: Record<string, number> = {}
  for (const p of formatterOf(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  const asUtc = Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day as number,
    parts.hour as number,
    parts.minute as number,
    parts.second as number,
  )
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** The instant of local midnight starting day (y, m, d) in the zone (m from 1; d may overflow). */
function localMidnight(timeZone: string, y: number, m: number, d: number): number {
  const wall = Date.UTC(y, m - 1, d)
  // Two rounds settle the offset, also across a daylight saving change near midnight.
  let t = wall - zoneOffsetMs(timeZone, wall)
  t = wall - zoneOffsetMs(timeZone, t)
  return t
}

/** Parses `YYYY-MM` or `YYYY-MM-DD` in `timeZone`; INVALID_FIELD naming `period` when malformed. */
export function parsePeriod(label: string, timeZone: string = DEFAULT_TIME_ZONE): Period {
  const zone = checkTimeZone(timeZone)
  const m = PERIOD_RE.exec(label)
  const year = Number(m?.[1])
  const month = Number(m?.[2])
  const day = m?.[3] === undefined ? null : Number(m[3])
  const valid =
    m !== null &&
    year >= 1970 &&
    year <= 9999 &&
    month >= 1 &&
    month <= 12 &&
    (day === null || (day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate()))
  if (!valid) throw invalidField('period', 'must be a month YYYY-MM or a day YYYY-MM-DD')
  const startMs = day === null ? localMidnight(zone, year, month, 1) : localMidnight(zone, year, month, day)
  const endMs =
    day === null ? localMidnight(zone, year, month + 1, 1) : localMidnight(zone, year, month, day + 1)
  return { label, kind: day === null ? 'month' : 'day', timeZone: zone, startMs: Math.max(0, startMs), endMs }
}

/** `ms` as an ISO 8601 local date-time with the zone's offset, e.g. 2026-11-01T00:00:00+09:00. */
export function formatZoned(ms: number, timeZone: string): string {
  const offset = zoneOffsetMs(timeZone, ms)
  const local = new Date(ms + offset).toISOString().slice(0, 19)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset) / 60_000
  const hh = String(Math.floor(abs / 60)).padStart(2, '0')
  const mm = String(abs % 60).padStart(2, '0')
  return `${local}${sign}${hh}:${mm}`
}
