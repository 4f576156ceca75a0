import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createExplorerBundle } from './explorer-bundle.ts'

describe('the explorer bundle', () => {
  it('bundles explorer/ for the browser once, with no Node built-ins, and keeps it', async () => {
    const bundle = createExplorerBundle()
    const [script, again] = await Promise.all([bundle.script(), bundle.script()])
    expect(script).toBe(again)
    expect(script.length).toBeGreaterThan(10_000)
    expect(script).not.toMatch(/require\(["']node:/)
    expect(await bundle.style()).toContain('.mono')
    expect(await bundle.html()).toContain('src="/explorer/app.js"')
  })

  it('rejects when the build fails, and builds on a later request once the sources are fixed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcade-explorer-'))
    try {
      const source = new URL('../explorer/', import.meta.url).pathname
      await cp(source, dir, { recursive: true })
      await writeFile(join(dir, 'main.ts'), "import './missing.ts'\n")
      const bundle = createExplorerBundle({ dir, minify: false })
      await expect(bundle.script()).rejects.toThrow(/missing/)
      await writeFile(join(dir, 'main.ts'), "document.title = 'fixed'\n")
      expect(await bundle.script()).toContain('fixed')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
