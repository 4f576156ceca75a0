import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { describeStateKvContract } from '../../state/kv-contract.ts'
import type { ChainStore } from './chain-store.ts'
import { createLevelChainStore } from './index.ts'

const opened: Array<{ store: ChainStore; dir: string }> = []

afterAll(async () => {
  for (const { store, dir } of opened) {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
})

// The state port of a fresh LevelDB chain store (the state-entries prefix of the node's database).
describeStateKvContract('LevelDB chain store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-state-kv-'))
  const store = createLevelChainStore({ location: join(dir, 'db') })
  await store.open()
  opened.push({ store, dir })
  return store.state
})
