/** JSON from the RPC back to protocol values: hex to bytes, `arc1…`/`arcnode1…` to keys. */
import { decodeAddress, NODE_KEY_PREFIX } from '../protocol/address.ts'
import type { BlockHeader } from '../protocol/block.ts'
import { type Bytes, fromHex } from '../protocol/bytes.ts'
import type { StateProof } from '../protocol/state-proof.ts'
import {
  GOVERNED_KINDS,
  type GovernedKind,
  type TxBody,
  type TxBodyOf,
  txBodyFromTuple,
  txBodyToTuple,
} from '../protocol/tx-body.ts'
import { createValidatorSet, type ValidatorSet } from '../protocol/validator-set.ts'
import type { QuorumCertificate } from '../protocol/vote.ts'
import { txBody } from './build.ts'
import { ArcadeClientError, ClientErrorCode } from './errors.ts'
import type {
  BlockJson,
  CertificateJson,
  ParsedBlock,
  ProofJson,
  Proposal,
  ProposalJson,
  ValidatorsJson,
} from './types.ts'

function bad(field: string, reason: string): ArcadeClientError {
  return new ArcadeClientError(ClientErrorCode.badResponse, `${field}: ${reason}`, null, { field })
}

export function hexBytes(text: unknown, field: string, length?: number): Bytes {
  if (typeof text !== 'string') throw bad(field, 'expected hex')
  let out: Bytes
  try {
    out = fromHex(text.replace(/^0x/, ''))
  } catch {
    throw bad(field, 'expected hex')
  }
  if (length !== undefined && out.length !== length) throw bad(field, `expected ${length} bytes`)
  return out
}

function key(text: unknown, field: string, prefix?: string): Bytes {
  try {
    return decodeAddress(String(text), prefix)
  } catch {
    throw bad(field, 'expected an address')
  }
}

export function parseCertificate(c: CertificateJson, field = 'certificate'): QuorumCertificate {
  if (typeof c !== 'object' || c === null || !Array.isArray(c.signers))
    throw bad(field, 'expected a certificate')
  return {
    kind: c.kind,
    height: c.height,
    view: c.view,
    blockHash: hexBytes(c.blockHash, `${field}.blockHash`, 32),
    signatures: c.signers.map((s, i) => ({
      validator: key(s.validator, `${field}.signers[${i}].validator`, NODE_KEY_PREFIX),
      signature: hexBytes(s.signature, `${field}.signers[${i}].signature`, 64),
    })),
  }
}

const uint = (value: unknown, field: string): number => {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw bad(field, 'expected a non-negative integer')
  return value as number
}

export function parseHeader(h: BlockJson['header']): BlockHeader {
  if (typeof h !== 'object' || h === null) throw bad('header', 'expected a block header')
  const b = (name: keyof BlockJson['header']) => hexBytes(h[name], `header.${name}`, 32)
  if (typeof h.chainId !== 'string') throw bad('header.chainId', 'expected a string')
  uint(h.height, 'header.height')
  uint(h.view, 'header.view')
  uint(h.timeMs, 'header.timeMs')
  return {
    chainId: h.chainId,
    height: h.height,
    view: h.view,
    timeMs: h.timeMs,
    parentHash: b('parentHash'),
    txRoot: b('txRoot'),
    stateRoot: b('stateRoot'),
    lastCommitHash: b('lastCommitHash'),
    validatorSetHash: b('validatorSetHash'),
    nextValidatorSetHash: b('nextValidatorSetHash'),
    evidenceRoot: b('evidenceRoot'),
    proposer: key(h.proposer, 'header.proposer', NODE_KEY_PREFIX),
  }
}

function txList(txs: unknown): readonly unknown[] {
  if (!Array.isArray(txs)) throw bad('txs', 'expected a list')
  return txs
}

export function parseBlock(json: BlockJson): ParsedBlock {
  if (typeof json !== 'object' || json === null || typeof json.header !== 'object')
    throw bad('block', 'expected a block')
  return {
    hash: hexBytes(json.hash, 'hash', 32),
    header: parseHeader(json.header),
    txHashes: txList(json.txs).map((t, i) => hexBytes(t, `txs[${i}]`, 32)),
    lastCommit: json.lastCommit === null ? null : parseCertificate(json.lastCommit, 'lastCommit'),
    certificate: json.certificate === null ? null : parseCertificate(json.certificate),
    json,
  }
}

/** The validator set of GET /v1/validators (node keys and power) as a protocol ValidatorSet. */
export function parseValidatorSet(json: ValidatorsJson): ValidatorSet {
  if (typeof json !== 'object' || json === null || !Array.isArray(json.items))
    throw bad('validators', 'expected a list')
  return createValidatorSet(
    json.items.map((v, i) => ({
      publicKey: key(v.nodeKey, `items[${i}].nodeKey`, NODE_KEY_PREFIX),
      power: v.power,
    })),
  )
}

export interface ParsedProof {
  readonly key: Bytes
  readonly value: Bytes | null
  readonly proof: StateProof
  readonly height: number
  readonly stateRoot: Bytes
  readonly blockHash: Bytes | null
  readonly certificate: QuorumCertificate | null
}

export function parseProof(json: ProofJson): ParsedProof {
  if (typeof json !== 'object' || json === null || typeof json.proof !== 'object' || json.proof === null) {
    throw bad('proof', 'expected a proof response')
  }
  const { leaf } = json.proof
  if (!Array.isArray(json.proof.siblings)) throw bad('proof.siblings', 'expected a list')
  return {
    key: hexBytes(json.key, 'key'),
    value: json.value === null ? null : hexBytes(json.value, 'value'),
    proof: {
      siblings: json.proof.siblings.map((s, i) => hexBytes(s, `proof.siblings[${i}]`, 32)),
      leaf:
        leaf === null
          ? null
          : {
              path: hexBytes(leaf.path, 'proof.leaf.path', 32),
              valueHash: hexBytes(leaf.valueHash, 'proof.leaf.valueHash', 32),
            },
    },
    height: json.height,
    stateRoot: hexBytes(json.stateRoot, 'stateRoot', 32),
    blockHash: json.blockHash === null ? null : hexBytes(json.blockHash, 'blockHash', 32),
    certificate: json.certificate === null ? null : parseCertificate(json.certificate),
  }
}

const PROPOSAL_STATUSES: readonly string[] = ['open', 'passed', 'failed', 'expired']

/**
 * A proposal of GET /v1/gov/proposals[/:id], its action checked as the protocol checks a governed
 * body (every field, bounds and addresses) and parsed to that body: what a voter reads is what passes.
 */
export function parseProposal(json: ProposalJson): Proposal {
  if (typeof json !== 'object' || json === null) throw bad('proposal', 'expected a proposal')
  if (!Number.isSafeInteger(json.id) || json.id < 0) throw bad('proposal.id', 'expected an id')
  if (!PROPOSAL_STATUSES.includes(json.status)) throw bad('proposal.status', 'unknown status')
  const action = json.action as { kind?: unknown } | null
  const kind = action?.kind
  if (typeof kind !== 'string' || !(GOVERNED_KINDS as readonly string[]).includes(kind)) {
    throw bad('proposal.action.kind', 'expected a governed kind')
  }
  let body: TxBody
  try {
    body = txBodyFromTuple(txBodyToTuple(txBody(kind as GovernedKind, action as never) as TxBody))
  } catch (err) {
    throw bad('proposal.action', (err as Error).message)
  }
  return { ...json, body: body as TxBodyOf<GovernedKind> }
}
