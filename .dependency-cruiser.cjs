// Import-direction rules from STYLE.md, checked on every `npm test`.
// A wrong import fails the build, not a review.
const lib = (name) => `^node_modules/(${name})(/|$)`
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'protocol-is-a-leaf',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: '^(state|consensus|genesis|node|rpc|client|bench|test)/' },
    },
    {
      name: 'state-imports-protocol-only',
      severity: 'error',
      from: { path: '^state/' },
      to: { path: '^(consensus|genesis|node|rpc|client|bench|test)/' },
    },
    {
      name: 'consensus-no-io-no-state-internals',
      severity: 'error',
      from: { path: '^consensus/' },
      to: { path: '^(genesis|node|rpc|client|bench|test)/|^state/(?!types\\.ts$|validator-set\\.ts$)' },
    },
    {
      name: 'genesis-imports-state-and-protocol',
      severity: 'error',
      from: { path: '^genesis/' },
      to: { path: '^(consensus|node|rpc|client|bench|test)/' },
    },
    {
      name: 'rpc-never-reaches-consensus-or-node',
      severity: 'error',
      from: { path: '^rpc/' },
      to: { path: '^(consensus|node|genesis|bench|test)/' },
    },
    {
      name: 'client-imports-protocol-only',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(state|consensus|genesis|node|rpc|bench|test)/' },
    },
    {
      name: 'explorer-imports-client-and-protocol-only',
      comment:
        'explorer/ is browser code: the SDK and protocol/ only (no node:, no packages, no rpc/); its unit tests run in Node under vitest and are not bundled',
      severity: 'error',
      from: { path: '^explorer/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^(explorer|client|protocol)/' },
    },
    {
      name: 'nothing-imports-explorer',
      comment: 'node/explorer-bundle.ts hands explorer/ to esbuild as a path; no module imports it',
      severity: 'error',
      from: { pathNot: '^explorer/' },
      to: { path: '^explorer/' },
    },
    {
      name: 'nothing-imports-tests-or-bench',
      severity: 'error',
      from: { pathNot: '^(test|bench)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'msgpackr-only-in-codec',
      severity: 'error',
      from: { pathNot: '^protocol/codec\\.ts$' },
      to: { path: lib('msgpackr') },
    },
    {
      name: 'noble-only-in-crypto',
      severity: 'error',
      from: { pathNot: '^protocol/crypto\\.ts$' },
      to: { path: lib('@noble/ed25519') },
    },
    {
      name: 'level-only-in-store',
      severity: 'error',
      from: { pathNot: '^node/store/' },
      to: { path: lib('level|classic-level') },
    },
    {
      name: 'libp2p-only-in-p2p',
      severity: 'error',
      from: { pathNot: '^node/p2p/' },
      to: { path: lib('libp2p|@libp2p/[^/]+|@chainsafe/[^/]+|it-[^/]+'), dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'fastify-only-in-rpc',
      severity: 'error',
      from: { pathNot: '^rpc/' },
      to: { path: lib('fastify|@fastify/[^/]+') },
    },
    {
      name: 'pino-only-in-node',
      severity: 'error',
      from: { pathNot: '^(node|bench|test)/' },
      to: { path: lib('pino|pino-pretty'), dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'autocannon-only-in-bench',
      severity: 'error',
      from: { pathNot: '^bench/' },
      to: { path: lib('autocannon') },
    },
    {
      name: 'prom-client-only-in-node-and-rpc',
      severity: 'error',
      from: { pathNot: '^(node|rpc|bench)/' },
      to: { path: lib('prom-client'), dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
