/**
 * Bundled for the browser by sdk-browser.test.ts: the SDK's light client, run inside Chromium with no
 * Node built-ins (Ed25519 and SHA-256 from @noble), on a synthetic chain whose set changes twice.
 */
import { ArcadeClientError, LightClient, toHex } from '../../client/index.ts'
import { era, FakeChain, genesisDocument, keys, LIGHT_HEIGHT } from '../../client/test-kit.ts'
import { validatorSetHash } from '../../protocol/validator-set.ts'

async function lightClientCheck() {
  const first = keys(4)
  const e0 = era(first)
  const e1 = era([...first.slice(1), ...keys(1)])
  const e2 = era(keys(5), 7)
  const light = LightClient.fromGenesis(genesisDocument(e0))
  const set = await light.validatorSetAt(new FakeChain([e0, e1, e2]), LIGHT_HEIGHT)
  let forged: string | null = null
  try {
    await LightClient.fromGenesis(genesisDocument(e0)).validatorSetAt(
      new FakeChain([era(keys(4))]),
      LIGHT_HEIGHT,
    )
  } catch (err) {
    forged = err instanceof ArcadeClientError ? err.code : String(err)
  }
  return {
    walked: light.sets.map((s) => s.fromHeight),
    finalSetMatches: toHex(validatorSetHash(set)) === toHex(validatorSetHash(e2.set)),
    forged,
    hasNodeBuiltins: typeof (globalThis as { process?: unknown }).process !== 'undefined',
  }
}

;(globalThis as { lightClientCheck?: typeof lightClientCheck }).lightClientCheck = lightClientCheck
