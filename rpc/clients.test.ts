import { describe, expect, it } from 'vitest'
import { clientKeyOf, createClientResolver, parseCidr } from './clients.ts'
import { createTokenBuckets } from './token-buckets.ts'

describe('clients', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::ffff:c000:207', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s counts as client %s', (ip, key) => {
    expect(clientKeyOf(ip)).toBe(key)
  })

  it('parses CIDRs and single addresses, and refuses anything else', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' })
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' })
    expect(parseCidr('192.0.2.1')).toEqual({ address: '192.0.2.1', prefix: 32, family: 'ipv4' })
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'host/8', '10.0.0.0/', '10.0.0.0/8/8', '::/129', ''])
      expect(parseCidr(bad), bad).toBeNull()
  })

  it('matches the allow-list, IPv4-mapped addresses included', () => {
    const resolve = createClientResolver(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1'])
    expect(resolve('10.1.2.3').allowListed).toBe(true)
    expect(resolve('::ffff:10.1.2.3').allowListed).toBe(true)
    expect(resolve('11.0.0.1').allowListed).toBe(false)
    expect(resolve('2001:db8:ff::1').allowListed).toBe(true)
    expect(resolve('2001:db9::1').allowListed).toBe(false)
    expect(resolve('192.0.2.1').allowListed).toBe(true)
    expect(resolve('192.0.2.2').allowListed).toBe(false)
    expect(() => createClientResolver(['10.0.0.0/99'])).toThrow(TypeError)
  })
})

describe('token buckets', () => {
  it('take at most what is there, refill with time up to the capacity, and give back up to it', () => {
    let now = 0
    const buckets = createTokenBuckets({ capacity: 5, refillPerSecond: 2 }, { nowMs: () => now })
    expect(buckets.take('a', 3)).toBe(3)
    expect(buckets.take('a', 3)).toBe(2)
    expect(buckets.take('a', 1)).toBe(0)
    now += 1000
    expect(buckets.available('a')).toBe(2)
    buckets.give('a', 10)
    expect(buckets.available('a')).toBe(5)
    // A full bucket is forgotten: nothing is held for clients that spent nothing lately.
    expect(buckets.size).toBe(0)
    expect(buckets.take('b', 1)).toBe(1)
    expect(buckets.size).toBe(1)
  })

  it('hold at most maxKeys keys, dropping full ones first, then the oldest', () => {
    let now = 0
    const buckets = createTokenBuckets({ capacity: 2, refillPerSecond: 1, maxKeys: 3 }, { nowMs: () => now })
    for (const key of ['a', 'b', 'c']) buckets.take(key, 2)
    now += 2000 // a, b and c are full again
    buckets.take('d', 2)
    expect(buckets.size).toBe(1)
    for (const key of ['e', 'f', 'g', 'h']) buckets.take(key, 2)
    expect(buckets.size).toBe(3)
    // 'd' was the oldest and went: it starts full again, like any new key.
    expect(buckets.available('d')).toBe(2)
    expect(buckets.available('h')).toBe(0)
  })
})
