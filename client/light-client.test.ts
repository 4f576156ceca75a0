/**
 * The light client against a node that may lie: a synthetic chain whose validator set changes twice
 * (the third set shares no key with the first), served honestly, and then with each lie a malicious
 * node could tell (another chain under the same chain id, a change signed by the wrong set, a change
 * hidden, a set other than the header's, too few signatures).
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { blockHash } from '../protocol/block.ts'
import { toHex } from '../protocol/bytes.ts'
import { validatorSetHash } from '../protocol/validator-set.ts'
import { ArcadeClientError, ClientErrorCode } from './errors.ts'
import { LightClient } from './light-client.ts'
import {
  LIGHT_CHAIN_ID as CHAIN_ID,
  type Era,
  era,
  FakeChain,
  genesisDocument,
  LIGHT_HEIGHT as HEIGHT,
  keys,
} from './test-kit.ts'
import type { ValidatorSetJson } from './types.ts'

let e0: Era
let e1: Era
let e2: Era
let chain: FakeChain

async function failure(p: Promise<unknown>): Promise<ArcadeClientError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ArcadeClientError)
  return err as ArcadeClientError
}

beforeEach(() => {
  const first = keys(4)
  e0 = era(first)
  // One key leaves, one joins; then every key is new.
  e1 = era([...first.slice(1), ...keys(1)])
  e2 = era(keys(5), 7)
  chain = new FakeChain([e0, e1, e2])
})

describe('LightClient from genesis', () => {
  it('follows both changes and returns the set in force at every height', async () => {
    const light = LightClient.fromGenesis(genesisDocument(e0))
    expect(light.chainId).toBe(CHAIN_ID)
    expect(validatorSetHash(await light.validatorSetAt(chain, HEIGHT))).toEqual(validatorSetHash(e2.set))
    expect(validatorSetHash(await light.validatorSetAt(chain, 10))).toEqual(validatorSetHash(e0.set))
    expect(validatorSetHash(await light.validatorSetAt(chain, 11))).toEqual(validatorSetHash(e1.set))
    expect(light.sets.map((s) => s.fromHeight)).toEqual([1, 11, 26])
  })

  it('takes the genesis document as text too, and refuses a malformed one with a typed error', async () => {
    const light = LightClient.fromGenesis(JSON.stringify(genesisDocument(e0)))
    expect(validatorSetHash(await light.validatorSetAt(chain, 5))).toEqual(validatorSetHash(e0.set))
    for (const bad of ['{', null, { chainId: CHAIN_ID }, { ...genesisDocument(e0), validators: [] }]) {
      expect(() => LightClient.fromGenesis(bad)).toThrow(
        expect.objectContaining({ code: ClientErrorCode.invalidInput }),
      )
    }
  })

  it('exports what it verified; a client from the cache walks only the changes since', async () => {
    const light = LightClient.fromGenesis(genesisDocument(e0))
    await light.validatorSetAt(chain, 30)
    const cached = LightClient.fromCache(JSON.parse(JSON.stringify(light.toJSON())))
    chain.requests = 0
    expect(validatorSetHash(await cached.validatorSetAt(chain, HEIGHT))).toEqual(validatorSetHash(e2.set))
    // One listing of the sets, no block fetched: no change after 26 to verify.
    expect(chain.requests).toBe(1)
    expect(() => LightClient.fromCache({ chainId: CHAIN_ID, sets: [] })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.invalidInput }),
    )
  })

  it("refuses another chain under the same chain id: the node's first set is not the genesis set", async () => {
    const forged = new FakeChain([era(keys(4)), era(keys(4)), era(keys(4))])
    const light = LightClient.fromGenesis(genesisDocument(e0))
    const err = await failure(light.validatorSetAt(forged, HEIGHT))
    expect(err.code).toBe(ClientErrorCode.proofInvalid)
    expect(err.details).toMatchObject({ reason: 'trust', height: 1 })
  })

  it('refuses a change that the previous set did not certify (signed by the new set itself)', async () => {
    const forgedEra = era(keys(4))
    const liar = new FakeChain([e0, forgedEra])
    // Block 10 names the forged set and carries a certificate of the forged set only.
    const b10 = (await liar.block(10)).header
    liar.blocks.set(10, liar.parsed(b10, liar.certify(b10, forgedEra.keys)))
    const err = await failure(LightClient.fromGenesis(genesisDocument(e0)).validatorSetAt(liar, HEIGHT))
    expect(err.details).toMatchObject({ reason: 'trust', height: 10, cause: 'CERT_UNKNOWN_SIGNER' })
  })

  it('refuses a change certified by less than 2/3 of the previous set', async () => {
    const b10 = (await chain.block(10)).header
    chain.blocks.set(10, chain.parsed(b10, chain.certify(b10, e0.keys.slice(0, 2))))
    const err = await failure(LightClient.fromGenesis(genesisDocument(e0)).validatorSetAt(chain, HEIGHT))
    expect(err.details).toMatchObject({ height: 10, cause: 'CERT_NO_QUORUM' })
  })

  it('refuses an offered set other than the one the deciding block names', async () => {
    const listed = chain.setsJson()
    listed[1] = { ...(listed[1] as ValidatorSetJson), validators: chain.setsJson()[2]?.validators ?? [] }
    chain.listed = listed
    const err = await failure(LightClient.fromGenesis(genesisDocument(e0)).validatorSetAt(chain, HEIGHT))
    expect(err.message).toMatch(/not the one block 10 names/)
  })

  it('a hidden change yields the old set, which the header of the height then contradicts', async () => {
    chain.listed = chain.setsJson().slice(0, 2)
    const light = LightClient.fromGenesis(genesisDocument(e0))
    const set = await light.validatorSetAt(chain, HEIGHT)
    const header = (await chain.block(HEIGHT)).header
    expect(validatorSetHash(set)).not.toEqual(header.validatorSetHash)
  })

  it('refuses a change listed out of order, and a height before its root', async () => {
    const listed = chain.setsJson()
    chain.listed = [listed[0], listed[2], listed[1]] as ValidatorSetJson[]
    await failure(LightClient.fromGenesis(genesisDocument(e0)).validatorSetAt(chain, HEIGHT))
    const light = LightClient.fromGenesis(genesisDocument(e0))
    expect((await failure(light.validatorSetAt(chain, 0))).details).toMatchObject({ reason: 'trust' })
  })
})

describe('LightClient from a checkpoint', () => {
  it('trusts from the checkpoint on and follows the change after it', async () => {
    const hash = toHex(blockHash((await chain.block(20)).header))
    const light = await LightClient.fromCheckpoint(chain, { height: 20, blockHash: hash })
    expect(light.chainId).toBe(CHAIN_ID)
    expect(light.trustedFrom).toBe(20)
    expect(validatorSetHash(await light.validatorSetAt(chain, HEIGHT))).toEqual(validatorSetHash(e2.set))
    await failure(light.validatorSetAt(chain, 19))
  })

  it('refuses a node whose block at the checkpoint has another hash', async () => {
    const forged = new FakeChain([era(keys(4))])
    const hash = toHex(blockHash((await chain.block(20)).header))
    const err = await failure(LightClient.fromCheckpoint(forged, { height: 20, blockHash: hash }))
    expect(err.details).toMatchObject({ reason: 'trust', height: 20 })
    await expect(LightClient.fromCheckpoint(chain, { height: 20, blockHash: 'zz' })).rejects.toMatchObject({
      code: ClientErrorCode.invalidInput,
    })
  })
})
