/**
 * A light client: which validator set certifies a height, known from a root the user trusts and never
 * from the node being checked (DESIGN §9: a node may run its own chain under the same chain id).
 *
 * The root is one of:
 * - the genesis document: its validators and election parameters give the set of height 1
 *   (protocol/election.ts, the rule the state machine runs at genesis);
 * - a checkpoint `{height, blockHash}` the user got out of band: the header of that height must hash to
 *   it, and the set the node offers for it must hash to the header's validatorSetHash;
 * - a cache this class exported earlier (`toJSON`), as trusted as the place it was kept.
 *
 * From the root it follows the changes boundary by boundary: a set S' in force from height F is taken
 * only when block F − 1 (whose header names S' as its nextValidatorSetHash) carries a commit certificate
 * of more than 2/3 of the power of the set already trusted for it. The node only supplies the candidate
 * sets and blocks; every link is checked here. What is verified is kept, so the next call walks only
 * the changes since.
 *
 * The one assumption, as in every light client: a set that has left does not later sign a forged
 * chain. Start from a recent checkpoint (or a kept cache) to bound how far back that trust reaches.
 */
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { type BlockHeader, blockHash } from '../protocol/block.ts'
import { type Bytes, bytesEqual, fromHex, toHex } from '../protocol/bytes.ts'
import { isArcadeError } from '../protocol/errors.ts'
import { type ValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { type QuorumCertificate, verifyCertificate } from '../protocol/vote.ts'
import { ArcadeClientError, ClientErrorCode, invalidInput } from './errors.ts'
import { readGenesisValidatorSet } from './genesis-root.ts'
import { parseValidatorSet } from './parse.ts'
import type { ParsedBlock, ValidatorSetJson } from './types.ts'

/** What the light client asks a node for (an ArcadeClient is one). */
export interface LightClientSource {
  block(height: number): Promise<ParsedBlock>
  validatorSets(opts: { fromHeight?: number; limit?: number }): Promise<readonly ValidatorSetJson[]>
}

export interface Checkpoint {
  readonly height: number
  /** Hex of the block's hash at that height. */
  readonly blockHash: string
}

export type TrustRoot =
  | { readonly genesis: unknown }
  | { readonly checkpoint: Checkpoint }
  | { readonly cache: LightClientCache }

/** The exported state: the chain id and each verified set with the first height it certifies. */
export interface LightClientCache {
  readonly chainId: string
  readonly sets: readonly {
    readonly fromHeight: number
    readonly validators: readonly { readonly nodeKey: string; readonly power: number }[]
  }[]
}

interface TrustedSet {
  readonly fromHeight: number
  readonly set: ValidatorSet
  readonly hash: Bytes
}

/** Sets asked for per page while walking the changes. */
const PAGE = 100

function untrusted(message: string, details: Record<string, unknown> = {}): never {
  throw new ArcadeClientError(ClientErrorCode.proofInvalid, message, null, { reason: 'trust', ...details })
}

const trusted = (fromHeight: number, set: ValidatorSet): TrustedSet => ({
  fromHeight,
  set,
  hash: validatorSetHash(set),
})

export class LightClient {
  readonly chainId: string
  /** Verified sets, by increasing fromHeight; never empty. */
  readonly #sets: TrustedSet[]

  private constructor(chainId: string, sets: TrustedSet[]) {
    this.chainId = chainId
    this.#sets = sets
  }

  /** From a genesis document (parsed JSON or its text): no request to any node. */
  static fromGenesis(document: unknown): LightClient {
    const { chainId, set } = readGenesisValidatorSet(document)
    return new LightClient(chainId, [trusted(1, set)])
  }

  /** From a checkpoint: the node's header at `height` must hash to `blockHash`. */
  static async fromCheckpoint(source: LightClientSource, checkpoint: Checkpoint): Promise<LightClient> {
    const { height } = checkpoint
    if (!Number.isSafeInteger(height) || height < 1) throw invalidInput('checkpoint.height', 'must be ≥ 1')
    if (typeof checkpoint.blockHash !== 'string' || !/^(0x)?[0-9a-fA-F]{64}$/.test(checkpoint.blockHash))
      throw invalidInput('checkpoint.blockHash', 'must be 32 bytes of hex')
    const want = fromHex(checkpoint.blockHash.replace(/^0x/, '').toLowerCase())
    const { header } = await source.block(height)
    if (header.height !== height || !bytesEqual(safeHash(header), want)) {
      untrusted(`the node's block ${height} is not the checkpoint's block`, { height })
    }
    const [first] = await source.validatorSets({ fromHeight: height, limit: 1 })
    const set = first === undefined ? null : parseSet(first)
    if (set === null || !bytesEqual(validatorSetHash(set), header.validatorSetHash)) {
      untrusted(`the node's validator set at ${height} is not the one the checkpoint names`, { height })
    }
    return new LightClient(header.chainId, [trusted(height, set)])
  }

  /** From an exported cache (`toJSON`). */
  static fromCache(cache: LightClientCache): LightClient {
    if (typeof cache !== 'object' || cache === null || typeof cache.chainId !== 'string')
      throw invalidInput('cache', 'expected a light client cache')
    if (!Array.isArray(cache.sets) || cache.sets.length === 0)
      throw invalidInput('cache.sets', 'must not be empty')
    const sets: TrustedSet[] = []
    for (const [i, s] of cache.sets.entries()) {
      const previous = sets.at(-1)
      if (
        !Number.isSafeInteger(s?.fromHeight) ||
        s.fromHeight < 1 ||
        (previous && s.fromHeight <= previous.fromHeight)
      )
        throw invalidInput(`cache.sets[${i}].fromHeight`, 'must be ≥ 1 and increasing')
      const set = parseSet({ validators: s.validators }, `cache.sets[${i}]`, true)
      sets.push(trusted(s.fromHeight, set))
    }
    return new LightClient(cache.chainId, sets)
  }

  static async create(source: LightClientSource, root: TrustRoot): Promise<LightClient> {
    if ('genesis' in root) return LightClient.fromGenesis(root.genesis)
    if ('checkpoint' in root) return LightClient.fromCheckpoint(source, root.checkpoint)
    if ('cache' in root) return LightClient.fromCache(root.cache)
    throw invalidInput('trust', 'expected { genesis }, { checkpoint } or { cache }')
  }

  /** The first height this client can verify. */
  get trustedFrom(): number {
    return (this.#sets[0] as TrustedSet).fromHeight
  }

  /** The verified sets, for display. */
  get sets(): readonly { readonly fromHeight: number; readonly set: ValidatorSet }[] {
    return this.#sets
  }

  /**
   * The set that certifies `height`, after verifying every change the node reports up to it. A node
   * that hides a change gets no further than a header naming another set, which verification refuses.
   */
  async validatorSetAt(source: LightClientSource, height: number): Promise<ValidatorSet> {
    if (!Number.isSafeInteger(height) || height < this.trustedFrom) {
      untrusted(`height ${height} is before the trusted root (${this.trustedFrom})`, { height })
    }
    if (height > (this.#sets.at(-1) as TrustedSet).fromHeight) await this.#walk(source, height)
    let found = this.#sets[0] as TrustedSet
    for (const s of this.#sets) if (s.fromHeight <= height) found = s
    return found.set
  }

  toJSON(): LightClientCache {
    return {
      chainId: this.chainId,
      sets: this.#sets.map(({ fromHeight, set }) => ({
        fromHeight,
        validators: set.validators.map((v) => ({
          nodeKey: encodeAddress(v.publicKey, NODE_KEY_PREFIX),
          power: v.power,
        })),
      })),
    }
  }

  async #walk(source: LightClientSource, height: number): Promise<void> {
    for (;;) {
      const last = this.#sets.at(-1) as TrustedSet
      const page = await source.validatorSets({ fromHeight: last.fromHeight, limit: PAGE })
      const [current, ...changes] = page
      if (current === undefined || !bytesEqual(validatorSetHash(parseSet(current)), last.hash)) {
        untrusted(`the node's validator set at ${last.fromHeight} is not the trusted one`, {
          height: last.fromHeight,
        })
      }
      let previous = last
      for (const item of changes) {
        if (!Number.isSafeInteger(item.fromHeight) || item.fromHeight <= previous.fromHeight)
          untrusted('the node lists validator set changes out of order', { height: item.fromHeight })
        if (item.fromHeight > height) return
        previous = await this.#verifyChange(source, previous, item)
        this.#sets.push(previous)
      }
      if (page.length < PAGE) return
    }
  }

  /** Takes the set in force from `item.fromHeight` if the previous set certified the block naming it. */
  async #verifyChange(
    source: LightClientSource,
    previous: TrustedSet,
    item: ValidatorSetJson,
  ): Promise<TrustedSet> {
    const decidedAt = item.fromHeight - 1
    const block = await source.block(decidedAt)
    const { header } = block
    const certificate = block.certificate ?? (await source.block(item.fromHeight)).lastCommit
    const details = { height: decidedAt }
    if (header.height !== decidedAt || header.chainId !== this.chainId)
      untrusted(`the node's block ${decidedAt} is not of this chain and height`, details)
    if (!bytesEqual(header.validatorSetHash, previous.hash))
      untrusted(`block ${decidedAt} names a validator set other than the trusted one`, details)
    checkCommit(this.chainId, header, certificate, previous.set, decidedAt)
    const next = parseSet(item)
    if (!bytesEqual(validatorSetHash(next), header.nextValidatorSetHash))
      untrusted(`the set offered from ${item.fromHeight} is not the one block ${decidedAt} names`, details)
    return trusted(item.fromHeight, next)
  }
}

