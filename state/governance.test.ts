import { describe, expect, it } from 'vitest'
import { type Bytes, toHex } from '../protocol/bytes.ts'
import type { TxBody, TxBodyOf } from '../protocol/tx-body.ts'
import { checkTx } from './admission.ts'
import { StateErrorCode } from './errors.ts'
import { MAX_OPEN_PROPOSALS } from './governance.ts'
import { createLedgerQuery } from './query.ts'
import { ADMIN, account, TestChain, testGenesis } from './test-kit.ts'

const A = [account(501), account(502), account(503), account(504)]
const NODES = [account(601), account(602), account(603), account(604)]
const OUTSIDER = account(700)

/** Validators A[0..n) with the given stakes (one epoch = 10 blocks). */
function govChain(stakes = [100, 100, 100], params = {}) {
  const chain = new TestChain(
    testGenesis(
      {
        associations: stakes.map((stake, i) => ({
          account: A[i] as Bytes,
          name: `assoc ${i}`,
          nodeKey: NODES[i] as Bytes,
          stake,
        })),
      },
      params,
    ),
  )
  return chain
}

type Action = TxBodyOf<'gov.propose'>['action']
const admitObserver: Action = { kind: 'observer.admit', nodeKey: account(800), name: 'regulator' }

function propose(chain: TestChain, action: Action, by = A[0] as Bytes, deadline = chain.height + 20) {
  const r = chain.run(by, { kind: 'gov.propose', action, deadline })
  if (r.error !== null) throw new Error(r.error)
  return (r.events[0] as { proposal: number }).proposal
}
const vote = (chain: TestChain, by: Bytes, proposal: number, yes = true) =>
  chain.run(by, { kind: 'gov.vote', proposal, yes })
const q = (chain: TestChain) => createLedgerQuery(chain.state)

describe('governance: who proposes and votes', () => {
  it('only the account of a current validator association proposes and votes, refused at admission too', () => {
    const chain = govChain()
    const body: TxBody = { kind: 'gov.propose', action: admitObserver, deadline: 20 }
    expect(chain.run(OUTSIDER, body).error).toBe(StateErrorCode.sponsorNotAllowed)
    expect(chain.run(ADMIN, body).error).toBe(StateErrorCode.notValidatorAssociation)
    expect(
      checkTx(chain.state, chain.tx(ADMIN, body), { chainId: 'arcade-test', height: chain.height + 1 })?.code,
    ).toBe(StateErrorCode.notValidatorAssociation)
    const id = propose(chain, admitObserver)
    expect(vote(chain, ADMIN, id).error).toBe(StateErrorCode.notValidatorAssociation)
    expect(vote(chain, A[0] as Bytes, 99).error).toBe(StateErrorCode.unknownProposal)
  })

  it('deadlines lie after this height and within the voting period', () => {
    const chain = govChain()
    const at = (deadline: number) =>
      chain.run(A[0] as Bytes, { kind: 'gov.propose', action: admitObserver, deadline })
    expect(at(chain.height).error).toBe(StateErrorCode.badDeadline)
    expect(at(chain.height + 1 + 100_001).error).toBe(StateErrorCode.badDeadline)
    expect(at(chain.height + 5).error).toBeNull()
  })

  it('one vote per association: a later vote replaces the earlier one', () => {
    const chain = govChain([100, 100, 100, 100])
    const id = propose(chain, admitObserver)
    vote(chain, A[0] as Bytes, id)
    vote(chain, A[0] as Bytes, id, false)
    vote(chain, A[0] as Bytes, id)
    const p = q(chain).proposal(id)
    expect(p?.votes).toHaveLength(1)
    expect(p?.tally).toEqual({ yes: 100, no: 0, total: 400 })
  })
})

