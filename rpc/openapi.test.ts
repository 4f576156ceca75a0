import { expect, it } from 'vitest'
import { harness } from './testing.ts'

it('the OpenAPI document at /docs/json lists every route with its responses, and /docs serves the UI', async () => {
  const h = harness({ rateLimit: { max: 1000, timeWindowMs: 60_000 } })
  const routes: { method: string; url: string }[] = []
  h.server.app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url })
  })
  const res = await h.server.app.inject({ method: 'GET', url: '/docs/json' })
  expect(res.statusCode).toBe(200)
  const doc = res.json()
  expect(doc.openapi).toMatch(/^3\./)
  const v1 = routes.filter((r) => r.url.startsWith('/v1/'))
  expect(v1.length).toBeGreaterThanOrEqual(27)
  for (const { method, url } of v1) {
    const path = url.replace(/:([A-Za-z]+)/g, '{$1}')
    const op = doc.paths[path]?.[method.toLowerCase()]
    expect(op, `${method} ${path}`).toBeDefined()
    expect(op.summary, `${method} ${path} summary`).toBeTypeOf('string')
    expect(Object.keys(op.responses), `${method} ${path} responses`).toContain('4XX')
  }
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining([
      '/v1/status',
      '/v1/health',
      '/v1/txs',
      '/v1/txs/batch',
      '/v1/txs/{hash}',
      '/v1/blocks/latest',
      '/v1/blocks/{height}',
      '/v1/accounts/{address}',
      '/v1/accounts/{address}/history',
      '/v1/accounts/{address}/devices',
      '/v1/points',
      '/v1/points/{id}',
      '/v1/points/{id}/merchants',
      '/v1/points/{id}/merchants/{address}',
      '/v1/points/{id}/merchants/{address}/traffic',
      '/v1/points/{id}/grants',
      '/v1/devices/{address}',
      '/v1/purses/{address}',
      '/v1/points/{id}/campaigns',
      '/v1/points/{id}/campaigns/{campaign}',
      '/v1/points/{id}/merchants/{address}/anchors',
      '/v1/points/{id}/anchors/{root}',
      '/v1/stakes/{address}',
      '/v1/validators',
      '/v1/associations',
      '/v1/gov/proposals',
      '/v1/gov/proposals/{id}',
      '/v1/observers',
      '/v1/params',
      '/v1/evidence',
      '/v1/proofs/{ref}',
      '/v1/stream',
      '/v1/metrics',
      '/v1/forks',
      '/metrics',
    ]),
  )
  // Every refusal code is documented with its status.
  const refusal = (path: string, method: string, status: string): string =>
    doc.paths[path][method].responses[status]?.description ?? ''
  expect(refusal('/v1/status', 'get', '429')).toContain('RPC_RATE_LIMITED')
  for (const code of ['RPC_RATE_LIMITED', 'RPC_TOO_MANY_WAITS', 'RPC_SIGNATURE_CREDIT_EXHAUSTED']) {
    expect(refusal('/v1/txs', 'post', '429')).toContain(code)
    expect(refusal('/v1/txs/batch', 'post', '429')).toContain(code)
  }
  expect(refusal('/v1/txs', 'post', '429')).toContain('RPC_SIGNER_RATE_LIMITED')
  expect(refusal('/v1/txs', 'post', '400')).toContain('RPC_JSON_TOO_COMPLEX')
  expect(refusal('/v1/txs/batch', 'post', '413')).toContain('RPC_BATCH_TOO_LARGE')
  expect(refusal('/v1/stream', 'get', '429')).toContain('RPC_TOO_MANY_STREAMS')
  expect(doc.paths['/v1/stream'].get.description).toContain('RPC_STREAM_LAGGING')
  const ui = await h.server.app.inject({ method: 'GET', url: '/docs/' })
  expect(ui.statusCode).toBe(200)
  expect(ui.headers['content-type']).toContain('text/html')
  await h.server.close()
})
