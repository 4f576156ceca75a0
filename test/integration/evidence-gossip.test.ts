/**
 * Evidence gossip on real hosts on 127.0.0.1: a validator that saw an equivocation gossips it, the
 * next hop checks and relays it, and a validator that neither saw the equivocation nor is connected
 * to the one that did gets it in its pool, ready for its next proposal. Forged items go nowhere.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Chain } from '../../node/chain.ts'
import { MAX_PROPOSAL_EVIDENCE, proposalEvidence } from '../../node/consensus-ports.ts'
import { createEvidenceLink, type EvidenceLink } from '../../node/evidence-link.ts'
import { encodeEvidence } from '../../node/evidence-pool.ts'
import { createNodeMetrics } from '../../node/metrics.ts'
import { createP2pHost, type P2pHost } from '../../node/p2p/index.ts'
import { Inbox, TEST_LIMITS } from '../../node/p2p/testing.ts'
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts'
import { type Evidence, signVote } from '../../protocol/vote.ts'

const CHAIN = 'arcade-evidence-test'
const silent = { info: () => {}, debug: () => {} }

function doubleVote(keys: KeyPair, height: number): Evidence {
  const fields = { kind: 'commit' as const, height, view: 0 }
  return {
    a: signVote(CHAIN, { ...fields, blockHash: new Uint8Array(32).fill(1) }, keys),
    b: signVote(CHAIN, { ...fields, blockHash: new Uint8Array(32).fill(2) }, keys),
  }
}

/** Just what the evidence link reads from the chain: its id, head and validator set. */
function chainWith(validators: readonly KeyPair[]): Chain {
  const set = { validators: validators.map((v) => ({ publicKey: v.publicKey, power: 1 })) }
  return { chainId: CHAIN, height: 5, validatorSetFor: () => set } as unknown as Chain
}

interface Validator {
  readonly key: KeyPair
  readonly host: P2pHost
  readonly link: EvidenceLink
  readonly arrivals: Inbox
}

const started: P2pHost[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop()))
})

async function validator(
  key: KeyPair,
  allowed: readonly KeyPair[],
  all: readonly KeyPair[],
): Promise<Validator> {
  const arrivals = new Inbox()
  let link: EvidenceLink | null = null
  const host = await createP2pHost(
    {
      listen: { host: '127.0.0.1', port: 0 },
      nodeKey: key,
      allowedPeers: allowed.map((k) => k.publicKey),
      limits: TEST_LIMITS,
    },
    {
      onConsensus: () => {},
      onEvidence: (from, bytes) => {
        link?.received(from, bytes)
        arrivals.push(from, bytes)
      },
    },
  )
  link = createEvidenceLink({
    chain: chainWith(all),
    gossip: (bytes, except) => host.gossipEvidence(bytes, except),
    metrics: createNodeMetrics(),
    log: silent,
  })
  await host.start()
  started.push(host)
  return { key, host, link, arrivals }
}

describe('evidence gossip', () => {
  it('reaches a validator two hops away that never saw the equivocation; forged items are not kept or relayed', async () => {
    const [ka, kb, kc, byzantine] = Array.from({ length: 4 }, () => generateKeyPair()) as KeyPair[]
    const all = [ka!, kb!, kc!, byzantine!]
    // a and c do not know each other: only b links them.
    const a = await validator(ka!, [kb!], all)
    const b = await validator(kb!, [ka!, kc!], all)
    const c = await validator(kc!, [kb!], all)
    a.host.connectTo([{ nodeKey: kb!.publicKey, ...b.host.listenAddress() }])
    c.host.connectTo([{ nodeKey: kb!.publicKey, ...b.host.listenAddress() }])
    await b.host.whenConnected(a.host.peerKey, AbortSignal.timeout(10_000))
    await b.host.whenConnected(c.host.peerKey, AbortSignal.timeout(10_000))

    const evidence = doubleVote(byzantine!, 5)
    a.link.detected(evidence)
    await c.arrivals.waitFor(1)
    expect(c.arrivals.items[0]?.from).toBe(b.host.peerKey)
    expect(c.link.pending(16).map((e) => e.a.validator)).toEqual([byzantine!.publicKey])
    expect(b.link.pending(16)).toHaveLength(1)

    // A forged item (the second vote carries the first one's signature) and garbage, straight from b.
    const forged = doubleVote(ka!, 5)
    const tampered = { a: forged.a, b: { ...forged.b, signature: forged.a.signature } }
    expect(b.host.gossipEvidence(encodeEvidence(tampered))).toBe(2)
    expect(b.host.gossipEvidence(Uint8Array.of(1, 2, 3))).toBe(2)
    await c.arrivals.waitFor(3)
    expect(c.link.pending(16)).toHaveLength(1)
    await a.arrivals.waitFor(2)
    // In per-peer order: a got the two items b sent, and never an echo of its own evidence before them.
    expect(a.arrivals.items).toHaveLength(2)

    // c's next proposal carries it beside whatever its own consensus saw.
    const own = doubleVote(ka!, 6)
    const offered = proposalEvidence([own, evidence], c.link.pending(MAX_PROPOSAL_EVIDENCE))
    expect(offered.map((e) => e.a.validator)).toEqual([ka!.publicKey, byzantine!.publicKey])
  })
})
