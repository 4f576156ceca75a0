/**
 * Staking and audit reads: stakes, associations, the validator set, double-sign evidence, and state
 * proofs with the commit certificate that signs their root (what lets a regulator or a phone check an
 * answer without trusting this node).
 */
import type { FastifyInstance } from 'fastify'
import type { Bytes } from '../../protocol/bytes.ts'
import { validatorSetHash } from '../../protocol/validator-set.ts'
import { recordKey, type ValidatorInfo } from '../../state/query.ts'
import { firstHeightOfEpoch } from '../../state/staking-election.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import {
  address,
  hex,
  nodeKey,
  parseAddress,
  parseHash,
  parseHex,
  renderCertificate,
  renderEvidence,
} from '../json.ts'
import type { RouteContext } from '../options.ts'
import * as S from '../schemas.ts'
import { currentQuery } from './ledger.ts'

const POINT_RE = /^[A-Z][A-Z0-9]{1,11}$/
const CAMPAIGN_RE = /^[a-z0-9][a-z0-9-]{0,31}$/
const REF_HELP =
  'a hex key, or point:ID, balance:ID:ADDR, allowance:ID:OWNER:SPENDER, merchant:ID:ADDR, device:ADDR, ' +
  'stake:ADDR, association:ADDR, purse:ADDR, validators, lots:ID:ADDR, campaign:ID:CAMPAIGN, ' +
  'pseudonym:ID:ADDR, anchor:ID:ROOTHEX'

/** `/proofs/:ref`: a state key in hex, or a named record whose key state/ derives. */
export function parseProofRef(ref: string): Bytes {
  const [kind, ...args] = ref.split(':')
  const point = (id: string | undefined) => {
    if (id === undefined || !POINT_RE.test(id))
      throw new RpcError(RpcErrorCode.badRequest, `ref: ${REF_HELP}`)
    return id
  }
  const acct = (text: string | undefined) => parseAddress(text ?? '')
  const [a, b, c] = args
  switch (`${kind}/${args.length}`) {
    case 'point/1':
      return recordKey.point(point(a))
    case 'balance/2':
      return recordKey.balance(point(a), acct(b))
    case 'allowance/3':
      return recordKey.allowance(point(a), acct(b), acct(c))
    case 'merchant/2':
      return recordKey.merchant(point(a), acct(b))
    case 'device/1':
      return recordKey.device(acct(a))
    case 'stake/1':
      return recordKey.stake(acct(a))
    case 'association/1':
      return recordKey.association(acct(a))
    case 'purse/1':
      return recordKey.purse(acct(a))
    case 'validators/0':
      return recordKey.validatorSet()
    case 'lots/2':
      return recordKey.lots(point(a), acct(b))
    case 'pseudonym/2':
      return recordKey.pseudonymTraffic(point(a), acct(b))
    case 'campaign/2':
      if (b === undefined || !CAMPAIGN_RE.test(b))
        throw new RpcError(RpcErrorCode.badRequest, `ref: ${REF_HELP}`)
      return recordKey.campaign(point(a), b)
    case 'anchor/2':
      return recordKey.anchor(point(a), parseHash(b ?? '', 'ref root'))
  }
  if (args.length === 0) return parseHex(ref, 'ref')
  throw new RpcError(RpcErrorCode.badRequest, `ref: ${REF_HELP}`)
}

const withErrors = (ok: Record<string, unknown>) => ({ 200: ok, ...S.errorResponses })

const validatorItems = S.arrayOf(
  S.object({
    nodeKey: S.nodeKey,
    power: S.uint,
    association: S.nullable(S.account),
    jailed: S.bool,
  }),
)

function renderValidators(set: readonly ValidatorInfo[]) {
  return {
    totalPower: set.reduce((sum, v) => sum + v.power, 0),
    items: set.map((v) => ({
      nodeKey: nodeKey(v.nodeKey),
      power: v.power,
      association: v.association === null ? null : address(v.association),
      jailed: v.jailed,
    })),
  }
}

