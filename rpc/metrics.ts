/**
 * Request metrics, added to the registry the node passes in. Labels are the route pattern (never the
 * raw URL, so cardinality stays bounded), the method and the status code.
 */
import type { FastifyInstance } from 'fastify'
import { Histogram, type Registry } from 'prom-client'

const NAME = 'arcade_rpc_request_duration_seconds'

export function registerRequestMetrics(app: FastifyInstance, registry: Registry): void {
  // Two servers in one process may share a registry (tests, devnet): reuse the metric then.
  const existing = registry.getSingleMetric(NAME)
  const duration =
    existing instanceof Histogram
      ? (existing as Histogram<'method' | 'route' | 'status'>)
      : new Histogram({
          name: NAME,
          help: 'RPC request duration by route, method and status',
          labelNames: ['method', 'route', 'status'] as const,
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
          registers: [registry],
        })
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    )
  })
}
