/**
 * Worker thread body for the signature pool: verifies batches of Ed25519 signatures with native
 * crypto and answers with one boolean per item. Kept tiny: no imports from the rest of the node.
 */
import { parentPort } from 'node:worker_threads'
import { verify } from '../../protocol/crypto.ts'

export interface VerifyRequest {
  readonly id: number
  readonly items: readonly (readonly [signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array])[]
}

export interface VerifyResponse {
  readonly id: number
  readonly results: readonly boolean[]
}

parentPort?.on('message', (request: VerifyRequest) => {
  const results = request.items.map(([signature, message, publicKey]) =>
    verify(signature, message, publicKey),
  )
  parentPort?.postMessage({ id: request.id, results } satisfies VerifyResponse)
})
