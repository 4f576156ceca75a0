import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '../protocol/crypto.ts'
import { planDevnet } from './devnet.ts'
import { GenesisErrorCode } from './errors.ts'

const deps = { generateKeyPair }
const options = { validators: 4, observers: 2, chainId: 'arcade-test', basePort: 40000, genesisTimeMs: 0 }

describe('devnet plan', () => {
  it('gives every node distinct ports and keys, validators first', () => {
    const d = planDevnet(options, deps)
    expect(d.nodes.map((n) => n.name)).toEqual([
      'validator-1',
      'validator-2',
      'validator-3',
      'validator-4',
      'observer-1',
      'observer-2',
    ])
    const ports = d.nodes.flatMap((n) => [n.p2pPort, n.rpcPort])
    expect(new Set(ports).size).toBe(12)
    expect(Math.min(...ports)).toBe(40000)
    expect(Math.max(...ports)).toBe(40011)
    expect(d.genesis.validators.map((v) => v.p2p)).toEqual(
      d.nodes.slice(0, 4).map((n) => `127.0.0.1:${n.p2pPort}`),
    )
    expect(d.genesis.accounts[0]?.roles).toEqual(['admin', 'issuer'])
    expect(d.genesis.accounts).toHaveLength(5)
    expect(d.associations).toHaveLength(4)
  })

  it('refuses impossible plans with the option named', () => {
    const field = (o: Partial<typeof options>) => {
      try {
        planDevnet({ ...options, ...o }, deps)
      } catch (err) {
        expect((err as { code: string }).code).toBe(GenesisErrorCode.invalidField)
        return (err as { details: { field: string } }).details.field
      }
      return 'accepted'
    }
    expect(field({ validators: 0 })).toBe('validators')
    expect(field({ validators: 101 })).toBe('validators')
    expect(field({ observers: -1 })).toBe('observers')
    expect(field({ basePort: 65_530 })).toBe('basePort')
    expect(field({ chainId: 'Bad Chain' })).toBe('chainId')
  })
})
