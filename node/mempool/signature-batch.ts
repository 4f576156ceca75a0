/**
 * The message format between the verify pool and its workers: a batch travels as ONE ArrayBuffer that is
 * transferred, not structured-cloned item by item, and the answer is one byte per item (1 = verifies).
 *
 * Layout: u32 count | u32 message offsets[count + 1] | signatures (64 B each) | public keys (32 B each) |
 * u8 well-formed flags[count] | the messages back to back. An item whose signature or key has the wrong
 * length is sent with flag 0 and empty slots, and answers 0 without being verified.
 */
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, verify } from '../../protocol/crypto.ts'

/** What one signature check needs. A `SignedTx` fits as it is. */
export interface SignedMessage {
  readonly signature: Uint8Array
  readonly payload: Uint8Array
  readonly signer: Uint8Array
}

export interface PackedBatch {
  readonly buffer: ArrayBuffer
  readonly count: number
}

/** Packs `items[from..to)` into one transferable buffer. */
export function packBatch(items: readonly SignedMessage[], from: number, to: number): PackedBatch {
  const count = to - from
  let messageBytes = 0
  for (let i = from; i < to; i++) messageBytes += (items[i] as SignedMessage).payload.length
  const sigBase = 4 * (count + 2)
  const keyBase = sigBase + count * SIGNATURE_BYTES
  const flagBase = keyBase + count * PUBLIC_KEY_BYTES
  const messageBase = flagBase + count
  const buffer = new ArrayBuffer(messageBase + messageBytes)
  const header = new Uint32Array(buffer, 0, count + 2)
  const bytes = new Uint8Array(buffer)
  header[0] = count
  let offset = 0
  for (let j = 0; j < count; j++) {
    const item = items[from + j] as SignedMessage
    header[j + 1] = offset
    bytes.set(item.payload, messageBase + offset)
    offset += item.payload.length
    if (item.signature.length === SIGNATURE_BYTES && item.signer.length === PUBLIC_KEY_BYTES) {
      bytes.set(item.signature, sigBase + j * SIGNATURE_BYTES)
      bytes.set(item.signer, keyBase + j * PUBLIC_KEY_BYTES)
      bytes[flagBase + j] = 1
    }
  }
  header[count + 1] = offset
  return { buffer, count }
}

/** Verifies a packed batch (on a worker, or inline in tests): one byte per item. */
export function verifyPacked(buffer: ArrayBuffer): Uint8Array<ArrayBuffer> {
  const count = new Uint32Array(buffer, 0, 1)[0] as number
  const header = new Uint32Array(buffer, 0, count + 2)
  const bytes = new Uint8Array(buffer)
  const sigBase = 4 * (count + 2)
  const keyBase = sigBase + count * SIGNATURE_BYTES
  const flagBase = keyBase + count * PUBLIC_KEY_BYTES
  const messageBase = flagBase + count
  const verdicts = new Uint8Array(count)
  for (let j = 0; j < count; j++) {
    if (bytes[flagBase + j] !== 1) continue
    const signature = bytes.subarray(sigBase + j * SIGNATURE_BYTES, sigBase + (j + 1) * SIGNATURE_BYTES)
    const publicKey = bytes.subarray(keyBase + j * PUBLIC_KEY_BYTES, keyBase + (j + 1) * PUBLIC_KEY_BYTES)
    const message = bytes.subarray(
      messageBase + (header[j + 1] as number),
      messageBase + (header[j + 2] as number),
    )
    verdicts[j] = verify(signature, message, publicKey) ? 1 : 0
  }
  return verdicts
}
