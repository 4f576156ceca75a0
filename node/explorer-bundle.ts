/**
 * The explorer's files for the RPC (rpc/ports.ts `ExplorerAssets`): explorer/main.ts bundled for the
 * browser with the SDK it imports, its style sheet, and its page. The only run-time esbuild user, and
 * lazy: esbuild is loaded and run at the first request, not at start-up (nodes in tests never pay for
 * it), and the result is kept in memory for the node's life. A failed build is not kept: the next
 * request tries again (the route answers 503 meanwhile).
 *
 * The bundle targets `platform: 'browser'`, so a `node:` import anywhere in the graph fails the build:
 * the explorer runs the SDK's browser-safe core or nothing.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { ExplorerAssets } from '../rpc/ports.ts'

export interface ExplorerBundleOptions {
  /** The explorer's sources. Default the repository's `explorer/`. */
  readonly dir?: string
  /** Minify the script and style (default true). */
  readonly minify?: boolean
}

interface Built {
  readonly html: string
  readonly script: string
  readonly style: string
}

const DEFAULT_DIR = fileURLToPath(new URL('../explorer/', import.meta.url))

async function buildExplorer(dir: string, minify: boolean): Promise<Built> {
  const { build } = await import('esbuild')
  const common = {
    bundle: true,
    write: false,
    minify,
    logLevel: 'silent',
    legalComments: 'none',
    absWorkingDir: dir,
  } as const
  const [script, style, html] = await Promise.all([
    build({
      ...common,
      entryPoints: ['main.ts'],
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      charset: 'utf8',
    }),
    build({ ...common, entryPoints: ['app.css'], loader: { '.css': 'css' }, charset: 'utf8' }),
    readFile(`${dir}/index.html`, 'utf8'),
  ])
  const text = (r: { outputFiles?: { text: string }[] }, what: string) => {
    const out = r.outputFiles?.[0]?.text
    if (out === undefined) throw new Error(`esbuild gave no output for ${what}`)
    return out
  }
  return { html, script: text(script, 'main.ts'), style: text(style, 'app.css') }
}

export function createExplorerBundle(options: ExplorerBundleOptions = {}): ExplorerAssets {
  const dir = options.dir ?? DEFAULT_DIR
  const minify = options.minify ?? true
  let built: Promise<Built> | null = null
  const get = (): Promise<Built> => {
    if (built === null) {
      const attempt = buildExplorer(dir, minify)
      built = attempt
      attempt.catch(() => {
        if (built === attempt) built = null
      })
    }
    return built
  }
  return {
    html: async () => (await get()).html,
    script: async () => (await get()).script,
    style: async () => (await get()).style,
  }
}
