import { describe, expect, it } from 'vitest'
import { encodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import { generateKeyPair } from '../protocol/crypto.ts'
import { decodeAndVerifyTx, encodeTx } from '../protocol/tx.ts'
import { GOVERNED_KINDS } from '../protocol/tx-body.ts'
import { createTx } from './build.ts'
import { ArcadeClientError, ClientErrorCode } from './errors.ts'
import { type GovernedInput, governance, governed, proposalIdOf } from './governance.ts'
import { walletFromKeys } from './keys.ts'
import { parseProposal } from './parse.ts'
import type { Committed, ProposalJson } from './types.ts'

const CHAIN = 'arcade-gov-test'
const signer = walletFromKeys(generateKeyPair())
const member = encodeAddress(generateKeyPair().publicKey)
const node = encodeAddress(generateKeyPair().publicKey, NODE_KEY_PREFIX)

const actions: GovernedInput[] = [
  governed.registerAssociation({ association: member, name: 'Motomachi', nodeKey: node, p2p: 'a.jp:26600' }),
  governed.updateAssociation({ association: member, name: 'Motomachi', nodeKey: node, rpc: 'https://a.jp' }),
  governed.retireAssociation({ association: member }),
  governed.admitObserver({ nodeKey: node, name: 'prefecture' }),
  governed.removeObserver({ nodeKey: node }),
  governed.grantRole({ account: member, role: 'issuer' }),
  governed.revokeRole({ account: member, role: 'admin' }),
  governed.setParams({ jailEpochs: 3, maxValidators: 21 }),
]

function codeOf(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(ArcadeClientError)
    return (err as ArcadeClientError).code
  }
  throw new Error('expected an error')
}

const sign = (request: ReturnType<typeof governance.propose | typeof governance.vote>) =>
  createTx(request.kind, request.fields as never, { chainId: CHAIN, signer, validUntil: 50 })

describe('governed actions', () => {
  it('one builder per governed kind, each signed into a gov.propose that decodes to the same action', () => {
    expect(actions.map((a) => a.kind).sort()).toEqual([...GOVERNED_KINDS].sort())
    for (const action of actions) {
      const tx = decodeAndVerifyTx(encodeTx(sign(governance.propose({ action, deadline: 40 }))), CHAIN)
      expect(tx.body.kind).toBe('gov.propose')
      const body = tx.body as { action: { kind: string }; deadline: number }
      expect([body.action.kind, body.deadline]).toEqual([action.kind, 40])
    }
    const [register] = actions
    const body = sign(governance.propose({ action: register as GovernedInput, deadline: 40 })).body
    expect(body).toMatchObject({ action: { name: 'Motomachi', p2p: 'a.jp:26600', rpc: null } })
  })

  it('setParams refuses no change, a parameter governance may not set, and a non-integer', () => {
    expect(codeOf(() => governed.setParams({}))).toBe(ClientErrorCode.invalidInput)
    const epoch = { chainId: 5 } as unknown as Parameters<typeof governed.setParams>[0]
    expect(codeOf(() => governed.setParams(epoch))).toBe(ClientErrorCode.invalidInput)
    expect(codeOf(() => governed.setParams({ jailEpochs: 1.5 }))).toBe(ClientErrorCode.invalidInput)
    expect(governed.setParams({ jailEpochs: 0 }).changes).toEqual([{ param: 'jailEpochs', value: 0 }])
  })

  it('a bad node key or p2p address in an action is refused before signing', () => {
    const bad = governed.admitObserver({ nodeKey: 'arcnode1nope', name: 'x' })
    expect(codeOf(() => sign(governance.propose({ action: bad, deadline: 9 })))).toBe(
      ClientErrorCode.invalidInput,
    )
    const badP2p = governed.registerAssociation({ association: member, name: 'a', nodeKey: node, p2p: 'x' })
    expect(codeOf(() => sign(governance.propose({ action: badP2p, deadline: 9 })))).toBe(
      ClientErrorCode.invalidInput,
    )
  })

  it('votes, unjail and setAddresses build their kinds', () => {
    expect(sign(governance.vote({ proposal: 3, yes: false })).body).toEqual({
      kind: 'gov.vote',
      proposal: 3,
      yes: false,
    })
    expect(governance.unjail()).toEqual({ kind: 'staking.unjail', fields: {} })
    expect(governance.setAddresses({ rpc: 'https://a.jp' }).fields).toEqual({
      p2p: null,
      rpc: 'https://a.jp',
    })
  })
})

const proposalJson = (action: Record<string, unknown>, status = 'open'): ProposalJson =>
  ({
    id: 2,
    proposer: member,
    action,
    deadline: 90,
    height: 10,
    status,
    error: null,
    votes: [],
    tally: { yes: 0, no: 0, total: 3, needed: 3 },
  }) as unknown as ProposalJson

describe('parseProposal', () => {
  it('parses the action to the protocol body it executes', () => {
    const p = parseProposal(proposalJson({ kind: 'observer.admit', nodeKey: node, name: 'prefecture' }))
    expect(p.body).toMatchObject({ kind: 'observer.admit', name: 'prefecture' })
    expect(encodeAddress((p.body as { nodeKey: Uint8Array }).nodeKey, NODE_KEY_PREFIX)).toBe(node)
  })

  it('refuses an answer whose action the protocol would refuse, or of an unknown kind or status', () => {
    const cases = [
      proposalJson({ kind: 'observer.admit', nodeKey: node, name: 'x'.repeat(65) }),
      proposalJson({ kind: 'point.transfer', point: 'SHOP', to: member, amount: 1 }),
      proposalJson({ kind: 'role.grant', account: member, role: 'owner' }),
      proposalJson({ kind: 'association.retire', association: member }, 'won'),
    ]
    for (const json of cases) expect(codeOf(() => parseProposal(json))).toBe(ClientErrorCode.badResponse)
  })
})

it('proposalIdOf reads the id from the proposed event of a receipt', () => {
  const committed = (events: { type: string; [k: string]: unknown }[]): Committed => ({
    hash: '00',
    height: 1,
    index: 0,
    receipt: { txHash: '00', height: 1, index: 0, status: 'ok', error: null, events },
  })
  expect(proposalIdOf(committed([{ type: 'proposed', proposal: 7 }]))).toBe(7)
  expect(proposalIdOf(committed([{ type: 'voted', proposal: 7 }]))).toBeNull()
})
