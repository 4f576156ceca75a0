import { afterEach, describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { fromHex, toHex } from '../protocol/bytes.ts'
import { verifyStateProof } from '../protocol/state-proof.ts'
import { createValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { ASSOCIATION, NODE_KEY } from '../state/test-kit.ts'
import { CUSTOMER, deviceKey, type Harness, harness, ISSUER, MERCHANT, POINT, TERMINAL } from './testing.ts'

const addr = (key: Uint8Array) => encodeAddress(key)
const CUST = addr(CUSTOMER)
/** An address with one character changed: the checksum must catch it. */
const TYPO = CUST.slice(0, -1) + (CUST.endsWith('q') ? 'p' : 'q')

let h: Harness
afterEach(async () => h?.server.close())

async function get(url: string) {
  const res = await h.server.app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json() }
}

describe('accounts', () => {
  it('returns roles, balances per point and grants, as bech32m and JSON numbers', async () => {
    h = harness()
    const { status, body } = await get(`/v1/accounts/${CUST}`)
    expect(status).toBe(200)
    expect(body).toMatchObject({
      address: CUST,
      roles: [],
      balances: [{ point: POINT, amount: 120 }],
      grants: [],
    })
    expect(body.height).toBe(h.ledger.height)
    expect((await get(`/v1/accounts/${addr(ISSUER)}`)).body.roles).toEqual(['issuer'])
  })

  it('takes the points from ?points= when given, and answers 501 without a point index', async () => {
    h = harness({}, { pointIds: undefined })
    expect(await get(`/v1/accounts/${CUST}`)).toMatchObject({
      status: 501,
      body: { code: 'RPC_NOT_SUPPORTED' },
    })
    expect((await get(`/v1/accounts/${CUST}?points=${POINT},OTHER`)).body.balances).toEqual([
      { point: POINT, amount: 120 },
    ])
    expect(await get(`/v1/accounts/${CUST}?points=bad`)).toMatchObject({
      status: 400,
      body: { code: 'RPC_BAD_REQUEST' },
    })
  })

  it('rejects a mistyped address with the protocol code', async () => {
    h = harness()
    expect(await get(`/v1/accounts/${TYPO}`)).toMatchObject({
      status: 400,
      body: { code: 'PROTOCOL_BAD_ADDRESS' },
    })
    expect(await get('/v1/accounts/zzz')).toMatchObject({
      status: 400,
      body: { code: 'PROTOCOL_BAD_ADDRESS' },
    })
  })

  it('pages history newest first with a cursor', async () => {
    h = harness()
    const first = await get(`/v1/accounts/${CUST}/history?limit=10`)
    expect(first.status).toBe(200)
    expect(first.body.items.map((e: { height: number }) => e.height)).toEqual([
      30, 29, 28, 27, 26, 25, 24, 23, 22, 21,
    ])
    expect(first.body.next).toBe('21:0')
    const second = await get(`/v1/accounts/${CUST}/history?limit=10&before=${first.body.next}`)
    expect(second.body.items[0].height).toBe(20)
    const all = await get(`/v1/accounts/${CUST}/history?limit=100`)
    expect(all.body.items).toHaveLength(30)
    expect(all.body.next).toBeNull()
    expect((await get(`/v1/accounts/${CUST}/history?limit=1000`)).status).toBe(400)
    expect(await get(`/v1/accounts/${CUST}/history?before=x`)).toMatchObject({
      status: 400,
      body: { code: 'RPC_BAD_REQUEST' },
    })
  })

  it('lists the devices an owner bound', async () => {
    h = harness()
    const { body } = await get(`/v1/accounts/${CUST}/devices`)
    expect(body.items).toEqual([
      expect.objectContaining({ device: addr(deviceKey.publicKey), owner: CUST, maxPerPeriod: 50, spent: 0 }),
    ])
  })
})

describe('points, merchants, traffic, grants, devices', () => {
  it('lists and gets points', async () => {
    h = harness()
    const list = await get('/v1/points')
    expect(list.status).toBe(200)
    expect(list.body.items[0]).toMatchObject({
      id: POINT,
      manager: addr(ISSUER),
      totalSupply: 120,
      merchantCount: 1,
    })
    const one = await get(`/v1/points/${POINT}`)
    expect(one.body).toMatchObject({ id: POINT, totalLiability: 120, trafficRules: null })
    expect(await get('/v1/points/NOPE')).toMatchObject({ status: 404, body: { code: 'RPC_POINT_NOT_FOUND' } })
    expect(await get('/v1/points/lower')).toMatchObject({ status: 400, body: { code: 'RPC_BAD_REQUEST' } })
  })

  it('lists merchants and gets one, with addresses in bech32m', async () => {
    h = harness()
    const list = await get(`/v1/points/${POINT}/merchants`)
    expect(list.body.items).toEqual([
      expect.objectContaining({
        address: addr(MERCHANT),
        liability: 120,
        creditLimit: 500,
        terminals: [addr(TERMINAL)],
      }),
    ])
    expect(list.body.nextOffset).toBeNull()
    expect((await get(`/v1/points/${POINT}/merchants?limit=1`)).body.nextOffset).toBe(1)
    expect(await get(`/v1/points/${POINT}/merchants/${addr(MERCHANT)}`)).toMatchObject({
      status: 200,
      body: { status: 'active', float: 0 },
    })
    expect(await get(`/v1/points/${POINT}/merchants/${CUST}`)).toMatchObject({
      status: 404,
      body: { code: 'RPC_MERCHANT_NOT_FOUND' },
    })
    expect(await get('/v1/points/NOPE/merchants')).toMatchObject({
      status: 404,
      body: { code: 'RPC_POINT_NOT_FOUND' },
    })
  })

  it('returns traffic aggregates within a bounded day range, pseudonym totals and the figures of a day', async () => {
    h = harness()
    const ok = await get(`/v1/points/${POINT}/merchants/${addr(MERCHANT)}/traffic?fromDay=100&toDay=107`)
    expect(ok).toMatchObject({ status: 200, body: { items: [] } })
    expect(
      (await get(`/v1/points/${POINT}/merchants/${addr(MERCHANT)}/traffic?fromDay=1&toDay=1000`)).status,
    ).toBe(400)
    expect((await get(`/v1/points/${POINT}/merchants/${addr(MERCHANT)}/traffic`)).status).toBe(400)
    const pseudonym = await get(`/v1/points/${POINT}/pseudonyms/${CUST}/traffic`)
    expect(pseudonym).toMatchObject({
      status: 200,
      body: { point: POINT, pseudonym: CUST, events: 0, confirmed: 0, amount: 0, points: 0, unclaimed: 0 },
    })
    expect((await get(`/v1/points/${POINT}/pseudonyms/abc/traffic`)).status).toBe(400)
    expect((await get(`/v1/points/NOPE/pseudonyms/${CUST}/traffic`)).body.code).toBe('RPC_POINT_NOT_FOUND')
    expect(await get(`/v1/points/${POINT}/traffic/days/100`)).toMatchObject({
      status: 200,
      body: { items: [], nextOffset: null },
    })
  })

  it('lists grants of a point', async () => {
    h = harness()
    expect((await get(`/v1/points/${POINT}/grants`)).body.items[0]).toMatchObject({
      grantee: null,
      revoked: false,
    })
  })

  it('gets a device or 404s', async () => {
    h = harness()
    expect(await get(`/v1/devices/${addr(deviceKey.publicKey)}`)).toMatchObject({
      status: 200,
      body: { owner: CUST, point: POINT, maxPerTx: 10 },
    })
    expect(await get(`/v1/devices/${CUST}`)).toMatchObject({
      status: 404,
      body: { code: 'RPC_DEVICE_NOT_FOUND' },
    })
  })
})

describe('stakes, validators, evidence, proofs', () => {
  it('gets stakes and associations, with zero stake for a non-member', async () => {
    h = harness()
    const { body } = await get(`/v1/stakes/${addr(ASSOCIATION)}`)
    expect(body.member).toBe(addr(ASSOCIATION))
    expect(body.delegations).toEqual([{ association: addr(ASSOCIATION), amount: 1000 }])
    expect((await get(`/v1/stakes/${CUST}`)).body).toMatchObject({ free: 0, delegations: [] })
    const assoc = await get('/v1/associations')
    expect(assoc.body.items[0]).toMatchObject({
      nodeKey: encodeAddress(NODE_KEY, NODE_KEY_PREFIX),
      jailed: false,
    })
  })

  it('lists validators with node keys and total power; evidence is 501 without an index', async () => {
    h = harness()
    const v = await get('/v1/validators')
    expect(v.body.items).toEqual([
      {
        nodeKey: encodeAddress(NODE_KEY, NODE_KEY_PREFIX),
        power: 1000,
        association: addr(ASSOCIATION),
        jailed: false,
      },
    ])
    expect(v.body.totalPower).toBe(1000)
    // The next election, projected from the state now: the same association with the same stake.
    expect(v.body.nextEpoch).toEqual({
      fromHeight: expect.any(Number),
      totalPower: 1000,
      items: v.body.items,
    })
    expect(v.body.nextEpoch.fromHeight).toBeGreaterThan(v.body.height)
    expect(await get('/v1/evidence')).toMatchObject({ status: 501, body: { code: 'RPC_NOT_SUPPORTED' } })
  })

  it('lists the validator sets from a height on, oldest first, each with its hash; 501 without a history', async () => {
    h = harness()
    expect(await get('/v1/validator-sets')).toMatchObject({
      status: 501,
      body: { code: 'RPC_NOT_SUPPORTED' },
    })
    const genesis = createValidatorSet([{ publicKey: NODE_KEY, power: 1000 }])
    const later = createValidatorSet([
      { publicKey: NODE_KEY, power: 1000 },
      { publicKey: ISSUER, power: 500 },
    ])
    const asked: unknown[] = []
    h.chain.validatorSets = (page) => {
      asked.push(page)
      return [
        { fromHeight: 1, set: genesis },
        { fromHeight: 11, set: later },
      ]
    }
    const { status, body } = await get('/v1/validator-sets?fromHeight=5&limit=2')
    expect(status).toBe(200)
    expect(asked).toEqual([{ fromHeight: 5, limit: 2 }])
    expect(body.items).toEqual([
      {
        fromHeight: 1,
        setHash: toHex(validatorSetHash(genesis)),
        totalPower: 1000,
        validators: [{ nodeKey: encodeAddress(NODE_KEY, NODE_KEY_PREFIX), power: 1000 }],
      },
      {
        fromHeight: 11,
        setHash: toHex(validatorSetHash(later)),
        totalPower: 1500,
        validators: later.validators.map((v) => ({
          nodeKey: encodeAddress(v.publicKey, NODE_KEY_PREFIX),
          power: v.power,
        })),
      },
    ])
    expect((await get('/v1/validator-sets?fromHeight=0')).status).toBe(400)
    expect((await get('/v1/validator-sets?limit=101')).status).toBe(400)
  })

  it('serves a balance proof that verifies against the state root its certificate signs', async () => {
    h = harness()
    const { status, body } = await get(`/v1/proofs/balance:${POINT}:${CUST}`)
    expect(status).toBe(200)
    expect(body.value).not.toBeNull()
    expect(body.stateRoot).toBe(toHex(h.ledger.state.map.root))
    const proof = {
      siblings: body.proof.siblings.map(fromHex),
      leaf:
        body.proof.leaf === null
          ? null
          : { path: fromHex(body.proof.leaf.path), valueHash: fromHex(body.proof.leaf.valueHash) },
    }
    expect(verifyStateProof(fromHex(body.stateRoot), fromHex(body.key), fromHex(body.value), proof)).toBe(
      true,
    )
    expect(verifyStateProof(fromHex(body.stateRoot), fromHex(body.key), Uint8Array.of(1), proof)).toBe(false)
    // The head's certificate is not known yet: the block hash is, and the certificate is null.
    expect(body.blockHash).toBe(toHex(h.chain.blocks.at(-1)?.hash as Uint8Array))
    expect(body.certificate).toBeNull()
  })

  it('serves an absence proof, proofs by hex key, and refuses bad refs', async () => {
    h = harness()
    const absent = await get(`/v1/proofs/balance:${POINT}:${addr(MERCHANT)}`)
    expect(absent).toMatchObject({ status: 200, body: { value: null } })
    const byKey = await get(`/v1/proofs/${absent.body.key}`)
    expect(byKey.body.key).toBe(absent.body.key)
    expect((await get('/v1/proofs/validators')).body.value).not.toBeNull()
    expect(await get('/v1/proofs/xyz')).toMatchObject({ status: 400, body: { code: 'RPC_BAD_ENCODING' } })
    expect(await get(`/v1/proofs/balance:${POINT}`)).toMatchObject({
      status: 400,
      body: { code: 'RPC_BAD_REQUEST' },
    })
    expect(await get(`/v1/proofs/merchant:${POINT}:${TYPO}`)).toMatchObject({
      status: 400,
      body: { code: 'PROTOCOL_BAD_ADDRESS' },
    })
  })
})
