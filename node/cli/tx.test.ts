/** `arcade wallet|tx|query` in-process against the real RPC app (rpc/testing.ts fakes behind it). */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeAddress } from '../../protocol/address.ts'
import { type Bytes, toHex } from '../../protocol/bytes.ts'
import { generateKeyPair, verify } from '../../protocol/crypto.ts'
import { devicePossessionSignBytes } from '../../protocol/sign-bytes.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import { createValidatorSet } from '../../protocol/validator-set.ts'
import { alice, CHAIN_ID, CUSTOMER, type Harness, harness, MERCHANT, POINT } from '../../rpc/testing.ts'
import { keyFileOf } from '../keys.ts'
import type { CliIo } from './command.ts'
import { runCli } from './run.ts'

let dir: string
let h: Harness
let url: string
const device = generateKeyPair()
const customer = encodeAddress(CUSTOMER)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arcade-tx-'))
  await writeFile(join(dir, 'alice.json'), JSON.stringify(keyFileOf(alice)))
  await writeFile(join(dir, 'device.json'), JSON.stringify(keyFileOf(device)))
  await writeFile(join(dir, 'node.json'), JSON.stringify(keyFileOf(generateKeyPair(), 'node')))
})
afterEach(async () => h?.server.close())

async function arcade(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    out: (t) => {
      stdout += t
    },
    err: (t) => {
      stderr += t
    },
    cwd: dir,
    env: {},
    nowMs: () => 1_767_225_600_000,
    generateKeyPair,
  }
  const code = await runCli(argv, io)
  return { code, stdout, stderr }
}

async function serve() {
  h = harness()
  url = await h.server.listen('127.0.0.1', 0)
}

const received = () => h.submitter.received.map((b: Bytes) => decodeAndVerifyTx(b, CHAIN_ID))
const signed = (...argv: string[]) => arcade('tx', ...argv, '--key', 'alice.json', '--rpc', url)

describe('arcade wallet', () => {
  it('new writes an account key file; show prints its address offline and its account online', async () => {
    const made = await arcade('wallet', 'new', '--out', 'w.json', '--json')
    expect(made.code).toBe(0)
    const { address } = JSON.parse(made.stdout)
    expect((await arcade('wallet', 'show', '--key', 'w.json', '--offline')).stdout).toBe(`${address}\n`)
    await serve()
    const shown = await arcade('wallet', 'show', '--key', 'w.json', '--rpc', url)
    expect(shown.code).toBe(0)
    expect(shown.stdout).toContain(address)
    expect(shown.stdout).toContain('balances\n  (none)')
    expect((await arcade('wallet', 'show', '--key', 'node.json', '--offline')).code).toBe(2)
  })
})

