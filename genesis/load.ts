/** Reading a genesis file: JSON parse errors and validation errors both come out as GenesisError. */
import { readFile } from 'node:fs/promises'
import { type Genesis, validateGenesis } from './document.ts'
import { GenesisError, GenesisErrorCode } from './errors.ts'

export function parseGenesisJson(text: string): Genesis {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new GenesisError(GenesisErrorCode.notJson, `genesis is not valid JSON: ${(err as Error).message}`, {
      field: '',
    })
  }
  return validateGenesis(raw)
}

export async function loadGenesisFile(path: string): Promise<Genesis> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new GenesisError(GenesisErrorCode.unreadable, `cannot read genesis file ${path}`, {
      path,
      cause: (err as NodeJS.ErrnoException).code ?? String(err),
    })
  }
  return parseGenesisJson(text)
}
