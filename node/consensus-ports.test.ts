import { describe, expect, it } from 'vitest'
import { createDoubleSignGuard, signMessage } from '../consensus/signer.ts'
import { type Block, blockHash, evidenceRootOf, txRootOf, ZERO_HASH } from '../protocol/block.ts'
import { publicKeyFromSecret, sign, verify } from '../protocol/crypto.ts'
import { createValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { certificateFromVotes, signVote } from '../protocol/vote.ts'
import { decodeWalEntry, encodeWalEntry, walPort } from './consensus-ports.ts'
import { createMemoryChainStore } from './store/index.ts'

const CHAIN = 'arcade-test'
const secretKey = new Uint8Array(32).fill(9)
const keys = { secretKey, publicKey: publicKeyFromSecret(secretKey) }
const me = { publicKey: keys.publicKey, sign: (m: Uint8Array) => sign(m, secretKey), verify }
const set = createValidatorSet([{ publicKey: keys.publicKey, power: 1 }])

function blockWith(txs: Uint8Array[], timeMs: number, height = 3): Block {
  return {
    header: {
      chainId: CHAIN,
      height,
      view: 1,
      timeMs,
      parentHash: ZERO_HASH,
      // Only the empty block's root is real: the WAL never re-checks a proposal's body.
      txRoot: txs.length === 0 ? txRootOf([]) : new Uint8Array(32).fill(7),
      stateRoot: ZERO_HASH,
      lastCommitHash: ZERO_HASH,
      validatorSetHash: validatorSetHash(set),
      nextValidatorSetHash: validatorSetHash(set),
      evidenceRoot: evidenceRootOf([]),
      proposer: keys.publicKey,
    },
    txs,
    lastCommit: null,
    evidence: [],
  }
}
const fullBlock = blockWith(
  Array.from({ length: 2000 }, (_, i) => new Uint8Array(180).fill(i & 0xff)),
  5,
)
const otherBlock = blockWith([], 6)

describe('consensus WAL entries', () => {
  it('writes a signed proposal as its header only, and recovery still refuses another block', () => {
    const message = signMessage(CHAIN, me, { type: 'proposal', height: 3, view: 1, block: fullBlock })
    const bytes = encodeWalEntry({ type: 'signed', message })
    expect(bytes.length).toBeLessThan(1024)
    const loaded = decodeWalEntry(bytes, CHAIN)
    if (loaded.type !== 'signed' || loaded.message.type !== 'proposal') throw new Error('not a proposal')
    expect(loaded.message.height).toBe(3)
    expect(loaded.message.view).toBe(1)
    const signature = message.type === 'proposal' ? message.signature : null
    expect(Uint8Array.from(loaded.message.signature)).toEqual(signature)
    expect(blockHash(loaded.message.block.header)).toEqual(blockHash(fullBlock.header))
    const guard = createDoubleSignGuard([loaded])
    expect(guard.check({ type: 'proposal', height: 3, view: 1, block: otherBlock })).toBe('conflict')
    expect(guard.check({ type: 'proposal', height: 3, view: 1, block: fullBlock })).toBe('repeat')
  })

  it('keeps a NEW-VIEW proposal slot the same way', () => {
    const message = signMessage(CHAIN, me, {
      type: 'new-view',
      height: 3,
      view: 1,
      viewChanges: [],
      block: fullBlock,
    })
    const loaded = decodeWalEntry(encodeWalEntry({ type: 'signed', message }), CHAIN)
    if (loaded.type !== 'signed') throw new Error('not signed')
    expect(loaded.message.type).toBe('new-view')
    const guard = createDoubleSignGuard([loaded])
    expect(guard.check({ type: 'proposal', height: 3, view: 1, block: otherBlock })).toBe('conflict')
  })

  it('keeps votes and prepared proofs whole', () => {
    const first = blockWith([], 5, 1) // a height-1 block needs no lastCommit
    const hash = blockHash(first.header)
    const vote = signMessage(CHAIN, me, {
      type: 'vote',
      kind: 'prepare',
      height: 1,
      view: 1,
      blockHash: hash,
    })
    // Whole: the loaded entry encodes back to the very same bytes.
    const voteBytes = encodeWalEntry({ type: 'signed', message: vote })
    const loadedVote = decodeWalEntry(voteBytes, CHAIN)
    expect(loadedVote.type === 'signed' && loadedVote.message.type).toBe('vote')
    expect(Uint8Array.from(encodeWalEntry(loadedVote))).toEqual(Uint8Array.from(voteBytes))
    const certificate = certificateFromVotes([
      signVote(CHAIN, { kind: 'prepare', height: 1, view: 1, blockHash: hash }, keys),
    ])
    const prepared = { type: 'prepared', proof: { certificate, block: first } } as const
    const preparedBytes = encodeWalEntry(prepared)
    const loaded = decodeWalEntry(preparedBytes, CHAIN)
    if (loaded.type !== 'prepared') throw new Error('not prepared')
    expect(blockHash(loaded.proof.block.header)).toEqual(hash)
    expect(Uint8Array.from(encodeWalEntry(loaded))).toEqual(Uint8Array.from(preparedBytes))
  })

  it('goes through the store WAL: a restarted guard refuses a second proposal', async () => {
    const store = createMemoryChainStore()
    await store.open()
    const port = walPort(store.wal, CHAIN)
    const message = signMessage(CHAIN, me, { type: 'proposal', height: 3, view: 1, block: fullBlock })
    await port.append({ type: 'signed', message })
    const guard = createDoubleSignGuard(await port.load())
    expect(guard.check({ type: 'proposal', height: 3, view: 1, block: otherBlock })).toBe('conflict')
    await store.close()
  })
})
