/**
 * `arcade tx purse-*` and `arcade purse …` in-process against the real RPC app (rpc/testing.ts), the
 * whole offline round: open, sign vouchers offline from the purse key file, cache the purse's
 * certified proof, check vouchers offline with a log, settle, report a clone, reclaim.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { generateKeyPair, type KeyPair, sign, verify } from '../../protocol/crypto.ts'
import { pursePossessionSignBytes } from '../../protocol/sign-bytes.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import {
  alice,
  CHAIN_ID,
  CUSTOMER,
  certifyHead,
  type Harness,
  harness,
  MERCHANT,
  POINT,
  TERMINAL,
} from '../../rpc/testing.ts'
import { createLedgerQuery } from '../../state/query.ts'
import { keyFileOf } from '../keys.ts'
import type { CliIo } from './command.ts'
import { runCli } from './run.ts'

let dir: string
let h: Harness
let url: string
const purse: KeyPair = generateKeyPair()
const validators = Array.from({ length: 4 }, generateKeyPair)
const NOW = 1_767_225_600_000
const addr = (b: Bytes) => encodeAddress(b)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arcade-purse-'))
  await writeFile(join(dir, 'alice.json'), JSON.stringify(keyFileOf(alice)))
  await writeFile(join(dir, 'purse.json'), JSON.stringify(keyFileOf(purse)))
  await writeFile(
    join(dir, 'trust.json'),
    JSON.stringify({
      chainId: CHAIN_ID,
      sets: [
        {
          fromHeight: 1,
          validators: validators.map((k) => ({
            nodeKey: encodeAddress(k.publicKey, NODE_KEY_PREFIX),
            power: 1,
          })),
        },
      ],
    }),
  )
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
    nowMs: () => NOW,
    generateKeyPair,
  }
  const code = await runCli(argv, io)
  return { code, stdout, stderr }
}

/** A ledger where CUSTOMER opened `purse` (100), its head certified; a server over it. */
async function serve() {
  h = harness()
  const r = h.ledger.run(CUSTOMER, {
    kind: 'purse.open',
    point: POINT,
    purse: purse.publicKey,
    amount: 100,
    expiresAtMs: NOW + 86_400_000,
    possessionProof: sign(pursePossessionSignBytes(CHAIN_ID, CUSTOMER, purse.publicKey), purse.secretKey),
  })
  if (r.status !== 'ok') throw new Error(String(r.error))
  certifyHead(h, validators)
  url = await h.server.listen('127.0.0.1', 0)
}

const received = () => h.submitter.received.map((b: Bytes) => decodeAndVerifyTx(b, CHAIN_ID))
const voucherArgs = (file: string, amount: number, to = TERMINAL) => [
  'purse',
  'voucher',
  '--purse-key',
  'purse.json',
  '--point',
  POINT,
  '--to',
  addr(to),
  '--amount',
  String(amount),
  '--chain-id',
  CHAIN_ID,
  '--out',
  file,
]

describe('arcade tx purse-open', () => {
  it('signs the purse key’s possession proof and an expiry from now', async () => {
    await serve()
    const other = generateKeyPair()
    await writeFile(join(dir, 'other.json'), JSON.stringify(keyFileOf(other)))
    const r = await arcade(
      'tx',
      'purse-open',
      '--point',
      POINT,
      '--purse-key',
      'other.json',
      '--amount',
      '40',
      '--expires',
      '7d',
      '--key',
      'alice.json',
      '--rpc',
      url,
    )
    expect(r).toMatchObject({ code: 0, stderr: '' })
    const body = received().at(-1)?.body
    if (body?.kind !== 'purse.open') throw new Error('no purse.open')
    expect(body).toMatchObject({ point: POINT, amount: 40, expiresAtMs: NOW + 7 * 86_400_000 })
    expect(
      verify(
        body.possessionProof,
        pursePossessionSignBytes(CHAIN_ID, alice.publicKey, other.publicKey),
        other.publicKey,
      ),
    ).toBe(true)
    const iso = await arcade(
      'tx',
      'purse-open',
      '--point',
      POINT,
      '--purse-key',
      'other.json',
      '--amount',
      '40',
      '--expires',
      '2026-01-08T00:00:00Z',
      '--key',
      'alice.json',
      '--rpc',
      url,
    )
    expect(iso.code).toBe(0)
    expect(received().at(-1)?.body).toMatchObject({ expiresAtMs: Date.parse('2026-01-08T00:00:00Z') })
    const bad = await arcade(
      'tx',
      'purse-open',
      '--point',
      POINT,
      '--purse-key',
      'other.json',
      '--amount',
      '1',
      '--expires',
      'soon',
      '--key',
      'alice.json',
      '--rpc',
      url,
    )
    expect(bad.code).toBe(2)
  })
})

