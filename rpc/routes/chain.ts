/** Node status, health, blocks and Prometheus metrics. */
import type { FastifyInstance } from 'fastify'
import { txHashesOf } from '../../protocol/block.ts'
import { RpcError, RpcErrorCode } from '../errors.ts'
import { hex, renderBlock, renderCertificate } from '../json.ts'
import type { RouteContext } from '../options.ts'
import { HealthReason } from '../ports.ts'
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

export function registerChainRoutes(app: FastifyInstance, { deps, nowMs }: RouteContext): void {
  const { chain } = deps

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

  const healthSchema = S.object({
    ok: S.bool,
    height: S.uint,
    syncing: S.bool,
    reason: S.nullable({ type: 'string', enum: Object.values(HealthReason) }),
    reasons: S.arrayOf({ type: 'string', enum: Object.values(HealthReason) }),
    peers: S.uint,
    headAgeSeconds: { type: 'number', minimum: 0 },
    staleAfterSeconds: { type: 'number', minimum: 0 },
    behindBlocks: S.uint,
    forks: S.uint,
  })
  app.get(
    '/health',
    {
      schema: {
        summary:
          'Health: 200 with the details, or 503 with the reasons (fork, behind, stale-head; most severe first)',
        tags: ['node'],
        response: { 200: healthSchema, 503: healthSchema, ...S.errorResponses },
      },
    },
    async (_request, reply) => {
      if (chain.health === undefined) {
        const s = await chain.status()
        // A reader with no verdict: healthy while it answers (nothing to judge staleness by).
        const ageMs = s.latestBlockTimeMs === null ? 0 : Math.max(0, nowMs() - s.latestBlockTimeMs)
        return {
          ok: true,
          height: s.height,
          syncing: s.syncing,
          reason: null,
          reasons: [],
          peers: s.peers,
          headAgeSeconds: ageMs / 1000,
          staleAfterSeconds: 0,
          behindBlocks: 0,
          forks: 0,
        }
      }
      const h = await chain.health()
      void reply.code(h.ok ? 200 : 503)
      return { ...h, reason: h.reasons[0] ?? null }
    },
  )

  app.get<{ Querystring: { limit: number } }>(
    '/forks',
    {
      schema: {
        summary:
          "Fork evidence: valid commit certificates for two blocks at one height (this node's and the other), oldest first",
        tags: ['node'],
        querystring: S.object({ limit: S.limitQuery(64, 64) }),
        response: {
          200: S.object({
            items: S.arrayOf(
              S.object({
                height: S.uint,
                ours: S.nullable(S.certificate),
                theirs: S.certificate,
                source: S.text,
                peer: S.nullable(S.text),
                seenAtMs: S.uint,
              }),
            ),
          }),
          ...S.errorResponses,
        },
      },
    },
    async (request) => {
      if (chain.forks === undefined) {
        throw new RpcError(RpcErrorCode.notSupported, 'this node keeps no fork evidence')
      }
      const items = await chain.forks({ limit: request.query.limit })
      return {
        items: items.map((f) => ({
          height: f.height,
          ours: f.ours === null ? null : renderCertificate(f.ours),
          theirs: renderCertificate(f.theirs),
          source: f.source,
          peer: f.peer,
          seenAtMs: f.seenAtMs,
        })),
      }
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

  registerMetricsRoute(app, { deps })
}

/**
 * Prometheus text of the node's registry. Served at `/v1/metrics` and, for scrapers' default
 * `metrics_path`, at `/metrics` (server.ts registers it there too).
 */
export function registerMetricsRoute(app: FastifyInstance, { deps }: Pick<RouteContext, 'deps'>): void {
  const { metrics } = deps
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
