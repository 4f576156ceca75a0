import { describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { utf8 } from '../protocol/bytes.ts'
import { type KeyPair, publicKeyFromSecret, sha256 } from '../protocol/crypto.ts'
import { planDevnet } from './devnet.ts'
import { DEFAULT_GENESIS_PARAMS, genesisToJson, validateGenesis } from './document.ts'
import { GenesisErrorCode } from './errors.ts'
import { parseGenesisJson } from './load.ts'

/** Tests edit the JSON form freely, as a person with an editor would. */
// biome-ignore lint/suspicious/noExplicitAny: hand-edited JSON documents
type EditableJson = Record<string, any>

function seededKeys(): () => KeyPair {
  let i = 0
  return () => {
    const secretKey = sha256(utf8(`genesis-test-${i++}`))
    return { secretKey, publicKey: publicKeyFromSecret(secretKey) }
  }
}

const devnet = planDevnet(
  {
    validators: 3,
    observers: 1,
    chainId: 'arcade-test',
    basePort: 30000,
    genesisTimeMs: Date.UTC(2025, 3, 1),
  },
  { generateKeyPair: seededKeys() },
)
const base = () => structuredClone(genesisToJson(devnet.genesis)) as Record<string, unknown>

type Json = Record<string, unknown> | unknown[]

/** Every path to a leaf or list in a JSON value, as `a.b[2].c`. */
function paths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) {
    return [prefix, ...value.flatMap((v, i) => paths(v, `${prefix}[${i}]`))]
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => paths(v, prefix === '' ? k : `${prefix}.${k}`))
  }
  return [prefix]
}

function edit(
  doc: Record<string, unknown>,
  path: string,
  change: (parent: Json, key: string | number) => void,
) {
  const parts = path.match(/[^.[\]]+/g) as string[]
  let parent: Json = doc
  for (const part of parts.slice(0, -1)) parent = (parent as Record<string, Json>)[part] as Json
  const last = parts[parts.length - 1] as string
  change(parent, Array.isArray(parent) ? Number(last) : last)
}

function failure(doc: unknown): { code: string; field: string } {
  try {
    validateGenesis(doc)
  } catch (err) {
    const e = err as { code: string; details: { field: string } }
    return { code: e.code, field: e.details.field }
  }
  return { code: 'accepted', field: '' }
}

const OPTIONAL = /\.(rpc|p2p|jailEpochs)$/
const leafPaths = paths(base()).filter((p) => p !== '' && !/\[\d+\]$/.test(p))

