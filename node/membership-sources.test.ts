/** The adapters read a real chain at genesis: the sets and observers come from state, addresses from hints. */
import { describe, expect, it } from 'vitest'
import { planDevnet } from '../genesis/devnet.ts'
import { genesisHash } from '../genesis/hash.ts'
import { toGenesisStateInput } from '../genesis/to-state-input.ts'
import { toHex } from '../protocol/bytes.ts'
import { decodeRaw } from '../protocol/codec.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { type CommitCertificate, certificateFromTuple } from '../protocol/vote.ts'
import { Chain } from './chain.ts'
import { membershipOf } from './membership.ts'
import { membershipSourcesOf } from './membership-sources.ts'
import { createVerifyPool } from './mempool/verify-pool.ts'
import { createMemoryChainStore } from './store/index.ts'

const { genesis, nodes } = planDevnet(
  { validators: 3, observers: 1, chainId: 'arcade-membership-test', basePort: 41400, genesisTimeMs: 1_000 },
  { generateKeyPair },
)

async function openChain(): Promise<Chain> {
  const store = createMemoryChainStore()
  await store.open()
  return Chain.open(
    {
      chainId: genesis.chainId,
      genesisHash: genesisHash(genesis),
      genesisTimeMs: genesis.genesisTimeMs,
      genesisState: toGenesisStateInput(genesis),
      maxClockDriftMs: 10_000,
    },
    { store, verifier: createVerifyPool({ workers: 0, minBatchForWorkers: 64 }), nowMs: Date.now },
    { certificate: (b) => certificateFromTuple(decodeRaw(b, 64 * 1024, 'certificate')) as CommitCertificate },
  )
}

describe('membership sources on a genesis chain', () => {
  it('allows the other validators and the observer, and dials the validators at their genesis hints', async () => {
    const chain = await openChain()
    const self = nodes[0]!.nodeKey.publicKey
    const m = membershipOf(membershipSourcesOf(chain, genesis, []), self)
    const others = nodes.slice(1).map((n) => toHex(n.nodeKey.publicKey))
    expect(m.allowed.map(toHex).sort()).toEqual(others.sort())
    // The observer is allowed but not dialled: only validators and config peers are targets.
    expect(m.dialTargets.map((t) => t.port).sort()).toEqual([41402, 41404])
  })

  it('config peers are allowed and dialled, their address taken before the genesis hint', async () => {
    const chain = await openChain()
    const self = nodes[0]!.nodeKey.publicKey
    const stranger = generateKeyPair().publicKey
    const m = membershipOf(
      membershipSourcesOf(chain, genesis, [
        { nodeKey: nodes[1]!.nodeKey.publicKey, host: '127.0.0.1', port: 50001 },
        { nodeKey: stranger, host: '127.0.0.1', port: 50002 },
      ]),
      self,
    )
    expect(m.allowed.map(toHex)).toContain(toHex(stranger))
    // No association record carries an address yet, so config comes first (the chain would win).
    expect(m.dialTargets.map((t) => t.port).sort()).toEqual([41404, 50001, 50002])
  })
})
