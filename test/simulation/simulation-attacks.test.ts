import { describe, expect, it } from 'vitest'
import { withBuffered } from '../../consensus/future-buffer.ts'
import type { SignaturePort } from '../../consensus/ports.ts'
import { block, CHAIN, cfg, hexOf, others, started, vote } from '../../consensus/testing.ts'
import type { ConsensusMessage } from '../../protocol/consensus-message.ts'
import type { Vote } from '../../protocol/vote.ts'
import { checkBounds } from './bounds.ts'
import { replayCommand, runSeed } from './run.ts'

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

describe('simulation: protocol attacks by a byzantine member', () => {
  it.each(['forged', 'flooded'])(
    'keeps every check and every bound under the %s attack (20 seeds)',
    (family) => {
      const failures: string[] = []
      let sent = 0
      for (const seed of range(1, 20)) {
        const r = runSeed(seed, family)
        sent += r.attacks.forged + r.attacks.flooded
        if (r.violations.length > 0)
          failures.push(`${r.violations[0]} — replay: ${replayCommand(seed, family)}`)
      }
      expect(failures).toEqual([])
      // The attacker really attacked: thousands of messages an honest node had to refuse or bound.
      expect(sent).toBeGreaterThan(1000)
    },
  )

  // The header commits to every byte of every tx (txRoot), so blockFits refuses B′ before its hash is
  // judged: no honest node commits B′'s bytes (a validity check of the fake executor) or stalls on it.
  it('never commits nor stalls on a same-hash block with other tx bytes (20 seeds)', () => {
    const failures: string[] = []
    let swapped = 0
    for (const seed of range(1, 20)) {
      const r = runSeed(seed, 'same-hash')
      swapped += r.attacks.sameHash
      if (r.violations.length > 0)
        failures.push(`${r.violations[0]} — replay: ${replayCommand(seed, 'same-hash')}`)
    }
    expect(failures).toEqual([])
    expect(swapped).toBeGreaterThan(20)
  })

  it('has a bounds check with teeth: a held message that is not authentic is a violation', () => {
    const s = started()
    const [x, y] = others as [SignaturePort, SignaturePort]
    const genuine = vote(x, 'prepare', block(x.publicKey), 0, 2)
    const held = (message: ConsensusMessage, from: string) => ({
      ...s,
      future: withBuffered(s.future, { message, from, bytes: 512 }),
    })
    expect(checkBounds(0, held(genuine, hexOf(x)), cfg.options, cfg.verify, CHAIN)).toEqual([])
    const relayed = checkBounds(0, held(genuine, hexOf(y)), cfg.options, cfg.verify, CHAIN)
    expect(relayed).toHaveLength(1)
    const v = (genuine as { vote: Vote }).vote
    const forged: ConsensusMessage = { type: 'vote', vote: { ...v, signature: new Uint8Array(64) } }
    expect(checkBounds(0, held(forged, hexOf(x)), cfg.options, cfg.verify, CHAIN)).toHaveLength(1)
  })
})