describe('governance: the quorum', () => {
  it('exactly 2/3 does not pass; above 2/3 passes and executes in the vote tx', () => {
    const chain = govChain()
    const id = propose(chain, admitObserver)
    expect(vote(chain, A[0] as Bytes, id).error).toBeNull()
    expect(vote(chain, A[1] as Bytes, id).error).toBeNull()
    // 200 × 3 = 300 × 2: not more than 2/3.
    expect(q(chain).proposal(id)?.status).toBe('open')
    expect(q(chain).observers()).toEqual([])
    const r = vote(chain, A[2] as Bytes, id)
    expect(r.error).toBeNull()
    expect(r.events.map((e) => e.type)).toEqual(['voted', 'proposalPassed', 'observerAdmitted'])
    expect(q(chain).proposal(id)?.status).toBe('passed')
    expect(
      q(chain)
        .observers()
        .map((o) => [toHex(o.nodeKey), o.name]),
    ).toEqual([[toHex(account(800)), 'regulator']])
    expect(vote(chain, A[0] as Bytes, id).error).toBe(StateErrorCode.proposalClosed)
  })

  it('weights votes by power: one association above 2/3 passes alone', () => {
    const chain = govChain([700, 100, 100, 100])
    const id = propose(chain, admitObserver, A[1] as Bytes)
    expect(vote(chain, A[1] as Bytes, id).events.map((e) => e.type)).toEqual(['voted'])
    expect(vote(chain, A[0] as Bytes, id).events.map((e) => e.type)).toContain('proposalPassed')
  })

  it('a failing action leaves no trace, the proposal ends failed with its code, the vote succeeds', () => {
    const chain = govChain([100])
    // A node key already in use: the action fails.
    const id = propose(chain, { kind: 'observer.admit', nodeKey: NODES[0] as Bytes, name: 'x' })
    const r = vote(chain, A[0] as Bytes, id)
    expect(r.status).toBe('ok')
    expect(r.events.map((e) => e.type)).toEqual(['voted', 'proposalFailed'])
    const p = q(chain).proposal(id)
    expect([p?.status, p?.error]).toEqual(['failed', StateErrorCode.nodeKeyInUse])
    expect(q(chain).observers()).toEqual([])
  })

  it('a multi-write action that fails half way writes nothing', () => {
    const chain = govChain([100])
    const id = propose(chain, {
      kind: 'params.set',
      changes: [
        { param: 'maxValidators', value: 5 },
        { param: 'maxDelegationsPerMember', value: 10_000 },
      ],
    })
    vote(chain, A[0] as Bytes, id)
    expect(q(chain).proposal(id)?.error).toBe(StateErrorCode.invalidParam)
    expect(q(chain).pendingParams()).toBeNull()
  })

  it('a proposal not passed by its deadline expires at the end of that block', () => {
    const chain = govChain()
    const id = propose(chain, admitObserver, A[0] as Bytes, chain.height + 3)
    vote(chain, A[0] as Bytes, id)
    const expiry = chain.block([])
    expect(expiry.blockEvents).toEqual([{ type: 'proposalExpired', proposal: id }])
    expect(q(chain).proposal(id)?.status).toBe('expired')
    expect(vote(chain, A[1] as Bytes, id).error).toBe(StateErrorCode.proposalClosed)
    expect(q(chain).proposals({ status: 'open' })).toEqual([])
    expect(
      q(chain)
        .proposals({ status: 'expired' })
        .map((p) => p.id),
    ).toEqual([id])
  })

  it('open proposals are bounded, refused at admission', () => {
    const chain = govChain([100])
    for (let i = 0; i < MAX_OPEN_PROPOSALS; i++) propose(chain, admitObserver, A[0] as Bytes, 1_000)
    const body: TxBody = { kind: 'gov.propose', action: admitObserver, deadline: chain.height + 5 }
    expect(
      checkTx(chain.state, chain.tx(A[0] as Bytes, body), {
        chainId: 'arcade-test',
        height: chain.height + 1,
      })?.code,
    ).toBe(StateErrorCode.tooManyProposals)
    expect(chain.run(A[0] as Bytes, body).error).toBe(StateErrorCode.tooManyProposals)
  })

  it('tallies against the set in force when a vote is counted', () => {
    const chain = govChain([100, 100, 100])
    const id = propose(chain, admitObserver)
    vote(chain, A[0] as Bytes, id)
    vote(chain, A[1] as Bytes, id)
    // A[2] is retired by the admin: from the next epoch the set is A[0], A[1], and their votes are all of it.
    chain.run(ADMIN, { kind: 'association.retire', association: A[2] as Bytes })
    while (chain.height % 10 !== 0) chain.block([])
    expect(q(chain).validators()).toHaveLength(2)
    expect(q(chain).proposal(id)?.tally).toEqual({ yes: 200, no: 0, total: 200 })
    expect(vote(chain, A[2] as Bytes, id).error).toBe(StateErrorCode.notValidatorAssociation)
    expect(vote(chain, A[1] as Bytes, id).events.map((e) => e.type)).toContain('proposalPassed')
  })
})

