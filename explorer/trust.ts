/**
 * The user's trust root for proofs: the chain's genesis document or a checkpoint `HEIGHT:HASH` they
 * got out of band, pasted or uploaded once and kept in localStorage. Never fetched from the node being
 * checked: a node can serve another chain under the same chain id (DESIGN §9). The light client built
 * from it is kept for the page's life, so each set change is verified once.
 */
import { type ArcadeClient, LightClient, type TrustRoot } from '../client/index.ts'

export type StoredTrust =
  | { readonly kind: 'genesis'; readonly chainId: string; readonly document: unknown }
  | { readonly kind: 'checkpoint'; readonly height: number; readonly blockHash: string }

const STORAGE_KEY = 'arcade.explorer.trust'
const CHECKPOINT = /^([1-9]\d{0,15}):(?:0x)?([0-9a-fA-F]{64})$/

/** Reads pasted text: a checkpoint, or a genesis document the light client can start from (else throws). */
export function parseTrust(text: string): StoredTrust {
  const trimmed = text.trim()
  const m = CHECKPOINT.exec(trimmed)
  if (m !== null)
    return { kind: 'checkpoint', height: Number(m[1]), blockHash: (m[2] as string).toLowerCase() }
  let document: unknown
  try {
    document = JSON.parse(trimmed)
  } catch {
    throw new Error('neither JSON nor HEIGHT:HASH')
  }
  // Throws CLIENT_INVALID_INPUT naming the field when the document cannot give a validator set.
  const light = LightClient.fromGenesis(document)
  return { kind: 'genesis', chainId: light.chainId, document }
}

export const rootOf = (s: StoredTrust): TrustRoot =>
  s.kind === 'genesis'
    ? { genesis: s.document }
    : { checkpoint: { height: s.height, blockHash: s.blockHash } }

export class TrustStore {
  readonly #storage: Storage
  #light: Promise<LightClient> | null = null

  constructor(storage: Storage) {
    this.#storage = storage
  }

  get(): StoredTrust | null {
    const raw = this.#storage.getItem(STORAGE_KEY)
    if (raw === null) return null
    try {
      return JSON.parse(raw) as StoredTrust
    } catch {
      return null
    }
  }

  set(trust: StoredTrust): void {
    this.#storage.setItem(STORAGE_KEY, JSON.stringify(trust))
    this.#light = null
  }

  clear(): void {
    this.#storage.removeItem(STORAGE_KEY)
    this.#light = null
  }

  /** The light client of the stored root (null without one), built once; a failed build is retried. */
  lightClient(client: ArcadeClient): Promise<LightClient> | null {
    const trust = this.get()
    if (trust === null) return null
    this.#light ??= LightClient.create(client, rootOf(trust))
    this.#light.catch(() => {
      this.#light = null
    })
    return this.#light
  }
}
