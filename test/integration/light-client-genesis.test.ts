/**
 * The light client's genesis root and the state machine agree: for a genesis document, the set the SDK
 * derives from the JSON alone (client/genesis-root.ts) is the set createGenesisState elects, with the
 * same powers and hash. (Genesis itself refuses more validators than maxValidators, or one below the
 * minimum stake, so every listed validator is elected.)
 */
import { describe, expect, it } from 'vitest'
import { LightClient } from '../../client/index.ts'
import { planDevnet } from '../../genesis/devnet.ts'
import { DEFAULT_GENESIS_PARAMS, genesisToJson, validateGenesis } from '../../genesis/document.ts'
import { toGenesisStateInput } from '../../genesis/to-state-input.ts'
import { utf8 } from '../../protocol/bytes.ts'
import { publicKeyFromSecret, sha256 } from '../../protocol/crypto.ts'
import { validatorSetHash } from '../../protocol/validator-set.ts'
import { createGenesisState, validatorSetOf } from '../../state/ledger.ts'

let seed = 0
const generateKeyPair = () => {
  const secretKey = sha256(utf8(`light-genesis-${seed++}`))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
}

function documentWith(stakes: readonly number[], maxValidators: number, minValidatorStake: number) {
  const devnet = planDevnet(
    {
      validators: stakes.length,
      observers: 0,
      chainId: 'arcade-light-genesis',
      basePort: 30_000,
      genesisTimeMs: Date.UTC(2026, 0, 1),
      params: {
        ...DEFAULT_GENESIS_PARAMS,
        ledger: { ...DEFAULT_GENESIS_PARAMS.ledger, maxValidators, minValidatorStake },
      },
    },
    { generateKeyPair },
  )
  const json = structuredClone(genesisToJson(devnet.genesis)) as { validators: { stake: number }[] }
  for (const [i, stake] of stakes.entries()) (json.validators[i] as { stake: number }).stake = stake
  return json
}

describe('the genesis root', () => {
  it.each([
    { stakes: [10_000, 10_000, 10_000, 10_000], max: 100, min: 1_000 },
    { stakes: [5_000, 9_000, 2_000, 7_000, 7_000], max: 5, min: 2_000 },
    { stakes: [1, 3, 2], max: 3, min: 1 },
  ])('is the set the state machine elects (stakes $stakes, max $max, min $min)', ({ stakes, max, min }) => {
    const json = documentWith(stakes, max, min)
    const state = createGenesisState(toGenesisStateInput(validateGenesis(json))).state
    const expected = validatorSetOf(state)
    const light = LightClient.fromGenesis(json)
    const root = light.sets[0]?.set
    expect(root && validatorSetHash(root)).toEqual(validatorSetHash(expected))
    expect(root?.validators.length).toBe(stakes.length)
  })
})
