/**
 * The oracles run after every simulation: agreement, validity (each height's certificate a > 2/3
 * quorum of that height's own set), liveness after GST (and across the set changes ahead), fairness,
 * and accountability (evidence for every equivocation an honest node saw, no false accusation, and when
 * byzantine power reaches a third and the chain forks, proofs naming at least a third of the stake).
 */

import type { ConsensusDriver } from '../../consensus/driver.ts'
import { isValidEvidenceWith, type Verify } from '../../consensus/verify.ts'
import { blockHash } from '../../protocol/block.ts'
import { type Bytes, bytesEqual, toHex } from '../../protocol/bytes.ts'
import type { NewView } from '../../protocol/consensus-message.ts'
import { hasOneThird, type ValidatorSet, validatorSetHash } from '../../protocol/validator-set.ts'
import type { CommitCertificate, Evidence, QuorumCertificate } from '../../protocol/vote.ts'
import type { CommitRecord, FakeExecutor } from './fake-executor.ts'
import type { Scenario } from './scenarios.ts'
import type { Instance } from './world.ts'

/** One honest node instance as the checks see it. */
export interface HonestNode {
  readonly index: number
  readonly keyIndex: number
  readonly executor: FakeExecutor
  driver: ConsensusDriver
  readonly instance: Instance
  readonly reported: Evidence[]
  /** Validators this node saw sign two different votes for one slot while at that height. */
  readonly sawEquivocation: Set<string>
  readonly slots: Map<string, string>
  /** NEW-VIEWs received (kept for fork forensics in the accountable scenarios). */
  readonly newViews: NewView[]
  heightAtGst: number
  /** Its key left the set for good and its operator stops (or stopped) it. */
  retired: boolean
}

export interface CheckInput {
  readonly scenario: Scenario
  readonly honest: readonly HonestNode[]
  readonly byzantine: ReadonlySet<number>
  readonly commits: ReadonlyMap<number, ReadonlyMap<string, CommitRecord>>
  readonly keys: readonly Bytes[]
  readonly validatorSetFor: (height: number) => ValidatorSet
  readonly chainId: string
  readonly verify: Verify
  /** The true rule (> 2/3), whatever the engine was told. */
  readonly quorumCertValid: (cert: QuorumCertificate, set: ValidatorSet) => boolean
}

const signers = (c: QuorumCertificate) => new Set(c.signatures.map((s) => toHex(s.validator)))

/**
 * Who provably misbehaved, given two commit certificates for different blocks at one height and the
 * NEW-VIEWs honest nodes received: double COMMITs in one view; or a COMMIT in view v followed by a
 * VIEW-CHANGE to a later view whose prepared proof is older than v (honest nodes persist and never
 * lower it); or a PREPARE for another block in the view where it COMMITted.
 */
export function forensics(input: CheckInput, height: number, records: readonly CommitRecord[]): Set<string> {
  const culprits = new Set<string>()
  for (const a of records) {
    for (const b of records) {
      if (a === b) continue
      const ca: CommitCertificate = a.certificate
      const cb: CommitCertificate = b.certificate
      if (ca.view === cb.view) {
        for (const k of signers(ca)) if (signers(cb).has(k)) culprits.add(k)
        continue
      }
      if (ca.view > cb.view) continue
      const committed = signers(ca)
      for (const n of input.honest) {
        for (const nv of n.newViews) {
          if (nv.height !== height || nv.view <= ca.view) continue
          for (const vc of nv.viewChanges) {
            const who = toHex(vc.validator)
            if (!committed.has(who)) continue
            const p = vc.prepared
            if (p === null || p.certificate.view < ca.view) culprits.add(who)
            else if (p.certificate.view === ca.view && !bytesEqual(p.certificate.blockHash, ca.blockHash)) {
              for (const k of signers(p.certificate)) if (committed.has(k)) culprits.add(k)
            }
          }
        }
      }
    }
  }
  return culprits
}

