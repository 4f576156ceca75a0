/** Byte helpers shared by every folder. Uint8Array only, so the code also runs in a browser. */
export type Bytes = Uint8Array

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function toHex(bytes: Bytes): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] as number]
  return out
}

/**
 * An exact Map key for short byte strings (hashes, accounts, state key parts): one char per byte.
 * Several times cheaper to build and to hash than hex. Meant for inputs of at most a few KiB.
 */
export function bytesKey(bytes: Bytes): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[])
}

export function fromHex(hex: string): Bytes {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('invalid hex string')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

export function bytesEqual(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic order, the one order used wherever bytes must be sorted deterministically. */
export function compareBytes(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function concatBytes(...parts: Bytes[]): Bytes {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

const encoder = new TextEncoder()
export function utf8(text: string): Bytes {
  return encoder.encode(text)
}