describe('genesis validation', () => {
  it('accepts the devnet plan and round-trips through JSON', () => {
    const g = validateGenesis(base())
    expect(genesisToJson(g)).toEqual(base())
    expect(parseGenesisJson(JSON.stringify(base())).chainId).toBe('arcade-test')
  })

  describe('every required field, when missing, is named', () => {
    for (const path of leafPaths.filter((p) => !OPTIONAL.test(p) && !/\.roles\[/.test(p))) {
      it(path, () => {
        const doc = base()
        edit(doc, path, (parent, key) => {
          delete (parent as Record<string, unknown>)[key as string]
        })
        expect(failure(doc)).toEqual({ code: GenesisErrorCode.invalidField, field: path })
      })
    }
  })

  describe('every field, when of the wrong type, is named', () => {
    for (const path of leafPaths) {
      it(path, () => {
        const doc = base()
        let wrong: unknown
        edit(doc, path, (parent, key) => {
          const current = (parent as Record<string | number, unknown>)[key]
          wrong = typeof current === 'string' ? 12 : typeof current === 'number' ? '12' : 'not-a-list'
          ;(parent as Record<string | number, unknown>)[key] = wrong
        })
        expect(failure(doc)).toEqual({ code: GenesisErrorCode.invalidField, field: path })
      })
    }
  })

  const v0 = devnet.genesis.validators[0]
  const cases: [string, (doc: EditableJson) => void, string, string?][] = [
    ['not an object', (d) => Object.assign(d, { chainId: undefined }), 'chainId'],
    ['unknown top-level field', (d) => Object.assign(d, { chainID: 'x' }), 'chainID'],
    [
      'unknown param (typo)',
      (d) => Object.assign(d.params.consensus, { maxBlockByte: 1 }),
      'params.consensus.maxBlockByte',
    ],
    ['upper-case chain id', (d) => Object.assign(d, { chainId: 'Arcade' }), 'chainId'],
    [
      'genesis time not UTC',
      (d) => Object.assign(d, { genesisTime: '2025-04-01T00:00:00+09:00' }),
      'genesisTime',
    ],
    ['genesis time Feb 30', (d) => Object.assign(d, { genesisTime: '2025-02-30T00:00:00Z' }), 'genesisTime'],
    [
      'block bytes above the hard limit',
      (d) => Object.assign(d.params.consensus, { maxBlockBytes: 2 ** 30 }),
      'params.consensus.maxBlockBytes',
    ],
    [
      'zero txs per block',
      (d) => Object.assign(d.params.consensus, { maxBlockTxs: 0 }),
      'params.consensus.maxBlockTxs',
    ],
    [
      'negative timeout',
      (d) => Object.assign(d.params.consensus, { viewTimeoutBaseMs: -1 }),
      'params.consensus.viewTimeoutBaseMs',
    ],
    [
      'fractional timeout',
      (d) => Object.assign(d.params.consensus, { viewTimeoutIncrementMs: 1.5 }),
      'params.consensus.viewTimeoutIncrementMs',
    ],
    [
      'cap below base',
      (d) => Object.assign(d.params.consensus, { viewTimeoutCapMs: 10 }),
      'params.consensus.viewTimeoutCapMs',
    ],
    [
      'zero epoch length',
      (d) => Object.assign(d.params.ledger, { epochLength: 0 }),
      'params.ledger.epochLength',
    ],
    [
      'max validators above 256',
      (d) => Object.assign(d.params.ledger, { maxValidators: 257 }),
      'params.ledger.maxValidators',
    ],
    [
      'more validators than allowed',
      (d) => Object.assign(d.params.ledger, { maxValidators: 2 }),
      'validators',
    ],
    ['no validators', (d) => Object.assign(d, { validators: [] }), 'validators'],
    [
      'validator node key with account prefix',
      (d) => Object.assign(d.validators[2], { nodeKey: d.validators[2].account }),
      'validators[2].nodeKey',
    ],
    [
      'validator node key checksum typo',
      (d) =>
        Object.assign(d.validators[2], {
          nodeKey: `${d.validators[2].nodeKey.slice(0, -1)}${d.validators[2].nodeKey.endsWith('q') ? 'p' : 'q'}`,
        }),
      'validators[2].nodeKey',
    ],
    [
      'validator account with node prefix',
      (d) => Object.assign(d.validators[1], { account: d.validators[1].nodeKey }),
      'validators[1].account',
    ],
    ['stake below minimum', (d) => Object.assign(d.validators[0], { stake: 999 }), 'validators[0].stake'],
    [
      'duplicate node key',
      (d) => Object.assign(d.validators[1], { nodeKey: d.validators[0].nodeKey }),
      'validators[1].nodeKey',
      GenesisErrorCode.duplicate,
    ],
    [
      'observer reuses a validator key',
      (d) => Object.assign(d.observers[0], { nodeKey: d.validators[0].nodeKey }),
      'observers[0].nodeKey',
      GenesisErrorCode.duplicate,
    ],
    [
      'duplicate validator name',
      (d) => Object.assign(d.validators[1], { name: d.validators[0].name }),
      'validators[1].name',
      GenesisErrorCode.duplicate,
    ],
    ['empty name', (d) => Object.assign(d.validators[1], { name: '' }), 'validators[1].name'],
    ['bad p2p address', (d) => Object.assign(d.validators[1], { p2p: 'localhost' }), 'validators[1].p2p'],
    ['bad port', (d) => Object.assign(d.validators[1], { p2p: '127.0.0.1:70000' }), 'validators[1].p2p'],
    [
      'bad multiaddr',
      (d) => Object.assign(d.observers[0], { p2p: '/ip4/300.0.0.1/tcp/1' }),
      'observers[0].p2p',
    ],
    ['bad rpc URL', (d) => Object.assign(d.validators[0], { rpc: 'ftp://x' }), 'validators[0].rpc'],
    [
      'unknown role',
      (d) => Object.assign(d.accounts[0], { roles: ['admin', 'root'] }),
      'accounts[0].roles[1]',
    ],
    [
      'duplicate role',
      (d) => Object.assign(d.accounts[0], { roles: ['admin', 'admin'] }),
      'accounts[0].roles',
      GenesisErrorCode.duplicate,
    ],
    ['no admin', (d) => Object.assign(d.accounts[0], { roles: ['issuer'] }), 'accounts'],
    [
      'duplicate account',
      (d) => d.accounts.push({ ...d.accounts[0] }),
      'accounts[4].address',
      GenesisErrorCode.duplicate,
    ],
    ['negative account stake', (d) => Object.assign(d.accounts[0], { stake: -5 }), 'accounts[0].stake'],
    ['unsafe account stake', (d) => Object.assign(d.accounts[0], { stake: 2 ** 53 }), 'accounts[0].stake'],
    ['unknown validator field', (d) => Object.assign(d.validators[0], { power: 3 }), 'validators[0].power'],
    // Total stake (validators' and free) bounded, so no election's total voting power can overflow.
    [
      'free stake lifts the total stake past the bound',
      (d) => Object.assign(d.accounts[1], { stake: 2 ** 52 }),
      'accounts[1].stake',
    ],
    [
      'validators alone past the total-stake bound',
      (d) => Object.assign(d.validators[1], { stake: 2 ** 52 }),
      'validators[1].stake',
    ],
    // Lists a tx can grow stay far below the state's 64 KiB record limit.
    [
      'unbonding epochs without bound',
      (d) => Object.assign(d.params.ledger, { unbondingEpochs: 1_000_000 }),
      'params.ledger.unbondingEpochs',
    ],
    [
      'terminals per merchant without bound',
      (d) => Object.assign(d.params.ledger, { maxTerminalsPerMerchant: 100_000 }),
      'params.ledger.maxTerminalsPerMerchant',
    ],
    [
      'devices per owner without bound',
      (d) => Object.assign(d.params.ledger, { maxDevicesPerOwner: 100_000 }),
      'params.ledger.maxDevicesPerOwner',
    ],
    [
      'delegations per member without bound',
      (d) => Object.assign(d.params.ledger, { maxDelegationsPerMember: 100_000 }),
      'params.ledger.maxDelegationsPerMember',
    ],
  ]
  describe('semantic rules name the field', () => {
    for (const [name, mutate, field, code] of cases) {
      it(name, () => {
        const doc = base()
        mutate(doc)
        expect(failure(doc)).toEqual({ code: code ?? GenesisErrorCode.invalidField, field })
      })
    }
  })

  it('accepts multiaddrs, IPv6 and host names for p2p, and keeps roles in canonical order', () => {
    const doc = base() as EditableJson
    doc.validators[0].p2p = '/ip4/10.0.0.1/tcp/26656'
    doc.validators[1].p2p = '[::1]:26656'
    doc.validators[2].p2p = 'node-3.example.org:26656'
    doc.accounts[0].roles = ['issuer', 'admin']
    const g = validateGenesis(doc)
    expect(g.accounts[0]?.roles).toEqual(['admin', 'issuer'])
    expect(encodeAddress(g.validators[0]?.nodeKey as Uint8Array, NODE_KEY_PREFIX)).toBe(
      encodeAddress(v0?.nodeKey as Uint8Array, NODE_KEY_PREFIX),
    )
  })

  it('reports bad JSON with its own code', () => {
    expect(() => parseGenesisJson('{"chainId": ')).toThrow(
      expect.objectContaining({ code: GenesisErrorCode.notJson }),
    )
  })
})

describe('params.ledger.jailEpochs', () => {
  it('defaults to the genesis default when a document predates it', () => {
    const doc = base() as { params: { ledger: Record<string, unknown> } }
    delete doc.params.ledger.jailEpochs
    expect(validateGenesis(doc).params.ledger.jailEpochs).toBe(DEFAULT_GENESIS_PARAMS.ledger.jailEpochs)
  })
})
