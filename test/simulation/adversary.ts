/**
 * Protocol-level attacks by one byzantine member, which runs an honest driver besides (so it still
 * votes) and holds only its own key:
 * - `forge`: forged messages over its own connection: others' names on unsigned or wrongly signed
 *   messages for the next height and for absurd heights (2^53), its own name with a bad signature, its
 *   own validly signed claims of absurd heights, forged commit certificates, and relays of other
 *   members' genuine messages (a relay is never the signer's own connection, so it must be dropped).
 * - `flood`: validly signed votes and view changes of its own over many views, in bursts.
 * - `same-hash`: as leader, it sends its block B to some members and B′ to the others: the same header
 *   (so the same hash and the same proposal signature) with one tx's signature bytes flipped. Honest
 *   members must never commit B′'s bytes and must not stall on it: the header commits to every byte of
 *   every tx (txRoot), so the machine's blockFits refuses B′ before its hash is judged.
 */
import type { NetworkPort, SignaturePort } from '../../consensus/ports.ts'
import type { Block } from '../../protocol/block.ts'
import { type Bytes, toHex } from '../../protocol/bytes.ts'
import {
  type ConsensusMessage,
  type Proposal,
  signerOf,
  viewChangeSignBytes,
} from '../../protocol/consensus-message.ts'
import { type CommitCertificate, voteBytes } from '../../protocol/vote.ts'
import type { Prng } from './prng.ts'
import type { SimNetwork, VirtualClock } from './world.ts'

export type AttackKind = 'forge' | 'flood' | 'same-hash'

export interface AttackStats {
  /** Messages sent that an honest node must drop (forged, wrongly signed or relayed). */
  forged: number
  /** Validly signed messages of its own for views or heights no honest node is at. */
  flooded: number
  /** Proposals whose block was swapped for a same-hash twin with other tx bytes. */
  sameHash: number
  /** Messages an outsider signed for heights before its key joined the set, and after it left (byzantine.ts). */
  outsiderEarly: number
  outsiderLate: number
}

export interface AttackContext {
  readonly chainId: string
  readonly key: SignaturePort
  /** Every member's key (the attacker's included). */
  readonly keys: readonly Bytes[]
  readonly net: SimNetwork
  readonly self: number
  readonly prng: Prng
  readonly clock: VirtualClock
  /** The height and view the attacker's own driver is at. */
  readonly position: () => { height: number; view: number }
  readonly stats: AttackStats
}

const randomBytes = (prng: Prng, n: number): Uint8Array => {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = prng.int(256)
  return b
}

/**
 * Heights no honest member will reach: the sync target must never follow them. 2^53 cannot even be
 * encoded (so not signed, and never decoded off the wire); it comes only in forged messages in memory.
 */
const ABSURD_HEIGHTS = [2 ** 53, Number.MAX_SAFE_INTEGER]
const SIGNABLE_ABSURD_HEIGHTS = [2 ** 40, Number.MAX_SAFE_INTEGER]

