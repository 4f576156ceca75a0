import { defineConfig } from 'vitest/config'

/** Real node processes on loopback (and Chromium): the slow part of `npm test`. */
const e2e = ['test/e2e/**/*.test.ts', 'test/browser/**/*.test.ts', 'bench/harness/smoke.test.ts']
/** The in-process consensus simulator: CPU only, seeds in the thousands. */
const simulation = ['test/simulation/**/*.test.ts']

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Both cores for the in-process files (vitest's default leaves one idle on 2 cores): the unit
    // project went from about 166 s to 130 s. The e2e project still runs one file at a time.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', ...e2e, ...simulation],
        },
      },
      { extends: true, test: { name: 'simulation', include: simulation } },
      // One file at a time, after the others: each starts four or five node processes, and two such
      // files side by side on a 2-core machine ran about twice as slow each, and the fuzz test then
      // missed its frame counts.
      { extends: true, test: { name: 'e2e', include: e2e, fileParallelism: false } },
    ],
  },
})