export function registerStakingRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  const { chain } = deps
  const q = () => currentQuery(deps.query)

  app.get<{ Params: { address: string } }>(
    '/stakes/:address',
    {
      schema: {
        summary: "A member's free stake, delegations to associations and unbonding amounts",
        tags: ['staking'],
        params: S.addressParams,
        response: withErrors(
          S.object({
            member: S.account,
            free: S.amount,
            matured: { ...S.amount, description: 'unbonded amounts due, folded into free on the next tx' },
            delegations: S.arrayOf(S.object({ association: S.account, amount: S.amount })),
            unbonding: S.arrayOf(S.object({ amount: S.amount, releaseEpoch: S.uint })),
          }),
        ),
      },
    },
    async (request) => {
      const member = parseAddress(request.params.address)
      const s = q().stake(member)
      return {
        member: address(member),
        free: s?.free ?? 0,
        matured: s?.matured ?? 0,
        delegations: (s?.delegations ?? []).map(([a, amount]) => ({ association: address(a), amount })),
        unbonding: (s?.unbonding ?? []).map(([amount, releaseEpoch]) => ({ amount, releaseEpoch })),
      }
    },
  )

  app.get(
    '/associations',
    {
      schema: {
        summary:
          'Associations: node key, delegated stake, voting power, jailing, retirement and their on-chain addresses',
        description:
          '`p2p` and `rpc` are what the association published on chain (registration, association.update or ' +
          'association.setAddresses): validators dial `p2p`, clients may use `rpc`.',
        tags: ['staking'],
        response: withErrors(S.object({ items: S.arrayOf(S.association) })),
      },
    },
    async () => {
      const query = q()
      const { epoch } = query
      const clock = {
        epochLength: epoch.epochLength,
        anchor: { height: epoch.anchorHeight, epoch: epoch.anchorEpoch },
      }
      return {
        items: query.associations().map((a) => ({
          address: address(a.address),
          name: a.name,
          nodeKey: nodeKey(a.nodeKey),
          delegated: a.delegated,
          power: a.power,
          jailed: a.jailed,
          jailedUntilEpoch: a.jailedUntilEpoch,
          unjailFromHeight: a.jailed ? firstHeightOfEpoch(a.jailedUntilEpoch, clock) : null,
          retired: a.retired,
          p2p: a.p2p,
          rpc: a.rpc,
        })),
      }
    },
  )

  app.get(
    '/validators',
    {
      schema: {
        summary:
          'The validator set for the next height, and the set the next election would choose from the state now',
        description:
          '`items` certify the next height. `nextEpoch` is a projection: the set the election in the block at ' +
          'the end of this epoch would choose with delegations and jailing as they stand, from `fromHeight` on.',
        tags: ['staking'],
        response: withErrors(
          S.object({
            height: S.uint,
            totalPower: S.uint,
            items: validatorItems,
            nextEpoch: S.object({ fromHeight: S.uint, totalPower: S.uint, items: validatorItems }),
          }),
        ),
      },
    },
    async () => {
      const query = q()
      const next = query.nextEpochValidators()
      return {
        height: query.height,
        ...renderValidators(query.validators()),
        nextEpoch: { fromHeight: next.fromHeight, ...renderValidators(next.validators) },
      }
    },
  )

  app.get<{ Querystring: { limit: number } }>(
    '/evidence',
    {
      schema: {
        summary: 'Double-sign evidence included in blocks (two conflicting signed votes), newest first',
        tags: ['staking'],
        // Each item may cost a stored block's decode: a small page.
        querystring: S.object({ limit: S.limitQuery(20, 20) }),
        response: withErrors(
          S.object({ items: S.arrayOf(S.object({ height: S.uint, evidence: S.evidence })) }),
        ),
      },
    },
    async (request) => {
      if (chain.evidence === undefined)
        throw new RpcError(RpcErrorCode.notSupported, 'this node keeps no evidence index')
      const items = await chain.evidence({ limit: request.query.limit })
      return { items: items.map((e) => ({ height: e.height, evidence: renderEvidence(e.evidence) })) }
    },
  )

  app.get<{ Querystring: { fromHeight: number; limit: number } }>(
    '/validator-sets',
    {
      schema: {
        summary: 'The validator sets in force from a height on: the one certifying it, then each change',
        description:
          'Oldest first. `fromHeight` of an item is the first height that set certifies; the change to it was ' +
          "decided by block `fromHeight − 1`, whose header's `nextValidatorSetHash` is `setHash`. A light " +
          "client trusting an earlier set checks that block's commit certificate with that set, then takes " +
          'this one (it never needs to trust the node serving it).',
        tags: ['staking'],
        querystring: S.object({
          fromHeight: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 },
          limit: S.limitQuery(100, 20),
        }),
        response: withErrors(
          S.object({
            items: S.arrayOf(
              S.object({
                fromHeight: S.uint,
                setHash: S.hexBytes,
                totalPower: S.uint,
                validators: S.arrayOf(S.object({ nodeKey: S.nodeKey, power: S.uint })),
              }),
            ),
          }),
        ),
      },
    },
    async (request) => {
      if (chain.validatorSets === undefined)
        throw new RpcError(RpcErrorCode.notSupported, 'this node keeps no validator set history')
      const items = await chain.validatorSets({
        fromHeight: request.query.fromHeight,
        limit: request.query.limit,
      })
      return {
        items: items.map(({ fromHeight, set }) => ({
          fromHeight,
          setHash: hex(validatorSetHash(set)),
          totalPower: set.totalPower,
          validators: set.validators.map((v) => ({ nodeKey: nodeKey(v.publicKey), power: v.power })),
        })),
      }
    },
  )

  app.get<{ Params: { ref: string } }>(
    '/proofs/:ref',
    {
      schema: {
        summary: 'Merkle proof of a state record, with the commit certificate that signs its root',
        description:
          `\`ref\` is ${REF_HELP}. \`value\` is null for an absence proof. Check it with ` +
          "protocol/state-proof.ts against `stateRoot`, which is the header's state root at `height`, " +
          'signed by `certificate` (null until the next block carries it: ask again then).',
        tags: ['proofs'],
        params: S.object({ ref: { type: 'string', minLength: 1, maxLength: 400 } }),
        response: withErrors(
          S.object({
            key: S.hexBytes,
            value: S.nullable(S.hexBytes),
            proof: S.object({
              siblings: S.arrayOf(S.hexBytes),
              leaf: S.nullable(S.object({ path: S.hexBytes, valueHash: S.hexBytes })),
            }),
            height: S.uint,
            stateRoot: S.hexBytes,
            blockHash: S.nullable(S.hexBytes),
            certificate: S.nullable(S.certificate),
          }),
        ),
      },
    },
    async (request) => {
      const key = parseProofRef(request.params.ref)
      const query = q()
      const p = query.prove(key)
      const block = query.height === 0 ? null : await chain.blockByHeight(query.height)
      const { leaf } = p.proof
      return {
        key: hex(p.key),
        value: p.value === null ? null : hex(p.value),
        proof: {
          siblings: p.proof.siblings.map(hex),
          leaf: leaf === null ? null : { path: hex(leaf.path), valueHash: hex(leaf.valueHash) },
        },
        height: query.height,
        stateRoot: hex(query.stateRoot),
        blockHash: block === null ? null : hex(block.hash),
        certificate: block?.certificate ? renderCertificate(block.certificate) : null,
      }
    },
  )
}