describe('arcade tx', () => {
  it('award signs with the key file, sponsors itself, and prints the hash', async () => {
    await serve()
    const r = await signed('award', '--point', POINT, '--to', customer, '--amount', '10', '--memo', 'coffee')
    expect(r).toMatchObject({ code: 0, stderr: '' })
    const [tx] = received()
    expect(r.stdout).toBe(`submitted ${toHex(tx?.hash as Bytes)} (pending)\n`)
    expect(tx?.body).toMatchObject({ kind: 'merchant.award', point: POINT, amount: 10, memo: 'coffee' })
    expect(toHex(tx?.sponsor as Bytes)).toBe(toHex(alice.publicKey))
    expect(tx?.validUntil).toBe(h.chain.blocks.length + 100)
  })

  it('refuses a mistyped address, a bad amount or a decimal the point does not have, sending nothing', async () => {
    await serve()
    const typo = `${customer.slice(0, -1)}${customer.endsWith('q') ? 'p' : 'q'}`
    const bad = await signed('pay', '--point', POINT, '--to', typo, '--amount', '1')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^error CLIENT_INVALID_INPUT: --to: /)
    for (const amount of ['-5', '1e3', '1.5']) {
      const r = await signed('transfer', '--point', POINT, '--to', customer, `--amount=${amount}`)
      expect(r.stderr).toMatch(/^error CLIENT_INVALID_INPUT: --amount/)
    }
    expect((await signed('award', '--to', customer, '--amount', '1')).code).toBe(2)
    expect(h.submitter.received).toHaveLength(0)
  })

  it('--wait prints the committed receipt; a refusal prints the mempool code', async () => {
    await serve()
    h.submitter.mode = 'commit'
    const r = await signed('transfer', '--point', POINT, '--to', customer, '--amount', '5', '--wait')
    expect(r.stdout).toMatch(/^committed [0-9a-f]{64} at height 77 \(index 1\): ok\n {2}transfer /)
    h.submitter.mode = 'full'
    const full = await signed('transfer', '--point', POINT, '--to', customer, '--amount', '5', '--json')
    expect(full).toMatchObject({ code: 1 })
    expect(full.stderr).toMatch(/^error MEMPOOL_FULL: /)
  })

  it('traffic splits a CSV of 501 events into a batch of two txs, with pseudonyms; typos are refused', async () => {
    await serve()
    const pseudonym = encodeAddress(new Uint8Array(32).fill(3))
    const rows = Array.from({ length: 501 }, (_, i) => `e${i},visit,${i % 2 === 0 ? pseudonym : ''},`)
    await writeFile(join(dir, 'traffic.csv'), `eventId,kind,pseudonym,amount\n${rows.join('\n')}\n`)
    const r = await signed('traffic', '--point', POINT, '--file', 'traffic.csv')
    expect(r).toMatchObject({ code: 0, stderr: '' })
    const txs = received()
    expect(txs.map((t) => (t.body as unknown as { events: unknown[] }).events.length)).toEqual([500, 1])
    await writeFile(join(dir, 'bad.csv'), 'eventId,kind,pseudonym\ne1,visit,arc1nope\n')
    expect((await signed('traffic', '--point', POINT, '--file', 'bad.csv')).stderr).toMatch(
      /CLIENT_INVALID_INPUT: events\[0\]\.pseudonym/,
    )
  })

  it('traffic-rules takes KIND=N lists for confirmed and unconfirmed events and a daily cap', async () => {
    await serve()
    const r = await signed(
      'traffic-rules',
      '--point',
      POINT,
      '--confirmed',
      'visit=5,purchasePerMille=10',
      '--unconfirmed',
      'purchase=1',
      '--daily-cap',
      '50',
    )
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(received().at(-1)?.body).toMatchObject({
      kind: 'traffic.setRules',
      confirmed: { visit: 5, view: 0, click: 0, purchase: 0, purchasePerMille: 10 },
      unconfirmed: { visit: 0, view: 0, click: 0, purchase: 1, purchasePerMille: 0 },
      dailyCapPerCustomer: 50,
    })
    const bad = await signed('traffic-rules', '--point', POINT, '--confirmed', 'walk=5', '--daily-cap', '5')
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/--confirmed: "walk=5" is not KIND=POINTS/)
    expect((await signed('traffic-rules', '--point', POINT)).stderr).toMatch(/--daily-cap is required/)
  })

  it('bind-device carries the device key’s proof; grant to everyone takes a duration', async () => {
    await serve()
    const bind = await signed(
      'bind-device',
      '--point',
      POINT,
      '--device-key',
      'device.json',
      '--max-per-tx',
      '5',
      '--max-per-period',
      '50',
      '--period',
      '1d',
      '--merchant',
      encodeAddress(MERCHANT),
    )
    expect(bind.stderr).toBe('')
    const grant = await signed(
      'grant',
      '--point',
      POINT,
      '--everyone',
      '--txs',
      '100',
      '--period',
      '24h',
      '--kind',
      'merchant.pay',
    )
    expect(grant.code).toBe(0)
    const [b, g] = received()
    const body = b?.body as unknown as { possessionProof: Bytes; periodMs: number; merchants: Bytes[] }
    expect(
      verify(
        body.possessionProof,
        devicePossessionSignBytes(CHAIN_ID, alice.publicKey, device.publicKey),
        device.publicKey,
      ),
    ).toBe(true)
    expect(body.periodMs).toBe(86_400_000)
    expect(g?.body).toMatchObject({
      kind: 'sponsor.grant',
      grantee: null,
      txsPerPeriod: 100,
      periodMs: 86_400_000,
      kinds: ['merchant.pay'],
    })
    expect((await signed('grant', '--point', POINT, '--txs', '1', '--period', '1d')).code).toBe(2)
  })
})

