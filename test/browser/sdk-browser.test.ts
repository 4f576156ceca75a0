/**
 * The SDK's browser-safe core, in a browser: client/ is bundled for `platform: 'browser'` (a `node:`
 * import anywhere in its graph fails the build), loaded into Debian's Chromium through playwright-core,
 * and the light client verifies two validator-set changes from a genesis document and refuses a forged
 * chain there. Needs `chromium` (`apt-get install -y chromium`; .ci/run installs it); CHROMIUM_PATH
 * names another binary. Without one the test is skipped, except under CI where it must run.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const available = existsSync(executablePath)
if (!available && process.env.CI)
  throw new Error(`no Chromium at ${executablePath}: apt-get install -y chromium`)

let browser: Browser | undefined
afterAll(async () => browser?.close())

describe.skipIf(!available)('the SDK in Chromium', () => {
  it('bundles for the browser and verifies set changes from genesis there', async () => {
    const bundle = await build({
      entryPoints: [join(here, 'light-client-entry.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    })
    const code = bundle.outputFiles[0]?.text ?? ''
    expect(code).not.toMatch(/require\(["']node:/)
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] })
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.setContent('<!doctype html><title>arcade sdk</title>')
    await page.addScriptTag({ content: code })
    const result = await page.evaluate(() =>
      (globalThis as unknown as { lightClientCheck: () => Promise<unknown> }).lightClientCheck(),
    )
    expect(errors).toEqual([])
    expect(result).toEqual({
      walked: [1, 11, 26],
      finalSetMatches: true,
      forged: 'CLIENT_PROOF_INVALID',
      hasNodeBuiltins: false,
    })
  }, 60_000)
})