function checkCommit(
  chainId: string,
  header: BlockHeader,
  certificate: QuorumCertificate | null,
  set: ValidatorSet,
  height: number,
): void {
  if (certificate === null) untrusted(`block ${height} has no commit certificate yet`, { height })
  if (
    certificate.kind !== 'commit' ||
    certificate.height !== height ||
    !bytesEqual(certificate.blockHash, safeHash(header))
  )
    untrusted(`the certificate of block ${height} is not a commit of that block`, { height })
  try {
    verifyCertificate(chainId, certificate, set)
  } catch (err) {
    if (isArcadeError(err)) untrusted(`block ${height}: ${err.message}`, { height, cause: err.code })
    throw err
  }
}

/** A header's hash; a header whose fields cannot be encoded is the node's lie, not our crash. */
function safeHash(header: BlockHeader): Bytes {
  try {
    return blockHash(header)
  } catch {
    return untrusted(`the node's header at ${String(header.height)} cannot be hashed`)
  }
}

function parseSet(
  item: Pick<ValidatorSetJson, 'validators'>,
  field = 'validator set',
  isInput = false,
): ValidatorSet {
  try {
    return parseValidatorSet({ items: item.validators } as never)
  } catch (err) {
    if (isInput) throw invalidInput(field, err instanceof Error ? err.message : 'invalid')
    return untrusted(`the node's ${field} is malformed`)
  }
}

/** One line per trusted set, for the CLI. */
export const describeTrustedSet = (s: { fromHeight: number; set: ValidatorSet }): string =>
  `from ${s.fromHeight}: ${s.set.validators.length} validators, power ${s.set.totalPower}, set ${toHex(validatorSetHash(s.set)).slice(0, 16)}…`
