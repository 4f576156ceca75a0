import { describe, expect, it } from 'vitest'
import { ArcadeClient } from './client.ts'
import type { ValidatorSetJson } from './types.ts'

describe('queries', () => {
  it('validatorSets asks GET /v1/validator-sets with the page it is given and returns the items', async () => {
    const items: ValidatorSetJson[] = [
      {
        fromHeight: 1,
        setHash: 'ab'.repeat(32),
        totalPower: 10,
        validators: [{ nodeKey: 'arcnode1x', power: 10 }],
      },
    ]
    const urls: string[] = []
    const client = new ArcadeClient(
      { url: 'http://127.0.0.1:9' },
      {
        fetch: async (input) => {
          urls.push(String(input))
          return new Response(JSON.stringify({ items }), { headers: { 'content-type': 'application/json' } })
        },
      },
    )
    expect(await client.validatorSets({ fromHeight: 7, limit: 3 })).toEqual(items)
    expect(await client.validatorSets()).toEqual(items)
    expect(urls).toEqual([
      'http://127.0.0.1:9/v1/validator-sets?fromHeight=7&limit=3',
      'http://127.0.0.1:9/v1/validator-sets',
    ])
  })
})
