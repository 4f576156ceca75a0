import { describeStateKvContract } from './kv-contract.ts'
import { createMemoryStateKv } from './memory-kv.ts'

describeStateKvContract('memory', async () => createMemoryStateKv())
