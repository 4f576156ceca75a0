import { describe, expect, it } from 'vitest'
import { assessHealth, defaultHealthOptions, type HealthInput, HealthMonitor } from './health.ts'

const T0 = 1_800_000_000_000
const base: HealthInput = {
  nowMs: T0,
  height: 100,
  headTimeMs: T0,
  genesisTimeMs: T0 - 3_600_000,
  emptyBlockIntervalMs: 1_000,
  peers: 3,
  bestKnownHeight: 100,
  syncing: false,
  forks: 0,
}
const options = { staleHeadMultiple: 10 }

describe('assessHealth', () => {
  it('is ok with a fresh head, peers and no lag', () => {
    expect(assessHealth(options, { ...base, nowMs: T0 + 2_500 })).toEqual({
      ok: true,
      reasons: [],
      height: 100,
      syncing: false,
      peers: 3,
      headAgeSeconds: 2.5,
      staleAfterSeconds: 10,
      behindBlocks: 0,
      forks: 0,
    })
  })

  it('calls the head stale past the multiple of the empty-block interval, only while peers are connected', () => {
    expect(assessHealth(options, { ...base, nowMs: T0 + 10_000 }).ok).toBe(true)
    const stale = assessHealth(options, { ...base, nowMs: T0 + 10_001 })
    expect(stale).toMatchObject({ ok: false, reasons: ['stale-head'] })
    // Alone: not an alarm (a restart of a single node), the peer count says why.
    expect(assessHealth(options, { ...base, nowMs: T0 + 60_000, peers: 0 }).ok).toBe(true)
    // A governed longer interval moves the threshold with it.
    expect(assessHealth(options, { ...base, nowMs: T0 + 60_000, emptyBlockIntervalMs: 10_000 }).ok).toBe(true)
  })

  it('counts a chain without blocks from the genesis time', () => {
    const r = assessHealth(options, {
      ...base,
      height: 0,
      headTimeMs: null,
      nowMs: base.genesisTimeMs + 5_000,
    })
    expect(r).toMatchObject({ ok: true, headAgeSeconds: 5 })
    const late = assessHealth(options, { ...base, height: 0, headTimeMs: null })
    expect(late.reasons).toEqual(['stale-head'])
  })

  it('is behind when sync counts the node as syncing, with the lag in blocks', () => {
    const r = assessHealth(options, { ...base, bestKnownHeight: 140, syncing: true })
    expect(r).toMatchObject({ ok: false, reasons: ['behind'], behindBlocks: 40 })
    // Within sync's margin: the lag shows, the alarm does not.
    expect(assessHealth(options, { ...base, bestKnownHeight: 101 })).toMatchObject({
      ok: true,
      behindBlocks: 1,
    })
  })

  it('lists every reason, most severe first', () => {
    const r = assessHealth(options, {
      ...base,
      nowMs: T0 + 60_000,
      syncing: true,
      bestKnownHeight: 200,
      forks: 1,
    })
    expect(r.reasons).toEqual(['fork', 'behind', 'stale-head'])
  })

  it('defaults to 30 intervals', () => {
    expect(defaultHealthOptions.staleHeadMultiple).toBe(30)
  })
})

describe('HealthMonitor', () => {
  it('sets the gauges from each check, on a manual clock', () => {
    let now = T0
    const values: Record<string, number> = {}
    const gauge = (name: string) => ({
      set: (v: number) => {
        values[name] = v
      },
    })
    const monitor = new HealthMonitor(options, {
      sample: () => ({ ...base, nowMs: now, bestKnownHeight: 103 }),
      gauges: { headAgeSeconds: gauge('age'), behindBlocks: gauge('behind'), healthy: gauge('healthy') },
    })
    expect(monitor.check().ok).toBe(true)
    expect(values).toEqual({ age: 0, behind: 3, healthy: 1 })
    now += 20_000
    expect(monitor.check().reasons).toEqual(['stale-head'])
    expect(values).toEqual({ age: 20, behind: 3, healthy: 0 })
    monitor.stop()
    monitor.stop()
  })
})
