import { describe, expect, it } from 'vitest'
import {
  type Block,
  blockHash,
  checkBlockCommitments,
  decodeBlock,
  decodeStoredBlock,
  encodeBlock,
  encodedBlockBytes,
  headerToTuple,
  MAX_HEADER_BYTES,
  rememberTxHashes,
  txHashesOf,
  txLeaf,
  txRootOf,
  ZERO_HASH,
} from './block.ts'
import { toHex, utf8 } from './bytes.ts'
import { encode } from './codec.ts'
import { type KeyPair, publicKeyFromSecret, sha256 } from './crypto.ts'
import { ProtocolErrorCode } from './errors.ts'
import { merkleRoot } from './merkle.ts'
import { decodeTx, encodeTx, type SignedTx, signTx, txHashOfEncoded } from './tx.ts'
import { certificateFromVotes, certificateHash, type Evidence, signVote } from './vote.ts'

const key: KeyPair = (() => {
  const secretKey = sha256(utf8('block-test'))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
})()
const signed = [1, 2, 3].map((nonce) =>
  signTx(
    {
      chainId: 'c',
      signer: key.publicKey,
      nonce,
      validUntil: 10,
      sponsor: key.publicKey,
      body: { kind: 'point.transfer', point: 'SHOTEN', to: key.publicKey, amount: nonce },
    },
    key.secretKey,
  ),
)
const txs = signed.map(encodeTx)
const cert = certificateFromVotes([
  signVote('c', { kind: 'commit', height: 1, view: 0, blockHash: sha256(utf8('parent')) }, key),
])

function block(overrides: Partial<Block['header']> = {}, body: Partial<Omit<Block, 'header'>> = {}): Block {
  return {
    header: {
      chainId: 'c',
      height: 2,
      view: 0,
      timeMs: 1_000,
      parentHash: sha256(utf8('parent')),
      txRoot: txRootOf(txs),
      stateRoot: sha256(utf8('state')),
      lastCommitHash: certificateHash(cert),
      validatorSetHash: ZERO_HASH,
      nextValidatorSetHash: ZERO_HASH,
      evidenceRoot: txRootOf([]),
      proposer: key.publicKey,
      ...overrides,
    },
    txs,
    lastCommit: cert as Block['lastCommit'],
    evidence: [],
    ...body,
  }
}

function field(run: () => unknown): unknown {
  try {
    run()
  } catch (err) {
    const e = err as { code: string; details: { field?: string } }
    return [e.code, e.details.field]
  }
  return 'accepted'
}