describe('arcade tx send', () => {
  it('sends any kind from JSON fields, checking them first', async () => {
    await serve()
    const fields = JSON.stringify({ point: POINT, merchant: encodeAddress(MERCHANT) })
    expect((await signed('send', '--kind', 'merchant.suspend', '--fields', fields)).code).toBe(0)
    await writeFile(join(dir, 'undelegate.json'), JSON.stringify({ association: customer, amount: 3 }))
    expect((await signed('send', '--kind', 'staking.undelegate', '--fields', '@undelegate.json')).code).toBe(
      0,
    )
    expect(received().map((t) => t.body.kind)).toEqual(['merchant.suspend', 'staking.undelegate'])
    expect((await signed('send', '--kind', 'merchant.mint', '--fields', fields)).code).toBe(2)
    const bad = await signed(
      'send',
      '--kind',
      'merchant.suspend',
      '--fields',
      '{"point":"SHOP","merchant":"x"}',
    )
    expect(bad.stderr).toMatch(/^error CLIENT_INVALID_INPUT: merchant/)
    expect(h.submitter.received).toHaveLength(2)
  })
})

describe('arcade query', () => {
  it('reads accounts, merchants, blocks and proofs as text or JSON, and reports RPC codes', async () => {
    await serve()
    const acct = await arcade('query', 'account', customer, '--rpc', url, '--json')
    expect(JSON.parse(acct.stdout).balances).toEqual([{ point: POINT, amount: 120 }])
    const merchant = await arcade('query', 'merchant', POINT, encodeAddress(MERCHANT), '--rpc', url)
    expect(merchant.stdout).toMatch(/^point +SHOP\n/)
    expect(merchant.stdout).toMatch(/\nterminals:\n {2}- arc1/)
    expect((await arcade('query', 'block', '--rpc', url)).code).toBe(0)
    const proof = await arcade('query', 'proof', `balance:${POINT}:${customer}`, '--rpc', url, '--json')
    expect(JSON.parse(proof.stdout).stateRoot).toBe(toHex(h.ledger.state.map.root))
    const missing = await arcade('query', 'merchant', POINT, customer, '--rpc', url)
    expect(missing).toMatchObject({ code: 1 })
    expect(missing.stderr).toMatch(/^error RPC_MERCHANT_NOT_FOUND: /)
    expect((await arcade('query', 'block', 'x', '--rpc', url)).code).toBe(2)
  })

  it("proof --verify needs a trust root, never takes the node's set, and names the broken link", async () => {
    await serve()
    const ref = `balance:${POINT}:${customer}`
    const verify = (...extra: string[]) => arcade('query', 'proof', ref, '--verify', '--rpc', url, ...extra)
    const none = await verify()
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/needs a trust root: --genesis FILE or --checkpoint HEIGHT:HASH/)
    expect((await verify('--checkpoint', '3:nothex')).code).toBe(2)
    expect((await verify('--genesis', 'missing.json')).stderr).toMatch(/no such file/)
    expect((await verify('--genesis', 'alice.json', '--checkpoint', '1:00')).code).toBe(2)
    // The fake node's block 2 is the checkpoint, but no real set hashes to the one its header names.
    const hash = toHex(h.chain.blocks[1]?.hash as Bytes)
    const set = createValidatorSet([{ publicKey: generateKeyPair().publicKey, power: 1 }])
    h.chain.validatorSets = () => Promise.resolve([{ fromHeight: 1, set }])
    const refused = await verify('--checkpoint', `2:${hash}`)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /^error CLIENT_PROOF_INVALID: the node's validator set at 2 is not the one the checkpoint names/,
    )
  })
})
