/**
 * createRpcServer(options, deps): the Fastify app, its plugins (OpenAPI docs, rate limits), the error
 * catalogue wired in as the one error handler, request metrics, and the /v1 routes. The node owns the
 * lifecycle: `listen` after the chain is loaded, `close` before the chain stops.
 */
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import { RpcError, RpcErrorCode, toErrorResponse } from './errors.ts'
import { registerRequestMetrics } from './metrics.ts'
import { type RouteContext, type RpcOptions, resolveRpcOptions, type StreamHub } from './options.ts'
import type { RpcDeps } from './ports.ts'
import { registerChainRoutes } from './routes/chain.ts'
import { registerLedgerRoutes } from './routes/ledger.ts'
import { registerStakingRoutes } from './routes/staking.ts'
import { registerStreamRoutes } from './routes/stream.ts'
import { registerTxRoutes } from './routes/txs.ts'

export interface RpcServer {
  readonly app: FastifyInstance
  /** Listens and resolves with the bound address (port 0 picks a free port). */
  listen(host: string, port: number): Promise<string>
  /** Ends open streams, stops accepting connections; calling it twice is harmless. */
  close(): Promise<void>
}

const MSGPACK_TYPES = ['application/msgpack', 'application/x-msgpack', 'application/octet-stream']

export function createRpcServer(options: RpcOptions, deps: RpcDeps): RpcServer {
  const resolved = resolveRpcOptions(options)
  const app = Fastify({
    ...(deps.logger === undefined
      ? { logger: false }
      : { loggerInstance: deps.logger.child({ module: 'rpc' }) as unknown as FastifyBaseLogger }),
    trustProxy: resolved.trustProxy,
    // Largest body any route accepts; each route sets its own lower limit.
    bodyLimit: 2 * resolved.maxBatchBytes + 4096,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 1024 },
    // Bad URL encodings and over-long params are answered by the router: catalogue them too.
    frameworkErrors: (err, _request, reply) => {
      const { status, body } = toErrorResponse(err)
      void (reply as FastifyReply).status(status).send(body)
    },
  })
  const streams: StreamHub = { open: new Set() }
  const ctx: RouteContext = { options: resolved, deps, streams }

  // Only JSON and raw msgpack bodies: anything else is a 415 before a handler runs.
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser(MSGPACK_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toErrorResponse(err)
    if (status >= 500) request.log.error({ err }, 'rpc request failed')
    void reply.status(status).send(body)
  })
  app.setNotFoundHandler((request, reply) => {
    const err = new RpcError(RpcErrorCode.notFound, `no route ${request.method} ${request.url.split('?')[0]}`)
    const { status, body } = toErrorResponse(err)
    void reply.status(status).send(body)
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
      errorResponseBuilder: (_req, context) =>
        new RpcError(RpcErrorCode.rateLimited, `rate limit exceeded, retry in ${context.after}`),
    })
  }

  void app.register(
    async (v1) => {
      registerChainRoutes(v1, ctx)
      registerTxRoutes(v1, ctx)
      registerLedgerRoutes(v1, ctx)
      registerStakingRoutes(v1, ctx)
      registerStreamRoutes(v1, ctx)
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
