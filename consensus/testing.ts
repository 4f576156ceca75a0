/**
 * Fixtures for this folder's tests: four validators with real Ed25519 keys, blocks for height 1, signed
 * messages, and a runner that feeds events through `step` as if they came over each signer's own
 * connection.
 */
import { type Block, blockHash, evidenceRootOf, txRootOf, ZERO_HASH } from '../protocol/block.ts'
import { bytesEqual, toHex } from '../protocol/bytes.ts'
import type { ConsensusMessage } from '../protocol/consensus-message.ts'
import { publicKeyFromSecret, sign, verify } from '../protocol/crypto.ts'
import { createValidatorSet, validatorSetHash } from '../protocol/validator-set.ts'
import { createLeaderSchedule } from './leader.ts'
import { step } from './machine.ts'
import { consensusOptions } from './options.ts'
import type { SignaturePort } from './ports.ts'
import { signMessage, type UnsignedMessage } from './signer.ts'
import {
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  type HeightContext,
  initialState,
  type MachineConfig,
} from './state.ts'

export const CHAIN = 'arcade-test'

export const keys: SignaturePort[] = [1, 2, 3, 4].map((i) => {
  const secret = new Uint8Array(32).fill(i)
  return { publicKey: publicKeyFromSecret(secret), sign: (m) => sign(m, secret), verify }
})
export const set = createValidatorSet(keys.map((k) => ({ publicKey: k.publicKey, power: 10 })))
export const schedule = createLeaderSchedule(set)
export const ctx: HeightContext = {
  height: 1,
  validators: set,
  validatorSetHash: validatorSetHash(set),
  schedule,
  parentHash: ZERO_HASH,
  parentTimeMs: 0,
  lastCommit: null,
  lastValidators: null,
}
export const keyOf = (pub: Uint8Array): SignaturePort =>
  keys.find((k) => bytesEqual(k.publicKey, pub)) as SignaturePort
export const leader0 = keyOf(schedule.leaderOf(1, 0))
export const leader1 = keyOf(schedule.leaderOf(1, 1))
export const me = keys.find((k) => k !== leader0 && k !== leader1) as SignaturePort
export const others = keys.filter((k) => k !== me)
export const hexOf = (k: SignaturePort): string => toHex(k.publicKey)

export const cfg: MachineConfig = { chainId: CHAIN, self: me.publicKey, options: consensusOptions(), verify }

export function block(proposer: Uint8Array, view = 0, timeMs = 5, txs: Uint8Array[] = []): Block {
  return {
    header: {
      chainId: CHAIN,
      height: 1,
      view,
      timeMs,
      parentHash: ZERO_HASH,
      txRoot: txRootOf(txs),
      stateRoot: new Uint8Array(32).fill(7),
      lastCommitHash: ZERO_HASH,
      validatorSetHash: validatorSetHash(set),
      nextValidatorSetHash: validatorSetHash(set),
      evidenceRoot: evidenceRootOf([]),
      proposer,
    },
    txs,
    lastCommit: null,
    evidence: [],
  }
}

export const signed = (k: SignaturePort, m: UnsignedMessage): ConsensusMessage => signMessage(CHAIN, k, m)

export const vote = (k: SignaturePort, kind: 'prepare' | 'commit', b: Block, view = 0, height = 1) =>
  signed(k, { type: 'vote', kind, height, view, blockHash: blockHash(b.header) })

/** The hex node key whose connection would carry `m` (its signer's; a relayed certificate: none). */
export function senderHex(m: ConsensusMessage): string {
  switch (m.type) {
    case 'vote':
      return toHex(m.vote.validator)
    case 'proposal':
      return toHex(m.proposer)
    case 'view-change':
      return toHex(m.validator)
    case 'new-view':
      return toHex(m.proposal.proposer)
    case 'commit-certificate':
      return ''
  }
}

/** A message event delivered over its signer's own connection, or over `from` when given. */
export const msg = (message: ConsensusMessage, from = senderHex(message)): ConsensusEvent => ({
  type: 'message',
  message,
  from,
})

export function run(
  state: ConsensusState,
  events: readonly ConsensusEvent[],
  config: MachineConfig = cfg,
): { state: ConsensusState; effects: ConsensusEffect[] } {
  const effects: ConsensusEffect[] = []
  for (const e of events) {
    const r = step(config, state, e)
    state = r.state
    effects.push(...r.effects)
  }
  return { state, effects }
}

export const started = (config: MachineConfig = cfg): ConsensusState =>
  run(initialState(ctx), [{ type: 'start' }], config).state

export const signs = (effects: readonly ConsensusEffect[], kind: string) =>
  effects.filter(
    (e) =>
      e.type === 'sign-and-broadcast' &&
      (e.message.type === kind || (e.message.type === 'vote' && e.message.kind === kind)),
  )
