import { describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import type { MembershipSources } from './membership.ts'
import { type MembershipChange, NodePeers, type PeerTable } from './peers.ts'

const key = () => generateKeyPair().publicKey
const [self, a, b, c, obs] = Array.from({ length: 5 }, key) as Bytes[]

function recorder() {
  const calls: { method: keyof PeerTable; arg: readonly unknown[] }[] = []
  const table: PeerTable = {
    setAllowedPeers: (keys) => void calls.push({ method: 'setAllowedPeers', arg: keys }),
    setConsensusPeers: (keys) => void calls.push({ method: 'setConsensusPeers', arg: keys }),
    connectTo: (targets) => void calls.push({ method: 'connectTo', arg: targets }),
  }
  return { calls, table }
}

function chainData() {
  const data: { sources: MembershipSources; consensus: Bytes[] } = {
    sources: {
      validatorSets: [
        [self!, a!],
        [self!, a!],
      ],
      observers: [obs!],
      configPeers: [],
      addressHints: [
        [
          { nodeKey: a!, p2p: '127.0.0.1:1001' },
          { nodeKey: b!, p2p: '127.0.0.1:1002' },
        ],
      ],
    },
    consensus: [self!, a!],
  }
  return data
}

describe('NodePeers', () => {
  it('starts from chain data and tells p2p nothing while it does not change', () => {
    const data = chainData()
    const peers = new NodePeers(self!, { sources: () => data.sources, consensusKeys: () => data.consensus })
    expect(peers.allowed.map(toHex).sort()).toEqual([a!, obs!].map(toHex).sort())
    expect(peers.dialTargets.map((t) => t.port)).toEqual([1001])
    const { calls, table } = recorder()
    peers.refresh(table)
    peers.refresh(table)
    expect(calls).toEqual([])
  })

  it('an epoch boundary: allows and dials the new validator, drops the one that left, reports the change', () => {
    const data = chainData()
    const changes: MembershipChange[] = []
    const peers = new NodePeers(self!, {
      sources: () => data.sources,
      consensusKeys: () => data.consensus,
      onChange: (change) => changes.push(change),
    })
    data.sources = {
      ...data.sources,
      validatorSets: [
        [self!, b!],
        [self!, b!],
      ],
    }
    data.consensus = [self!, b!]
    const { calls, table } = recorder()
    peers.refresh(table)
    expect(calls.map((call) => call.method)).toEqual(['setConsensusPeers', 'setAllowedPeers', 'connectTo'])
    expect((calls[1]!.arg as Bytes[]).map(toHex).sort()).toEqual([b!, obs!].map(toHex).sort())
    expect((calls[2]!.arg as { port: number }[]).map((t) => t.port)).toEqual([1002])
    expect(changes).toEqual([{ added: [toHex(b!)], removed: [toHex(a!)], allowed: 2, dialTargets: 1 }])
  })

  it('an observer admitted or removed changes only the allow-list', () => {
    const data = chainData()
    const peers = new NodePeers(self!, { sources: () => data.sources, consensusKeys: () => data.consensus })
    const { calls, table } = recorder()
    data.sources = { ...data.sources, observers: [obs!, c!] }
    peers.refresh(table)
    data.sources = { ...data.sources, observers: [c!] }
    peers.refresh(table)
    expect(calls.map((call) => call.method)).toEqual(['setAllowedPeers', 'setAllowedPeers'])
    expect((calls[1]!.arg as Bytes[]).map(toHex).sort()).toEqual([a!, c!].map(toHex).sort())
  })

  it('a moved address on chain re-targets the dialer without touching the allow-list', () => {
    const data = chainData()
    const peers = new NodePeers(self!, { sources: () => data.sources, consensusKeys: () => data.consensus })
    const { calls, table } = recorder()
    data.sources = { ...data.sources, addressHints: [[{ nodeKey: a!, p2p: '127.0.0.1:2001' }]] }
    peers.refresh(table)
    expect(calls.map((call) => call.method)).toEqual(['connectTo'])
    expect(peers.dialTargets.map((t) => t.port)).toEqual([2001])
  })
})
