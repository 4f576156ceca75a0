import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from '../protocol/bytes.ts'
import { type KeyPair, publicKeyFromSecret, sha256 } from '../protocol/crypto.ts'
import { validatorSetHash } from '../protocol/validator-set.ts'
import { createGenesisState, validatorSetOf } from '../state/ledger.ts'
import { planDevnet } from './devnet.ts'
import { toGenesisStateInput } from './to-state-input.ts'

let n = 0
const keys = (): KeyPair => {
  const secretKey = sha256(utf8(`state-input-${n++}`))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
}

describe('genesis -> state', () => {
  it('a devnet genesis builds a state whose validator set is the genesis validators with their stake', () => {
    const devnet = planDevnet(
      {
        validators: 4,
        observers: 1,
        chainId: 'arcade-test',
        basePort: 30000,
        genesisTimeMs: Date.UTC(2025, 3, 1),
      },
      { generateKeyPair: keys },
    )
    const input = toGenesisStateInput(devnet.genesis)
    expect(input.associations).toHaveLength(4)
    expect(input.observers.map((o) => toHex(o.nodeKey))).toEqual([
      toHex(devnet.nodes[4]?.nodeKey.publicKey as Uint8Array),
    ])
    const { state } = createGenesisState(input)
    expect(state.meta.chainId).toBe('arcade-test')
    expect(state.meta.params.minValidatorStake).toBe(devnet.genesis.params.ledger.minValidatorStake)
    const set = validatorSetOf(state)
    expect(set.totalPower).toBe(40_000)
    expect(set.validators.map((v) => toHex(v.publicKey)).sort()).toEqual(
      devnet.genesis.validators.map((v) => toHex(v.nodeKey)).sort(),
    )
    expect(toHex(validatorSetHash(set))).toMatch(/^[0-9a-f]{64}$/)
  })
})
