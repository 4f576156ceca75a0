import { describe, expect, it } from 'vitest'
import { href, parseRoute } from './router.ts'

describe('parseRoute', () => {
  it('reads the pages of a point', () => {
    expect(parseRoute('#/point/ARC')).toEqual({ page: 'point', id: 'ARC' })
    expect(parseRoute('#/point/ARC/merchants')).toEqual({ page: 'merchants', point: 'ARC' })
    expect(parseRoute('#/point/ARC/merchant/arc1abc')).toEqual({
      page: 'merchant',
      point: 'ARC',
      address: 'arc1abc',
    })
  })

  it('reads the traffic of a point, today or a given JST day', () => {
    expect(parseRoute('#/point/ARC/traffic')).toEqual({ page: 'traffic', point: 'ARC' })
    expect(parseRoute('#/point/ARC/traffic/20454')).toEqual({ page: 'traffic', point: 'ARC', day: 20454 })
    expect(parseRoute('#/point/ARC/traffic/0')).toEqual({ page: 'traffic', point: 'ARC', day: 0 })
  })

  it('refuses a traffic day that is not a day number', () => {
    for (const bad of ['-1', '01', '1.5', 'today', '1234567']) {
      expect(parseRoute(`#/point/ARC/traffic/${bad}`).page).toBe('not-found')
    }
  })

  it('round-trips the traffic links', () => {
    expect(parseRoute(href.traffic('ARC'))).toEqual({ page: 'traffic', point: 'ARC' })
    expect(parseRoute(href.traffic('ARC', 20454))).toEqual({ page: 'traffic', point: 'ARC', day: 20454 })
  })
})
