/**
 * A synthetic chain for light-client tests (unit and browser): headers 1..LIGHT_HEIGHT certified by
 * the validator "era" in force, with set changes at given heights, served as a LightClientSource that
 * tests can make lie. And a state tree (protocol/state-proof.ts rules) for proofs of synthetic
 * records. Not used by production code.
 */
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { type BlockHeader, blockHash, ZERO_HASH } from '../protocol/block.ts'
import { type Bytes, bytesKey, toHex } from '../protocol/bytes.ts'
import { generateKeyPair, type KeyPair, sha256 } from '../protocol/crypto.ts'
import {
  EMPTY_STATE_ROOT,
  pathBit,
  type StateProof,
  stateKeyPath,
  stateLeafHash,
  stateNodeHash,
} from '../protocol/state-proof.ts'
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

interface TreeLeaf {
  readonly path: Bytes
  readonly valueHash: Bytes
}

/**
 * A key-value map with the state root and proofs of protocol/state-proof.ts (shortcut leaves),
 * rebuilt from scratch on every call: for the few records of a test, not for a ledger.
 */
export class StateTree {
  readonly #entries = new Map<string, { key: Bytes; value: Bytes }>()

  set(key: Bytes, value: Bytes): void {
    this.#entries.set(bytesKey(key), { key, value })
  }

  get(key: Bytes): Bytes | null {
    return this.#entries.get(bytesKey(key))?.value ?? null
  }

  /** A copy, so a chain can keep the state of every height. */
  clone(): StateTree {
    const copy = new StateTree()
    for (const { key, value } of this.#entries.values()) copy.set(key, value)
    return copy
  }

  #leaves(): TreeLeaf[] {
    return [...this.#entries.values()].map(({ key, value }) => ({
      path: stateKeyPath(key),
      valueHash: sha256(value),
    }))
  }

  get root(): Bytes {
    return subtree(this.#leaves(), 0)
  }

  prove(key: Bytes): StateProof {
    const path = stateKeyPath(key)
    const siblings: Bytes[] = []
    let leaves = this.#leaves()
    for (let depth = 0; leaves.length > 1; depth++) {
      const bit = pathBit(path, depth)
      siblings.push(
        subtree(
          leaves.filter((l) => pathBit(l.path, depth) !== bit),
          depth + 1,
        ),
      )
      leaves = leaves.filter((l) => pathBit(l.path, depth) === bit)
    }
    const [only] = leaves
    const other = only !== undefined && toHex(only.path) !== toHex(path) ? only : null
    return { siblings, leaf: other }
  }
}

function subtree(leaves: readonly TreeLeaf[], depth: number): Bytes {
  if (leaves.length === 0) return EMPTY_STATE_ROOT
  if (leaves.length === 1) {
    const [leaf] = leaves as [TreeLeaf]
    return stateLeafHash(leaf.path, leaf.valueHash)
  }
  const left = leaves.filter((l) => pathBit(l.path, depth) === 0)
  const right = leaves.filter((l) => pathBit(l.path, depth) === 1)
  return stateNodeHash(subtree(left, depth + 1), subtree(right, depth + 1))
}
