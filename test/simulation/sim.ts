/**
 * Runs one simulated network for one seed: a node per key (drivers + machines, or byzantine actors) over
 * the simulated world, txs arriving over time, crashes and restarts from the WAL, then the checks. Keys
 * outside a height's set run too: newcomers follow the chain before they join (or start late and sync),
 * leavers follow it after they left until their operator stops them.
 */

import { ConsensusDriver } from '../../consensus/driver.ts'
import { inVoteWindow } from '../../consensus/machine-normal.ts'
import { consensusOptions } from '../../consensus/options.ts'
import type { SignaturePort } from '../../consensus/ports.ts'
import { isValidCertificate } from '../../consensus/verify.ts'
import { blockHash } from '../../protocol/block.ts'
import { bytesEqual, toHex } from '../../protocol/bytes.ts'
import type { ConsensusMessage } from '../../protocol/consensus-message.ts'
import { validatorSetHash } from '../../protocol/validator-set.ts'
import {
  type AttackContext,
  type AttackStats,
  sameHashNetwork,
  startFlooding,
  startForging,
} from './adversary.ts'
import { checkBounds } from './bounds.ts'
import { equivocatingNetwork, outsiderAttack, voteForEverything } from './byzantine.ts'
import { type CheckInput, type HonestNode, runChecks } from './checks.ts'
import { ed25519Scheme, fakeScheme } from './fake-crypto.ts'
import { type CommitRecord, FakeExecutor, TxPool } from './fake-executor.ts'
import { memoryWal } from './memory-wal.ts'
import { createPrng } from './prng.ts'
import type { Scenario } from './scenarios.ts'
import { setSchedule } from './set-schedule.ts'
import { type Instance, SimNetwork, type TrafficStats, VirtualClock } from './world.ts'

export const CHAIN_ID = 'arcade-sim'

type NodeKind = 'honest' | 'twin' | 'equivocate' | 'forge' | 'flood' | 'same-hash' | 'outsider'

export interface SimResult {
  readonly seed: number
  readonly scenario: string
  readonly variant: string | undefined
  readonly violations: readonly string[]
  /** Highest height committed by an honest node. */
  readonly height: number
  readonly stats: TrafficStats
  readonly virtualMs: number
  readonly forked: boolean
  /** What the byzantine members' protocol attacks sent (zero in the families without them). */
  readonly attacks: AttackStats
  /**
   * Blocks honest nodes applied by sync, how many of them were the first of a new set, and the most set
   * changes one sync crossed.
   */
  readonly synced: { readonly blocks: number; readonly setChanges: number; readonly mostInOne: number }
}

/**
 * `trace`, when given, gets a line every 500 virtual ms: each node's instance index (`!` when down), its
 * committed height, and its view and phase (n, v, d) at the next height.
 */
