/** Fixtures for the compact-proposal tests: real signed txs, a signed proposal and a fake mempool. */
import { type Block, blockHash, evidenceRootOf, txRootOf, ZERO_HASH } from '../protocol/block.ts'
import { type Bytes, bytesKey, utf8 } from '../protocol/bytes.ts'
import { type Proposal, proposalSignBytes } from '../protocol/consensus-message.ts'
import { type KeyPair, publicKeyFromSecret, sha256, sign } from '../protocol/crypto.ts'
import { decodeTx, encodeTx, type SignedTx, signTx } from '../protocol/tx.ts'
import type { HeldTx } from './compact-rebuild.ts'

export const CHAIN = 'compact-test'

export function keyOf(seed: string): KeyPair {
  const secretKey = sha256(utf8(seed))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
}

export const leader = keyOf('leader')
const shop = keyOf('shop')

/** `count` distinct signed txs (encoded), nonces from `from`. */
export function signedTxs(count: number, from = 0): Bytes[] {
  return Array.from({ length: count }, (_, i) =>
    encodeTx(
      signTx(
        {
          chainId: CHAIN,
          signer: shop.publicKey,
          nonce: from + i,
          validUntil: 100,
          sponsor: shop.publicKey,
          body: { kind: 'point.transfer', point: 'SHOTEN', to: leader.publicKey, amount: i + 1 },
        },
        shop.secretKey,
      ),
    ),
  )
}

/** The same payload with another signature: the bytes a pool may hold under the same id. */
export function resigned(bytes: Bytes): Bytes {
  const tx = decodeTx(bytes, CHAIN)
  const signature = new Uint8Array(tx.signature)
  signature[0] = (signature[0] as number) ^ 0xff
  return encodeTx({ ...tx, signature })
}

/** A proposal of `txs` (height 1, by `leader` unless told), signed; `txRoot` overrides the header's. */
export function proposalOf(
  txs: readonly Bytes[],
  options: { txRoot?: Bytes; height?: number; by?: KeyPair } = {},
): Proposal {
  const height = options.height ?? 1
  const by = options.by ?? leader
  const block: Block = {
    header: {
      chainId: CHAIN,
      height,
      view: 0,
      timeMs: 1_000,
      parentHash: ZERO_HASH,
      txRoot: options.txRoot ?? txRootOf(Object.freeze([...txs])),
      stateRoot: sha256(utf8('state')),
      lastCommitHash: ZERO_HASH,
      validatorSetHash: ZERO_HASH,
      nextValidatorSetHash: ZERO_HASH,
      evidenceRoot: evidenceRootOf([]),
      proposer: by.publicKey,
    },
    txs,
    lastCommit: null,
    evidence: [],
  }
  const signature = sign(proposalSignBytes(CHAIN, height, 0, blockHash(block.header)), by.secretKey)
  return { type: 'proposal', height, view: 0, block, proposer: by.publicKey, signature }
}

/** A fake mempool: the txs given, decoded, by id. */
export function poolOf(txs: readonly Bytes[]): {
  knownTx: (id: Bytes) => HeldTx | undefined
  held: Map<string, HeldTx>
} {
  const held = new Map<string, HeldTx>()
  for (const bytes of txs) {
    const tx: SignedTx = decodeTx(bytes, CHAIN)
    held.set(bytesKey(tx.hash), { bytes, tx })
  }
  return { knownTx: (id) => held.get(bytesKey(id)), held }
}
