/**
 * The double-sign guard under real restarts: a validator SIGKILLed right after it signs, and started
 * again at once, comes back at the same height and view, and must never sign a conflicting message
 * (its WAL holds what it signed). Two moments:
 * - right after its PREPARE: the Byzantine leader shows it block B1 alone, kills it on its PREPARE,
 *   and once it is back offers it B2 for the same height and view, again and again;
 * - right after its own proposal: killed when its proposal arrives, it may propose again after the
 *   restart, but only the same block.
 * View timeouts are long here (4 s), so that the restarted validator is back before the view ends.
 * Every message it signs reaches the Byzantine validator, which checks them all; no block may carry
 * evidence against it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blockHash } from '../../protocol/block.ts'
import { toHex } from '../../protocol/bytes.ts'
import { type ConsensusMessage, heightOf, viewOf } from '../../protocol/consensus-message.ts'
import { asBuildTxs } from '../byzantine/blocks.ts'
import { type ByzantineNetwork, expectLiveness, HONEST, startByzantineNetwork } from '../byzantine/network.ts'
import type { Received } from '../byzantine/validator.ts'
import { waitFor } from '../helpers/processes.ts'

const BASE_PORT = 27800
const VICTIM = HONEST[0]

let b: ByzantineNetwork
let victimKey: string

beforeAll(async () => {
  b = await startByzantineNetwork({
    basePort: BASE_PORT,
    consensus: { viewTimeoutBaseMs: 4_000, viewTimeoutIncrementMs: 1_000, viewTimeoutCapMs: 8_000 },
  })
  const v = b.byz.genesis.validators.find((x) => x.name === VICTIM)
  victimKey = toHex(v?.nodeKey ?? new Uint8Array())
}, 120_000)

afterAll(async () => {
  await b?.close()
})

const fromVictim = (r: Received) => r.from === victimKey

/** The hash a message of the victim signs (the block of a proposal, the block of a vote), or null. */
function signedHash(m: ConsensusMessage): string | null {
  if (m.type === 'proposal') return toHex(blockHash(m.block.header))
  if (m.type === 'vote') return toHex(m.vote.blockHash)
  return null
}

/** Everything the victim signed at (height, view), per message kind, as sets of block hashes. */
function signedAt(height: number, view: number): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const { message: m } of b.byz.received.items.filter(fromVictim)) {
    if (heightOf(m) !== height || viewOf(m) !== view) continue
    const hash = signedHash(m)
    if (hash === null) continue
    const kind = m.type === 'vote' ? m.vote.kind : m.type
    const set = out.get(kind) ?? new Set<string>()
    set.add(hash)
    out.set(kind, set)
  }
  return out
}

async function openedCount(): Promise<number> {
  return (await b.net.log(VICTIM)).split('\n').filter((l) => l.includes('"chain opened"')).length
}

/** No committed block up to the head carries evidence against the victim. */
async function expectNoEvidenceAgainstVictim(): Promise<void> {
  const address = await b.net.nodeAddress(VICTIM)
  const head = await b.net.height(HONEST[1])
  for (let h = 1; h <= head; h++) {
    const { evidence } = await b.net.block(HONEST[1], h)
    expect(JSON.stringify(evidence), `evidence at ${h}`).not.toContain(address)
  }
  for (const name of HONEST) expect(await b.net.log(name)).not.toContain('equivocation evidence')
}

describe('the double-sign guard across a kill -9 and an immediate restart', () => {
  it('killed right after its PREPARE, it never prepares another block at that height and view', async () => {
    const restarts = await openedCount()
    const h = await b.byz.waitToLead()
    const at = (await b.net.height(HONEST[1])) + 100
    const b1 = await b.byz.build(0, asBuildTxs([b.txs.approveFresh('GUARD', 1, at).bytes]))
    const b2 = await b.byz.build(0, asBuildTxs([b.txs.approveFresh('GUARD', 2, at).bytes]))
    expect(toHex(b1.hash)).not.toBe(toHex(b2.hash))
    const since = Date.now()
    const prepared = b.byz.received.waitFor(
      (r) =>
        r.atMs >= since && fromVictim(r) && r.message.type === 'vote' && r.message.vote.kind === 'prepare',
      10_000,
    )
    // Killed in the same tick as its PREPARE arrives.
    void prepared.then(() => b.net.killNow(VICTIM)).catch(() => {})
    b.byz.send(victimKey, b.byz.propose(b1.block))
    const vote = await prepared
    expect(vote.message.type === 'vote' && toHex(vote.message.vote.blockHash)).toBe(toHex(b1.hash))
    await b.net.stop(VICTIM, 'SIGKILL') // waits for the exit of the kill already sent
    const restartedAt = Date.now()
    await b.net.start(VICTIM)
    // Offer B2 (and B1 again) until the victim shows it is back at height h.
    const offering = setInterval(() => {
      b.byz.send(victimKey, b.byz.propose(b2.block))
      b.byz.send(victimKey, b.byz.propose(b1.block))
    }, 100)
    try {
      await b.byz.received.waitFor(
        (r) => r.atMs >= restartedAt && fromVictim(r) && heightOf(r.message) === h,
        15_000,
      )
      await new Promise((r) => setTimeout(r, 1_000))
    } finally {
      clearInterval(offering)
    }
    expect(await openedCount()).toBe(restarts + 1)
    // The guard was put to the test: the restarted node was offered B2 and refused to sign for it.
    const sinceRestart = (await b.net.log(VICTIM)).split('"chain opened"').at(-1) ?? ''
    expect(sinceRestart).toContain('double-sign-refused')
    expect([...(signedAt(h, 0).get('prepare') ?? [])]).toEqual([toHex(b1.hash)])
    expect(signedAt(h, 0).get('commit')).toBeUndefined()
    await expectLiveness(b.net, { withinMs: 60_000 })
    await expectNoEvidenceAgainstVictim()
  }, 150_000)

  it('killed right after its own proposal, it proposes nothing but the same block at that height and view', async () => {
    const restarts = await openedCount()
    const since = Date.now()
    const proposed = b.byz.received.waitFor(
      (r) => r.atMs >= since && fromVictim(r) && r.message.type === 'proposal',
      60_000,
    )
    void proposed.then(() => b.net.killNow(VICTIM)).catch(() => {})
    const { message } = await proposed
    const h = heightOf(message)
    const view = viewOf(message)
    await b.net.stop(VICTIM, 'SIGKILL') // waits for the exit of the kill already sent
    const restartedAt = Date.now()
    await b.net.start(VICTIM)
    await b.byz.received.waitFor(
      (r) => r.atMs >= restartedAt && fromVictim(r) && heightOf(r.message) >= h,
      15_000,
    )
    await waitFor(
      'height h to commit',
      async () => ((await b.net.height(HONEST[1])) >= h ? true : undefined),
      30_000,
    )
    expect(await openedCount()).toBe(restarts + 1)
    const signed = signedAt(h, view)
    expect(signed.get('proposal')?.size).toBe(1)
    for (const [kind, hashes] of signed) expect(hashes.size, kind).toBe(1)
    await expectLiveness(b.net, { withinMs: 60_000 })
    await expectNoEvidenceAgainstVictim()
  }, 150_000)
})