export function runScenario(scenario: Scenario, seed: number, trace?: (line: string) => void): SimResult {
  const prng = createPrng(seed)
  const clock = new VirtualClock()
  const pool = new TxPool()
  const scheme = scenario.ed25519 ? ed25519Scheme() : fakeScheme()
  const options = consensusOptions(scenario.options)
  const keys: SignaturePort[] = (scenario.epochPowers[0] ?? []).map(() => scheme.newKey(prng))
  const { validatorSetFor, chainSetFor, isMember, leavesAfter, entryHeight } = setSchedule(scenario, keys)
  const synced = { blocks: 0, setChanges: 0, mostInOne: 0 }
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

  const everyone: HonestNode[] = []
  const sources = () => honest.filter((n) => n.instance.up && !byzantine.has(n.keyIndex))

  const attacks: AttackStats = { forged: 0, flooded: 0, sameHash: 0, outsiderEarly: 0, outsiderLate: 0 }
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
        validatorSetFor: chainSetFor,
      },
      {
        clock,
        pool,
        onCommit: (r) => {
          if (!isHonest) return
          recordDecision(r)
          const stopMs = scenario.leaverStopMs ?? null
          if (stopMs !== null && !node.retired && leavesAfter(keyIndex, r.block.header.height)) {
            node.retired = true
            clock.schedule(stopMs, () => {
              void node.driver.stop()
              node.instance.up = false
            })
          }
        },
      },
    )
    const slots = new Map<string, string>()
    const startAtMs = isHonest ? (scenario.lateStarts?.find((s) => s.keyIndex === keyIndex)?.atMs ?? 0) : 0
    const node: HonestNode = {
      index: -1,
      keyIndex,
      executor,
      driver: null as unknown as ConsensusDriver,
      instance: {
        key: toHex(key.publicKey),
        up: startAtMs === 0,
        deliver: (m: ConsensusMessage, from: string) => {
          // An equivocation this node can see: two votes of one slot by a member of the height's set, each
          // inside its window of views when it arrived over its signer's own connection (votes outside the
          // window, or by a key outside the set, are never looked at).
          const state = node.driver.state
          if (
            isHonest &&
            m.type === 'vote' &&
            state !== null &&
            m.vote.height === state.ctx.height &&
            toHex(m.vote.validator) === from &&
            state.ctx.validators.byKey.has(from) &&
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
      retired: false,
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
    if (kind === 'outsider') {
      const entry = entryHeight(keyIndex)
      const sent = (count: number, height: number) => {
        if (height < entry) attacks.outsiderEarly += count
        else attacks.outsiderLate += count
      }
      relay = outsiderAttack(CHAIN_ID, key, net, index, (h) => isMember(keyIndex, h), sent)
    }
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
    /**
     * Copies certified blocks from the live honest node with the longest chain this one can reach, each
     * checked as the node's block sync does: it extends the head, and its certificate is a quorum of the
     * set this node derived from its own chain for that height (the executor knows it for head + 1 only).
     */
    const catchUp = (): void => {
      let best: HonestNode | null = null
      for (const n of sources()) {
        if (n === node || !net.connected(n.index, node.index)) continue
        if (best === null || n.executor.height > best.executor.height) best = n
      }
      if (best === null) return
      let changes = 0
      for (let h = executor.height + 1; h <= best.executor.height; h++) {
        const r = best.executor.blocks[h - 1] as CommitRecord
        const head = executor.head().header
        if (head !== null && !bytesEqual(r.block.header.parentHash, blockHash(head))) return
        const set = executor.validatorSetFor(h)
        const setHash = validatorSetHash(set)
        const c = r.certificate
        if (!bytesEqual(r.block.header.validatorSetHash, setHash)) return
        if (c.height !== h || !bytesEqual(c.blockHash, blockHash(r.block.header))) return
        if (!isValidCertificate(scheme.verify, options.quorum, CHAIN_ID, c, set)) return
        if (isHonest) {
          synced.blocks++
          if (head !== null && !bytesEqual(head.validatorSetHash, setHash)) {
            synced.setChanges++
            synced.mostInOne = Math.max(synced.mostInOne, ++changes)
          }
        }
        executor.commit(r.block, r.certificate)
      }
    }
    /** A process (re)starting: the node's start-up catch-up first when the scenario models it. */
    const boot = (): void => {
      node.instance.up = true
      node.slots.clear()
      if (scenario.catchUpOnStart) catchUp()
      node.driver = newDriver()
      node.driver.start()
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
              catchUp()
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
    everyone.push(node)
    if (startAtMs === 0) node.driver.start()
    else clock.schedule(startAtMs, boot)
    for (const c of scenario.crashes) {
      if (c.keyIndex !== keyIndex || !isHonest) continue
      clock.schedule(c.atMs, () => {
        void node.driver.stop()
        node.instance.up = false
      })
      if (c.restartMs !== null) {
        clock.schedule(Math.max(c.restartMs, startAtMs), () => {
          // Overlapping crash windows: the process is restarted once, never run twice; a node its
          // operator stopped stays down.
          if (node.retired && !node.instance.up) return
          void node.driver.stop()
          boot()
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
    trace?.(
      `${clock.now} ${everyone
        .map((n) => {
          const st = n.driver.state
          const where = st === null ? '-' : `${st.view}${st.phase[0]}`
          return `${n.index}${n.instance.up ? '' : '!'}:${n.executor.height}/${where}`
        })
        .join(' ')}`,
    )
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
    variant: scenario.variant,
    violations,
    height,
    stats: net.stats,
    virtualMs: clock.now,
    forked,
    attacks,
    synced,
  }
}
