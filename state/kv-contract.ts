/**
 * The contract every StateKv implementation must pass (STYLE.md §12: one suite per port, run against
 * every implementation). Usage, in the implementation's test file:
 *
 *   describeStateKvContract('LevelStateKv', async () => openLevelStateKv(tmpDir()))
 */
import { describe, expect, it } from 'vitest'
import type { Bytes } from '../protocol/bytes.ts'
import type { StateKv } from './ports.ts'

const b = (...values: number[]): Bytes => Uint8Array.from(values)
const text = (s: string): Bytes => new TextEncoder().encode(s)

async function collect(kv: StateKv): Promise<Array<readonly [Bytes, Bytes]>> {
  const out: Array<readonly [Bytes, Bytes]> = []
  for await (const entry of kv.entries()) out.push(entry)
  return out
}

const hexOf = (bytes: Bytes) => Buffer.from(bytes).toString('hex')

export function describeStateKvContract(name: string, factory: () => Promise<StateKv>): void {
  describe(`StateKv contract: ${name}`, () => {
    it('starts empty', async () => {
      const kv = await factory()
      expect(await collect(kv)).toEqual([])
      expect(await kv.get(text('missing'))).toBeUndefined()
    })

    it('returns what was committed', async () => {
      const kv = await factory()
      await kv.commit([[text('a'), b(1, 2, 3)]])
      expect(await kv.get(text('a'))).toEqual(b(1, 2, 3))
      expect(await kv.get(text('b'))).toBeUndefined()
    })

    it('stores an empty value as a present entry', async () => {
      const kv = await factory()
      await kv.commit([[text('empty'), new Uint8Array(0)]])
      expect(await kv.get(text('empty'))).toEqual(new Uint8Array(0))
      expect((await collect(kv)).length).toBe(1)
    })

    it('lists entries in ascending byte order, whatever the write order', async () => {
      const kv = await factory()
      const keys = [b(0x02), b(0x01, 0xff), b(0xff), b(0x01), b(0x00, 0x00), b(0x80), b(0x01, 0x00)]
      await kv.commit(keys.map((k, i) => [k, b(i)] as const))
      const listed = (await collect(kv)).map(([k]) => hexOf(k))
      expect(listed).toEqual(['0000', '01', '0100', '01ff', '02', '80', 'ff'])
      // Values travel with their keys.
      for (const [k, v] of await collect(kv)) {
        const i = keys.findIndex((x) => hexOf(x) === hexOf(k))
        expect(v).toEqual(b(i))
      }
    })

    it('applies deletes and puts of one commit together', async () => {
      const kv = await factory()
      await kv.commit([
        [text('a'), b(1)],
        [text('b'), b(2)],
      ])
      await kv.commit([
        [text('a'), null],
        [text('c'), b(3)],
      ])
      expect(await kv.get(text('a'))).toBeUndefined()
      expect((await collect(kv)).map(([k]) => new TextDecoder().decode(k))).toEqual(['b', 'c'])
    })

    it('deleting a missing key is harmless', async () => {
      const kv = await factory()
      await kv.commit([[text('nothing'), null]])
      expect(await collect(kv)).toEqual([])
    })

    it('later writes to one key win, within a commit and across commits', async () => {
      const kv = await factory()
      await kv.commit([
        [text('k'), b(1)],
        [text('k'), b(2)],
      ])
      expect(await kv.get(text('k'))).toEqual(b(2))
      await kv.commit([
        [text('k'), b(3)],
        [text('k'), null],
      ])
      expect(await kv.get(text('k'))).toBeUndefined()
      await kv.commit([
        [text('k'), null],
        [text('k'), b(4)],
      ])
      expect(await kv.get(text('k'))).toEqual(b(4))
    })

    it('an empty commit changes nothing', async () => {
      const kv = await factory()
      await kv.commit([[text('a'), b(1)]])
      await kv.commit([])
      expect((await collect(kv)).length).toBe(1)
    })

    it('does not alias caller buffers', async () => {
      const kv = await factory()
      const value = b(1, 2)
      await kv.commit([[text('a'), value]])
      value[0] = 9
      expect(await kv.get(text('a'))).toEqual(b(1, 2))
      const read = (await kv.get(text('a'))) as Bytes
      read[0] = 7
      expect(await kv.get(text('a'))).toEqual(b(1, 2))
    })

    it('commits many writes atomically and lists them all', async () => {
      const kv = await factory()
      const writes = Array.from(
        { length: 1000 },
        (_, i) => [text(`key/${String(i).padStart(4, '0')}`), b(i % 256)] as const,
      )
      await kv.commit(writes)
      const listed = await collect(kv)
      expect(listed.length).toBe(1000)
      expect(new TextDecoder().decode(listed[0]?.[0])).toBe('key/0000')
      expect(new TextDecoder().decode(listed[999]?.[0])).toBe('key/0999')
    })
  })
}