export function runChecks(input: CheckInput): { violations: string[]; forked: boolean } {
  const v: string[] = []
  const { scenario, honest, commits, validatorSetFor } = input
  const keyIndex = new Map(input.keys.map((k, i) => [toHex(k), i]))
  const isByzantine = (hex: string) => input.byzantine.has(keyIndex.get(hex) ?? -1)
  const accountableOnly = scenario.expect.accountableOnly

  // Agreement (or, at a third of byzantine power and more, accountability for the fork).
  let forked = false
  const culprits = new Set<string>()
  for (const n of honest) for (const e of n.reported) culprits.add(toHex(e.a.validator))
  for (const [h, byHash] of [...commits].sort((a, b) => a[0] - b[0])) {
    if (byHash.size <= 1) continue
    // Past the first fork the branches differ anyway; the first conflicting decision is what needs proofs.
    if (forked && accountableOnly) continue
    forked = true
    if (!accountableOnly) {
      v.push(`agreement: ${byHash.size} different blocks committed at height ${h}`)
      continue
    }
    const found = new Set([...culprits, ...forensics(input, h, [...byHash.values()])])
    const set = validatorSetFor(h)
    let power = 0
    for (const k of found) {
      if (!isByzantine(k))
        v.push(`accountability: honest validator ${k.slice(0, 8)} blamed for the fork at ${h}`)
      power += set.byKey.get(k)?.power ?? 0
    }
    if (!hasOneThird(power, set.totalPower)) {
      v.push(`accountability: fork at height ${h} but proofs name only ${power} of ${set.totalPower}`)
    }
  }

  // Validity: every committed block names its height's set and the next one, and carries a valid
  // certificate for itself and a valid lastCommit, each checked against its own height's set.
  const setHash = setHashes(validatorSetFor)
  for (const [h, byHash] of commits) {
    for (const [hex, r] of byHash) {
      const header = r.block.header
      if (
        toHex(header.validatorSetHash) !== setHash(h) ||
        toHex(header.nextValidatorSetHash) !== setHash(h + 1)
      )
        v.push(`validity: block ${h} names another validator set than the chain's for its height or the next`)
      const c = r.certificate
      if (c.height !== h || toHex(c.blockHash) !== hex || c.kind !== 'commit') {
        v.push(`validity: certificate of height ${h} does not match its block`)
      } else if (!input.quorumCertValid(c, validatorSetFor(h))) {
        v.push(`validity: certificate of height ${h} is not a valid > 2/3 quorum`)
      }
      const last = r.block.lastCommit
      if (h > 1 && (last === null || !input.quorumCertValid(last, validatorSetFor(h - 1)))) {
        v.push(`validity: lastCommit of height ${h} is not a valid quorum certificate`)
      }
    }
  }
  for (const n of honest) {
    for (const f of n.executor.faults) v.push(`validity: node ${n.index}: ${f}`)
    for (let h = 2; h <= n.executor.blocks.length; h++) {
      const prev = n.executor.blocks[h - 2] as CommitRecord
      const cur = n.executor.blocks[h - 1] as CommitRecord
      if (!bytesEqual(cur.block.header.parentHash, blockHash(prev.block.header))) {
        v.push(`validity: node ${n.index} chain broken at ${h}`)
      }
    }
  }

  // Accountability: evidence is always true, and every equivocation an honest node saw is reported.
  for (const n of honest) {
    for (const e of n.reported) {
      const who = toHex(e.a.validator)
      if (!isValidEvidenceWith(input.verify, input.chainId, e))
        v.push(`evidence: node ${n.index} reported invalid evidence`)
      if (!isByzantine(who)) v.push(`evidence: node ${n.index} accused honest validator ${who.slice(0, 8)}`)
    }
    const named = new Set(n.reported.map((e) => toHex(e.a.validator)))
    for (const who of n.sawEquivocation) {
      if (!named.has(who))
        v.push(`evidence: node ${n.index} saw ${who.slice(0, 8)} equivocate but reported nothing`)
    }
  }

  // Liveness after GST: every live honest node keeps committing.
  if (scenario.expect.liveness) {
    for (const n of honest) {
      if (!n.instance.up) continue
      const progress = n.executor.height - n.heightAtGst
      if (progress < scenario.expect.minProgressAfterGst) {
        v.push(
          `liveness: node ${n.index} committed ${progress} blocks after GST (height ${n.executor.height})`,
        )
      }
    }
  }

  v.push(...boundaryProgress(input))

  // Fairness: on a calm chain, proposals per validator track stake (±2 over an unaligned window).
  if (scenario.expect.fairness) {
    const chain = honest.reduce((a, b) => (b.executor.height > a.executor.height ? b : a)).executor.blocks
    const set = validatorSetFor(1)
    const counts = new Map<string, number>()
    for (const r of chain)
      counts.set(toHex(r.block.header.proposer), (counts.get(toHex(r.block.header.proposer)) ?? 0) + 1)
    for (const val of set.validators) {
      const share = (chain.length * val.power) / set.totalPower
      const got = counts.get(toHex(val.publicKey)) ?? 0
      if (Math.abs(got - share) > 2)
        v.push(`fairness: validator proposed ${got} blocks, stake share ${share.toFixed(1)}`)
    }
  }
  return { violations: v, forked }
}

/**
 * Progress resumes after each boundary: past GST every live honest node commits the first height of
 * each new set ahead of it and the one after, for up to `minBoundariesAfterGst` changes (fewer when the
 * schedule has fewer left: a last epoch that stays ends them).
 */
function boundaryProgress(input: CheckInput): string[] {
  const { scenario, honest, validatorSetFor } = input
  const want = scenario.expect.minBoundariesAfterGst ?? 0
  if (!scenario.expect.liveness || want === 0) return []
  const hashOf = setHashes(validatorSetFor)
  // No change is left past the last epoch's first height when it stays.
  const lastChange = scenario.lastEpochStays
    ? (scenario.epochPowers.length - 1) * scenario.epochLength + 1
    : Number.POSITIVE_INFINITY
  const out: string[] = []
  for (const n of honest) {
    if (!n.instance.up) continue
    const changes: number[] = []
    for (let h = Math.max(2, n.heightAtGst + 1); changes.length < want && h <= lastChange; h++) {
      if (hashOf(h) !== hashOf(h - 1)) changes.push(h)
    }
    const missed = changes.find((b) => n.executor.height < b + 1)
    if (missed !== undefined) {
      out.push(
        `liveness: node ${n.index} stopped at height ${n.executor.height} before the set change at ${missed} (height ${n.heightAtGst} at GST)`,
      )
    }
  }
  return out
}

/** The hex hash of each height's set, computed once per set. */
function setHashes(validatorSetFor: (height: number) => ValidatorSet): (height: number) => string {
  const hashes = new Map<ValidatorSet, string>()
  return (h) => {
    const set = validatorSetFor(h)
    let hex = hashes.get(set)
    if (hex === undefined) {
      hex = toHex(validatorSetHash(set))
      hashes.set(set, hex)
    }
    return hex
  }
}
