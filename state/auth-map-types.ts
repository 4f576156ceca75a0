/**
 * The authenticated map behind the state root (DESIGN §4): a persistent (immutable, structurally
 * shared) map from byte keys to byte values whose 32-byte root commits to every entry.
 * - `update` returns a new version and leaves this one untouched, so a validator can execute several
 *   proposals on one parent; its cost is proportional to the keys written, not to the size of the map;
 * - the root depends on the set of entries only, never on the order of writes;
 * - `prove` yields an inclusion or absence proof that `verifyStateProof` in protocol/state-proof.ts
 *   checks with the root alone.
 */
import type { Bytes } from '../protocol/bytes.ts'
import type { StateProof } from '../protocol/state-proof.ts'

export interface AuthMap {
  readonly root: Bytes
  readonly size: number
  get(key: Bytes): Bytes | undefined
  /** A new version with the writes applied (null deletes); later writes to one key win. */
  update(writes: Iterable<readonly [Bytes, Bytes | null]>): AuthMap
  prove(key: Bytes): StateProof
}
