import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { toHex } from '../protocol/bytes.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { NodeErrorCode } from './errors.ts'
import { keyFileOf, parseKeyFile, readKeyFile, writeKeyFile } from './keys.ts'

describe('key files', () => {
  it('write (0600) and read back, for accounts and node keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcade-keys-'))
    const keys = generateKeyPair()
    for (const kind of ['account', 'node'] as const) {
      const file = join(dir, `${kind}.json`)
      const written = await writeKeyFile(file, keys, { kind })
      expect(written.address.startsWith(kind === 'node' ? 'arcnode1' : 'arc1')).toBe(true)
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      const back = await readKeyFile(file)
      expect(back.kind).toBe(kind)
      expect(toHex(back.secretKey)).toBe(toHex(keys.secretKey))
      expect(toHex(back.publicKey)).toBe(toHex(keys.publicKey))
    }
  })

  it('refuses to overwrite unless asked, and tightens the mode of an overwritten file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcade-keys-'))
    const file = join(dir, 'k.json')
    await writeFile(file, 'old', { mode: 0o644 })
    await expect(writeKeyFile(file, generateKeyPair())).rejects.toMatchObject({
      code: NodeErrorCode.fileExists,
    })
    expect(await readFile(file, 'utf8')).toBe('old')
    await writeKeyFile(file, generateKeyPair(), { overwrite: true })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('rejects a key file whose public key or address does not match the secret', () => {
    const a = keyFileOf(generateKeyPair())
    const b = keyFileOf(generateKeyPair())
    const code = (raw: unknown) => {
      try {
        parseKeyFile(raw)
        return 'accepted'
      } catch (err) {
        return (err as { code: string }).code
      }
    }
    expect(code(a)).toBe('accepted')
    expect(code({ ...a, publicKey: b.publicKey })).toBe(NodeErrorCode.keyFileInvalid)
    expect(code({ ...a, address: b.address })).toBe(NodeErrorCode.keyFileInvalid)
    expect(code({ ...a, type: 'secp256k1' })).toBe(NodeErrorCode.keyFileInvalid)
    expect(code({ ...a, secretKey: 'zz' })).toBe(NodeErrorCode.keyFileInvalid)
    expect(code([])).toBe(NodeErrorCode.keyFileInvalid)
  })
})
