/**
 * createRpcServer(options, deps): the Fastify app, its plugins (OpenAPI docs, rate limits), the error
 * catalogue wired in as the one error handler, request metrics, the /v1 routes and the explorer's
 * files. The node owns the lifecycle: `listen` after the chain is loaded, `close` before the chain stops.
 */
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import { type Client, createClientResolver } from './clients.ts'
import { type ErrorResponse, RpcError, RpcErrorCode, toErrorResponse } from './errors.ts'
import { checkJsonShape } from './json-body.ts'
import { registerRequestMetrics } from './metrics.ts'
import { type RouteContext, type RpcOptions, resolveRpcOptions, type StreamHub } from './options.ts'
import type { RpcDeps } from './ports.ts'
import { registerAnchorRoutes } from './routes/anchors.ts'
import { registerCampaignRoutes } from './routes/campaigns.ts'
import { registerChainRoutes, registerMetricsRoute } from './routes/chain.ts'
import { registerExplorerRoutes } from './routes/explorer.ts'
import { registerGovernanceRoutes } from './routes/governance.ts'
import { registerJournalRoutes } from './routes/journal.ts'
import { registerLedgerRoutes } from './routes/ledger.ts'
import { registerPurseRoutes } from './routes/purses.ts'
import { registerRefundRoutes } from './routes/refunds.ts'
import { registerStakingRoutes } from './routes/staking.ts'
import { registerStatementRoutes } from './routes/statements.ts'
import { registerStreamRoutes } from './routes/stream.ts'
import { registerTxRoutes } from './routes/txs.ts'
import * as S from './schemas.ts'

export interface RpcServer {
  readonly app: FastifyInstance
  /** Listens and resolves with the bound address (port 0 picks a free port). */
  listen(host: string, port: number): Promise<string>
  /** Ends open streams, stops accepting connections; calling it twice is harmless. */
  close(): Promise<void>
}

const MSGPACK_TYPES = ['application/msgpack', 'application/x-msgpack', 'application/octet-stream']

function sendError(reply: FastifyReply, { status, body, retryAfterSec }: ErrorResponse): void {
  if (retryAfterSec !== undefined) void reply.header('retry-after', String(retryAfterSec))
  void reply.status(status).send(body)
}

/**
 * Fastify logs two lines per request at info; here one line per request at debug, so a node at info
 * logs per block, not per request (at info they took ~40% of the CPU of an account read). Failed requests keep
 * Fastify's error line.
 */
class RpcLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) super.requestCompleted(error, request, reply)
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

export function createRpcServer(options: RpcOptions, deps: RpcDeps): RpcServer {
  const resolved = resolveRpcOptions(options)
  const app = Fastify({
    ...(deps.logger === undefined
      ? { logger: false }
      : { loggerInstance: deps.logger.child({ module: 'rpc' }) as unknown as FastifyBaseLogger }),
    trustProxy: typeof resolved.trustProxy === 'boolean' ? resolved.trustProxy : [...resolved.trustProxy],
    // Largest body any route accepts; each route sets its own lower limit.
    bodyLimit: 2 * resolved.maxBatchBytes + 4096,
    return503OnClosing: true,
    logController: new RpcLogController(),
    routerOptions: { maxParamLength: 1024 },
    // Bad URL encodings and over-long params are answered by the router: catalogue them too.
    frameworkErrors: (err, _request, reply) => sendError(reply as FastifyReply, toErrorResponse(err)),
  })
  const streams: StreamHub = { open: new Set() }
  const resolveClient = createClientResolver(resolved.allowList)
  const clients = new WeakMap<object, Client>()
  const clientOf = (request: { readonly ip: string }): Client => {
    let client = clients.get(request)
    if (client === undefined) {
      client = resolveClient(request.ip)
      clients.set(request, client)
    }
    return client
  }
  const ctx: RouteContext = { options: resolved, deps, streams, clientOf, nowMs: deps.nowMs ?? Date.now }

  // Only JSON and raw msgpack bodies: anything else is a 415 before a handler runs. JSON is checked
  // for depth and size of lists before it is parsed (the largest body is a batch of strings).
  app.removeContentTypeParser('text/plain')
  const parseJson = app.getDefaultJsonParser('error', 'error')
  const jsonShape = { maxDepth: 8, maxValues: 4 * resolved.maxBatchTxs + 64 }
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      checkJsonShape(body as string, jsonShape)
    } catch (err) {
      done(err as Error, undefined)
      return
    }
    parseJson(request, body as string, done)
  })
  app.addContentTypeParser(MSGPACK_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  app.setErrorHandler((err, request, reply) => {
    const response = toErrorResponse(err)
    if (response.status >= 500) request.log.error({ err }, 'rpc request failed')
    sendError(reply, response)
  })
  app.setNotFoundHandler((request, reply) => {
    const err = new RpcError(RpcErrorCode.notFound, `no route ${request.method} ${request.url.split('?')[0]}`)
    sendError(reply, toErrorResponse(err))
  })

  registerRequestMetrics(app, deps.metrics)

  if (resolved.docs) {
    void app.register(swagger, {
      openapi: {
        info: {
          title: 'Arcade RPC',
          version: resolved.version,
          description: 'Read the ledger, submit signed txs, stream new blocks and receipts.',
        },
      },
    })
    void app.register(swaggerUi, { routePrefix: '/docs' })
  }

  if (resolved.rateLimit !== null) {
    const { max, timeWindowMs } = resolved.rateLimit
    void app.register(rateLimit, {
      max,
      timeWindow: timeWindowMs,
      // Per client as rpc/clients.ts defines it (an IPv6 /64 is one client); allow-listed ones skip it.
      keyGenerator: (request) => clientOf(request).key,
      allowList: (request) => clientOf(request).allowListed,
      errorResponseBuilder: (_req, context) =>
        new RpcError(RpcErrorCode.rateLimited, `rate limit exceeded, retry in ${context.after}`),
    })
  }

  // Every route may be refused by the per-client rate limit: the OpenAPI document says so.
  if (resolved.rateLimit !== null) {
    app.addHook('onRoute', (route) => {
      const response = route.schema?.response as Record<string, unknown> | undefined
      if (response !== undefined && response['429'] === undefined) {
        Object.assign(response, S.refusals({ 429: [RpcErrorCode.rateLimited] }))
      }
    })
  }

  // The path Prometheus scrapes by default; the same text as /v1/metrics (and the same bounds).
  void app.register(async (root) => registerMetricsRoute(root, ctx))
  // The explorer's page and files, and `/` redirecting to it (under the same per-client rate limit).
  void app.register(async (root) => registerExplorerRoutes(root, ctx))

  void app.register(
    async (v1) => {
      registerChainRoutes(v1, ctx)
      registerTxRoutes(v1, ctx)
      registerLedgerRoutes(v1, ctx)
      registerJournalRoutes(v1, ctx)
      registerStatementRoutes(v1, ctx)
      registerStakingRoutes(v1, ctx)
      registerGovernanceRoutes(v1, ctx)
      registerStreamRoutes(v1, ctx)
      registerPurseRoutes(v1, ctx)
      registerRefundRoutes(v1, ctx)
      registerCampaignRoutes(v1, ctx)
      registerAnchorRoutes(v1, ctx)
    },
    { prefix: '/v1' },
  )

  app.addHook('preClose', async () => {
    for (const end of streams.open) end()
  })

  let closing: Promise<void> | null = null
  return {
    app,
    async listen(host, port) {
      return app.listen({ host, port })
    },
    close() {
      closing ??= app.close()
      return closing
    },
  }
}
