/**
 * Worker thread body for the signature pool: verifies one packed batch per message (see
 * signature-batch.ts) with native crypto and answers with one byte per item, transferring both ways.
 * Kept tiny: no imports from the rest of the node.
 */
import { parentPort } from 'node:worker_threads'
import { verifyPacked } from './signature-batch.ts'

export interface VerifyRequest {
  readonly id: number
  /** A batch packed by `packBatch`; transferred. */
  readonly buffer: ArrayBuffer
}

export interface VerifyResponse {
  readonly id: number
  /** One byte per item, 1 when its signature verifies; transferred. */
  readonly verdicts: Uint8Array<ArrayBuffer>
}

parentPort?.on('message', (request: VerifyRequest) => {
  const verdicts = verifyPacked(request.buffer)
  parentPort?.postMessage({ id: request.id, verdicts } satisfies VerifyResponse, [verdicts.buffer])
})
