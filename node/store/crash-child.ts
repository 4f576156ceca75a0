/**
 * Child process of commit-atomicity.test.ts: `crash-child.ts <location> <txCount> <accountCount>`
 * opens the LevelDB store at <location>, then commits synthetic blocks
 * from head + 1 on, forever, printing `committed <height>` after each commit resolves. The parent
 * SIGKILLs it at an arbitrary moment, usually in the middle of a batch.
 */
import { createLevelChainStore } from './index.ts'
import { type BlockShape, syntheticCommit } from './sample-commit.ts'

async function main(location: string, shape: BlockShape): Promise<void> {
  const store = createLevelChainStore({ location })
  await store.open()
  let height = ((await store.head())?.height ?? 0) + 1
  process.stdout.write('ready\n')
  for (;;) {
    await store.commitBlock({ ...syntheticCommit(height, shape), walPruneBelowHeight: height })
    await store.wal.append(height + 1, Uint8Array.of(height & 0xff))
    process.stdout.write(`committed ${height}\n`)
    height++
  }
}

const [location, txCount, accountCount, journalRowsPerTx] = process.argv.slice(2)
if (location === undefined)
  throw new Error('usage: crash-child.ts <location> <txCount> <accountCount> [journalRowsPerTx]')
await main(location, {
  txCount: Number(txCount),
  accountCount: Number(accountCount),
  journalRowsPerTx: Number(journalRowsPerTx ?? 0),
})
