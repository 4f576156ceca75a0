import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '../protocol/crypto.ts'
import { addressBook, keysId, type MembershipSources, membershipOf } from './membership.ts'
import { chainAddressHints, observerNodeKeys } from './membership-sources.ts'

const key = () => generateKeyPair().publicKey
const [self, v1, v2, v3, next, obs, cfg, genesisOnly] = Array.from({ length: 8 }, key) as Uint8Array[]

function sources(over: Partial<MembershipSources> = {}): MembershipSources {
  return {
    validatorSets: [
      [self!, v1!],
      [v1!, v2!],
      [v2!, next!],
    ],
    observers: [obs!],
    configPeers: [{ nodeKey: cfg!, host: '10.0.0.9', port: 26656 }],
    addressHints: [],
    ...over,
  }
}

describe('membership from chain data', () => {
  it('allows the head, next and projected sets, the admitted observers and config peers, never self', () => {
    const m = membershipOf(sources(), self!)
    expect(keysId(m.allowed)).toBe(keysId([v1!, v2!, next!, obs!, cfg!]))
  })

  it('a genesis validator no set names any more is not allowed', () => {
    const m = membershipOf(
      sources({ addressHints: [[], [], [{ nodeKey: genesisOnly!, p2p: '10.0.0.1:1' }]] }),
      self!,
    )
    expect(keysId(m.allowed)).not.toContain(keysId([genesisOnly!]))
    expect(m.dialTargets.map((t) => t.host)).not.toContain('10.0.0.1')
  })

  it('dials every allowed validator with a known address and the config peers, not observers', () => {
    const m = membershipOf(
      sources({
        addressHints: [
          [{ nodeKey: next!, p2p: '/ip4/10.0.0.3/tcp/4001' }],
          [],
          [
            { nodeKey: v1!, p2p: 'a.example:26656' },
            { nodeKey: obs!, p2p: '10.0.0.7:26656' },
            { nodeKey: v3!, p2p: '10.0.0.8:26656' },
          ],
        ],
      }),
      self!,
    )
    expect(m.dialTargets.map((t) => `${t.host}:${t.port}`).sort()).toEqual([
      '10.0.0.3:4001',
      '10.0.0.9:26656',
      'a.example:26656',
    ])
  })

  it('takes the on-chain address first, then the config, then genesis; skips malformed text', () => {
    const book = addressBook([
      [
        { nodeKey: v1!, p2p: 'not an address' },
        { nodeKey: v2!, p2p: '10.0.0.2:2' },
      ],
      [{ nodeKey: v1!, p2p: '10.0.1.1:1' }],
      [
        { nodeKey: v1!, p2p: '10.0.2.1:1' },
        { nodeKey: v2!, p2p: '10.0.2.2:2' },
        { nodeKey: v3!, p2p: null },
      ],
    ])
    expect([...book.values()].map((a) => a.host).sort()).toEqual(['10.0.0.2', '10.0.1.1'])
    const m = membershipOf(
      sources({ addressHints: [[{ nodeKey: cfg!, p2p: '[::1]:7000' }]], validatorSets: [] }),
      self!,
    )
    expect(m.dialTargets).toEqual([{ nodeKey: cfg!, host: '::1', port: 7000 }])
  })
})

describe('membership adapters', () => {
  it('maps observers given as keys or as records to node keys', () => {
    expect(observerNodeKeys([obs!])).toEqual([obs!])
    expect(observerNodeKeys([{ nodeKey: obs!, name: 'regulator' } as { nodeKey: Uint8Array }])).toEqual([
      obs!,
    ])
  })

  it('reads an association record without p2p as no address', () => {
    expect(chainAddressHints([{ nodeKey: v1! }, { nodeKey: v2!, p2p: '10.0.0.2:1' }])).toEqual([
      { nodeKey: v1!, p2p: null },
      { nodeKey: v2!, p2p: '10.0.0.2:1' },
    ])
  })
})
