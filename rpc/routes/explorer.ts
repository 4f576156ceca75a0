/**
 * The block explorer every node serves (explorer/, bundled by node/explorer-bundle.ts): its page at
 * `/explorer`, its script and style beside it, and `/` redirecting there. Outside /v1 and left out of
 * the OpenAPI document: these are files for a browser, not API. The page runs the SDK against this
 * node's own RPC, so the policy allows scripts, styles and connections from this origin only, and
 * nothing inline. Files carry an ETag and `no-cache`: a browser revalidates (a 304 when unchanged) and
 * always gets the files of the node it talks to.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RpcError, RpcErrorCode } from '../errors.ts'
import type { RouteContext } from '../options.ts'
import type { ExplorerAssets } from '../ports.ts'

export const EXPLORER_PATH = '/explorer'

export const EXPLORER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const FILES = [
  { url: EXPLORER_PATH, type: 'text/html; charset=utf-8', read: (a: ExplorerAssets) => a.html() },
  {
    url: `${EXPLORER_PATH}/app.js`,
    type: 'text/javascript; charset=utf-8',
    read: (a: ExplorerAssets) => a.script(),
  },
  {
    url: `${EXPLORER_PATH}/app.css`,
    type: 'text/css; charset=utf-8',
    read: (a: ExplorerAssets) => a.style(),
  },
] as const

/** The ETag of a file's text; the last one per file is kept (the bundle's text does not change). */
function etagger(): (text: string) => string {
  let last: { text: string; tag: string } | null = null
  return (text) => {
    if (last?.text !== text) {
      last = { text, tag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"` }
    }
    return last.tag
  }
}

export function registerExplorerRoutes(app: FastifyInstance, { deps }: Pick<RouteContext, 'deps'>): void {
  const { explorer } = deps
  if (explorer === undefined) return
  const hidden = { schema: { hide: true } }

  const toExplorer = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.redirect(EXPLORER_PATH, 302)
  app.get('/', hidden, toExplorer)
  app.get(`${EXPLORER_PATH}/`, hidden, toExplorer)

  for (const file of FILES) {
    const etagOf = etagger()
    app.get(file.url, hidden, async (request, reply) => {
      let text: string
      try {
        text = await file.read(explorer)
      } catch (err) {
        request.log.error({ err }, 'explorer bundle failed')
        throw new RpcError(RpcErrorCode.explorerUnavailable, 'the explorer cannot be built on this node')
      }
      const etag = etagOf(text)
      void reply
        .header('content-security-policy', EXPLORER_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache')
        .header('etag', etag)
      if (request.headers['if-none-match'] === etag) return reply.code(304).send()
      return reply.type(file.type).send(text)
    })
  }
}
