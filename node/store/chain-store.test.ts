import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type ChainStoreFixture, describeChainStoreContract } from './chain-store-contract.ts'
import { createLevelChainStore, createMemoryChainStore, StoreErrorCode } from './index.ts'
import { describeJournalStoreContract } from './journal-store-contract.ts'
import { LevelKv } from './level-kv.ts'
import { MemoryKv } from './raw-kv.ts'

const memoryFixture = async (): Promise<ChainStoreFixture> => {
  const kv = new MemoryKv()
  return {
    store: (options) => createMemoryChainStore(options, { kv }),
    raw: () => kv,
    cleanup: async () => {},
  }
}
describeChainStoreContract('memory twin', memoryFixture)
describeJournalStoreContract('memory twin', memoryFixture)

const levelFixture = async (): Promise<ChainStoreFixture> => {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-store-'))
  const location = join(dir, 'db')
  return {
    store: (options) => createLevelChainStore({ ...options, location }),
    raw: () => new LevelKv({ location }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}
describeChainStoreContract('LevelDB', levelFixture)
describeJournalStoreContract('LevelDB', levelFixture)

describe('LevelDB chain store', () => {
  it('refuses a second handle on a database that is open (STORE_LOCKED)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcade-store-lock-'))
    const location = join(dir, 'db')
    const first = createLevelChainStore({ location })
    try {
      await first.open()
      await expect(createLevelChainStore({ location }).open()).rejects.toMatchObject({
        code: StoreErrorCode.locked,
      })
    } finally {
      await first.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
