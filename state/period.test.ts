import { describe, expect, it } from 'vitest'
import { formatZoned, parsePeriod } from './period.ts'

describe('settlement periods', () => {
  it('are calendar months and days in Asia/Tokyo by default', () => {
    const nov = parsePeriod('2026-11')
    expect(nov).toMatchObject({ kind: 'month', timeZone: 'Asia/Tokyo' })
    expect(new Date(nov.startMs).toISOString()).toBe('2026-10-31T15:00:00.000Z')
    expect(new Date(nov.endMs).toISOString()).toBe('2026-11-30T15:00:00.000Z')
    const dec31 = parsePeriod('2026-12-31')
    expect(new Date(dec31.endMs).toISOString()).toBe('2026-12-31T15:00:00.000Z')
    expect(formatZoned(nov.startMs, 'Asia/Tokyo')).toBe('2026-11-01T00:00:00+09:00')
  })

  it('follow daylight saving and odd offsets in other zones', () => {
    // New York leaves daylight saving on 1 November 2026 at 02:00 local.
    const nov = parsePeriod('2026-11', 'America/New_York')
    expect(new Date(nov.startMs).toISOString()).toBe('2026-11-01T04:00:00.000Z')
    expect(new Date(nov.endMs).toISOString()).toBe('2026-12-01T05:00:00.000Z')
    const day = parsePeriod('2026-11-01', 'America/New_York')
    expect((day.endMs - day.startMs) / 3_600_000).toBe(25)
    expect(formatZoned(nov.endMs, 'America/New_York')).toBe('2026-12-01T00:00:00-05:00')
    const kathmandu = parsePeriod('2026-11-05', 'Asia/Kathmandu')
    expect(new Date(kathmandu.startMs).toISOString()).toBe('2026-11-04T18:15:00.000Z')
    expect(parsePeriod('2026-11', 'utc').timeZone).toBe('UTC')
  })

  it('refuse malformed periods and unknown zones with INVALID_FIELD', () => {
    for (const bad of [
      '2026-13',
      '2026-00',
      '2026-02-29',
      '2026-1',
      '26-11',
      '2026-11-1',
      '',
      '2026-11-01T00',
    ])
      expect(() => parsePeriod(bad), bad).toThrow(expect.objectContaining({ code: 'PROTOCOL_INVALID_FIELD' }))
    expect(parsePeriod('2028-02-29').kind).toBe('day')
    for (const zone of ['Mars/Olympus', '../etc', 'x'.repeat(65), ''])
      expect(() => parsePeriod('2026-11', zone), zone).toThrow(
        expect.objectContaining({ code: 'PROTOCOL_INVALID_FIELD' }),
      )
  })
})
