import { afterEach, describe, expect, it } from 'vitest'
import type { ExplorerAssets } from '../ports.ts'
import { type Harness, harness } from '../testing.ts'
import { EXPLORER_CSP } from './explorer.ts'

let h: Harness
afterEach(async () => h?.server.close())

const HTML = '<!doctype html><title>explorer</title><script src="/explorer/app.js" defer></script>'
const assets = (over: Partial<ExplorerAssets> = {}): ExplorerAssets & { calls: string[] } => {
  const calls: string[] = []
  const file = (name: string, text: string) => async () => {
    calls.push(name)
    return text
  }
  return {
    calls,
    html: file('html', HTML),
    script: file('script', 'console.log("app")'),
    style: file('style', 'body{margin:0}'),
    ...over,
  }
}

const get = (url: string, headers: Record<string, string> = {}) =>
  h.server.app.inject({ method: 'GET', url, headers })

describe('the explorer routes', () => {
  it('serve the page, script and style with their content types, a strict CSP and no-cache ETags', async () => {
    const files = assets()
    h = harness({}, { explorer: files })
    const cases = [
      ['/explorer', 'text/html; charset=utf-8', HTML],
      ['/explorer/app.js', 'text/javascript; charset=utf-8', 'console.log("app")'],
      ['/explorer/app.css', 'text/css; charset=utf-8', 'body{margin:0}'],
    ] as const
    for (const [url, type, body] of cases) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type'], url).toBe(type)
      expect(res.body, url).toBe(body)
      expect(res.headers['content-security-policy'], url).toBe(EXPLORER_CSP)
      expect(res.headers['x-content-type-options'], url).toBe('nosniff')
      expect(res.headers['cache-control'], url).toBe('no-cache')
      const etag = String(res.headers.etag)
      expect(etag, url).toMatch(/^"[\w-]{27}"$/)
      // Revalidation: the same file answers 304 with no body.
      const again = await get(url, { 'if-none-match': etag })
      expect(again.statusCode, url).toBe(304)
      expect(again.body, url).toBe('')
    }
    expect(files.calls).toEqual(['html', 'html', 'script', 'script', 'style', 'style'])
  })

  it('allow only this origin and nothing inline', () => {
    const directives = Object.fromEntries(
      EXPLORER_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    )
    expect(directives).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'self'",
      'object-src': "'none'",
      'frame-ancestors': "'none'",
    })
    expect(EXPLORER_CSP).not.toContain('unsafe-inline')
    expect(EXPLORER_CSP).not.toContain('unsafe-eval')
  })

  it('redirect / and /explorer/ to /explorer', async () => {
    h = harness({}, { explorer: assets() })
    for (const url of ['/', '/explorer/']) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(302)
      expect(res.headers.location, url).toBe('/explorer')
    }
  })

  it('answer 503 RPC_EXPLORER_UNAVAILABLE when the bundle fails, and serve once it builds again', async () => {
    let fail = true
    h = harness(
      {},
      {
        explorer: assets({
          script: async () => {
            if (fail) throw new Error('esbuild: Could not resolve "../client/index.ts"')
            return 'ok()'
          },
        }),
      },
    )
    const res = await get('/explorer/app.js')
    expect(res.statusCode).toBe(503)
    expect(res.json()).toEqual({
      code: 'RPC_EXPLORER_UNAVAILABLE',
      message: 'the explorer cannot be built on this node',
    })
    // The node keeps answering: the API, the other files, and this one once it builds.
    expect((await get('/v1/status')).statusCode).toBe(200)
    expect((await get('/explorer')).statusCode).toBe(200)
    fail = false
    expect((await get('/explorer/app.js')).body).toBe('ok()')
  })

  it('are absent on a node without an explorer, and never listed in the OpenAPI document', async () => {
    h = harness()
    expect((await get('/explorer')).json()).toMatchObject({ code: 'RPC_NOT_FOUND' })
    expect((await get('/')).statusCode).toBe(404)
    await h.server.close()
    h = harness({}, { explorer: assets() })
    const doc = (await get('/docs/json')).json() as { paths: Record<string, unknown> }
    const paths = Object.keys(doc.paths)
    expect(paths).toContain('/v1/status')
    expect(paths.filter((p) => p === '/' || p.startsWith('/explorer'))).toEqual([])
  })
})
