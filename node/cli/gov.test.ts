/**
 * `arcade gov …`, the association commands of `arcade tx` and `arcade query observers|params`,
 * in-process against the real RPC app over a real ledger (rpc/testing.ts).
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import type { TxBody } from '../../protocol/tx-body.ts'
import { alice, CHAIN_ID, CUSTOMER, type Harness, harness } from '../../rpc/testing.ts'
import { ADMIN, ASSOCIATION, account, NODE_KEY } from '../../state/test-kit.ts'
import { keyFileOf } from '../keys.ts'
import type { CliIo } from './command.ts'
import { runCli } from './run.ts'

let dir: string
let h: Harness
let url: string
const node = (key: Bytes) => encodeAddress(key, NODE_KEY_PREFIX)
const REGULATOR = node(account(800))
const assoc = encodeAddress(ASSOCIATION)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arcade-gov-'))
  await writeFile(join(dir, 'alice.json'), JSON.stringify(keyFileOf(alice)))
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
  return { code: await runCli(argv, io), stdout, stderr }
}

async function serve() {
  h = harness()
  url = await h.server.listen('127.0.0.1', 0)
}
const signed = (group: string, ...argv: string[]) =>
  arcade(group, ...argv, '--key', 'alice.json', '--rpc', url)
const bodies = () => h.submitter.received.map((b: Bytes) => decodeAndVerifyTx(b, CHAIN_ID).body)
function run(signer: Bytes, body: TxBody) {
  const r = h.ledger.run(signer, body)
  if (r.error !== null) throw new Error(r.error)
}

describe('arcade gov propose', () => {
  it('one form per action, with the deadline as a height or +BLOCKS after the head', async () => {
    await serve()
    const head = h.chain.blocks.length
    const ok = await signed('gov', 'propose', 'admit-observer', '--node-key', REGULATOR, '--name', 'pref')
    expect(ok).toMatchObject({ code: 0, stderr: '' })
    await signed(
      'gov',
      'propose',
      'grant-role',
      '--account',
      encodeAddress(CUSTOMER),
      '--role',
      'issuer',
      '--deadline',
      '+50',
    )
    await signed(
      'gov',
      'propose',
      'set-params',
      '--set',
      'jailEpochs=3',
      '--set',
      'maxValidators=7',
      '--deadline',
      '900',
    )
    await signed('gov', 'propose', 'retire-association', '--association', assoc)
    await signed('gov', 'propose', 'remove-observer', '--node-key', REGULATOR)
    await signed('gov', 'propose', 'revoke-role', '--account', assoc, '--role', 'admin')
    expect(bodies()).toMatchObject([
      { kind: 'gov.propose', action: { kind: 'observer.admit', name: 'pref' }, deadline: head + 1000 },
      { action: { kind: 'role.grant', account: CUSTOMER, role: 'issuer' }, deadline: head + 50 },
      {
        action: {
          kind: 'params.set',
          changes: [
            { param: 'jailEpochs', value: 3 },
            { param: 'maxValidators', value: 7 },
          ],
        },
        deadline: 900,
      },
      { action: { kind: 'association.retire', association: ASSOCIATION } },
      { action: { kind: 'observer.remove', nodeKey: account(800) } },
      { action: { kind: 'role.revoke', role: 'admin' } },
    ])
  })

  it('register takes the node addresses; update keeps what is not given from the chain', async () => {
    await serve()
    const member = encodeAddress(account(900))
    const key = node(account(901))
    await signed(
      'gov',
      'propose',
      'register-association',
      '--association',
      member,
      '--name',
      'Motomachi',
      '--node-key',
      key,
      '--p2p',
      'n.example.jp:26600',
      '--rpc-url',
      'https://rpc.example.jp',
    )
    await signed(
      'gov',
      'propose',
      'update-association',
      '--association',
      assoc,
      '--p2p',
      '/ip4/10.0.0.2/tcp/26600',
    )
    expect(bodies()).toMatchObject([
      {
        action: {
          kind: 'staking.registerAssociation',
          association: account(900),
          name: 'Motomachi',
          nodeKey: account(901),
          p2p: 'n.example.jp:26600',
          rpc: 'https://rpc.example.jp',
        },
      },
      {
        action: {
          kind: 'association.update',
          name: 'genesis association',
          nodeKey: NODE_KEY,
          p2p: '/ip4/10.0.0.2/tcp/26600',
          rpc: null,
        },
      },
    ])
    const unknown = await signed(
      'gov',
      'propose',
      'update-association',
      '--association',
      member,
      '--name',
      'x',
    )
    expect(unknown.stderr).toMatch(/^error CLIENT_INVALID_INPUT: --association: /)
  })

  it('refuses an unknown action, an option of another action, a bad node key or parameter, sending nothing', async () => {
    await serve()
    const usage = [
      ['propose', 'mint-points'],
      ['propose', 'admit-observer', '--node-key', REGULATOR, '--name', 'x', '--role', 'admin'],
      ['propose', 'set-params', '--set', 'chainId=5'],
      ['propose', 'set-params', '--set', 'jailEpochs=-1'],
      ['propose', 'grant-role', '--account', assoc, '--role', 'owner'],
      ['propose', 'retire-association', '--association', assoc, '--deadline', 'soon'],
    ]
    for (const argv of usage) expect((await signed('gov', ...argv)).code, argv.join(' ')).toBe(2)
    const badKey = await signed(
      'gov',
      'propose',
      'admit-observer',
      '--node-key',
      'arcnode1xyz',
      '--name',
      'x',
    )
    expect(badKey).toMatchObject({ code: 1 })
    expect(badKey.stderr).toMatch(/^error CLIENT_INVALID_INPUT: --node-key/)
    expect(h.submitter.received).toHaveLength(0)
  })
})

describe('arcade gov vote, list, show', () => {
  it('vote takes the id and exactly one of --yes and --no', async () => {
    await serve()
    expect((await signed('gov', 'vote', '3', '--yes')).code).toBe(0)
    expect((await signed('gov', 'vote', '0', '--no')).code).toBe(0)
    for (const argv of [['3'], ['3', '--yes', '--no'], ['x', '--yes'], ['-1', '--no']]) {
      expect((await signed('gov', 'vote', ...argv)).code, argv.join(' ')).toBe(2)
    }
    expect(bodies()).toEqual([
      { kind: 'gov.vote', proposal: 3, yes: true },
      { kind: 'gov.vote', proposal: 0, yes: false },
    ])
  })

  it('list shows one line per proposal and filters by status; show prints one; unknown ids are 404s', async () => {
    await serve()
    const action = { kind: 'observer.admit', nodeKey: account(800), name: 'pref' } as const
    run(ASSOCIATION, { kind: 'gov.propose', action, deadline: h.ledger.height + 40 })
    run(ASSOCIATION, { kind: 'gov.vote', proposal: 0, yes: true })
    run(ASSOCIATION, { kind: 'gov.propose', action: { ...action, name: 'city' }, deadline: 90 })
    const list = await arcade('gov', 'list', '--rpc', url)
    expect(list.stdout).toMatch(/^ {3}1 {2}open {5}observer\.admit +deadline 90 {2}yes 0 of 667 needed/)
    expect(list.stdout).toMatch(/\n {3}0 {2}passed {3}observer\.admit/)
    const open = await arcade('gov', 'list', '--status', 'open', '--json', '--rpc', url)
    expect(JSON.parse(open.stdout).items.map((p: { id: number }) => p.id)).toEqual([1])
    const show = await arcade('gov', 'show', '0', '--rpc', url)
    expect(show.stdout).toMatch(/^id +0\nproposer +arc1/)
    expect(show.stdout).toContain(`nodeKey  ${REGULATOR}`)
    expect(show.stdout).toMatch(/\nstatus +passed\n/)
    const missing = await arcade('gov', 'show', '7', '--rpc', url)
    expect(missing).toMatchObject({ code: 1 })
    expect(missing.stderr).toMatch(/^error RPC_PROPOSAL_NOT_FOUND: /)
    expect((await arcade('gov', 'list', '--status', 'won', '--rpc', url)).code).toBe(2)
  })
})

describe('arcade tx unjail, set-addresses, undelegate; arcade query observers, params', () => {
  it('set-addresses keeps the address not given from the chain; unjail and undelegate build their kinds', async () => {
    await serve()
    const notYet = await signed('tx', 'set-addresses', '--p2p', 'new.example.jp:26600')
    expect(notYet.stderr).toMatch(/^error CLIENT_INVALID_INPUT: --key: arc1\w+ is no association/)
    run(ADMIN, {
      kind: 'staking.registerAssociation',
      association: alice.publicKey,
      name: 'alice street',
      nodeKey: account(902),
      p2p: 'old.example.jp:26600',
      rpc: 'https://old.example.jp',
    })
    expect((await signed('tx', 'set-addresses')).code).toBe(2)
    await signed('tx', 'set-addresses', '--p2p', 'new.example.jp:26600')
    await signed('tx', 'set-addresses', '--rpc-url', '')
    await signed('tx', 'unjail')
    await signed('tx', 'undelegate', '--association', assoc, '--amount', '25')
    expect(bodies()).toEqual([
      { kind: 'association.setAddresses', p2p: 'new.example.jp:26600', rpc: 'https://old.example.jp' },
      { kind: 'association.setAddresses', p2p: 'old.example.jp:26600', rpc: null },
      { kind: 'staking.unjail' },
      { kind: 'staking.undelegate', association: ASSOCIATION, amount: 25 },
    ])
  })

  it('query observers and params read the chain', async () => {
    await serve()
    run(ADMIN, { kind: 'observer.admit', nodeKey: account(800), name: 'prefecture' })
    const observers = await arcade('query', 'observers', '--rpc', url, '--json')
    expect(JSON.parse(observers.stdout)).toEqual([{ nodeKey: REGULATOR, name: 'prefecture' }])
    run(ADMIN, { kind: 'params.set', changes: [{ param: 'jailEpochs', value: 4 }] })
    const params = await arcade('query', 'params', '--rpc', url)
    expect(params.stdout).toMatch(/\ncurrent:\n(.*\n)* {2}jailEpochs +2\n/)
    expect(params.stdout).toMatch(/\npending:\n(.*\n)* {2}jailEpochs +4\n/)
  })
})

it('help lists the governance and association commands, each with its usage', async () => {
  const main = await arcade('help')
  const commands = ['gov propose', 'gov vote', 'gov list', 'gov show', 'tx unjail', 'tx set-addresses']
  for (const cmd of [...commands, 'tx undelegate', 'query observers', 'query params']) {
    expect(main.stdout).toContain(`  ${cmd} `)
    expect((await arcade(...cmd.split(' '), '--help')).stdout).toContain(`usage: arcade ${cmd}`)
  }
  expect(main.stdout).not.toMatch(/gov-actions|tx-spec|tx-staking/)
})
