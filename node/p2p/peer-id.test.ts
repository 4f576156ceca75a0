import { peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../protocol/bytes.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { P2pErrorCode } from './errors.ts'
import { AllowList, allowListGater } from './gater.ts'
import {
  libp2pPeerId,
  libp2pPrivateKey,
  nodeKeyFromPeerKey,
  nodeKeyHexFromPeerId,
  peerIdFromNodeKey,
} from './peer-id.ts'

describe('peer ids', () => {
  it('maps a node key to its libp2p PeerId and back', () => {
    const { publicKey, secretKey } = generateKeyPair()
    const id = peerIdFromNodeKey(publicKey)
    expect(id).toMatch(/^12D3KooW/)
    expect(nodeKeyHexFromPeerId(peerIdFromString(id))).toBe(toHex(publicKey))
    // The private key libp2p signs with belongs to the same identity.
    expect(libp2pPrivateKey(secretKey, publicKey).publicKey.toString()).toBe(
      libp2pPeerId(publicKey).publicKey?.toString(),
    )
    expect(nodeKeyFromPeerKey(toHex(publicKey))).toEqual(publicKey)
  })

  it('rejects malformed keys and mismatched key pairs with codes', () => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    expect(() => peerIdFromNodeKey(new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: P2pErrorCode.badPeer }),
    )
    expect(() => nodeKeyFromPeerKey('zz')).toThrow(expect.objectContaining({ code: P2pErrorCode.badPeer }))
    expect(() => libp2pPrivateKey(a.secretKey, b.publicKey)).toThrow(
      expect.objectContaining({ code: P2pErrorCode.badNodeKey }),
    )
  })
})

describe('allow-list gater', () => {
  it('denies every stage for a key not on the list, allows a listed one, and follows updates', () => {
    const [self, v1, v2] = [generateKeyPair(), generateKeyPair(), generateKeyPair()]
    const list = new AllowList(self.publicKey, [self.publicKey, v1.publicKey])
    const gater = allowListGater(list, { nowMs: () => 0, connectionCount: () => 0, maxConnectionsPerPeer: 2 })
    const p1 = libp2pPeerId(v1.publicKey)
    const p2 = libp2pPeerId(v2.publicKey)
    const conn = {} as never
    expect(list.list()).toEqual([toHex(v1.publicKey)])
    for (const [peer, denied] of [
      [p1, false],
      [p2, true],
    ] as const) {
      expect(gater.denyDialPeer?.(peer)).toBe(denied)
      expect(gater.denyInboundEncryptedConnection?.(peer, conn)).toBe(denied)
      expect(gater.denyOutboundEncryptedConnection?.(peer, conn)).toBe(denied)
      expect(gater.denyInboundUpgradedConnection?.(peer, conn)).toBe(denied)
    }
    expect(list.set([v2.publicKey])).toEqual([toHex(v1.publicKey)])
    expect(gater.denyInboundEncryptedConnection?.(p1, conn)).toBe(true)
    expect(gater.denyInboundEncryptedConnection?.(p2, conn)).toBe(false)
  })

  it('denies a banned peer both ways until its ban ends, and a peer past its connection cap inbound', () => {
    const [self, v1] = [generateKeyPair(), generateKeyPair()]
    const list = new AllowList(self.publicKey, [v1.publicKey])
    let now = 1_000
    let connections = 0
    const gater = allowListGater(list, {
      nowMs: () => now,
      connectionCount: () => connections,
      maxConnectionsPerPeer: 2,
    })
    const p1 = libp2pPeerId(v1.publicKey)
    const conn = {} as never
    expect(list.ban(toHex(v1.publicKey), 2_000, now)).toBe(true)
    expect(list.ban(toHex(v1.publicKey), 2_500, now)).toBe(false)
    expect(gater.denyDialPeer?.(p1)).toBe(true)
    expect(gater.denyInboundEncryptedConnection?.(p1, conn)).toBe(true)
    now = 2_500
    expect(gater.denyDialPeer?.(p1)).toBe(false)
    expect(gater.denyInboundEncryptedConnection?.(p1, conn)).toBe(false)
    connections = 2
    expect(gater.denyInboundEncryptedConnection?.(p1, conn)).toBe(true)
    expect(gater.denyInboundUpgradedConnection?.(p1, conn)).toBe(true)
    // Our own dial is not refused for the count: libp2p reuses the open connection.
    expect(gater.denyDialPeer?.(p1)).toBe(false)
  })
})
