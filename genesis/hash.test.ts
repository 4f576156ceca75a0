import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from '../protocol/bytes.ts'
import { type KeyPair, publicKeyFromSecret, sha256 } from '../protocol/crypto.ts'
import { planDevnet } from './devnet.ts'
import { genesisToJson, validateGenesis } from './document.ts'
import { genesisHash } from './hash.ts'

/** Tests edit the JSON form freely, as a person with an editor would. */
// biome-ignore lint/suspicious/noExplicitAny: hand-edited JSON documents
type EditableJson = Record<string, any>

let n = 0
const keys = (): KeyPair => {
  const secretKey = sha256(utf8(`hash-test-${n++}`))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
}
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
const json = genesisToJson(devnet.genesis)

/** The same JSON value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    )
  }
  return value
}

const hashOf = (doc: unknown) => toHex(genesisHash(validateGenesis(doc)))

describe('genesis hash', () => {
  it('does not depend on JSON key order or whitespace', () => {
    const reordered = reverseKeys(json)
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(json))
    expect(hashOf(reordered)).toBe(hashOf(json))
    expect(hashOf(JSON.parse(JSON.stringify(json, null, 8)))).toBe(hashOf(json))
  })

  it('does not depend on rpc/p2p hints or the order roles are written in', () => {
    const doc = structuredClone(json) as EditableJson
    doc.validators[0].p2p = '10.1.2.3:1000'
    delete doc.validators[1].rpc
    doc.accounts[0].roles = ['issuer', 'admin']
    expect(hashOf(doc)).toBe(hashOf(json))
  })

  it('changes with every value that defines the chain', () => {
    const edits: ((d: EditableJson) => void)[] = [
      (d) => {
        d.chainId = 'arcade-test-2'
      },
      (d) => {
        d.genesisTime = '2025-04-01T00:00:00.001Z'
      },
      (d) => {
        d.params.consensus.maxBlockTxs += 1
      },
      (d) => {
        d.params.consensus.emptyBlockIntervalMs += 1
      },
      (d) => {
        d.params.ledger.unbondingEpochs += 1
      },
      (d) => {
        d.validators[3].stake -= 1
      },
      (d) => {
        d.validators[3].name = 'renamed'
      },
      (d) => {
        d.validators.reverse()
      },
      (d) => {
        d.accounts[1].stake += 1
      },
      (d) => {
        d.accounts[1].roles = ['issuer']
      },
      (d) => {
        d.observers = []
      },
    ]
    const seen = new Set([hashOf(json)])
    for (const change of edits) {
      const doc = structuredClone(json) as EditableJson
      change(doc)
      const h = hashOf(doc)
      expect(seen.has(h)).toBe(false)
      seen.add(h)
    }
  })
})