/** Forged messages every `everyMs`, and a relay of a share of what the attacker receives. */
export function startForging(
  ctx: AttackContext,
  everyMs: number,
  untilMs: number,
): (m: ConsensusMessage) => void {
  const { prng, net, self, key, stats } = ctx
  const port = net.port(self)
  const others = ctx.keys.filter((k) => toHex(k) !== toHex(key.publicKey))
  const send = (m: ConsensusMessage) => {
    stats.forged++
    port.broadcast(m)
  }
  const round = () => {
    const { height } = ctx.position()
    const victim = prng.pick(others)
    for (const h of [height + 1, ...ABSURD_HEIGHTS]) {
      // Another member's name, a random signature: unsigned as far as anyone can tell.
      send({
        type: 'view-change',
        height: h,
        view: 1,
        prepared: null,
        validator: victim,
        signature: randomBytes(prng, 64),
      })
      send({
        type: 'vote',
        vote: {
          kind: 'prepare',
          height: h,
          view: 0,
          blockHash: randomBytes(prng, 32),
          validator: victim,
          signature: randomBytes(prng, 64),
        },
      })
    }
    for (const h of [height + 1, ...SIGNABLE_ABSURD_HEIGHTS]) {
      // Its own name, a signature over other bytes.
      send({
        type: 'view-change',
        height: h,
        view: 2,
        prepared: null,
        validator: key.publicKey,
        signature: key.sign(viewChangeSignBytes(ctx.chainId, h, 1, null)),
      })
    }
    // A forged commit certificate for the current height and for an absurd one.
    for (const h of [height, 2 ** 53]) {
      const certificate: CommitCertificate = {
        kind: 'commit',
        height: h,
        view: 0,
        blockHash: randomBytes(prng, 32),
        signatures: others.map((validator) => ({ validator, signature: randomBytes(prng, 64) })),
      }
      send({ type: 'commit-certificate', height: h, view: 0, certificate })
    }
    // Its own, validly signed claims of absurd heights: counted as its claim, never as a sync target.
    for (const h of SIGNABLE_ABSURD_HEIGHTS) {
      stats.flooded++
      port.broadcast({
        type: 'view-change',
        height: h,
        view: 1,
        prepared: null,
        validator: key.publicKey,
        signature: key.sign(viewChangeSignBytes(ctx.chainId, h, 1, null)),
      })
    }
    if (ctx.clock.now + everyMs < untilMs) ctx.clock.schedule(everyMs, round)
  }
  ctx.clock.schedule(everyMs, round)
  return (m) => {
    const signer = signerOf(m)
    if (signer !== null && toHex(signer) !== toHex(key.publicKey) && prng.chance(0.1)) send(m)
  }
}

/** Bursts of validly signed votes and view changes over many views, every `everyMs`. */
export function startFlooding(ctx: AttackContext, everyMs: number, untilMs: number): void {
  const { prng, net, self, key, stats } = ctx
  const port = net.port(self)
  let nextView = 0
  const round = () => {
    const { height, view } = ctx.position()
    for (let i = 0; i < 30; i++) {
      const v = nextView++ % 4000
      const hash = randomBytes(prng, 32)
      for (const kind of ['prepare', 'commit'] as const) {
        stats.flooded++
        port.broadcast({
          type: 'vote',
          vote: {
            kind,
            height,
            view: v,
            blockHash: hash,
            validator: key.publicKey,
            signature: key.sign(voteBytes(ctx.chainId, kind, height, v, hash)),
          },
        })
      }
    }
    for (let i = 0; i < 10; i++) {
      const v = view + 1 + prng.int(2000)
      stats.flooded++
      port.broadcast({
        type: 'view-change',
        height,
        view: v,
        prepared: null,
        validator: key.publicKey,
        signature: key.sign(viewChangeSignBytes(ctx.chainId, height, v, null)),
      })
    }
    if (ctx.clock.now + everyMs < untilMs) ctx.clock.schedule(everyMs, round)
  }
  ctx.clock.schedule(everyMs, round)
}

/** B′: B's header and proposal signature, one tx's signature bytes flipped (null for an empty block). */
function sameHashTwin(block: Block): Block | null {
  const first = block.txs[0]
  if (first === undefined) return null
  const flipped = new Uint8Array(first)
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1
  return { ...block, txs: [flipped, ...block.txs.slice(1)] }
}

/** Wraps the attacker's own network: each proposal it makes goes as B to half the members, B′ to the rest. */
export function sameHashNetwork(ctx: AttackContext): NetworkPort {
  const { net, self, prng, stats } = ctx
  const inner = net.port(self)
  return {
    send: inner.send,
    broadcast(m) {
      const p: Proposal | null = m.type === 'proposal' ? m : m.type === 'new-view' ? m.proposal : null
      const twin = p === null ? null : sameHashTwin(p.block)
      if (p === null || twin === null) {
        inner.broadcast(m)
        return
      }
      stats.sameHash++
      const others = prng.shuffle(net.instances.map((_, i) => i).filter((i) => i !== self))
      const cut = Math.ceil(others.length / 2)
      const proposal: Proposal = { ...p, block: twin }
      const swapped: ConsensusMessage = m.type === 'new-view' ? { ...m, proposal } : proposal
      net.sendTo(self, others.slice(0, cut), m)
      net.sendTo(self, others.slice(cut), swapped)
    },
  }
}
