/**
 * Runs one simulated network for one seed: N validators (drivers + machines, or byzantine actors) over
 * the simulated world, txs arriving over time, crashes and restarts from the WAL, then the checks.
 */

import { ConsensusDriver } from '../../consensus/driver.ts'
import { inVoteWindow } from '../../consensus/machine-normal.ts'
import { consensusOptions } from '../../consensus/options.ts'
import type { SignaturePort, WalEntry, WalPort } from '../../consensus/ports.ts'
import { isValidCertificate } from '../../consensus/verify.ts'
import { blockHash } from '../../protocol/block.ts'
import { bytesEqual, toHex } from '../../protocol/bytes.ts'
import type { ConsensusMessage } from '../../protocol/consensus-message.ts'
import { createValidatorSet, type ValidatorSet } from '../../protocol/validator-set.ts'
import {
  type AttackContext,
  type AttackStats,
  sameHashNetwork,
  startFlooding,
  startForging,
} from './adversary.ts'
import { checkBounds } from './bounds.ts'
import { equivocatingNetwork, voteForEverything } from './byzantine.ts'
import { type CheckInput, type HonestNode, runChecks } from './checks.ts'
import { ed25519Scheme, fakeScheme } from './fake-crypto.ts'
import { type CommitRecord, FakeExecutor, TxPool } from './fake-executor.ts'
import { createPrng } from './prng.ts'
import type { Scenario } from './scenarios.ts'
import { type Instance, SimNetwork, type TrafficStats, VirtualClock } from './world.ts'

export const CHAIN_ID = 'arcade-sim'

type NodeKind = 'honest' | 'twin' | 'equivocate' | 'forge' | 'flood' | 'same-hash'

export interface SimResult {
  readonly seed: number
  readonly scenario: string
  readonly violations: readonly string[]
  /** Highest height committed by an honest node. */
  readonly height: number
  readonly stats: TrafficStats
  readonly virtualMs: number
  readonly forked: boolean
  /** What the byzantine members' protocol attacks sent (zero in the families without them). */
  readonly attacks: AttackStats
}

function memoryWal(): WalPort & { entries: WalEntry[] } {
  const wal = {
    entries: [] as WalEntry[],
    append(entry: WalEntry) {
      wal.entries.push(entry)
    },
    load() {
      return [...wal.entries]
    },
    prune(height: number) {
      wal.entries = wal.entries.filter((e) =>
        e.type === 'prepared'
          ? e.proof.certificate.height >= height
          : (e.message.type === 'vote' ? e.message.vote.height : e.message.height) >= height,
      )
    },
  }
  return wal
}

