/**
 * The SDK against the real Fastify app (rpc/createRpcServer) over loopback HTTP, with rpc/testing.ts's
 * fakes for the chain, mempool and events and a real ledger behind the reads.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  ArcadeClient,
  ArcadeClientError,
  ClientErrorCode,
  operations,
  proofRef,
  type StreamEvent,
  walletFromKeys,
} from '../../client/index.ts'
import { encodeAddress } from '../../protocol/address.ts'
import { type Block, blockHash, ZERO_HASH } from '../../protocol/block.ts'
import { type Bytes, toHex } from '../../protocol/bytes.ts'
import { generateKeyPair } from '../../protocol/crypto.ts'
import { decodeAndVerifyTx } from '../../protocol/tx.ts'
import { createValidatorSet, validatorSetHash } from '../../protocol/validator-set.ts'
import { type CommitCertificate, certificateFromVotes, signVote } from '../../protocol/vote.ts'
import {
  alice,
  CHAIN_ID,
  CUSTOMER,
  deviceKey,
  type Harness,
  harness,
  MERCHANT,
  POINT,
  receiptFor,
  TERMINAL,
} from '../../rpc/testing.ts'

let h: Harness
afterEach(async () => h?.server.close())

async function start(options: ConstructorParameters<typeof ArcadeClient>[0] = {}, deps = {}) {
  h = harness()
  const url = await h.server.listen('127.0.0.1', 0)
  return new ArcadeClient({ url, pollIntervalMs: 10, ...options }, deps)
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; status: number | null }> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(ArcadeClientError)
    return { code: (err as ArcadeClientError).code, status: (err as ArcadeClientError).status }
  }
  throw new Error('expected an error')
}

const signer = walletFromKeys(alice)
const customer = encodeAddress(CUSTOMER)

describe('submitting txs', () => {
  it('builds with the chain id and expiry from status, submits msgpack, and the mempool gets those bytes', async () => {
    const client = await start({ validityBlocks: 40 })
    const tx = await client.buildTx('point.transfer', { point: POINT, to: customer, amount: 5 }, { signer })
    expect(tx.chainId).toBe(CHAIN_ID)
    expect(tx.validUntil).toBe(h.chain.blocks.length + 40)
    const result = await client.submit(tx)
    expect(result).toMatchObject({ hash: toHex(tx.hash), accepted: true, status: 'pending' })
    const received = h.submitter.received[0] as Bytes
    expect(toHex(decodeAndVerifyTx(received, CHAIN_ID).hash)).toBe(toHex(tx.hash))
  })

  it("turns a refusal into an ArcadeClientError with the RPC's code and HTTP status", async () => {
    const client = await start()
    h.submitter.mode = 'full'
    expect(await codeOf(client.transfer({ point: POINT, to: customer, amount: 1 }, { signer }))).toEqual({
      code: 'MEMPOOL_FULL',
      status: 503,
    })
    const wrongChain = new ArcadeClient({ url: client.url, chainId: 'other-chain' })
    h.submitter.mode = 'accept'
    expect(
      await codeOf(wrongChain.transfer({ point: POINT, to: customer, amount: 1 }, { signer, validUntil: 9 })),
    ).toEqual({
      code: 'PROTOCOL_WRONG_CHAIN',
      status: 400,
    })
    expect(h.submitter.received).toHaveLength(1)
  })

  it('sends with wait and returns the committed receipt', async () => {
    const client = await start()
    h.submitter.mode = 'commit'
    const sent = await client.award({ point: POINT, customer, amount: 3 }, { signer, wait: true })
    expect(sent.committed).toMatchObject({ hash: sent.hash, height: 77, receipt: { status: 'ok' } })
  })

  it('submits a batch and reports each tx on its own', async () => {
    const client = await start()
    const good = await client.buildTx('point.transfer', { point: POINT, to: customer, amount: 1 }, { signer })
    const other = new ArcadeClient({ url: client.url, chainId: 'other-chain' })
    const bad = await other.buildTx(
      'point.transfer',
      { point: POINT, to: customer, amount: 1 },
      { signer, validUntil: 9 },
    )
    const results = await client.submitBatch([good, bad])
    expect(results[0]).toMatchObject({ accepted: true, hash: toHex(good.hash) })
    expect(results[1]).toMatchObject({ accepted: false, code: 'PROTOCOL_WRONG_CHAIN' })
  })

  it('waits for a commit by polling, and times out on a tx that stays pending', async () => {
    const client = await start()
    const committed = await client.waitForCommit(toHex(h.chain.committedTx.hash))
    expect(committed.receipt.status).toBe('ok')
    const failed = await client.waitForCommit(toHex(h.chain.failedTx.hash))
    expect(failed.receipt.error).toBe('STATE_INSUFFICIENT_BALANCE')
    expect(await codeOf(client.waitForCommit(toHex(h.chain.pendingHash), { timeoutMs: 100 }))).toEqual({
      code: ClientErrorCode.timeout,
      status: null,
    })
  })

  it('refuses to send to an unreachable node with CLIENT_NETWORK', async () => {
    const client = new ArcadeClient({ url: 'http://127.0.0.1:1', chainId: CHAIN_ID })
    expect((await codeOf(client.status())).code).toBe(ClientErrorCode.network)
  })
})

describe('queries', () => {
  it('reads accounts, points, merchants, devices, grants, stakes, validators, blocks and txs', async () => {
    const client = await start()
    const acct = await client.account(customer)
    expect(acct.balances).toEqual([{ point: POINT, amount: 120 }])
    expect((await client.point(POINT)).manager).toMatch(/^arc1/)
    expect((await client.points()).map((p) => p.id)).toEqual([POINT])
    const merchants = await client.merchants(POINT)
    expect(merchants.items.map((m) => m.address)).toEqual([encodeAddress(MERCHANT)])
    expect((await client.merchant(POINT, encodeAddress(MERCHANT))).terminals).toEqual([
      encodeAddress(TERMINAL),
    ])
    expect((await client.device(deviceKey.publicKey)).owner).toBe(customer)
    expect((await client.devicesOf(CUSTOMER)).map((d) => d.maxPerTx)).toEqual([10])
    expect((await client.grants(POINT)).items[0]?.grantee).toBeNull()
    expect((await client.stake(CUSTOMER)).free).toBe(0)
    expect((await client.validators()).items.length).toBeGreaterThan(0)
    expect(await client.health()).toMatchObject({
      ok: true,
      height: h.chain.blocks.length,
      syncing: false,
      reasons: [],
    })
    expect((await client.validatorSet()).totalPower).toBeGreaterThan(0)
    const block = await client.block(1)
    expect(toHex(blockHash(block.header))).toBe(toHex(block.hash))
    expect((await client.tx(h.chain.committedTx.hash)).status).toBe('committed')
    const page1 = await client.history(customer, { limit: 20 })
    const page2 = await client.history(customer, { limit: 20, before: page1.next as string })
    expect([page1.items.length, page2.items.length, page2.next]).toEqual([20, 10, null])
  })

  it('answers missing records and unsupported reads with the RPC codes', async () => {
    const client = await start()
    expect(await codeOf(client.merchant(POINT, encodeAddress(CUSTOMER)))).toEqual({
      code: 'RPC_MERCHANT_NOT_FOUND',
      status: 404,
    })
    expect(await codeOf(client.evidence())).toEqual({ code: 'RPC_NOT_SUPPORTED', status: 501 })
    expect((await codeOf(client.point('shop'))).code).toBe(ClientErrorCode.invalidInput)
  })
})

describe('verifyRecord over HTTP', () => {
  it('waits for the certificate of the head, then verifies a balance against it', async () => {
    const validators = Array.from({ length: 4 }, generateKeyPair)
    const set = createValidatorSet(validators.map((k) => ({ publicKey: k.publicKey, power: 1 })))
    let appended = false
    const client = await start(
      {},
      {
        // The client sleeps while the head is uncertified: the next block lands meanwhile.
        sleep: async () => {
          if (appended) return
          appended = true
          const head = h.chain.blocks.at(-1) as (typeof h.chain.blocks)[number]
          const cert = certificateFromVotes(
            validators
              .slice(0, 3)
              .map((k) =>
                signVote(
                  CHAIN_ID,
                  { kind: 'commit', height: head.block.header.height, view: 0, blockHash: head.hash },
                  k,
                ),
              ),
          ) as CommitCertificate
          const next: Block = {
            header: { ...head.block.header, height: head.block.header.height + 1, parentHash: head.hash },
            txs: [],
            lastCommit: cert,
            evidence: [],
          }
          h.chain.blocks.push({ block: next, hash: blockHash(next.header), certificate: cert })
        },
      },
    )
    // The head names this validator set and commits to the ledger's state root.
    const head = h.chain.blocks.at(-1) as (typeof h.chain.blocks)[number]
    const header = { ...head.block.header, validatorSetHash: validatorSetHash(set) }
    h.chain.blocks[h.chain.blocks.length - 1] = {
      ...head,
      block: { ...head.block, header },
      hash: blockHash(header),
    }
    const record = await client.verifyRecord(proofRef.balance(POINT, customer), { validators: set })
    expect(appended).toBe(true)
    expect(record.decoded).toBe(120)
    // The node's own validator set is never taken: without a trust root, verification refuses to run.
    const err = await client
      .verifyRecord(proofRef.balance(POINT, customer))
      .catch((e: ArcadeClientError) => e)
    expect(err).toMatchObject({ code: ClientErrorCode.trustRootMissing })
    // A set other than the one the header names fails on that link.
    const other = createValidatorSet([{ publicKey: generateKeyPair().publicKey, power: 1 }])
    const wrong = await client
      .verifyRecord(proofRef.balance(POINT, customer), { validators: other })
      .catch((e: ArcadeClientError) => e)
    expect(wrong).toMatchObject({ code: ClientErrorCode.proofInvalid, details: { reason: 'validator-set' } })
  })
})

describe('subscribe', () => {
  it("streams blocks and the account's receipts, and stops on unsubscribe without an error", async () => {
    const client = await start()
    const got: StreamEvent[] = []
    const errors: unknown[] = []
    let arrived: () => void = () => {}
    const two = new Promise<void>((resolve) => {
      arrived = resolve
    })
    const opened = new Promise<void>((resolve) => {
      const unsubscribe = client.subscribe(
        { account: customer },
        (e) => {
          got.push(e)
          if (got.length === 2) {
            unsubscribe()
            arrived()
          }
        },
        { onOpen: resolve, onError: (e) => errors.push(e) },
      )
    })
    await opened
    const stranger = receiptFor(new Uint8Array(32).fill(5), 9, 0)
    h.events.emit({ type: 'block', height: 9, hash: ZERO_HASH, timeMs: 1, txCount: 2 })
    h.events.emit({ type: 'receipt', receipt: { ...stranger, events: [] }, accounts: [alice.publicKey] })
    h.events.emit({ type: 'receipt', receipt: receiptFor(new Uint8Array(32).fill(6), 9, 1) })
    await two
    expect(got.map((e) => e.type)).toEqual(['block', 'receipt'])
    expect(got[1]?.data).toMatchObject({ txHash: '06'.repeat(32), index: 1 })
    expect(errors).toEqual([])
  })

  it('reports the server ending the stream through onError', async () => {
    const client = await start()
    let opened: () => void = () => {}
    const open = new Promise<void>((resolve) => {
      opened = resolve
    })
    const closed = new Promise<ArcadeClientError>((resolve) => {
      client.subscribe({}, () => {}, { onOpen: opened, onError: resolve })
    })
    await open
    await h.server.close()
    expect((await closed).code).toBe(ClientErrorCode.network)
  })

  it('reports a refused stream through onError with the RPC code', async () => {
    const client = await start()
    const err = await new Promise<ArcadeClientError>((resolve) => {
      client.subscribe({ account: 'arc1nope' }, () => {}, { onError: resolve })
    })
    expect(err.status).toBe(400)
  })
})

describe('named operations against the RPC', () => {
  it('bindDevice signs with the chain id learned from the node', async () => {
    const client = await start()
    const device = generateKeyPair()
    await client.bindDevice(
      { point: POINT, device, maxPerTx: 1, maxPerPeriod: 2, periodMs: 1000 },
      { signer },
    )
    const tx = decodeAndVerifyTx(h.submitter.received[0] as Bytes, CHAIN_ID)
    expect(tx.body.kind).toBe('device.bind')
    expect(operations.bindDevice).toBeTypeOf('function')
  })
})
