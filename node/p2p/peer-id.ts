/**
 * The mapping between the node's identity and libp2p's.
 *
 * Domain peer id = the node's 32-byte Ed25519 public key as 64 lowercase hex chars (what the validator set
 * and genesis carry). libp2p PeerId = the identity multihash of that same key ("12D3KooW..."), so each
 * determines the other with no table: `peerIdFromNodeKey` one way, `nodeKeyHexFromPeerId` the other.
 * Only node/p2p sees the libp2p form.
 */
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { type Bytes, bytesEqual, fromHex, toHex } from '../../protocol/bytes.ts'
import { PUBLIC_KEY_BYTES, publicKeyFromSecret, SECRET_KEY_BYTES } from '../../protocol/crypto.ts'
import { P2pError, P2pErrorCode } from './errors.ts'

const HEX_KEY = /^[0-9a-f]{64}$/

function checkKey(publicKey: Bytes): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new P2pError(P2pErrorCode.badPeer, 'a node key is a 32-byte Ed25519 public key')
  }
}

/** The libp2p PeerId string ("12D3KooW...") of a node key: pure, usable on genesis data. */
export function peerIdFromNodeKey(publicKey: Bytes): string {
  return libp2pPeerId(publicKey).toString()
}

/** The domain peer id (hex node key) of a node key. */
export function peerKeyOf(publicKey: Bytes): string {
  checkKey(publicKey)
  return toHex(publicKey)
}

/** Parses a domain peer id back into the 32-byte node key; throws `P2P_BAD_PEER` if malformed. */
export function nodeKeyFromPeerKey(peer: string): Bytes {
  if (typeof peer !== 'string' || !HEX_KEY.test(peer)) {
    throw new P2pError(P2pErrorCode.badPeer, 'a peer id is the node key as 64 lowercase hex chars', { peer })
  }
  return fromHex(peer)
}

/** @internal libp2p PeerId object of a node key. */
export function libp2pPeerId(publicKey: Bytes): PeerId {
  checkKey(publicKey)
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey))
}

/** @internal The hex node key behind a libp2p PeerId, or null for a non-Ed25519 peer. */
export function nodeKeyHexFromPeerId(peerId: PeerId): string | null {
  if (peerId.type !== 'Ed25519') return null
  return toHex(peerId.publicKey.raw)
}

/** @internal libp2p private key from the node's 32-byte seed, checked against its public key. */
export function libp2pPrivateKey(secretKey: Bytes, publicKey: Bytes): PrivateKey {
  checkKey(publicKey)
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) {
    throw new P2pError(P2pErrorCode.badNodeKey, 'the node secret is a 32-byte Ed25519 seed')
  }
  if (!bytesEqual(publicKeyFromSecret(secretKey), publicKey)) {
    throw new P2pError(P2pErrorCode.badNodeKey, 'the node public key does not match its secret seed')
  }
  const raw = new Uint8Array(SECRET_KEY_BYTES + PUBLIC_KEY_BYTES)
  raw.set(secretKey)
  raw.set(publicKey, SECRET_KEY_BYTES)
  return privateKeyFromRaw(raw)
}