describe('the offline round', () => {
  it('vouchers signed offline, checked offline against a cached proof, then settled', async () => {
    await serve()
    // The phone, offline: two vouchers, its state file moving the counter and running total on.
    const first = await arcade(...voucherArgs('v1.json', 30), '--state', 'state.json')
    expect(first.code).toBe(0)
    expect(await arcade(...voucherArgs('v2.json', 50), '--state', 'state.json')).toMatchObject({ code: 0 })
    const v2 = JSON.parse(await readFile(join(dir, 'v2.json'), 'utf8'))
    expect(v2).toMatchObject({ purse: addr(purse.publicKey), counter: 2, amount: 50, cumulative: 80 })
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'))).toEqual({
      purse: addr(purse.publicKey),
      counter: 2,
      cumulative: 80,
    })
    // Beyond what the owner says is locked: refused before anything is signed.
    const over = await arcade(...voucherArgs('v3.json', 30), '--state', 'state.json', '--locked', '100')
    expect(over.code).toBe(1)
    expect(over.stderr).toContain('CLIENT_INVALID_INPUT')
    // The terminal, online: the purse's certified proof, verified against its trust cache.
    const cached = await arcade(
      'purse',
      'cache',
      '--purse',
      addr(purse.publicKey),
      '--out',
      'cache.json',
      '--trust-cache',
      'trust.json',
      '--rpc',
      url,
    )
    expect(cached).toMatchObject({ code: 0, stderr: '' })
    expect(cached.stdout).toContain(`at height ${h.ledger.height}`)
    // Offline again: each voucher checked, the log moving on; a replay is refused with its reason.
    const check = (file: string, ...more: string[]) =>
      arcade(
        'purse',
        'verify',
        '--voucher',
        file,
        '--cache',
        'cache.json',
        '--payee',
        addr(TERMINAL),
        '--payee',
        addr(MERCHANT),
        '--trust-cache',
        'trust.json',
        '--log',
        'log.json',
        ...more,
      )
    const ok1 = await check('v1.json')
    expect(ok1).toMatchObject({ code: 0, stderr: '' })
    expect(ok1.stdout).toContain('accepted voucher 1')
    const again = await check('v1.json')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('CLIENT_VOUCHER_REJECTED: replay')
    expect((await check('v2.json', '--json')).stdout).toContain('"accepted": true')
    expect(JSON.parse(await readFile(join(dir, 'log.json'), 'utf8'))).toEqual({
      [addr(purse.publicKey)]: { counter: 2, cumulative: 80 },
    })
    // Someone else's voucher, or no trust root: refused.
    await arcade(...voucherArgs('elsewhere.json', 5, MERCHANT), '--counter', '3', '--cumulative', '85')
    const payee = await arcade(
      'purse',
      'verify',
      '--voucher',
      'elsewhere.json',
      '--cache',
      'cache.json',
      '--payee',
      addr(TERMINAL),
      '--trust-cache',
      'trust.json',
    )
    expect(payee.stderr).toContain('payee')
    expect(
      (
        await arcade(
          'purse',
          'verify',
          '--voucher',
          'v1.json',
          '--cache',
          'cache.json',
          '--payee',
          addr(TERMINAL),
        )
      ).code,
    ).toBe(2)
    // Online: show the purse, and settle both in one tx.
    const shown = await arcade('purse', 'show', addr(purse.publicKey), '--rpc', url, '--json')
    expect(JSON.parse(shown.stdout)).toMatchObject({ locked: 100, status: 'open' })
    const settle = await arcade(
      'tx',
      'purse-settle',
      '--point',
      POINT,
      '--vouchers',
      'v1.json',
      '--vouchers',
      'v2.json',
      '--key',
      'alice.json',
      '--rpc',
      url,
    )
    expect(settle.code).toBe(0)
    const body = received().at(-1)?.body
    if (body?.kind !== 'purse.settle') throw new Error('no purse.settle')
    expect(body.vouchers.map((v) => v.counter)).toEqual([1, 2])
    expect(h.ledger.run(TERMINAL, body).error).toBeNull()
  })

  it('reports a cloned key with two vouchers of one counter, and reclaims a purse', async () => {
    await serve()
    await arcade(...voucherArgs('a.json', 10), '--counter', '1', '--cumulative', '10')
    await arcade(...voucherArgs('b.json', 20), '--counter', '1', '--cumulative', '20')
    const r = await arcade(
      'tx',
      'purse-evidence',
      '--point',
      POINT,
      '--first',
      'a.json',
      '--second',
      'b.json',
      '--key',
      'alice.json',
      '--rpc',
      url,
    )
    expect(r.code).toBe(0)
    const body = received().at(-1)?.body
    if (body?.kind !== 'purse.evidence') throw new Error('no purse.evidence')
    expect(h.ledger.run(alice.publicKey, body).error).toBeNull()
    expect(createLedgerQuery(h.ledger.state).purse(purse.publicKey)?.status).toBe('frozen')
    const reclaim = await arcade(
      'tx',
      'purse-reclaim',
      '--point',
      POINT,
      '--purse',
      addr(purse.publicKey),
      '--key',
      'alice.json',
      '--rpc',
      url,
    )
    expect(reclaim.code).toBe(0)
    expect(received().at(-1)?.body).toMatchObject({ kind: 'purse.reclaim', point: POINT })
    const missing = await arcade(
      'tx',
      'purse-settle',
      '--point',
      POINT,
      '--vouchers',
      'nope.json',
      '--key',
      'alice.json',
      '--rpc',
      url,
    )
    expect(missing.stderr).toContain('CLIENT_INVALID_INPUT')
  })
})
