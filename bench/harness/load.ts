/**
 * The bench's actors and the load they sign: one point, merchants with terminals, funded customers.
 * `buildLoad` makes the txs of one client (worker) in a smooth weighted round robin over the mix,
 * so every slice of the load has the mix's proportions; it is deterministic given its inputs.
 */

import type { Bytes } from '../../protocol/bytes.ts'
import { utf8 } from '../../protocol/bytes.ts'
import { sha256 } from '../../protocol/crypto.ts'
import { encodeTx, type SignedTx, signTx } from '../../protocol/tx.ts'
import type { TxBody } from '../../protocol/tx-body.ts'
import { MIX_KINDS, type Mix, type MixKind } from './options.ts'

export const BENCH_POINT = 'BENCH'

export interface Key {
  readonly publicKey: Bytes
  readonly secretKey: Bytes
}

export interface Actors {
  readonly manager: Key
  readonly merchants: readonly Key[]
  /** Terminals, each with the index of its merchant. */
  readonly terminals: readonly (Key & { readonly merchant: number })[]
  readonly customers: readonly Key[]
}

export interface LoadSpec {
  readonly chainId: string
  readonly mix: Mix
  readonly count: number
  /** Nonces are `nonceBase + i`: unique across clients when each has its own base. */
  readonly nonceBase: number
  readonly validUntil: number
  readonly trafficEvents: number
  /** Which client this is, to spread actors and keep traffic event ids unique. */
  readonly client: number
  /** The point every tx moves (BENCH_POINT on a fresh network; a new one per run on a remote chain). */
  readonly point: string
}

/** The next kind of a smooth weighted round robin (nginx's): call with the running credit per kind. */
export function nextKind(mix: Mix, credit: Record<MixKind, number>): MixKind {
  let total = 0
  let best: MixKind | null = null
  for (const k of MIX_KINDS) {
    const w = mix[k]
    if (w <= 0) continue
    credit[k] += w
    total += w
    if (best === null || credit[k] > credit[best]) best = k
  }
  if (best === null) throw new Error('empty mix')
  credit[best] -= total
  return best
}

const pick = <T>(items: readonly T[], i: number): T => items[i % items.length] as T

function bodyOf(kind: MixKind, i: number, a: Actors, spec: LoadSpec): { body: TxBody; signer: Key } {
  const n = spec.client * 7919 + i
  switch (kind) {
    case 'pay': {
      const customer = pick(a.customers, n)
      const terminal = pick(a.terminals, n * 3 + 1)
      return {
        signer: customer,
        body: { kind: 'merchant.pay', point: spec.point, payee: terminal.publicKey, amount: 1, memo: '' },
      }
    }
    case 'award': {
      const terminal = pick(a.terminals, n)
      const customer = pick(a.customers, n * 5 + 2)
      return {
        signer: terminal,
        body: {
          kind: 'merchant.award',
          point: spec.point,
          customer: customer.publicKey,
          amount: 2,
          memo: '',
        },
      }
    }
    case 'transfer': {
      const from = n % a.customers.length
      const to = (from + 1 + (n % (a.customers.length - 1))) % a.customers.length
      return {
        signer: pick(a.customers, from),
        body: { kind: 'point.transfer', point: spec.point, to: pick(a.customers, to).publicKey, amount: 1 },
      }
    }
    case 'traffic': {
      const terminal = pick(a.terminals, n)
      const events = Array.from({ length: spec.trafficEvents }, (_, e) => ({
        eventId: `c${spec.client}-${i}-${e}`,
        kind: 'visit' as const,
        // A customer's pseudonym in the point (any 32 bytes here), on the shop's word alone.
        pseudonym: sha256(utf8(`customer-${(n + e) % 1000}`)),
        amount: 0,
        attestation: null,
      }))
      return { signer: terminal, body: { kind: 'traffic.record', point: spec.point, events } }
    }
  }
}

export interface SignedLoad {
  readonly encoded: Bytes[]
  readonly hashes: Bytes[]
  readonly kinds: MixKind[]
}

/** Signs `spec.count` txs of the mix; every one is sponsored by the manager. */
export function buildLoad(actors: Actors, spec: LoadSpec): SignedLoad {
  const credit: Record<MixKind, number> = { pay: 0, award: 0, transfer: 0, traffic: 0 }
  const encoded: Bytes[] = []
  const hashes: Bytes[] = []
  const kinds: MixKind[] = []
  for (let i = 0; i < spec.count; i++) {
    const kind = nextKind(spec.mix, credit)
    const { body, signer } = bodyOf(kind, i, actors, spec)
    const tx: SignedTx = signTx(
      {
        chainId: spec.chainId,
        signer: signer.publicKey,
        nonce: spec.nonceBase + i,
        validUntil: spec.validUntil,
        sponsor: actors.manager.publicKey,
        body,
      },
      signer.secretKey,
    )
    encoded.push(encodeTx(tx))
    hashes.push(tx.hash)
    kinds.push(kind)
  }
  return { encoded, hashes, kinds }
}
