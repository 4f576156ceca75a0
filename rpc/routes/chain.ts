/** Node status, health, blocks and Prometheus metrics. */
import type { FastifyInstance } from 'fastify'
import { txHashesOf } from '../../protocol/block.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { hex, renderBlock } from '../json.ts'
import type { RouteContext } from '../options.ts'
import * as S from '../schemas.ts'

const statusSchema = S.object({
  chainId: S.text,
  height: S.uint,
  role: { type: 'string', enum: ['validator', 'observer'] },
  peers: S.uint,
  syncing: S.bool,
  mempoolSize: S.uint,
  headHash: S.nullable(S.hexBytes),
  latestBlockTimeMs: S.nullable(S.uint),
})

export function registerChainRoutes(app: FastifyInstance, { deps }: RouteContext): void {
  const { chain, metrics } = deps

  app.get(
    '/status',
    {
      schema: {
        summary: 'Chain id, height, role, peers, sync state and mempool size of this node',
        tags: ['node'],
        response: { 200: statusSchema, ...S.errorResponses },
      },
    },
    async () => {
      const s = await chain.status()
      return { ...s, headHash: s.headHash === null ? null : hex(s.headHash) }
    },
  )

  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: 200 while the node answers, with its height and sync state',
        tags: ['node'],
        response: { 200: S.object({ ok: S.bool, height: S.uint, syncing: S.bool }), ...S.errorResponses },
      },
    },
    async () => {
      const s = await chain.status()
      return { ok: true, height: s.height, syncing: s.syncing }
    },
  )

  const blockRoute = (params: { height?: number }) => async () => {
    const record = await chain.blockByHeight(params.height ?? 'latest')
    if (record === null) {
      throw new RpcError(RpcErrorCode.blockNotFound, `no block at height ${params.height ?? 'latest'}`)
    }
    return renderBlock(record, record.txHashes ?? txHashesOf(record.block.txs))
  }
  const blockResponse = { 200: S.block, ...S.errorResponses }

  app.get(
    '/blocks/latest',
    {
      schema: {
        summary: 'The head block: header, tx hashes, and its commit certificate once known',
        tags: ['chain'],
        response: blockResponse,
      },
    },
    blockRoute({}),
  )

  app.get<{ Params: { height: number } }>(
    '/blocks/:height',
    {
      schema: {
        summary: 'A block by height: header (hashes and state root as hex), tx hashes, certificates',
        tags: ['chain'],
        params: S.object({ height: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }),
        response: blockResponse,
      },
    },
    async (request) => blockRoute({ height: request.params.height })(),
  )

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics of this node (text exposition format)',
        tags: ['node'],
        response: { 200: { type: 'string' }, ...S.errorResponses },
      },
    },
    async (_request, reply) => {
      const text = await metrics.metrics()
      return reply.type(metrics.contentType).send(text)
    },
  )
}
