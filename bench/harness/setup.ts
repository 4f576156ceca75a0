/**
 * Funds the bench's actors before the clock starts, one committed stage at a time (each stage's txs
 * are only valid once the previous stage is in the state): the point and a grant to everyone using
 * it, merchant applications, admissions with a credit limit, terminals, then an award to each customer.
 */
import { encode } from '../../protocol/codec.ts'
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts'
import { encodeTx, signTx } from '../../protocol/tx.ts'
import type { TxBody } from '../../protocol/tx-body.ts'
import { BenchError, BenchErrorCode } from './errors.ts'
import { type Actors, BENCH_POINT, type Key } from './load.ts'

export const CREDIT_LIMIT = 1_000_000_000_000
export const CUSTOMER_FUNDS = 1_000_000_000

interface BatchResult {
  hash: string | null
  accepted: boolean
  code?: string
  status?: string
  receipt?: { status: string; error: string | null }
}

export function makeActors(
  manager: KeyPair,
  counts: { merchants: number; terminalsPerMerchant: number; customers: number },
): Actors {
  const merchants = Array.from({ length: counts.merchants }, () => generateKeyPair())
  const terminals = merchants.flatMap((_, m) =>
    Array.from({ length: counts.terminalsPerMerchant }, () => ({ ...generateKeyPair(), merchant: m })),
  )
  const customers = Array.from({ length: counts.customers }, () => generateKeyPair())
  return { manager, merchants, terminals, customers }
}

/** Submits txs with ?wait=true to one node and throws unless every one commits with status ok. */
async function commitAll(rpcUrl: string, stage: string, txs: Uint8Array[], batch: number): Promise<void> {
  for (let at = 0; at < txs.length; at += batch) {
    const chunk = txs.slice(at, at + batch)
    const res = await fetch(`${rpcUrl}/v1/txs/batch?wait=true&timeoutMs=60000`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack' },
      body: encode(chunk) as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(70_000),
    })
    const text = await res.text()
    if (!res.ok)
      throw new BenchError(BenchErrorCode.setupFailed, `${stage}: HTTP ${res.status} ${text.slice(0, 300)}`, {
        stage,
      })
    const { results } = JSON.parse(text) as { results: BatchResult[] }
    for (const r of results) {
      const ok = r.accepted && r.status === 'committed' && r.receipt?.status === 'ok'
      if (!ok) {
        const why = r.code ?? r.receipt?.error ?? r.status ?? 'unknown'
        throw new BenchError(BenchErrorCode.setupFailed, `${stage}: tx ${r.hash} not committed ok (${why})`, {
          stage,
          code: why,
        })
      }
    }
  }
}

/** Runs the setup stages against `rpcUrl` and resolves when every stage has committed. */
export async function fundActors(
  rpcUrl: string,
  chainId: string,
  actors: Actors,
  options: { validUntil: number; batch: number; point?: string },
): Promise<void> {
  let nonce = 1
  const tx = (signer: Key, body: TxBody) =>
    encodeTx(
      signTx(
        {
          chainId,
          signer: signer.publicKey,
          nonce: nonce++,
          validUntil: options.validUntil,
          sponsor: actors.manager.publicKey,
          body,
        },
        signer.secretKey,
      ),
    )
  const m = actors.manager
  const point = options.point ?? BENCH_POINT
  await commitAll(
    rpcUrl,
    'point.create',
    [tx(m, { kind: 'point.create', point, name: 'Bench point', decimals: 0, transferable: true })],
    1,
  )
  await commitAll(
    rpcUrl,
    'sponsor.grant',
    [
      tx(m, {
        kind: 'sponsor.grant',
        point,
        grantee: null,
        txsPerPeriod: 1_000_000_000_000,
        periodMs: 86_400_000,
        expiresAtHeight: 0,
        kinds: [],
      }),
    ],
    1,
  )
  const b = options.batch
  await commitAll(
    rpcUrl,
    'merchant.apply',
    actors.merchants.map((k, i) => tx(k, { kind: 'merchant.apply', point, name: `shop ${i + 1}` })),
    b,
  )
  await commitAll(
    rpcUrl,
    'merchant.admit',
    actors.merchants.map((k) =>
      tx(m, { kind: 'merchant.admit', point, merchant: k.publicKey, creditLimit: CREDIT_LIMIT }),
    ),
    b,
  )
  await commitAll(
    rpcUrl,
    'merchant.addTerminal',
    actors.terminals.map((t) =>
      tx(actors.merchants[t.merchant] as Key, { kind: 'merchant.addTerminal', point, terminal: t.publicKey }),
    ),
    b,
  )
  await commitAll(
    rpcUrl,
    'merchant.award',
    actors.customers.map((c, i) =>
      tx(actors.terminals[i % actors.terminals.length] as Key, {
        kind: 'merchant.award',
        point,
        customer: c.publicKey,
        amount: CUSTOMER_FUNDS,
        memo: 'bench funds',
      }),
    ),
    b,
  )
}
