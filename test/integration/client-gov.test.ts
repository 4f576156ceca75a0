/**
 * The SDK's governance reads and txs against the real Fastify app over loopback HTTP, with a real
 * ledger behind the reads (rpc/testing.ts) driven through proposals, votes and parameter changes.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  ArcadeClient,
  ArcadeClientError,
  DEFAULT_VOTING_BLOCKS,
  governed,
  walletFromKeys,
} from '../../client/index.ts'
import { encodeAddress, NODE_KEY_PREFIX } from '../../protocol/address.ts'
import type { Bytes } from '../../protocol/bytes.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import type { TxBody } from '../../protocol/tx-body.ts'
import { alice, CHAIN_ID, type Harness, harness } from '../../rpc/testing.ts'
import { ADMIN, ASSOCIATION, account } from '../../state/test-kit.ts'

let h: Harness
afterEach(async () => h?.server.close())

async function start() {
  h = harness()
  return new ArcadeClient({ url: await h.server.listen('127.0.0.1', 0) })
}

function run(signer: Bytes, body: TxBody) {
  const r = h.ledger.run(signer, body)
  if (r.error !== null) throw new Error(r.error)
}

const REGULATOR = account(800)
const signer = walletFromKeys(alice)

describe('governance through the SDK', () => {
  it('reads proposals, one proposal with its parsed action, observers and params', async () => {
    const client = await start()
    const action = { kind: 'observer.admit', nodeKey: REGULATOR, name: 'prefecture' } as const
    run(ASSOCIATION, { kind: 'gov.propose', action, deadline: h.ledger.height + 30 })
    run(ASSOCIATION, {
      kind: 'gov.propose',
      action: { ...action, name: 'city' },
      deadline: h.ledger.height + 30,
    })
    run(ASSOCIATION, { kind: 'gov.vote', proposal: 0, yes: true })
    const open = await client.proposals({ status: 'open' })
    expect(open.items.map((p) => [p.id, p.status])).toEqual([[1, 'open']])
    const page = await client.proposals({ limit: 1 })
    expect([page.items.map((p) => p.id), page.nextOffset]).toEqual([[1], 1])
    const passed = await client.proposal(0)
    expect(passed).toMatchObject({
      status: 'passed',
      proposer: encodeAddress(ASSOCIATION),
      tally: { yes: 1000, total: 1000, needed: 667 },
      action: { kind: 'observer.admit', nodeKey: encodeAddress(REGULATOR, NODE_KEY_PREFIX) },
      body: { kind: 'observer.admit', nodeKey: REGULATOR, name: 'prefecture' },
    })
    expect(await client.observers()).toEqual([
      { nodeKey: encodeAddress(REGULATOR, NODE_KEY_PREFIX), name: 'prefecture' },
    ])
    const missing = await client.proposal(9).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(ArcadeClientError)
    expect([(missing as ArcadeClientError).code, (missing as ArcadeClientError).status]).toEqual([
      'RPC_PROPOSAL_NOT_FOUND',
      404,
    ])
    expect(await client.proposal(-1).catch((e: ArcadeClientError) => e.code)).toBe('CLIENT_INVALID_INPUT')

    run(ADMIN, { kind: 'params.set', changes: [{ param: 'maxValidators', value: 7 }] })
    const params = await client.params()
    expect(params).toMatchObject({ current: { maxValidators: 21 }, pending: { maxValidators: 7 } })
    expect(params.pendingFromHeight).toBeGreaterThan(params.height)
  })

  it('associations carry their on-chain addresses', async () => {
    const client = await start()
    run(ASSOCIATION, { kind: 'association.setAddresses', p2p: '/ip4/10.0.0.5/tcp/26600', rpc: null })
    const [a] = await client.associations()
    expect(a).toMatchObject({ p2p: '/ip4/10.0.0.5/tcp/26600', rpc: null, retired: false, jailed: false })
  })

  it('govPropose takes its deadline from the head and the voting period; votes, unjail and addresses are signed', async () => {
    const client = await start()
    await client.govPropose({ action: governed.retireAssociation({ association: ASSOCIATION }) }, { signer })
    await client.govPropose(
      { action: governed.setParams({ jailEpochs: 4 }), deadline: 77 },
      { signer, sponsor: encodeAddress(ADMIN) },
    )
    await client.govVote({ proposal: 0, yes: true }, { signer })
    await client.unjail({ signer })
    await client.setAddresses({ p2p: 'node.example.jp:26600', rpc: 'https://rpc.example.jp' }, { signer })
    await client.undelegate({ association: ASSOCIATION, amount: 5 }, { signer })
    const txs = h.submitter.received.map((b) => decodeAndVerifyTx(b, CHAIN_ID))
    const head = (await client.status()).height
    expect(txs.map((t) => t.body)).toMatchObject([
      { kind: 'gov.propose', action: { kind: 'association.retire' }, deadline: head + DEFAULT_VOTING_BLOCKS },
      {
        kind: 'gov.propose',
        action: { kind: 'params.set', changes: [{ param: 'jailEpochs', value: 4 }] },
        deadline: 77,
      },
      { kind: 'gov.vote', proposal: 0, yes: true },
      { kind: 'staking.unjail' },
      { kind: 'association.setAddresses', p2p: 'node.example.jp:26600', rpc: 'https://rpc.example.jp' },
      { kind: 'staking.undelegate', amount: 5 },
    ])
  })
})
