import { describe, expect, it } from 'vitest'
import { formatDay, jstDay } from './format.ts'

describe('JST days', () => {
  it('counts days from midnight in Japan (UTC+9)', () => {
    expect(jstDay(Date.UTC(2026, 0, 1, 14, 59, 59, 999))).toBe(jstDay(Date.UTC(2026, 0, 1, 0)))
    expect(jstDay(Date.UTC(2026, 0, 1, 15))).toBe(jstDay(Date.UTC(2026, 0, 1, 0)) + 1)
    expect(jstDay(0)).toBe(0)
  })

  it('shows a day number as its date in Japan', () => {
    expect(formatDay(jstDay(Date.UTC(2026, 0, 1, 15)))).toBe('2026-01-02')
    expect(formatDay(jstDay(Date.UTC(2026, 0, 1, 14)))).toBe('2026-01-01')
    expect(formatDay(0)).toBe('1970-01-01')
  })
})