describe('blocks', () => {
  it('round-trip with the same hash', () => {
    const b = block()
    const back = decodeBlock(encodeBlock(b))
    expect(toHex(blockHash(back.header))).toBe(toHex(blockHash(b.header)))
    expect(toHex(encodeBlock(back))).toBe(toHex(encodeBlock(b)))
  })

  it('every header field changes the hash', () => {
    const base = toHex(blockHash(block().header))
    const other = sha256(utf8('other'))
    const changes: Partial<Block['header']>[] = [
      { chainId: 'd' },
      { height: 3 },
      { view: 1 },
      { timeMs: 1_001 },
      { parentHash: other },
      { txRoot: other },
      { stateRoot: other },
      { lastCommitHash: other },
      { validatorSetHash: other },
      { nextValidatorSetHash: other },
      { evidenceRoot: other },
      { proposer: other },
    ]
    const hashes = new Set(changes.map((c) => toHex(blockHash(block(c).header))))
    expect(hashes.size).toBe(changes.length)
    expect(hashes.has(base)).toBe(false)
  })

  it('the header must commit to the body it arrives with', () => {
    expect(field(() => decodeBlock(encodeBlock(block({}, { txs: txs.slice(1) }))))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.header.txRoot',
    ])
    expect(field(() => decodeBlock(encodeBlock(block({ lastCommitHash: ZERO_HASH }))))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.header.lastCommitHash',
    ])
    expect(field(() => decodeBlock(encodeBlock(block({ height: 3 }))))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.lastCommit.height',
    ])
    expect(
      field(() =>
        decodeBlock(encodeBlock(block({ height: 1, lastCommitHash: ZERO_HASH }, { lastCommit: null }))),
      ),
    ).toBe('accepted')
    expect(
      field(() => decodeBlock(encodeBlock(block({ lastCommitHash: ZERO_HASH }, { lastCommit: null })))),
    ).toEqual([ProtocolErrorCode.invalidField, 'block.lastCommit'])
  })

  it('the size limit applies before decoding', () => {
    const bytes = encodeBlock(block())
    expect(field(() => decodeBlock(bytes, bytes.length - 1))).toEqual([ProtocolErrorCode.tooLarge, undefined])
  })

  it('a decoded block carries the hashes of its txs, computed once from the bytes', () => {
    const back = decodeBlock(encodeBlock(block()))
    expect(Object.isFrozen(back.txs)).toBe(true)
    const hashes = txHashesOf(back.txs)
    expect(hashes.map(toHex)).toEqual(txs.map((t) => toHex(txHashOfEncoded(t))))
    expect(hashes.map(toHex)).toEqual(txs.map((t) => toHex(decodeTx(t).hash)))
    // Remembered: the same list gives the same array, not a second hashing.
    expect(txHashesOf(back.txs)).toBe(hashes)
    expect(toHex(txRootOf(back.txs))).toBe(toHex(back.header.txRoot))
  })

  it('a tampered tx is refused off the wire even after the same block decoded cleanly', () => {
    const good = decodeBlock(encodeBlock(block()))
    checkBlockCommitments(good)
    // Same header, one payload byte changed: the tx hash and so the root differ.
    // A copy (Buffer#slice would be a view and tamper with the shared fixture).
    const tampered = Uint8Array.from(txs[1] as Uint8Array)
    tampered[20] = (tampered[20] as number) ^ 1
    const raw = encodeBlock({ ...good, txs: [txs[0] as Uint8Array, tampered, txs[2] as Uint8Array] })
    expect(field(() => decodeBlock(raw))).toEqual([ProtocolErrorCode.invalidField, 'block.header.txRoot'])
    // A copy of a checked block with other txs is checked against its own list, not the remembered one.
    expect(field(() => checkBlockCommitments({ ...good, txs: txs.slice(0, 2) }))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.header.txRoot',
    ])
  })

  it('a tx list built in memory is hashed every time: it could still change', () => {
    const list = txs.slice()
    const root = txRootOf(list)
    list.pop()
    expect(toHex(txRootOf(list))).not.toBe(toHex(root))
  })

  it('rememberTxHashes freezes the list and wants one decoded tx per tx', () => {
    const list = txs.slice()
    rememberTxHashes(list, signed)
    expect(Object.isFrozen(list)).toBe(true)
    expect(txHashesOf(list).map(toHex)).toEqual(signed.map((t) => toHex(t.hash)))
    expect(txHashesOf(list)).toBe(txHashesOf(list))
    expect(toHex(txRootOf(list))).toBe(toHex(block().header.txRoot))
    expect(() => rememberTxHashes(txs.slice(), [])).toThrow(RangeError)
  })

  it('decodeStoredBlock (trusted store only) checks the shape but not the commitments', () => {
    const good = encodeBlock(block())
    const stored = decodeStoredBlock(good)
    expect(toHex(encodeBlock(stored))).toBe(toHex(good))
    expect(toHex(blockHash(stored.header))).toBe(toHex(blockHash(block().header)))
    // A wrong root passes here, and only here: decodeBlock refuses the same bytes.
    const wrongRoot = encodeBlock(block({}, { txs: txs.slice(1) }))
    expect(field(() => decodeStoredBlock(wrongRoot))).toBe('accepted')
    expect(field(() => decodeBlock(wrongRoot))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.header.txRoot',
    ])
    expect(field(() => decodeStoredBlock(encode([1, 2])))).toEqual([ProtocolErrorCode.invalidField, 'block'])
  })
})

