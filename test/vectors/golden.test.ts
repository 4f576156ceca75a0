import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { computeGoldenVectors, type GoldenVectors } from './golden.ts'

const file = new URL('./golden.json', import.meta.url)
const computed = computeGoldenVectors()

if (process.env.UPDATE_VECTORS === '1') {
  writeFileSync(file, `${JSON.stringify(computed, null, 2)}\n`)
}

const pinned = JSON.parse(readFileSync(file, 'utf8')) as GoldenVectors

describe('golden vectors (test/vectors/golden.json)', () => {
  it('pins the same set of vectors the code computes', () => {
    expect(Object.keys(computed).sort()).toEqual(Object.keys(pinned).sort())
  })
  for (const [name, values] of Object.entries(computed)) {
    it(name, () => {
      // On a deliberate encoding change: UPDATE_VECTORS=1 npx vitest run test/vectors, then review the diff.
      expect(values).toEqual(pinned[name])
    })
  }
})
