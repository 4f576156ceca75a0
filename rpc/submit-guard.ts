/**
 * The bounds every tx submission passes before the mempool (which checks signatures after its cheap
 * checks), cheapest first:
 * 1. per signer key: a token per admitted tx (`signerRateLimit`). A token is reserved per tx and given
 *    back unless the tx is admitted, so txs forged in a signer's name (bad signatures, replays) never
 *    use up its quota; over the limit, the tx is refused with RPC_SIGNER_RATE_LIMITED.
 * 2. per client: a credit of signature checks (`signatureCredit`). A credit is reserved per tx handed
 *    to the mempool, given back unless the signature failed, and an admitted tx earns one more. A
 *    client without credit is refused with RPC_SIGNATURE_CREDIT_EXHAUSTED before anything is
 *    submitted, so it cannot make the node check signatures faster than the credit refills plus its
 *    admitted txs. With partial credit, the txs beyond it are refused with the same code.
 */
import { bytesKey } from '../protocol/bytes.ts'
import { ProtocolErrorCode } from '../protocol/errors.ts'
import type { Client } from './clients.ts'
import { RpcErrorCode, retryLater } from './errors.ts'
import type { RateLimit, SignatureCredit } from './options.ts'
import type { AdmissionResult, DecodedTx, TxSubmitter } from './ports.ts'
import { createTokenBuckets, type TokenBuckets } from './token-buckets.ts'

export interface SubmitGuardOptions {
  readonly signerRateLimit: RateLimit | null
  readonly signatureCredit: SignatureCredit | null
}

export interface SubmitGuardDeps {
  readonly submitter: TxSubmitter
  readonly nowMs: () => number
}

export interface SubmitGuard {
  /**
   * Per-tx results in order, like `TxSubmitter.submit`; throws RPC_SIGNATURE_CREDIT_EXHAUSTED (with
   * Retry-After) when the client has no credit for any of them, having submitted nothing.
   */
  submit(client: Client, txs: readonly DecodedTx[]): Promise<AdmissionResult[]>
}

export function createSubmitGuard(options: SubmitGuardOptions, deps: SubmitGuardDeps): SubmitGuard {
  const { signerRateLimit: signerLimit, signatureCredit: credit } = options
  const signers: TokenBuckets | null =
    signerLimit === null
      ? null
      : createTokenBuckets(
          { capacity: signerLimit.max, refillPerSecond: (signerLimit.max * 1000) / signerLimit.timeWindowMs },
          deps,
        )
  const credits: TokenBuckets | null =
    credit === null
      ? null
      : createTokenBuckets({ capacity: credit.max, refillPerSecond: credit.refillPerSecond }, deps)
  const signerRetrySec = signerLimit === null ? 1 : signerLimit.timeWindowMs / signerLimit.max / 1000
  const creditRetrySec = credit === null ? 1 : 1 / credit.refillPerSecond

  const refused = (tx: DecodedTx, code: RpcErrorCode, message: string): AdmissionResult => ({
    hash: tx.tx.hash,
    accepted: false,
    code,
    message,
  })

  return {
    async submit(client, txs) {
      const results: (AdmissionResult | undefined)[] = new Array(txs.length)
      // 1. Per signer: reserve a token per tx.
      const signerKeys: (string | null)[] = new Array(txs.length).fill(null)
      let candidates: number[] = []
      for (let i = 0; i < txs.length; i++) {
        const tx = txs[i] as DecodedTx
        if (signers === null) {
          candidates.push(i)
          continue
        }
        const key = bytesKey(tx.tx.signer)
        if (signers.take(key, 1) === 0) {
          const message = `this signer has had ${signerLimit?.max} txs admitted in the last ${signerLimit?.timeWindowMs} ms; retry in ${Math.ceil(signerRetrySec)} s`
          results[i] = refused(tx, RpcErrorCode.signerRateLimited, message)
          continue
        }
        signerKeys[i] = key
        candidates.push(i)
      }
      const giveSigner = (i: number) => {
        const key = signerKeys[i]
        if (key !== null && key !== undefined) signers?.give(key, 1)
      }
      // 2. Per client: reserve a signature check per tx that goes on.
      const useCredit = credits !== null && !client.allowListed && candidates.length > 0
      if (useCredit) {
        const granted = credits.take(client.key, candidates.length)
        if (granted === 0) {
          for (const i of candidates) giveSigner(i)
          throw retryLater(
            RpcErrorCode.signatureCreditExhausted,
            'too many of this client’s txs failed signature checks; retry later',
            creditRetrySec,
          )
        }
        for (const i of candidates.slice(granted)) {
          giveSigner(i)
          const message = 'this client is out of signature-check credit; retry later'
          results[i] = refused(txs[i] as DecodedTx, RpcErrorCode.signatureCreditExhausted, message)
        }
        candidates = candidates.slice(0, granted)
      }
      let admissions: readonly AdmissionResult[] = []
      try {
        if (candidates.length > 0)
          admissions = await deps.submitter.submit(candidates.map((i) => txs[i] as DecodedTx))
        if (admissions.length !== candidates.length)
          throw new Error('submitter returned the wrong number of results')
      } catch (err) {
        for (const i of candidates) giveSigner(i)
        if (useCredit) credits.give(client.key, candidates.length)
        throw err
      }
      // 3. Settle the reservations with the verdicts.
      let creditBack = 0
      for (const [j, i] of candidates.entries()) {
        const admission = admissions[j] as AdmissionResult
        results[i] = admission
        if (admission.accepted) creditBack += 2
        else {
          giveSigner(i)
          if (admission.code !== ProtocolErrorCode.badSignature) creditBack += 1
        }
      }
      if (useCredit) credits.give(client.key, creditBack)
      return results as AdmissionResult[]
    },
  }
}