/** The same tx with one signature byte flipped: same payload, so the same tx id (hash). */
function flippedSignature(tx: SignedTx): Uint8Array {
  const signature = Uint8Array.from(tx.signature)
  signature[5] = (signature[5] as number) ^ 1
  return encodeTx({ ...tx, signature })
}

describe('the tx root binds every byte of every tx', () => {
  it('the leaf of a tx is its id then its signature, and the root is their RFC 6962 Merkle root', () => {
    const leaves = signed.map((t) => txLeaf(t.hash, t.signature))
    expect(leaves.map(toHex)).toEqual(signed.map((t) => toHex(t.hash) + toHex(t.signature)))
    expect(toHex(txRootOf(txs))).toBe(toHex(merkleRoot(leaves)))
  })

  it("B': the same header with one signature byte flipped in one tx does not decode", () => {
    const good = block()
    const forged: Block = {
      ...good,
      txs: txs.map((t, i) => (i === 1 ? flippedSignature(signed[1] as SignedTx) : t)),
    }
    // Same payload, so the same tx ids: only the signature differs.
    expect(txHashesOf(forged.txs.slice()).map(toHex)).toEqual(txHashesOf(txs.slice()).map(toHex))
    expect(field(() => decodeBlock(encodeBlock(forged)))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.header.txRoot',
    ])
    expect(field(() => checkBlockCommitments(forged))).toEqual([
      ProtocolErrorCode.invalidField,
      'block.header.txRoot',
    ])
    // Its own root is another root, so it is another block hash.
    expect(toHex(txRootOf(forged.txs.slice()))).not.toBe(toHex(good.header.txRoot))
  })

  it('a tx re-spelled with a non-canonical envelope (same payload and signature) is refused with a typed code', () => {
    const tx = signed[0] as SignedTx
    const n = tx.payload.length
    const bin32 = Uint8Array.from([0x92, 0xc6, 0, 0, 0, n, ...tx.payload, 0xc4, 0x40, ...tx.signature])
    const ext = Uint8Array.from([0x92, 0xc7, n + 1, 0x74, 0x01, ...tx.payload, 0xc4, 0x40, ...tx.signature])
    for (const respelled of [bin32, ext]) {
      const raw = encodeBlock(block({}, { txs: [respelled, txs[1] as Uint8Array, txs[2] as Uint8Array] }))
      expect(field(() => decodeBlock(raw))).toEqual([ProtocolErrorCode.nonCanonical, 'tx'])
    }
  })
})

describe('encodedBlockBytes', () => {
  const vote = (blockHashByte: number) =>
    signVote(
      'c',
      { kind: 'prepare', height: 1, view: 0, blockHash: new Uint8Array(32).fill(blockHashByte) },
      key,
    )
  const evidence: Evidence[] = [{ a: vote(1), b: vote(2) }]

  it('is exactly the length of encodeBlock, for any number and size of txs', () => {
    const big = encodeTx({ ...(signed[0] as SignedTx), payload: new Uint8Array(70_000).fill(1) })
    const mid = encodeTx({ ...(signed[0] as SignedTx), payload: new Uint8Array(300).fill(2) })
    const lists: Uint8Array[][] = [
      [],
      txs,
      Array.from({ length: 20 }, () => txs[0] as Uint8Array),
      [big, mid],
    ]
    for (const list of lists) {
      for (const body of [{ txs: list }, { txs: list, lastCommit: null }, { txs: list, evidence }]) {
        const b = block({ height: 2, timeMs: 2 ** 40 }, body)
        expect(encodedBlockBytes(b)).toBe(encodeBlock(b).length)
      }
    }
  })
})

describe('MAX_HEADER_BYTES', () => {
  it('is what the largest header encodes to', () => {
    const largest = block({
      chainId: 'x'.repeat(64),
      height: Number.MAX_SAFE_INTEGER,
      view: Number.MAX_SAFE_INTEGER,
      timeMs: Number.MAX_SAFE_INTEGER,
    }).header
    expect(encode(headerToTuple(largest)).length).toBe(MAX_HEADER_BYTES)
  })
})
