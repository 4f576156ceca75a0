#!/usr/bin/env node
// The `arcade` command. Node 24 runs the TypeScript sources directly (type stripping), so there is
// no build step; npm scripts and npx put the pinned Node 24 from devDependencies first on PATH.
const [major] = process.versions.node.split('.').map(Number)
if (major < 24) {
  process.stderr.write(
    `arcade needs Node.js 24 or newer (this is ${process.version}); run it through npx or npm scripts, which use the pinned Node 24.\n`,
  )
  process.exit(1)
}
await import('../node/cli.ts')
