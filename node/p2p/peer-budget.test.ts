import { describe, expect, it } from 'vitest'
import { DEFAULT_P2P_LIMITS, type P2pLimits } from './limits.ts'
import { type AbuseReason, PeerBudgets, TokenBucket } from './peer-budget.ts'

describe('token bucket', () => {
  it('lets a burst through, then holds by the time the deficit takes to refill', () => {
    const bucket = new TokenBucket({ burst: 3, perSecond: 10 }, 0)
    expect([bucket.spend(1, 0), bucket.spend(1, 0), bucket.spend(1, 0)]).toEqual([0, 0, 0])
    expect(bucket.spend(1, 0)).toBe(100)
    // The debt is paid by waiting: at 100 ms the balance is back to zero, and one more token costs 100 ms.
    expect(bucket.spend(1, 100)).toBe(100)
    // A quiet second refills the burst, never more.
    expect(bucket.spend(3, 10_000)).toBe(0)
    expect(bucket.spend(1, 10_000)).toBe(100)
  })

  it('lets a request larger than the burst through after a wait, and trySpend never goes into debt', () => {
    const bucket = new TokenBucket({ burst: 1_000, perSecond: 1_000 }, 0)
    expect(bucket.spend(3_000, 0)).toBe(2_000)
    expect(bucket.trySpend(1, 1_000)).toBe(false)
    expect(bucket.trySpend(1, 2_001)).toBe(true)
  })
})

function budgets(limits: Partial<P2pLimits>) {
  let now = 0
  const abuse: [string, AbuseReason][] = []
  const b = new PeerBudgets(
    { ...DEFAULT_P2P_LIMITS, ...limits },
    { nowMs: () => now, onAbuse: (peer, reason) => abuse.push([peer, reason]) },
  )
  const at = (ms: number): void => {
    now = ms
  }
  return { b, abuse, at }
}

describe('peer budgets', () => {
  it('charges frames and bytes per peer and protocol, and reports a peer held without a break for too long', () => {
    const { b, abuse, at } = budgets({
      consensusFramesPerPeer: { burst: 2, perSecond: 10 },
      consensusBytesPerPeer: { burst: 1_000_000, perSecond: 1_000_000 },
      maxThrottledMs: 1_000,
    })
    expect(b.frame('a', 'consensus', 10)).toBe(0)
    expect(b.frame('a', 'consensus', 10)).toBe(0)
    expect(b.frame('a', 'consensus', 10)).toBe(100)
    // Another peer and another protocol have budgets of their own.
    expect(b.frame('b', 'consensus', 10)).toBe(0)
    expect(b.frame('a', 'txs', 10)).toBe(0)
    // 'a' keeps sending as fast as it is let through: held for a whole second without a break.
    for (let t = 100; t < 1_000; t += 100) {
      at(t)
      expect(b.frame('a', 'consensus', 10)).toBeGreaterThan(0)
    }
    expect(abuse).toEqual([])
    at(1_000)
    b.frame('a', 'consensus', 10)
    expect(abuse).toEqual([['a', 'over-rate']])
  })

  it('sees a flood held at its rate as one hold, although timer jitter lets some frames through unheld', () => {
    const { b, abuse, at } = budgets({
      consensusFramesPerPeer: { burst: 10, perSecond: 1_000 },
      maxThrottledMs: 1_000,
    })
    // Each hold lasts a little longer than asked (timers fire late), so now and then a frame finds the
    // balance just above zero and passes at once; the flooder never pauses to rest.
    let now = 0
    let unheld = 0
    while (now < 2_000 && abuse.length === 0) {
      at(now)
      const waitMs = b.frame('a', 'consensus', 100)
      if (waitMs === 0) unheld++
      now += waitMs > 0 ? waitMs + 0.3 : 0.01
    }
    expect(unheld).toBeGreaterThan(100)
    expect(abuse).toEqual([['a', 'over-rate']])
    expect(now).toBeLessThan(1_100)
  })

  it('forgets a hold once the peer is back within its budget', () => {
    const { b, abuse, at } = budgets({
      consensusFramesPerPeer: { burst: 1, perSecond: 10 },
      maxThrottledMs: 500,
    })
    b.frame('a', 'consensus', 1)
    expect(b.frame('a', 'consensus', 1)).toBe(100)
    at(400)
    expect(b.frame('a', 'consensus', 1)).toBe(0)
    at(450)
    expect(b.frame('a', 'consensus', 1)).toBe(50)
    at(800)
    expect(b.frame('a', 'consensus', 1)).toBe(0)
    expect(abuse).toEqual([])
  })

  it('refuses stream opens past the rate with a strike; a peer out of strikes is misbehaving', () => {
    const { b, abuse } = budgets({
      streamOpensPerPeer: { burst: 2, perSecond: 1 },
      strikesPerPeer: { burst: 2, perSecond: 0.1 },
    })
    expect([b.streamOpened('a'), b.streamOpened('a'), b.streamOpened('a')]).toEqual([true, true, false])
    b.strike('a')
    expect(abuse).toEqual([])
    b.strike('a')
    expect(abuse).toEqual([['a', 'misbehaving']])
  })

  it('keeps budgets across reconnects and drops those of peers no longer allowed', () => {
    const { b } = budgets({ streamOpensPerPeer: { burst: 1, perSecond: 1 } })
    expect(b.streamOpened('a')).toBe(true)
    expect(b.streamOpened('a')).toBe(false)
    b.retain((peer) => peer !== 'a')
    expect(b.streamOpened('a')).toBe(true)
  })
})