export function runScenario(scenario: Scenario, seed: number): SimResult {
  const prng = createPrng(seed)
  const clock = new VirtualClock()
  const pool = new TxPool()
  const scheme = scenario.ed25519 ? ed25519Scheme() : fakeScheme()
  const options = consensusOptions(scenario.options)
  const keys: SignaturePort[] = (scenario.epochPowers[0] ?? []).map(() => scheme.newKey(prng))
  const epochSets: ValidatorSet[] = scenario.epochPowers.map((powers) =>
    createValidatorSet(keys.map((k, i) => ({ publicKey: k.publicKey, power: powers[i] as number }))),
  )
  const validatorSetFor = (height: number): ValidatorSet =>
    epochSets[Math.floor((height - 1) / scenario.epochLength) % epochSets.length] as ValidatorSet
  const net = new SimNetwork(scenario.network, { clock, prng: prng.fork(), chainId: CHAIN_ID })
  const byzantine = new Set(scenario.byzantine.map((b) => b.keyIndex))
  const honest: HonestNode[] = []
  const commits = new Map<number, Map<string, CommitRecord>>()

  /**
   * Every block an honest node decided, by height and hash: the ones it committed, and the ones it
   * decided after a sync had stored another block there (`onConflictingDecision`). Both carry a commit
   * certificate, so two of them at one height are a fork for the agreement and accountability checks.
   */
  const recordDecision = (r: CommitRecord): void => {
    const h = r.block.header.height
    let at = commits.get(h)
    if (at === undefined) {
      at = new Map()
      commits.set(h, at)
    }
    at.set(toHex(blockHash(r.block.header)), r)
  }

  const sources = () => honest.filter((n) => n.instance.up && !byzantine.has(n.keyIndex))

  const attacks: AttackStats = { forged: 0, flooded: 0, sameHash: 0 }
  const highestHonest = () => honest.reduce((h, n) => Math.max(h, n.executor.height), 0)

  const makeNode = (keyIndex: number, copy: number, kind: NodeKind): void => {
    const key = keys[keyIndex] as SignaturePort
    const wal = memoryWal()
    const isHonest = kind === 'honest'
    const executor = new FakeExecutor(
      {
        chainId: CHAIN_ID,
        proposer: key.publicKey,
        maxTxsPerBlock: scenario.maxTxsPerBlock,
        timeOffsetMs: copy,
        maxClockDriftMs: 1000,
        validatorSetFor,
      },
      {
        clock,
        pool,
        onCommit: (r) => {
          if (isHonest) recordDecision(r)
        },
      },
    )
    const slots = new Map<string, string>()
    const node: HonestNode = {
      index: -1,
      keyIndex,
      executor,
      driver: null as unknown as ConsensusDriver,
      instance: {
        key: toHex(key.publicKey),
        up: true,
        deliver: (m: ConsensusMessage, from: string) => {
          // An equivocation this node can see: two votes of one slot, each inside its window of views
          // when it arrived over its signer's own connection (votes outside the window are never looked at).
          const state = node.driver.state
          if (
            isHonest &&
            m.type === 'vote' &&
            state !== null &&
            m.vote.height === state.ctx.height &&
            toHex(m.vote.validator) === from &&
            inVoteWindow(state.view, m.vote.view)
          ) {
            const v = m.vote
            const slot = `${v.kind}/${v.height}/${v.view}/${toHex(v.validator)}`
            const prior = slots.get(slot)
            const hash = toHex(v.blockHash)
            if (prior === undefined) slots.set(slot, hash)
            else if (prior !== hash) node.sawEquivocation.add(toHex(v.validator))
          }
          if (isHonest && m.type === 'new-view' && scenario.expect.accountableOnly) node.newViews.push(m)
          relay?.(m)
          node.driver.receive(m, from)
        },
      },
      reported: [],
      sawEquivocation: new Set(),
      slots,
      newViews: [],
      heightAtGst: 0,
    }
    const index = net.add(node.instance)
    ;(node as { index: number }).index = index
    const plain = net.port(index)
    const attacking = kind === 'forge' || kind === 'flood' || kind === 'same-hash'
    // Only attackers draw from the PRNG here, so the other families' runs stay as they were.
    const attack: AttackContext = {
      chainId: CHAIN_ID,
      key,
      keys: keys.map((k) => k.publicKey),
      net,
      self: index,
      prng: attacking ? prng.fork() : prng,
      clock,
      position: () => ({ height: node.driver.state?.ctx.height ?? 1, view: node.driver.state?.view ?? 0 }),
      stats: attacks,
    }
    let relay: ((m: ConsensusMessage) => void) | null = null
    if (kind === 'forge') relay = startForging(attack, 300, scenario.durationMs)
    if (kind === 'flood') startFlooding(attack, 500, scenario.durationMs)
    const network =
      kind === 'equivocate'
        ? equivocatingNetwork(CHAIN_ID, key, net, index, prng.fork())
        : kind === 'same-hash'
          ? sameHashNetwork(attack)
          : {
              send: plain.send,
              broadcast: (m: ConsensusMessage) => {
                if (isHonest && m.type === 'new-view' && scenario.expect.accountableOnly)
                  node.newViews.push(m)
                plain.broadcast(m)
              },
            }
    const newDriver = () =>
      new ConsensusDriver(
        { chainId: CHAIN_ID, consensus: options },
        {
          network,
          signer: key,
          verify: scheme.verify,
          wal,
          executor,
          timers: clock,
          sync: {
            request: (_from, target) => {
              // Rule: a sync target is never beyond what honest members have reached (a lie by less than
              // a third of the power, or an unsigned claim, must not set it). With a third or more of
              // the power Byzantine (accountable scenarios) their signed claims are credible by design.
              const highest = highestHonest()
              if (isHonest && !scenario.expect.accountableOnly && target > highest + 1) {
                executor.faults.push(`sync requested up to ${target}, highest honest height ${highest}`)
              }
              // Copy certified blocks from the live honest node with the longest chain this one can reach.
              let best: HonestNode | null = null
              for (const n of sources()) {
                if (n === node || !net.connected(n.index, node.index)) continue
                if (best === null || n.executor.height > best.executor.height) best = n
              }
              if (best === null) return
              for (let h = executor.height + 1; h <= best.executor.height; h++) {
                const r = best.executor.blocks[h - 1] as CommitRecord
                const head = executor.head().header
                if (head !== null && !bytesEqual(r.block.header.parentHash, blockHash(head))) return
                const ok = isValidCertificate(
                  scheme.verify,
                  options.quorum,
                  CHAIN_ID,
                  r.certificate,
                  validatorSetFor(h),
                )
                if (!ok) return
                executor.commit(r.block, r.certificate)
              }
            },
          },
          observer: {
            onEvidence: (e) => {
              node.reported.push(e)
            },
            onConflictingDecision: (block, certificate) => {
              if (isHonest) recordDecision({ block, certificate })
            },
            onWarning: (event) => {
              // A conflicting decision is judged as a fork (recordDecision), not as a fault by itself.
              if (
                isHonest &&
                event !== 'double-sign-refused' &&
                event !== 'decided-block-differs-from-synced'
              )
                node.executor.faults.push(`driver warning ${event}`)
            },
          },
        },
      )
    node.driver = newDriver()
    if (isHonest) honest.push(node)
    node.driver.start()
    for (const c of scenario.crashes) {
      if (c.keyIndex !== keyIndex || !isHonest) continue
      clock.schedule(c.atMs, () => {
        void node.driver.stop()
        node.instance.up = false
      })
      if (c.restartMs !== null) {
        clock.schedule(c.restartMs, () => {
          // Overlapping crash windows: the process is restarted once, never run twice.
          void node.driver.stop()
          node.instance.up = true
          node.slots.clear()
          node.driver = newDriver()
          node.driver.start()
        })
      }
    }
  }

  for (let i = 0; i < keys.length; i++) {
    const b = scenario.byzantine.find((x) => x.keyIndex === i)
    if (b === undefined) makeNode(i, 0, 'honest')
    else if (b.kind === 'twins') {
      makeNode(i, 0, 'twin')
      makeNode(i, 1, 'twin')
    } else if (b.kind !== 'vote-all') makeNode(i, 0, b.kind)
    else {
      const key = keys[i] as SignaturePort
      const instance: Instance = { key: toHex(key.publicKey), up: true, deliver: () => {} }
      const index = net.add(instance)
      instance.deliver = voteForEverything(CHAIN_ID, key, net, index)
    }
  }

  // Txs arrive in bursts; idle gaps make the leaders propose empty blocks on the idle interval.
  for (const [atMs, count] of scenario.txBursts)
    clock.schedule(atMs, () => pool.submit(count, scenario.txBytes))
  clock.schedule(scenario.network.gstMs, () => {
    for (const n of honest) n.heightAtGst = n.executor.height
  })
  // What peers can make an honest node hold stays within its bounds, and only authentic messages are held.
  const boundViolations: string[] = []
  const inspect = () => {
    for (const n of honest) {
      const state = n.driver.state
      if (n.instance.up && state !== null)
        boundViolations.push(...checkBounds(n.index, state, options, scheme.verify, CHAIN_ID))
    }
    if (boundViolations.length === 0 && clock.now + 500 < scenario.durationMs) clock.schedule(500, inspect)
  }
  clock.schedule(500, inspect)
  clock.runUntil(scenario.durationMs)

  const input: CheckInput = {
    scenario,
    honest,
    byzantine,
    commits,
    keys: keys.map((k) => k.publicKey),
    validatorSetFor,
    chainId: CHAIN_ID,
    verify: scheme.verify,
    quorumCertValid: (cert, set) =>
      isValidCertificate(scheme.verify, (p, t) => p * 3 > t * 2, CHAIN_ID, cert, set),
  }
  const checked = runChecks(input)
  const violations = [...checked.violations, ...boundViolations.slice(0, 5)]
  const forked = checked.forked
  let height = 0
  for (const n of honest) height = Math.max(height, n.executor.height)
  return {
    seed,
    scenario: scenario.name,
    violations,
    height,
    stats: net.stats,
    virtualMs: clock.now,
    forked,
    attacks,
  }
}
