/**
 * Key files: JSON `{ type: 'ed25519', publicKey, secretKey, address }` (hex keys; the address is the
 * public key's bech32m text, `arc1…` for an account or `arcnode1…` for a node key), written with mode
 * 0600. Reading checks that the public key is the one the secret key derives and the address matches.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { ADDRESS_PREFIX, decodeAddress, encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { bytesEqual, fromHex, toHex } from '../protocol/bytes.ts'
import { type KeyPair, publicKeyFromSecret } from '../protocol/crypto.ts'
import { NodeError, NodeErrorCode } from './errors.ts'

export type KeyKind = 'account' | 'node'

export interface KeyFile {
  readonly type: 'ed25519'
  readonly publicKey: string
  readonly secretKey: string
  readonly address: string
}

export interface LoadedKey extends KeyPair {
  readonly kind: KeyKind
  readonly address: string
}

const HEX32 = /^[0-9a-f]{64}$/

export function prefixOf(kind: KeyKind): string {
  return kind === 'node' ? NODE_KEY_PREFIX : ADDRESS_PREFIX
}

export function keyFileOf(keys: KeyPair, kind: KeyKind = 'account'): KeyFile {
  return {
    type: 'ed25519',
    publicKey: toHex(keys.publicKey),
    secretKey: toHex(keys.secretKey),
    address: encodeAddress(keys.publicKey, prefixOf(kind)),
  }
}

function invalid(path: string, field: string, reason: string): NodeError {
  return new NodeError(NodeErrorCode.keyFileInvalid, `${path}: ${field} ${reason}`, { path, field, reason })
}

/** Validates a parsed key file. `path` only labels errors. */
export function parseKeyFile(raw: unknown, path = 'key file'): LoadedKey {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(path, '', 'must be an object')
  const file = raw as Record<string, unknown>
  if (file.type !== 'ed25519') throw invalid(path, 'type', "must be 'ed25519'")
  for (const field of ['publicKey', 'secretKey'] as const) {
    const value = file[field]
    if (typeof value !== 'string' || !HEX32.test(value))
      throw invalid(path, field, 'must be 64 lower-case hex digits')
  }
  const secretKey = fromHex(file.secretKey as string)
  const publicKey = fromHex(file.publicKey as string)
  if (!bytesEqual(publicKeyFromSecret(secretKey), publicKey)) {
    throw invalid(path, 'publicKey', 'does not match the secret key')
  }
  const address = file.address
  if (typeof address !== 'string') throw invalid(path, 'address', 'must be a string')
  const kind: KeyKind = address.startsWith(`${NODE_KEY_PREFIX}1`) ? 'node' : 'account'
  let decoded: Uint8Array
  try {
    decoded = decodeAddress(address, prefixOf(kind))
  } catch {
    throw invalid(path, 'address', 'is not a valid address')
  }
  if (!bytesEqual(decoded, publicKey)) throw invalid(path, 'address', 'does not match the public key')
  return { kind, secretKey, publicKey, address }
}

export async function readKeyFile(path: string): Promise<LoadedKey> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new NodeError(NodeErrorCode.keyFileUnreadable, `cannot read key file ${path}`, {
      path,
      cause: (err as NodeJS.ErrnoException).code ?? String(err),
    })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw invalid(path, '', 'is not valid JSON')
  }
  return parseKeyFile(raw, path)
}

/**
 * Writes a key file readable by its owner only. Without `overwrite` an existing file is an error
 * (FILE_EXISTS), never silently replaced: losing a node key can stall a validator for good.
 */
export async function writeKeyFile(
  path: string,
  keys: KeyPair,
  options: { kind?: KeyKind; overwrite?: boolean } = {},
): Promise<KeyFile> {
  const file = keyFileOf(keys, options.kind)
  try {
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, {
      mode: 0o600,
      flag: options.overwrite === true ? 'w' : 'wx',
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new NodeError(NodeErrorCode.fileExists, `${path} exists already (use --force to overwrite)`, {
        path,
      })
    }
    throw err
  }
  // `mode` applies only when the file is created; an overwritten file is tightened too.
  await chmod(path, 0o600)
  return file
}
