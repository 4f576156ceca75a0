/**
 * A synthetic chain for light-client tests (unit and browser): headers 1..LIGHT_HEIGHT certified by
 * the validator "era" in force, with set changes at given heights, served as a LightClientSource that
 * tests can make lie. Not used by production code.
 */
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { type BlockHeader, blockHash, ZERO_HASH } from '../protocol/block.ts'
import { toHex } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair } from '../protocol/crypto.ts'
import { createValidatorSet, type ValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { certificateFromVotes, type QuorumCertificate, signVote } from '../protocol/vote.ts'
import { ArcadeClientError } from './errors.ts'
import type { LightClientSource } from './light-client.ts'
import type { ParsedBlock, ValidatorSetJson } from './types.ts'

export const LIGHT_CHAIN_ID = 'arcade-light-test'
export const LIGHT_HEIGHT = 40
/** Sets change from these heights (decided by blocks 10 and 25). */
export const LIGHT_CHANGES = [11, 26]

export interface Era {
  readonly keys: readonly KeyPair[]
  readonly set: ValidatorSet
}

export const era = (keys: readonly KeyPair[], power = 10): Era => ({
  keys,
  set: createValidatorSet(keys.map((k) => ({ publicKey: k.publicKey, power }))),
})
const nodeKey = (k: KeyPair) => encodeAddress(k.publicKey, NODE_KEY_PREFIX)

export function genesisDocument(e: Era, chainId = LIGHT_CHAIN_ID) {
  return {
    chainId,
    params: { ledger: { maxValidators: 10, minValidatorStake: 1 } },
    validators: e.keys.map((k) => ({ nodeKey: nodeKey(k), stake: 10 })),
  }
}

/** A chain of headers 1..LIGHT_HEIGHT, each certified by the era in force, with the given changes. */
export class FakeChain implements LightClientSource {
  readonly blocks = new Map<number, ParsedBlock>()
  readonly eras: { fromHeight: number; era: Era }[]
  requests = 0

  constructor(eras: readonly Era[], chainId = LIGHT_CHAIN_ID, changes = LIGHT_CHANGES) {
    this.eras = eras.map((e, i) => ({ fromHeight: i === 0 ? 1 : (changes[i - 1] as number), era: e }))
    for (let h = 1; h <= LIGHT_HEIGHT; h++) {
      const header: BlockHeader = {
        chainId,
        height: h,
        view: 0,
        timeMs: 1_700_000_000_000 + h,
        parentHash: ZERO_HASH,
        txRoot: ZERO_HASH,
        stateRoot: ZERO_HASH,
        lastCommitHash: ZERO_HASH,
        validatorSetHash: validatorSetHash(this.eraAt(h).set),
        nextValidatorSetHash: validatorSetHash(this.eraAt(h + 1).set),
        evidenceRoot: ZERO_HASH,
        proposer: (this.eraAt(h).keys[0] as KeyPair).publicKey,
      }
      this.blocks.set(h, this.parsed(header, this.certify(header, this.eraAt(h).keys)))
    }
  }

  eraAt(height: number): Era {
    let found = (this.eras[0] as { era: Era }).era
    for (const e of this.eras) if (e.fromHeight <= height) found = e.era
    return found
  }

  certify(header: BlockHeader, signers: readonly KeyPair[], chainId = header.chainId): QuorumCertificate {
    const hash = blockHash(header)
    return certificateFromVotes(
      signers.map((k) =>
        signVote(chainId, { kind: 'commit', height: header.height, view: 0, blockHash: hash }, k),
      ),
    )
  }

  parsed(header: BlockHeader, certificate: QuorumCertificate | null): ParsedBlock {
    return { hash: blockHash(header), header, txHashes: [], lastCommit: null, certificate, json: {} as never }
  }

  async block(height: number): Promise<ParsedBlock> {
    this.requests++
    const b = this.blocks.get(height)
    if (b === undefined) throw new ArcadeClientError('RPC_BLOCK_NOT_FOUND', 'no such block', 404)
    return b
  }

  setsJson(): ValidatorSetJson[] {
    return this.eras.map(({ fromHeight, era: e }) => ({
      fromHeight,
      setHash: toHex(validatorSetHash(e.set)),
      totalPower: e.set.totalPower,
      validators: e.set.validators.map((v) => ({
        nodeKey: encodeAddress(v.publicKey, NODE_KEY_PREFIX),
        power: v.power,
      })),
    }))
  }

  listed: ValidatorSetJson[] | null = null
  async validatorSets(opts: { fromHeight?: number; limit?: number }): Promise<readonly ValidatorSetJson[]> {
    this.requests++
    const all = this.listed ?? this.setsJson()
    const from = opts.fromHeight ?? 1
    let first = 0
    while (first + 1 < all.length && (all[first + 1] as ValidatorSetJson).fromHeight <= from) first++
    return all.slice(first, first + (opts.limit ?? 20))
  }
}

export const keys = (n: number) => Array.from({ length: n }, generateKeyPair)