describe('governance: the bootstrap admin and its retirement', () => {
  it('governance revokes the genesis admin; afterwards only governance grants roles', () => {
    const chain = govChain([100])
    const id = propose(chain, { kind: 'role.revoke', account: ADMIN, role: 'admin' })
    expect(vote(chain, A[0] as Bytes, id).events.map((e) => e.type)).toEqual([
      'voted',
      'proposalPassed',
      'role',
    ])
    expect(q(chain).roles(ADMIN).admin).toBe(false)
    const grant: TxBody = { kind: 'role.grant', account: OUTSIDER, role: 'issuer' }
    chain.selfSponsored.delete(toHex(ADMIN))
    expect(chain.run(ADMIN, grant).error).not.toBeNull()
    expect(chain.run(ADMIN, grant, { sponsor: A[0] as Bytes }).error).not.toBeNull()
    const id2 = propose(chain, grant)
    vote(chain, A[0] as Bytes, id2)
    expect(q(chain).roles(OUTSIDER).issuer).toBe(true)
  })

  it('an admin still cannot revoke its own admin role directly', () => {
    const chain = govChain([100])
    expect(chain.run(ADMIN, { kind: 'role.revoke', account: ADMIN, role: 'admin' }).error).toBe(
      StateErrorCode.invalidParam,
    )
  })
})

describe('governance: parameters take effect at the next epoch boundary', () => {
  it('scheduled, then applied by the block that closes the epoch, before its election', () => {
    const chain = govChain([300, 200, 100])
    const id = propose(chain, { kind: 'params.set', changes: [{ param: 'maxValidators', value: 2 }] })
    vote(chain, A[0] as Bytes, id)
    const r = vote(chain, A[1] as Bytes, id)
    expect(r.events.map((e) => e.type)).toEqual(['voted', 'proposalPassed', 'paramScheduled'])
    expect(q(chain).params.maxValidators).not.toBe(2)
    expect(q(chain).pendingParams()?.maxValidators).toBe(2)
    while (chain.height % 10 !== 9) {
      chain.block([])
      expect(q(chain).params.maxValidators).not.toBe(2)
    }
    const boundary = chain.block([])
    expect(boundary.blockEvents).toEqual([{ type: 'paramApplied', param: 'maxValidators', value: 2 }])
    expect(q(chain).params.maxValidators).toBe(2)
    expect(q(chain).pendingParams()).toBeNull()
    expect(boundary.nextValidatorSet.validators).toHaveLength(2)
  })

  it('refuses values outside the bounds, duplicates and empty changes, with typed codes', () => {
    const chain = govChain([100])
    const set = (changes: TxBodyOf<'params.set'>['changes']) =>
      chain.run(ADMIN, { kind: 'params.set', changes }).error
    expect(set([])).toBe(StateErrorCode.invalidParam)
    expect(set([{ param: 'maxValidators', value: 0 }])).toBe(StateErrorCode.invalidParam)
    expect(set([{ param: 'maxValidators', value: 257 }])).toBe(StateErrorCode.invalidParam)
    expect(set([{ param: 'maxTxValidityBlocks', value: 0 }])).toBe(StateErrorCode.invalidParam)
    expect(set([{ param: 'jailEpochs', value: 1_025 }])).toBe(StateErrorCode.invalidParam)
    expect(
      set([
        { param: 'jailEpochs', value: 1 },
        { param: 'jailEpochs', value: 2 },
      ]),
    ).toBe(StateErrorCode.invalidParam)
    expect(set([{ param: 'jailEpochs', value: 5 }])).toBeNull()
    expect(
      chain.run(A[0] as Bytes, { kind: 'params.set', changes: [{ param: 'jailEpochs', value: 1 }] }).error,
    ).toBe(StateErrorCode.notAdmin)
  })
})
